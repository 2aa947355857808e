from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel


class HealthInsuranceCard(SQLModel, table=True):
    """Thẻ BHYT. number = group (2) + level (1) + province (2) + social-insurance code (10)."""

    __tablename__ = "health_insurance_card"
    __table_args__ = (
        CheckConstraint("length(number) = 15", name="ck_card_number_length"),
        CheckConstraint("benefit_level BETWEEN 1 AND 5", name="ck_card_level"),
        CheckConstraint("valid_to IS NULL OR valid_from <= valid_to", name="ck_card_validity"),
        Index("ix_card_person_newest", "person_id", "valid_from", "id"),
        Index("ix_card_code", "social_insurance_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=15, unique=True)
    # The last 10 characters of the number: since 2021 the printed card shows only this.
    social_insurance_code: str = Field(max_length=10)
    person_id: int = Field(foreign_key="person.id")
    beneficiary_group: str = Field(max_length=2)
    benefit_level: int
    province_code: str = Field(max_length=2)
    valid_from: date
    valid_to: date | None = None
    suspended: bool = Field(default=False)
    primary_care_facility_id: int = Field(foreign_key="health_facility.id")
    five_years_continuous_from: date | None = None
