from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, SmallInteger
from sqlmodel import Field, SQLModel

from models.types import Money, UtcDateTime


class MedicalVisit(SQLModel, table=True):
    """A visit as in claims table XML1: sensitive health data."""

    __tablename__ = "medical_visit"
    __table_args__ = (
        CheckConstraint("visit_type IN ('OUTPATIENT', 'INPATIENT')", name="ck_visit_type"),
        CheckConstraint("insurance_paid + patient_paid = total_cost", name="ck_visit_money_adds_up"),
        CheckConstraint("insurance_paid >= 0 AND patient_paid >= 0", name="ck_visit_money_positive"),
        CheckConstraint("discharged_at IS NULL OR discharged_at >= admitted_at", name="ck_visit_dates"),
        Index("ix_visit_person_newest", "person_id", "admitted_at", "id"),
        # Person.medicalVisits(year:): the person's visits of one year, newest first.
        Index("ix_visit_person_year", "person_id", "year", "admitted_at", "id"),
        Index("ix_visit_facility_newest", "facility_id", "admitted_at", "id"),
        Index("ix_visit_facility_person", "facility_id", "person_id"),
        CheckConstraint(
            "route IN ('PRIMARY', 'REFERRED', 'OUT_OF_ROUTE', 'EMERGENCY')", name="ck_visit_route"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    facility_id: int = Field(foreign_key="health_facility.id")
    card_id: int | None = Field(default=None, foreign_key="health_insurance_card.id")
    visit_type: str = Field(max_length=10)
    admitted_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    discharged_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    # Calendar year of admission (Vietnam time): Person.medicalVisits(year:) filters on it.
    year: int
    diagnosis_code: str | None = Field(default=None, max_length=8)
    diagnosis: str | None = Field(default=None, max_length=300)
    total_cost: Decimal = Field(sa_column=Column(Money, nullable=False))
    insurance_paid: Decimal = Field(sa_column=Column(Money, nullable=False))
    patient_paid: Decimal = Field(sa_column=Column(Money, nullable=False))
    # Tuyến: PRIMARY (the card's facility or in-route), REFERRED (from referred_from), OUT_OF_ROUTE,
    # EMERGENCY; with the facility's level it decides what the fund pays.
    route: str = Field(default="PRIMARY", max_length=12)
    referred_from: str | None = Field(default=None, max_length=5)
    voided: bool = Field(default=False)


class VisitRollup(SQLModel, table=True):
    """What `visitStatistics` adds up, kept with the visits (models/visit_rollup.py says how).

    One row per group, calendar year and `previous_year`: the patients of the group who had a visit
    in the year and whose visit before it in the same group was in `previous_year` (0: none), with
    their visits of the year and what those cost (hundredths). A group is a level (the dimensions
    it is by: nation, province or facility, +4 by ICD chapter, +8 by visit type) and their values
    ("" / 0 / "*" where the level is not by that dimension; `province_code` is the facility's).
    """

    __tablename__ = "visit_rollup"
    __table_args__ = (
        CheckConstraint("level IN (0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14)", name="ck_visit_rollup_level"),
    )

    # The key in this order: a level's rows are one range of the index, a province's within it.
    level: int = Field(primary_key=True, sa_type=SmallInteger)
    province_code: str = Field(primary_key=True, max_length=2)
    facility_id: int = Field(primary_key=True)
    icd_chapter: str = Field(primary_key=True, max_length=5)
    visit_type: str = Field(primary_key=True, max_length=10)
    year: int = Field(primary_key=True)
    previous_year: int = Field(primary_key=True)
    patients: int = 0
    visits: int = 0
    total_cost: int = Field(default=0, sa_type=BigInteger)
    insurance_paid: int = Field(default=0, sa_type=BigInteger)
    patient_paid: int = Field(default=0, sa_type=BigInteger)
