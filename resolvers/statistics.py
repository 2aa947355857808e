"""Aggregates for analysts (and officers within their province): computed in SQL with GROUP BY.

Contribution months are counted per calendar year by intersecting each period with the year,
in SQL; headcounts are distinct people. Small groups are suppressed for analysts (k-anonymity):
a count under K_ANONYMITY is returned as null, so no aggregate singles anybody out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from graphql import GraphQLError
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    String,
    case,
    cast,
    func,
    literal,
    select,
    text,
    type_coerce,
    union_all,
)
from sqlalchemy.sql import Select

from auth.viewer import Role, Viewer
from models.tables import facility_t, period_t, person_t, unit_t, visit_t
from resolvers.context import Context, require_viewer
from resolvers.errors import BadUserInput
from resolvers.outcomes import Problem
from resolvers.reference import known_province

K_ANONYMITY = 5
TIMEOUT_SECONDS = 10.0
MAX_YEARS = 40
FIRST_YEAR = 1995
# Combined employer + employee rates by insurance type (from 2024-07-01, domain facts); applied to
# every period as an estimate of what was paid.
RATES = {
    "SOCIAL": Decimal("0.25"),
    "HEALTH": Decimal("0.045"),
    "UNEMPLOYMENT": Decimal("0.02"),
    "OCCUPATIONAL_ACCIDENT": Decimal("0.005"),
}
# ICD-10 chapters by the first character (and the numbers where a letter spans two chapters).
ICD_CHAPTERS = (
    ("A", "I"), ("B", "I"), ("E", "IV"), ("F", "V"), ("G", "VI"), ("I", "IX"), ("J", "X"), ("K", "XI"),
    ("L", "XII"), ("M", "XIII"), ("N", "XIV"), ("O", "XV"), ("P", "XVI"), ("Q", "XVII"), ("R", "XVIII"),
    ("S", "XIX"), ("T", "XIX"), ("V", "XX"), ("W", "XX"), ("X", "XX"), ("Y", "XX"), ("Z", "XXI"), ("U", "XXII"),
)  # fmt: skip


def _forbidden(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "FORBIDDEN"})


def allowed_province(context: Context, requested: str | None) -> tuple[Viewer, str | None]:
    """Analysts and admins see every province; officers only theirs (by default and at most)."""
    viewer = require_viewer(context)
    if viewer.role in (Role.ANALYST, Role.ADMIN):
        return viewer, requested
    if viewer.role is Role.OFFICER:
        if viewer.province_code is None:
            return viewer, requested
        if requested is not None and requested != viewer.province_code:
            raise _forbidden(
                f"provinceCode: an officer of province {viewer.province_code} sees that province only."
            )
        return viewer, viewer.province_code
    raise _forbidden("Statistics are for analysts and officers.")


def raw(money: ColumnElement[Any]) -> ColumnElement[int]:
    """A money column as the integer hundredths it stores, for exact sums in SQL."""
    return type_coerce(money, BigInteger)


def _least(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    return case((a < b, a), else_=b)


def _greatest(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    return case((a > b, a), else_=b)


def _month_index(column: ColumnElement[int]) -> ColumnElement[int]:
    return (column // 100) * 12 + (column % 100) - 1


def _years(first: int, last: int) -> Any:
    rows = [select(literal(year, Integer).label("year")) for year in range(first, last + 1)]
    return union_all(*rows).cte("years")


@dataclass(frozen=True, slots=True)
class Group:
    values: dict[str, Any]
    headcount: int | None
    person_months: int
    salary_months: Decimal
    contributions: Decimal


async def _run(context: Context, statement: Select[Any]) -> Sequence[Any]:
    session = context.session
    dialect = session.bind.dialect.name if session.bind is not None else ""
    if dialect == "postgresql":
        # The database stops a statement that runs too long: no partial answer is ever shown.
        await session.execute(text(f"SET LOCAL statement_timeout = {int(TIMEOUT_SECONDS * 1000)}"))
        # Compiling these one-off aggregates (JIT) cost seconds at national scale, more than it saves.
        await session.execute(text("SET LOCAL jit = off"))
    try:
        result = await asyncio.wait_for(session.execute(statement), timeout=TIMEOUT_SECONDS + 1)
    except TimeoutError as exc:
        raise GraphQLError(
            f"The aggregate took longer than {TIMEOUT_SECONDS:.0f} s: narrow the years or provinces.",
            extensions={"code": "QUERY_TOO_COMPLEX"},
        ) from exc
    except Exception as exc:
        if "statement timeout" in str(exc) or "canceling statement" in str(exc):
            raise GraphQLError(
                f"The aggregate took longer than {TIMEOUT_SECONDS:.0f} s: narrow the years or provinces.",
                extensions={"code": "QUERY_TOO_COMPLEX"},
            ) from exc
        raise
    return result.all()


def _suppress(viewer: Viewer, count: int) -> int | None:
    return None if viewer.role is Role.ANALYST and count < K_ANONYMITY else count


async def contributions(
    context: Context,
    group_by: Sequence[str],
    province_code: str | None,
    insurance_type: str | None,
    from_year: int | None,
    to_year: int | None,
) -> list[Group]:
    viewer, province = allowed_province(context, await known_province(context, province_code))
    problems: list[Problem] = []
    if not group_by:
        problems.append(Problem(("groupBy",), "REQUIRED", "Name at least one dimension to group by."))
    if len(set(group_by)) != len(group_by):
        problems.append(Problem(("groupBy",), "DUPLICATE", "Each dimension at most once."))
    first = from_year if from_year is not None else 2006
    last = to_year if to_year is not None else 2026
    if not FIRST_YEAR <= first <= last <= 2100:
        problems.append(
            Problem(("fromYear",), "RANGE", f"Years run from {FIRST_YEAR}, and fromYear <= toYear.")
        )
    elif last - first + 1 > MAX_YEARS:
        problems.append(Problem(("toYear",), "TOO_LARGE", f"At most {MAX_YEARS} years per aggregate."))
    if problems:
        raise BadUserInput("; ".join(p.message for p in problems), problems[0].field[0])

    years = _years(first, last)
    start, end = _month_index(period_t.c.from_month), _month_index(period_t.c.to_month)
    year_start, year_end = years.c.year * 12, years.c.year * 12 + 11
    months = _least(end, year_end) - _greatest(start, year_start) + 1
    dimensions: dict[str, ColumnElement[Any]] = {
        "PROVINCE": person_t.c.province_scope.label("province"),
        "YEAR": years.c.year.label("year"),
        "INSURANCE_TYPE": period_t.c.insurance_type.label("insurance_type"),
        "UNIT": unit_t.c.code.label("unit"),
    }
    chosen = [dimensions[d] for d in group_by]
    statement = (
        select(
            *chosen,
            func.count(func.distinct(period_t.c.person_id)).label("headcount"),
            func.sum(months).label("person_months"),
            func.sum(months * func.coalesce(raw(period_t.c.salary), 0)).label("salary_months"),
        )
        .select_from(period_t)
        .join(person_t, person_t.c.id == period_t.c.person_id)
        .join(unit_t, unit_t.c.id == period_t.c.unit_id)
        .join(years, (year_start <= end) & (year_end >= start))
        .group_by(*chosen)
        .order_by(*chosen)
    )
    if province is not None:
        statement = statement.where(person_t.c.province_scope == province)
    if insurance_type is not None:
        statement = statement.where(period_t.c.insurance_type == insurance_type)
    groups = []
    for row in await _run(context, statement):
        values = {d: getattr(row, str(dimensions[d].key)) for d in group_by}
        # Money is stored in hundredths: the sum comes back in hundredths too.
        salary_months = Decimal(int(row.salary_months or 0)) / 100
        rate = RATES.get(values.get("INSURANCE_TYPE") or insurance_type or "")
        groups.append(
            Group(
                values=values,
                headcount=_suppress(viewer, int(row.headcount)),
                person_months=int(row.person_months or 0),
                salary_months=salary_months.quantize(Decimal("0.01")),
                contributions=(salary_months * rate).quantize(Decimal("0.01"))
                if rate is not None
                else Decimal("0.00"),
            )
        )
    return groups


def icd_chapter(code: ColumnElement[str]) -> ColumnElement[str]:
    letter = func.substr(code, 1, 1)
    number = cast(func.substr(code, 2, 2), Integer)
    whens: list[tuple[ColumnElement[bool], str]] = [
        ((letter == "C") | ((letter == "D") & (number < 50)), "II"),
        (letter == "D", "III"),
        ((letter == "H") & (number < 60), "VII"),
        (letter == "H", "VIII"),
    ]
    whens += [(letter == first, chapter) for first, chapter in ICD_CHAPTERS]
    return case(*whens, else_=literal("?", String))


@dataclass(frozen=True, slots=True)
class VisitGroup:
    values: dict[str, Any]
    visits: int | None
    patients: int | None
    total_cost: Decimal
    insurance_paid: Decimal
    patient_paid: Decimal


async def visits(
    context: Context,
    group_by: Sequence[str],
    province_code: str | None,
    from_year: int | None,
    to_year: int | None,
) -> list[VisitGroup]:
    viewer, province = allowed_province(context, await known_province(context, province_code))
    if not group_by or len(set(group_by)) != len(group_by):
        raise BadUserInput("groupBy: name each dimension once, at least one.", "groupBy")
    if from_year is not None and to_year is not None and from_year > to_year:
        raise BadUserInput("fromYear must not be after toYear.", "fromYear")
    dimensions: dict[str, ColumnElement[Any]] = {
        "FACILITY": facility_t.c.code.label("facility"),
        "PROVINCE": facility_t.c.province_code.label("province"),
        "ICD_CHAPTER": icd_chapter(visit_t.c.diagnosis_code).label("icd_chapter"),
        "YEAR": visit_t.c.year.label("year"),
        "VISIT_TYPE": visit_t.c.visit_type.label("visit_type"),
    }
    chosen = [dimensions[d] for d in group_by]
    statement = (
        select(
            *chosen,
            func.count().label("visits"),
            func.count(func.distinct(visit_t.c.person_id)).label("patients"),
            func.sum(raw(visit_t.c.total_cost)).label("total_cost"),
            func.sum(raw(visit_t.c.insurance_paid)).label("insurance_paid"),
            func.sum(raw(visit_t.c.patient_paid)).label("patient_paid"),
        )
        .select_from(visit_t)
        .join(facility_t, facility_t.c.id == visit_t.c.facility_id)
        .group_by(*chosen)
        .order_by(*chosen)
    )
    if province is not None:
        statement = statement.where(facility_t.c.province_code == province)
    if from_year is not None:
        statement = statement.where(visit_t.c.year >= from_year)
    if to_year is not None:
        statement = statement.where(visit_t.c.year <= to_year)

    def money(value: Any) -> Decimal:
        return (Decimal(int(value or 0)) / 100).quantize(Decimal("0.01"))

    return [
        VisitGroup(
            values={d: getattr(row, str(dimensions[d].key)) for d in group_by},
            visits=_suppress(viewer, int(row.visits)),
            patients=_suppress(viewer, int(row.patients)),
            total_cost=money(row.total_cost),
            insurance_paid=money(row.insurance_paid),
            patient_paid=money(row.patient_paid),
        )
        for row in await _run(context, statement)
    ]
