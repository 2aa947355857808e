from __future__ import annotations

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.geo import address_constraints


class Unit(SQLModel, table=True):
    """Đơn vị tham gia BHXH: an employer. Its code is province + a serial (format unconfirmed)."""

    __tablename__ = "unit"
    __table_args__ = (
        *address_constraints("unit", ward_required=False),
        Index("ix_unit_province_scope", "province_scope", "code"),
        Index("ix_unit_tax_code", "tax_code"),
        Index("ix_unit_search_name", "search_name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    name: str = Field(max_length=200)
    search_name: str = Field(max_length=200)
    tax_code: str | None = Field(default=None, max_length=14)
    # The 2004-scheme province whose office manages the record: officers' row scope and the
    # provinceCode filter, whatever the shape the address was written in.
    province_scope: str = Field(max_length=2)
    address_scheme: str = Field(default="2004", max_length=4)
    province_code: str = Field(max_length=2)
    district_code: str | None = Field(default=None, max_length=3)
    ward_code: str | None = Field(default=None, max_length=5)
    street: str | None = Field(default=None, max_length=200)
