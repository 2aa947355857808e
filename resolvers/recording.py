"""What every data-entry mutation shares (units, periods, cards, visits, benefits): who may write,
the value checks, and the row a mutation saved.

Each mutation is one transaction: the change, its event row (the subscription feed) and its audit
row commit together or not at all. Checks report every problem at once; a record outside the
officer's province looks exactly like one that does not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from auth import scopes
from auth.viewer import Role, Viewer
from models.admin_units import PROVINCES
from models.rules import Violation
from models.rules.records import BenefitFact, CardFact, History, PeriodFact
from models.tables import (
    benefit_t,
    card_t,
    office_t,
    period_t,
    person_t,
    unit_member_t,
    unit_t,
)
from models.types import VIETNAM_TZ
from resolvers.outcomes import Invalid, Problems, Refused
from resolvers.registration import vietnam_today

Path_ = tuple[str, ...]
INPUT: Path_ = ("input",)
# Minimum-wage region (Decree 74/2024/NĐ-CP) by 2004 province: of the provincial capital, so a
# unit in an outlying district of a region-I province is held to region I (unconfirmed: the
# decree goes by district; the unit's district is not mapped here).
WAGE_REGION: dict[str, int] = {p.code: p.wage_region for p in PROVINCES}
DEFAULT_WAGE_REGION = 4  # the lowest floor: never refuses a lawful salary for want of a mapping
UNIT_CODE = re.compile(r"^\d{2}[A-Z0-9]{1,14}$")
# ICD-10: a letter, two digits (or digit + letter for a few chapters' extensions), an optional
# sub-code after a dot ("J18.9", "A09", "U07.1").
ICD10 = re.compile(r"^[A-Z]\d[0-9A-Z](\.?[0-9A-Z]{1,4})?$")
# The occupational-accident fund is shown apart from BHXH from 2016-07 (Law 84/2015/QH13).
OCCUPATIONAL_ACCIDENT_START = 201607
MONEY_MAX = Decimal("10000000000000")  # 10^13 VND: far beyond any record, within the column
COEFFICIENT_MAX = Decimal(20)


@dataclass(frozen=True, slots=True)
class Saved:
    """The row written, with the columns the read side selects for it (owner_province ...)."""

    row: Any


Outcome = Saved | Invalid | Refused


# ---------- who may do it ----------


def covers(viewer: Viewer, province: str) -> bool:
    return viewer.province_code is None or viewer.province_code == province


def officer_only(viewer: Viewer, what: str) -> Refused | None:
    if viewer.role is not Role.OFFICER:
        return Refused(f"Only BHXH officers {what}.")
    return None


async def person_in_scope(
    session: AsyncSession, viewer: Viewer | None, problems: Problems, path: Path_, code: str
) -> Any | None:
    """The person by code, in the viewer's row scope (None: unscoped); else a NOT_FOUND problem,
    the same whether the person does not exist or is outside the scope."""
    code = code.strip()
    if not re.fullmatch(r"\d{10}", code):
        problems.add(path, "FORMAT", "A social-insurance code is exactly 10 digits.")
        return None
    statement = select(person_t).where(person_t.c.social_insurance_code == code)
    if viewer is not None:  # None: any person (a hospital treats patients from anywhere)
        statement = statement.where(scopes.persons(viewer))
    row = (await session.execute(statement)).first()
    if row is None:
        problems.add(path, "NOT_FOUND", f"No insured person with the code {code} in your scope.")
    return row


# ---------- the rules of models/rules ----------


def report(problems: Problems, violations: list[Violation], path: Path_ = INPUT) -> None:
    """Each broken rule as an input problem, on the field it names."""
    for v in violations:
        problems.add((*path, v.field), v.code, v.message)


def region_of(province_scope: str) -> int:
    return WAGE_REGION.get(province_scope, DEFAULT_WAGE_REGION)


async def load_history(session: AsyncSession, person: Any) -> History:
    """The person's records in force, as the rules read them: three statements."""
    periods = (
        await session.execute(
            select(
                period_t.c.id,
                period_t.c.unit_id,
                period_t.c.insurance_type,
                period_t.c.from_month,
                period_t.c.to_month,
                period_t.c.salary,
                period_t.c.salary_coefficient,
                unit_t.c.province_scope,
            )
            .join(unit_t, unit_t.c.id == period_t.c.unit_id)
            .where(period_t.c.person_id == person.id, period_t.c.voided.is_(False))
        )
    ).all()
    cards = (
        await session.execute(
            select(
                card_t.c.id,
                card_t.c.beneficiary_group,
                card_t.c.valid_from,
                card_t.c.valid_to,
                card_t.c.suspended,
            ).where(card_t.c.person_id == person.id)
        )
    ).all()
    benefits = (
        await session.execute(
            select(
                benefit_t.c.id,
                benefit_t.c.regime,
                benefit_t.c.decided_on,
                benefit_t.c.decision_number,
                benefit_t.c.period_from,
                benefit_t.c.period_to,
                benefit_t.c.amount,
            ).where(benefit_t.c.person_id == person.id, benefit_t.c.voided.is_(False))
        )
    ).all()
    return History(
        born=person.date_of_birth,
        gender=person.gender,
        periods=[
            PeriodFact(
                r.id,
                r.unit_id,
                r.insurance_type,
                r.from_month,
                r.to_month,
                r.salary,
                r.salary_coefficient,
                region_of(r.province_scope),
            )
            for r in periods
        ],
        cards=[CardFact(r.id, r.beneficiary_group, r.valid_from, r.valid_to, r.suspended) for r in cards],
        benefits=[BenefitFact(*r) for r in benefits],
    )


