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


class UnitMember(SQLModel, table=True):
    """The roster of a unit: who has at least one contribution period there.

    Derived from contribution_period and written in the same transaction as each period, so that
    `unit.employees` pages in code order straight off an index instead of sorting every period of
    the unit. `social_insurance_code` is copied in (it is issued once for life) to be that order.
    """

    __tablename__ = "unit_member"
    __table_args__ = (
        Index("ix_unit_member_roster", "unit_id", "social_insurance_code", "person_id", unique=True),
        Index("ix_unit_member_person", "person_id"),
    )

    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    social_insurance_code: str = Field(max_length=10)
