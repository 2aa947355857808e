"""Administrative units and the places of the open features: offices, facilities, agents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index
from sqlmodel import Field, SQLModel


class AdministrativeUnit(SQLModel, table=True):
    """A province (2-digit code), district (3) or ward/commune (5), Decision 124/2004/QĐ-TTg.

    Two schemes live side by side, because records keep an address as it was written:
    "2004", the three levels in force until 2025-06-30, and "2025", the two levels (34
    provinces, communes) since 2025-07-01. A code means one unit within a scheme; across
    schemes a merged province may keep a code under another name (24: Bắc Giang, then Bắc Ninh).
    """

    __tablename__ = "administrative_unit"
    __table_args__ = (
        CheckConstraint("scheme IN ('2004', '2025')", name="ck_admin_scheme"),
        CheckConstraint("level IN ('PROVINCE', 'DISTRICT', 'WARD')", name="ck_admin_level"),
        CheckConstraint("scheme = '2004' OR level <> 'DISTRICT'", name="ck_admin_no_district_2025"),
        CheckConstraint(
            "(level = 'PROVINCE' AND length(code) = 2) OR (level = 'DISTRICT' AND length(code) = 3)"
            " OR (level = 'WARD' AND length(code) = 5)",
            name="ck_admin_code_length",
        ),
        ForeignKeyConstraint(
            ["scheme", "parent_code"],
            ["administrative_unit.scheme", "administrative_unit.code"],
            name="fk_admin_parent",
        ),
        Index("ix_admin_parent", "scheme", "parent_code"),
    )

    scheme: str = Field(primary_key=True, max_length=4)
    code: str = Field(primary_key=True, max_length=5)
    level: str = Field(max_length=8)
    name: str = Field(max_length=120)
    parent_code: str | None = Field(default=None, max_length=5)
    province_code: str = Field(max_length=2)
    # For a 2004 unit: the 2025 province it belongs to now.
    successor_province_code: str | None = Field(default=None, max_length=2)


def address_constraints(table: str, *, ward_required: bool = True) -> tuple[Any, ...]:
    """Foreign keys of an address (scheme, province, district, ward) and their shape."""
    target = ["administrative_unit.scheme", "administrative_unit.code"]
    return (
        CheckConstraint("address_scheme IN ('2004', '2025')", name=f"ck_{table}_address_scheme"),
        # The 2025 shape has no district; the 2004 shape names one whenever it names a ward.
        CheckConstraint(
            "(address_scheme = '2025' AND district_code IS NULL) OR (address_scheme = '2004' AND "
            + (
                "district_code IS NOT NULL)"
                if ward_required
                else "(ward_code IS NULL OR district_code IS NOT NULL))"
            ),
            name=f"ck_{table}_address_shape",
        ),
        ForeignKeyConstraint(["address_scheme", "province_code"], target, name=f"fk_{table}_province"),
        ForeignKeyConstraint(["address_scheme", "district_code"], target, name=f"fk_{table}_district"),
        ForeignKeyConstraint(["address_scheme", "ward_code"], target, name=f"fk_{table}_ward"),
    )


class _Place(SQLModel):
    code: str = Field(max_length=16, unique=True)
    name: str = Field(max_length=200)
    search_name: str = Field(max_length=200)
    address_scheme: str = Field(default="2004", max_length=4)
    province_code: str = Field(max_length=2, index=True)
    district_code: str | None = Field(default=None, max_length=3)
    ward_code: str = Field(max_length=5)
    street: str | None = Field(default=None, max_length=200)
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)


_COORDS = (
    "(latitude IS NULL AND longitude IS NULL) OR "
    "(latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180)"
)


class Office(_Place, table=True):
    """Cơ quan BHXH; the national office (level NATIONAL) sees every province."""

    __tablename__ = "office"
    __table_args__ = (
        *address_constraints("office"),
        CheckConstraint(_COORDS, name="ck_office_coords"),
        CheckConstraint("level IN ('NATIONAL', 'PROVINCE', 'DISTRICT')", name="ck_office_level"),
        Index("ix_office_geo", "latitude", "longitude"),
    )

    id: int | None = Field(default=None, primary_key=True)
    phone: str | None = Field(default=None, max_length=20)
    level: str = Field(default="PROVINCE", max_length=10)


class HealthFacility(_Place, table=True):
    """Cơ sở khám chữa bệnh (CSKCB), 5-character code."""

    __tablename__ = "health_facility"
    __table_args__ = (
        *address_constraints("facility"),
        CheckConstraint(_COORDS, name="ck_facility_coords"),
        Index("ix_facility_geo", "latitude", "longitude"),
        Index("ix_facility_province_code", "province_code", "code"),
        Index("ix_facility_flags", "accepts_health_insurance", "issues_sick_leave", "code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    accepts_health_insurance: bool = Field(default=True)
    issues_sick_leave: bool = Field(default=False)


class CollectionAgent(_Place, table=True):
    """Điểm thu, đại lý thu BHXH tự nguyện, BHYT hộ gia đình."""

    __tablename__ = "collection_agent"
    __table_args__ = (
        *address_constraints("agent"),
        CheckConstraint(_COORDS, name="ck_agent_coords"),
        Index("ix_agent_geo", "latitude", "longitude"),
        Index("ix_agent_province_code", "province_code", "code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    phone: str | None = Field(default=None, max_length=20)
