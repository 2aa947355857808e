from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, SmallInteger, UniqueConstraint
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
    # Voided by an officer: kept with its revisions, counted nowhere.
    voided: bool = Field(default=False)


# ---------- the statistics rollup (see models/rollup.py), kept with the periods ----------

# Levels of `contribution_rollup` and `contribution_return`: what a row is grouped by.
LEVEL_PROVINCE = 1  # the person's province, every unit
LEVEL_UNIT = 2  # one unit, whatever the person's province
LEVEL_BY_TYPE = 4  # added to either: one insurance type (else every type, "*")
ALL = "*"  # insurance_type of rows over every type


class ContributionRollup(SQLModel, table=True):
    """Per group and calendar year: who contributed, for how many months, on what salaries.

    A group is a province (level 1, `province_scope` the person's) or a unit (level 2,
    `province_scope` the unit's home province: its code's first two characters), for one
    insurance type (+4) or all ("*"). `persons` contributed in the year (at least one month),
    `entrants` of them for the first time in that group; `person_months` and `salary_months` (in
    hundredths) add up every period's months in the year. The `home_` columns count only the
    people whose province is `province_scope` (on province levels: the same as the others).
    """

    __tablename__ = "contribution_rollup"
    __table_args__ = (CheckConstraint("level IN (1, 2, 5, 6)", name="ck_rollup_level"),)

    # The key in this order: a level's rows for a range of years are one range of the index (and,
    # written in key order, of the table).
    level: int = Field(primary_key=True, sa_type=SmallInteger)
    insurance_type: str = Field(primary_key=True, max_length=24)
    year: int = Field(primary_key=True)
    province_scope: str = Field(primary_key=True, max_length=2)
    unit_id: int = Field(primary_key=True)  # 0 on province levels
    persons: int = 0
    entrants: int = 0
    person_months: int = Field(default=0, sa_type=BigInteger)
    salary_months: int = Field(default=0, sa_type=BigInteger)
    home_persons: int = 0
    home_entrants: int = 0
    home_person_months: int = Field(default=0, sa_type=BigInteger)
    home_salary_months: int = Field(default=0, sa_type=BigInteger)


class ContributionReturn(SQLModel, table=True):
    """People who contribute in a group in `year` again after `previous_year`, with at least one
    calendar year between (so neither entrants nor continuing from the year before)."""

    __tablename__ = "contribution_return"

    level: int = Field(primary_key=True, sa_type=SmallInteger)
    insurance_type: str = Field(primary_key=True, max_length=24)
    year: int = Field(primary_key=True)
    province_scope: str = Field(primary_key=True, max_length=2)
    unit_id: int = Field(primary_key=True)
    previous_year: int = Field(primary_key=True)
    persons: int = 0
    home_persons: int = 0


class ContributionAway(SQLModel, table=True):
    """The periods at a unit whose home province (its code's first two characters) is not the
    person's province: copied here with the person's province, for the statistics that group
    units by the people's province (the rollup has those of the unit's own province only)."""

    __tablename__ = "contribution_away"
    __table_args__ = (
        # A correction writes the person's away periods afresh (delete by person, then insert).
        Index("ix_away_person", "person_id"),
        # The statistics read a province's periods that end in or after the first year asked.
        Index("ix_away_province_to", "province_scope", "to_month"),
    )

    period_id: int = Field(primary_key=True, foreign_key="contribution_period.id")
    person_id: int
    province_scope: str = Field(max_length=2)
    unit_id: int
    insurance_type: str = Field(max_length=24)
    from_month: int
    to_month: int
    salary: Decimal | None = Field(default=None, sa_column=Column(Money))
