from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import Money

INSURANCE_TYPES = ("SOCIAL", "UNEMPLOYMENT", "OCCUPATIONAL_ACCIDENT", "HEALTH")


class ContributionPeriod(SQLModel, table=True):
    """Quá trình tham gia: months are stored as YYYYMM integers, both ends inclusive."""

    __tablename__ = "contribution_period"
    __table_args__ = (
        CheckConstraint("from_month <= to_month", name="ck_period_months_order"),
        CheckConstraint(
            "from_month % 100 BETWEEN 1 AND 12 AND to_month % 100 BETWEEN 1 AND 12", name="ck_period_months"
        ),
        CheckConstraint(
            "insurance_type IN ('SOCIAL', 'UNEMPLOYMENT', 'OCCUPATIONAL_ACCIDENT', 'HEALTH')",
            name="ck_period_insurance_type",
        ),
        # BHTN began on 2009-01-01.
        CheckConstraint(
            "insurance_type <> 'UNEMPLOYMENT' OR from_month >= 200901", name="ck_period_bhtn_start"
        ),
        CheckConstraint("salary IS NULL OR salary >= 0", name="ck_period_salary"),
        UniqueConstraint(
            "person_id", "unit_id", "insurance_type", "from_month", "to_month", name="uq_period_exact"
        ),
        Index("ix_period_person_newest", "person_id", "insurance_type", "from_month", "id"),
        Index("ix_period_person_all", "person_id", "from_month", "id"),
        Index("ix_period_unit", "unit_id", "person_id"),
        Index("ix_period_unit_newest", "unit_id", "from_month", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    unit_id: int = Field(foreign_key="unit.id")
    insurance_type: str = Field(max_length=24)
    from_month: int
    to_month: int
    occupation: str | None = Field(default=None, max_length=200)
    workplace: str | None = Field(default=None, max_length=200)
    currency: str = Field(default="VND", max_length=3)
    salary: Decimal | None = Field(default=None, sa_column=Column(Money))
    salary_coefficient: Decimal | None = Field(default=None, sa_column=Column(Money))