async def decision_taken(session: AsyncSession, number: str | None, own_id: int | None = None) -> bool:
    """A decision number is recorded once, for anyone (voided decisions keep theirs)."""
    if number is None:
        return False
    statement = select(benefit_t.c.id).where(benefit_t.c.decision_number == number)
    if own_id is not None:
        statement = statement.where(benefit_t.c.id != own_id)
    return (await session.execute(statement.limit(1))).first() is not None


# ---------- value checks ----------


def checked_money(
    problems: Problems, path: Path_, value: Decimal | None, label: str, *, required: bool = True
) -> Decimal | None:
    if value is None:
        if required:
            problems.add(path, "REQUIRED", f"{label} is required.")
        return None
    if not value.is_finite():
        problems.add(path, "FORMAT", f"{label} must be a number.")
    elif value < 0:
        problems.add(path, "NEGATIVE", f"{label} cannot be negative.")
    elif value.as_tuple().exponent < -2:  # type: ignore[operator]
        problems.add(path, "PRECISION", f"{label} has at most 2 decimal places.")
    elif value > MONEY_MAX:
        problems.add(path, "TOO_LARGE", f"{label} is too large.")
    else:
        return value
    return None


def not_future_date(problems: Problems, path: Path_, value: date | None, label: str) -> None:
    today = vietnam_today()
    if value is not None and value > today:
        problems.add(path, "IN_THE_FUTURE", f"{label} cannot be after today ({today.isoformat()}).")


def aware(value: datetime) -> datetime:
    """A time without an offset is taken as Vietnam time (UTC+7)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=VIETNAM_TZ)


def current_month() -> int:
    today = vietnam_today()
    return today.year * 100 + today.month


async def office_by_code(
    session: AsyncSession, problems: Problems, path: Path_, code: str | None
) -> int | None:
    if code is None or not code.strip():
        return None
    found = (await session.execute(select(office_t.c.id).where(office_t.c.code == code.strip()))).scalar()
    if found is None:
        problems.add(path, "NOT_FOUND", f"No BHXH office has the code {code.strip()!r}.")
    return found


async def add_member(session: AsyncSession, unit_id: int, person_id: int, code: str) -> None:
    """The unit's roster row, if missing; concurrent writers of the same row are fine."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    values = {"unit_id": unit_id, "person_id": person_id, "social_insurance_code": code}
    if dialect == "postgresql":
        await session.execute(postgresql.insert(unit_member_t).values(**values).on_conflict_do_nothing())
    else:
        await session.execute(sqlite.insert(unit_member_t).values(**values).on_conflict_do_nothing())


async def one_row(session: AsyncSession, statement: Select[Any]) -> Any:
    return (await session.execute(statement)).one()
