from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, Index
from sqlmodel import Field, SQLModel

from models.types import Money

BENEFIT_REGIMES = (
    "SICKNESS",
    "MATERNITY",
    "CONVALESCENCE",
    "OCCUPATIONAL_ACCIDENT",
    "MONTHLY_PENSION",
    "ONE_TIME_SOCIAL_INSURANCE",
    "SURVIVORSHIP",
    "UNEMPLOYMENT",
)


class Benefit(SQLModel, table=True):
    """A benefit decision (thông tin hưởng)."""

    __tablename__ = "benefit"
    __table_args__ = (
        CheckConstraint(
            "regime IN (" + ", ".join(f"'{r}'" for r in BENEFIT_REGIMES) + ")", name="ck_benefit_regime"
        ),
        CheckConstraint(
            "period_from IS NULL OR period_to IS NULL OR period_from <= period_to", name="ck_benefit_period"
        ),
        CheckConstraint("amount IS NULL OR amount >= 0", name="ck_benefit_amount"),
        Index("ix_benefit_person_newest", "person_id", "decided_on", "id"),
        Index("ix_benefit_person_regime", "person_id", "regime", "decided_on", "id"),
        Index("ix_benefit_decision_number", "decision_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    regime: str = Field(max_length=32)
    decision_number: str | None = Field(default=None, max_length=40)
    decided_on: date
    period_from: date | None = None
    period_to: date | None = None
    amount: Decimal | None = Field(default=None, sa_column=Column(Money))
    paying_office_id: int | None = Field(default=None, foreign_key="office.id")
    voided: bool = Field(default=False)
