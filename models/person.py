from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from models.geo import address_constraints


class Person(SQLModel, table=True):
    """An insured person. `province_code` (of the address) is the managing province: row scope."""

    __tablename__ = "person"
    __table_args__ = (
        *address_constraints("person", ward_required=False),
        CheckConstraint("length(social_insurance_code) = 10", name="ck_person_code_length"),
        CheckConstraint("gender IS NULL OR gender IN ('MALE', 'FEMALE')", name="ck_person_gender"),
        CheckConstraint(
            "id_type IS NULL OR id_type IN ('CMND', 'CCCD', 'PASSPORT')", name="ck_person_id_type"
        ),
        Index("ix_person_province_scope", "province_scope", "social_insurance_code"),
        Index("ix_person_search_name", "search_name"),
        Index("ix_person_id_number", "id_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    social_insurance_code: str = Field(max_length=10, unique=True)
    full_name: str = Field(max_length=120)
    # Lower-case, without diacritics: "nguyen thanh bien"; what name search compares against.
    search_name: str = Field(max_length=120)
    gender: str | None = Field(default=None, max_length=6)
    date_of_birth: date | None = None
    id_type: str | None = Field(default=None, max_length=8)
    id_number: str | None = Field(default=None, max_length=12)
    phone: str | None = Field(default=None, max_length=15)
    email: str | None = Field(default=None, max_length=254)
    # The 2004-scheme province whose office manages the record: officers' row scope and the
    # provinceCode filter, whatever the shape the address was written in.
    province_scope: str = Field(max_length=2)
    address_scheme: str = Field(default="2004", max_length=4)
    province_code: str = Field(max_length=2)
    district_code: str | None = Field(default=None, max_length=3)
    ward_code: str | None = Field(default=None, max_length=5)
    street: str | None = Field(default=None, max_length=200)
