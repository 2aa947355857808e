"""Household BHYT (BHYT hộ gia đình): households, their members, the payments collection agents
record, and the agents' catchments.

A household is the "GD" beneficiary group made an object: the people who pay BHYT together at the
household scale (models/rules/law.py `household_monthly`). A person is a member of at most one
household (a unique index on the member's person). The head sees the members' cards through a
delegation each adult member may revoke for themself (`delegation_revoked_at`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, Index
from sqlmodel import Field, SQLModel

from models.types import Money, UtcDateTime


class Household(SQLModel, table=True):
    """Hộ gia đình tham gia BHYT. `ward_code` is where it lives: the agents' catchment; the
    province (2004 scheme) is the officers' row scope."""

    __tablename__ = "household"
    __table_args__ = (
        CheckConstraint("length(code) = 12", name="ck_household_code_length"),
        Index("ix_household_ward", "ward_code"),
        Index("ix_household_province_scope", "province_scope", "code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # "GD" + the 5-digit ward + a 5-digit number in the ward (the format of the office's mã hộ
    # gia đình is unconfirmed; this one is stable and says where the household is).
    code: str = Field(max_length=12, unique=True)
    head_person_id: int = Field(foreign_key="person.id")
    province_scope: str = Field(max_length=2)
    ward_code: str = Field(max_length=5)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


class HouseholdMember(SQLModel, table=True):
    """One person of a household, in the order they joined (the head first)."""

    __tablename__ = "household_member"
    __table_args__ = (
        Index("ix_household_member_household", "household_id", "position"),
        CheckConstraint("position >= 1", name="ck_household_member_position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")
    # One household a person: the unique index is what holds under concurrent writers.
    person_id: int = Field(foreign_key="person.id", unique=True)
    position: int
    joined_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    # Set when the member withdrew the head's view of their card (delegated access).
    delegation_revoked_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


class HouseholdPayment(SQLModel, table=True):
    """Money a collection agent received for a household: N months for its charged members."""

    __tablename__ = "household_payment"
    __table_args__ = (
        CheckConstraint("months IN (3, 6, 12)", name="ck_household_payment_months"),
        CheckConstraint("amount > 0", name="ck_household_payment_amount"),
        Index("ix_household_payment_household", "household_id", "paid_on", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")
    agent_id: int = Field(foreign_key="collection_agent.id")
    account_id: int = Field(foreign_key="account.id")
    months: int
    paid_on: date
    amount: Decimal = Field(sa_column=Column(Money, nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


class HouseholdPaymentLine(SQLModel, table=True):
    """What one member's share of a payment was and the card it paid for."""

    __tablename__ = "household_payment_line"
    __table_args__ = (Index("ix_household_payment_line_payment", "payment_id", "rank"),)

    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="household_payment.id")
    person_id: int = Field(foreign_key="person.id")
    # 1 for the first charged member, 2 the second ...: the scale's order.
    rank: int
    amount: Decimal = Field(sa_column=Column(Money, nullable=False))
    card_id: int = Field(foreign_key="health_insurance_card.id")
    valid_from: date
    valid_to: date


class AgentCatchment(SQLModel, table=True):
    """A ward or commune (5-digit code, unchanged across the 2025 reform) where an agent collects."""

    __tablename__ = "agent_catchment"

    agent_id: int = Field(foreign_key="collection_agent.id", primary_key=True)
    ward_code: str = Field(max_length=5, primary_key=True)
