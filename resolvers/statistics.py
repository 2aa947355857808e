"""Aggregates for analysts (and officers within their province): computed in SQL with GROUP BY.

Contribution statistics are read from the rollup kept with the periods (`models/rollup.py`: per
province or unit, insurance type and calendar year), never from the periods themselves: months
are counted per calendar year, headcounts are distinct people (over a range of years, each person
once), exactly as intersecting every period with every year gave them. Visit statistics are read
from the visit rollup kept with the visits (`models/visit_rollup.py`: one level per grouping,
per year and the patient's previous year in the group), never from the visits: patients are
distinct people, exactly as `count(DISTINCT person)` over the visits gave them.

Small groups are suppressed for analysts: every measure (counts, months, sums, costs) of a group of
fewer than K_ANONYMITY people is null, since a sum over one person is that person's salary or bill.
And complementary suppression: the groups of an answer that differ in one dimension only add up to
a total the analyst can ask for (the same query without that dimension), so where exactly one of
them is hidden, the smallest other one is hidden too, until no such set has a lone hidden group:
a total minus the groups shown is then never one small group.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from graphql import GraphQLError
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Numeric,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    select,
    text,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.sql import Select

from auth.viewer import Role, Viewer
from models import rules, visit_rollup
from models.contribution import ALL, LEVEL_BY_TYPE, LEVEL_PROVINCE, LEVEL_UNIT
from models.tables import away_t, facility_t, return_t, rollup_t, unit_t, visit_rollup_t
from resolvers.context import Context, require_viewer
from resolvers.errors import BadUserInput
from resolvers.outcomes import Problem
from resolvers.reference import known_province

K_ANONYMITY = 10  # people: privacy.md
TIMEOUT_SECONDS = 10.0
WORK_MEM = "64MB"  # per sort or hash of an aggregate (PostgreSQL's default, 4 MB, spills to disk)
MAX_YEARS = 40
FIRST_YEAR = 1995
# Contributions are salary-months x the combined rate of their insurance type and year (the
# historical table of models/rules/law.py), in units of 1/100,000 so that SQL multiplies integers.
RATE_UNIT = 100_000
CARRY = 10**6  # contributions add up in two parts on SQLite: see _parts


def _rate(
    insurance_type: ColumnElement[str], year: ColumnElement[int], first: int, last: int, only: str | None
) -> Any:
    """The yearly rate of the row's type and year, as an integer of RATE_UNIT (0 for "*" rows,
    over every type, whose rates differ). With `only` (the insurance type filtered on) the other
    types' years are left out: each row evaluates the WHENs in turn, a hundred of them otherwise."""
    whens = [
        (
            (insurance_type == kind) & (year == y),
            literal(int(rules.yearly_rate(kind, y) * RATE_UNIT), BigInteger),
        )
        for kind in rules.CONTRIBUTION_RATES
        if only is None or kind == only
        for y in range(first, last + 1)
    ]
    return case(*whens, else_=literal(0, BigInteger))


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


class Group(NamedTuple):
    """One group of contributionStatistics (a tuple: answers hold up to every unit of the country).
    `values` are the group's dimensions, in the order of `groupBy`."""

    values: tuple[Any, ...]
    headcount: int | None
    person_months: int | None
    salary_months: Decimal | None
    contributions: Decimal | None


ZERO_MONEY = Decimal("0.00")


def hundredths(amount: int, divisor: int = 1) -> Decimal:
    """`amount / divisor` hundredths as VND, rounded half to even (what `Decimal.quantize` does)."""
    if divisor != 1:
        amount, rest = divmod(amount, divisor)
        if 2 * rest > divisor or (2 * rest == divisor and amount % 2):
            amount += 1
    return Decimal(amount).scaleb(-2)


async def _run(context: Context, statement: Select[Any], many_groups: bool = False) -> Sequence[Any]:
    session = context.session
    dialect = session.bind.dialect.name if session.bind is not None else ""
    if dialect == "postgresql":
        # One statement, four settings for this transaction only (set_config(…, true) is SET
        # LOCAL): the database stops a statement that runs too long, so no partial answer is ever
        # shown; compiling these one-off aggregates (JIT) cost seconds at national scale, more than
        # it saves; the groups of the largest levels (tens of thousands) sort in memory; and with
        # `many_groups` (every unit: tens of thousands of groups, which the planner guesses at
        # tens), the groups meet the units in one hash join, not one index probe each (a province's
        # units: 34 of 179 ms).
        await session.execute(
            text(
                "SELECT set_config('statement_timeout', :timeout, true), set_config('jit', 'off', true),"
                " set_config('work_mem', :work_mem, true), set_config('enable_nestloop', :nestloop, true)"
            ),
            {
                "timeout": str(int(TIMEOUT_SECONDS * 1000)),
                "work_mem": WORK_MEM,
                "nestloop": "off" if many_groups else "on",
            },
        )
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


def suppressed(cells: Sequence[tuple[tuple[Any, ...], int]]) -> set[int]:
    """The positions of the cells (their dimension values, their number of people) to hide: the
    small ones, and complements until no set of cells that adds up to an askable total (the same
    values but for one dimension) holds exactly one hidden cell. Each round hides one more cell or
    ends, so it ends."""
    hidden = {i for i, (_, people) in enumerate(cells) if people < K_ANONYMITY}
    if not hidden:
        return hidden
    # The sets do not change from round to round, only what is hidden in them: made once, in the
    # order the rounds visit them (dimension by dimension, each in the order of its first cell).
    sets: list[list[int]] = []
    for dimension in range(len(cells[0][0])):
        by_rest: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for i, (values, _) in enumerate(cells):
            by_rest[values[:dimension] + values[dimension + 1 :]].append(i)
        sets.extend(members for members in by_rest.values() if len(members) > 1)
    changed = True
    while changed:
        changed = False
        for members in sets:
            if len(hidden.intersection(members)) == 1:
                hidden.add(min((i for i in members if i not in hidden), key=lambda i: (cells[i][1], i)))
                changed = True
    return hidden


DIMENSION_LABELS = {
    "PROVINCE": "province",
    "YEAR": "year",
    "INSURANCE_TYPE": "insurance_type",
    "UNIT": "unit",
}


def _dialect(context: Context) -> str:
    bind = context.session.bind
    return bind.dialect.name if bind is not None else ""


def _contribution_statement(
    dialect: str,
    group_by: Sequence[str],
    province: str | None,
    insurance_type: str | None,
    first: int,
    last: int,
) -> Select[Any]:
    """One statement over the rollup (see models/rollup.py for what its rows hold).

    The level: a unit's rows if UNIT is grouped by, else a province's (all provinces: their sum);
    by insurance type if grouped or filtered by it. Over a range of years a person counts in the
    first year of it they contributed in: `persons` of the first year, then `entrants` and returns
    from before the range. Units grouped with provinces: the people of the unit's home province
    from the rollup (`home_` columns), the others from their periods in `contribution_away`.
    """
    by_year = "YEAR" in group_by
    by_unit = "UNIT" in group_by
    by_type = "INSURANCE_TYPE" in group_by or insurance_type is not None
    home = by_unit and ("PROVINCE" in group_by or province is not None)
    level = (LEVEL_UNIT if by_unit else LEVEL_PROVINCE) | (LEVEL_BY_TYPE if by_type else 0)
    labels = [DIMENSION_LABELS[d] for d in group_by]

    def dimensions(table: Any, year: ColumnElement[int]) -> list[ColumnElement[Any]]:
        columns = {
            "PROVINCE": table.c.province_scope,
            "YEAR": year,
            "INSURANCE_TYPE": table.c.insurance_type,
            "UNIT": table.c.unit_id,  # the unit's code once the groups are made
        }
        return [columns[d].label(DIMENSION_LABELS[d]) for d in group_by]

    def scoped(statement: Select[Any], table: Any) -> Select[Any]:
        if province is not None:
            statement = statement.where(table.c.province_scope == province)
        if insurance_type is not None:
            statement = statement.where(table.c.insurance_type == insurance_type)
        return statement

    r = rollup_t
    persons = r.c.home_persons if home else r.c.persons
    entrants = r.c.home_entrants if home else r.c.entrants
    months: ColumnElement[Any] = r.c.home_person_months if home else r.c.person_months
    if by_unit and dialect == "postgresql":
        # A unit's months in a year fit in 32 bits (twelve per employee: 179 million employees
        # would not): PostgreSQL then adds them up in a 64-bit value per group, where a BIGINT's
        # sum keeps a 128-bit state (a tenth of the national by-unit statement's time).
        months = cast(months, Integer)
    pay = r.c.home_salary_months if home else r.c.salary_months
    zero = literal(0, BigInteger)
    rows = [r.c.level == level, r.c.year >= first, r.c.year <= last]
    back = return_t
    returned = [back.c.level == level, back.c.year > first, back.c.year <= last, back.c.previous_year < first]
    if not by_type:
        # Implied by an untyped level, but said: the index (level, type, year, …) then reads the
        # range of years only, not every year of the level.
        rows.append(r.c.insurance_type == ALL)
        returned.append(back.c.insurance_type == ALL)
    headcount = persons if by_year else case((r.c.year == first, persons), else_=entrants)
    # Over every type no rate applies (the resolver answers 0): not computed either.
    contributions, contributions_high = (
        _parts(dialect, pay, _rate(r.c.insurance_type, r.c.year, first, last, insurance_type))
        if by_type
        else (zero, zero)
    )
    returns = scoped(
        select(
            *dimensions(back, back.c.year),
            func.sum(back.c.home_persons if home else back.c.persons).label("headcount"),
        )
        .select_from(back)
        .where(*returned),
        back,
    ).group_by(*dimensions(back, back.c.year))
    groups: Any
    keys: list[Any]
    if not home:
        # Each part grouped by itself, then joined: the rollup's rows (a unit's every year: hundreds
        # of thousands at national scale) are added up once, not appended to the returns first.
        # Over every type the contributions are nought: said once, not added up over every row
        # (two sums of the six a national by-unit answer made of 420,000 rows, 25 ms of 180).
        money = (
            [
                func.sum(contributions).label("contributions"),
                func.sum(contributions_high).label("contributions_high"),
            ]
            if by_type
            else []
        )
        rolled = (
            scoped(
                select(
                    *dimensions(r, r.c.year),
                    func.sum(headcount).label("headcount"),
                    func.sum(months).label("person_months"),
                    func.sum(pay).label("salary_months"),
                    *money,
                )
                .select_from(r)
                .where(*rows),
                r,
            )
            .group_by(*dimensions(r, r.c.year))
            .having(func.sum(persons) > 0)
            .subquery("rolled")
        )
        keys = [rolled.c[label] for label in labels]
        headcounts: ColumnElement[Any] = rolled.c.headcount
        source: Any = rolled
        if not by_year:
            again = returns.subquery("again")
            headcounts = rolled.c.headcount + func.coalesce(again.c.headcount, 0)
            source = rolled.outerjoin(again, and_(*(rolled.c[label] == again.c[label] for label in labels)))
        groups = select(
            *keys,
            headcounts.label("headcount"),
            rolled.c.person_months,
            rolled.c.salary_months,
            rolled.c.contributions if by_type else zero.label("contributions"),
            rolled.c.contributions_high if by_type else zero.label("contributions_high"),
        ).select_from(source)
    else:
        # A unit's people of one province may all be away from it (none in the rollup's rows):
        # the three parts are appended, then grouped.
        parts: list[Select[Any]] = [
            scoped(
                select(
                    *dimensions(r, r.c.year),
                    headcount.label("headcount"),
                    months.label("person_months"),
                    pay.label("salary_months"),
                    contributions.label("contributions"),
                    contributions_high.label("contributions_high"),
                    persons.label("present"),
                )
                .select_from(r)
                .where(*rows),
                r,
            )
        ]
        if not by_year:
            parts.append(
                returns.add_columns(
                    zero.label("person_months"),
                    zero.label("salary_months"),
                    zero.label("contributions"),
                    zero.label("contributions_high"),
                    zero.label("present"),
                )
            )
        parts.append(_away_part(dialect, group_by, dimensions, scoped, first, last, by_type, insurance_type))
        every = union_all(*parts).subquery("parts")
        keys = [every.c[label] for label in labels]
        groups = (
            select(
                *keys,
                func.sum(every.c.headcount).label("headcount"),
                func.sum(every.c.person_months).label("person_months"),
                func.sum(every.c.salary_months).label("salary_months"),
                func.sum(every.c.contributions).label("contributions"),
                func.sum(every.c.contributions_high).label("contributions_high"),
            )
            .group_by(*keys)
            .having(func.sum(every.c.present) > 0)
        )
    # Units are grouped by id; their codes are read for the groups only.
    made = groups.subquery("groups")
    named = [unit_t.c.code.label("unit") if label == "unit" else made.c[label] for label in labels]
    answer = select(*named, *_measures(made)).select_from(made)
    if by_unit:
        answer = answer.join(unit_t, unit_t.c.id == made.c.unit)
    return answer.order_by(*named)


def _parts(
    dialect: str, pay: ColumnElement[Any], rate: ColumnElement[Any]
) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """pay × rate as (low, high) to add up, the sum being high × CARRY + low. SQLite's integers
    stop at 2^63 (sum() fails with "integer overflow", a product turns REAL), and salary × months ×
    rate in hundredths of RATE_UNIT passes it for 20,000 people: the pay is split before it is
    multiplied, and each part's products and sums stay far below it. PostgreSQL's NUMERIC has no
    such bound: all of it is low."""
    if dialect == "sqlite":
        # `/` of two integers is integer division in SQLite (SQLAlchemy's `//` is FLOOR(), a REAL).
        carry = literal(CARRY, BigInteger)
        return (pay % carry) * rate, pay.op("/")(carry) * rate
    return cast(pay, Numeric(38, 0)) * rate, literal(0, BigInteger)


def _measures(groups: Any) -> list[ColumnElement[Any]]:
    """The measures as they cross to the server (contributions in its two parts, see `_parts`):
    counts as integers, money (hundredths, and hundredths × rate) as text, exact at any size and a
    quarter of the cost of decoding NUMERIC (PostgreSQL's sum of BIGINT) for every group of a
    national answer."""
    return [
        cast(groups.c.headcount, BigInteger).label("headcount"),
        cast(groups.c.person_months, BigInteger).label("person_months"),
        cast(groups.c.salary_months, String).label("salary_months"),
        cast(groups.c.contributions, String).label("contributions"),
        cast(groups.c.contributions_high, String).label("contributions_high"),
    ]


def _away_part(
    dialect: str,
    group_by: Sequence[str],
    dimensions: Any,
    scoped: Any,
    first: int,
    last: int,
    by_type: bool,
    only: str | None,
) -> Select[Any]:
    """The periods at units away from the person's province, counted as the periods themselves:
    distinct people and months per group (and year), within the range of years."""
    a = away_t
    start, end = _month_index(a.c.from_month), _month_index(a.c.to_month)
    source: Any
    if "YEAR" in group_by:
        if dialect == "postgresql":
            years: Any = (
                func.generate_series(
                    _greatest(a.c.from_month // 100, literal(first)),
                    _least(a.c.to_month // 100, literal(last)),
                )
                .table_valued("value")
                .render_derived(name="years")
            )
            year = years.c.value
            source = a.join(years, true())
        else:
            years = _years(first, last)
            year = years.c.year
            source = a.join(years, (year * 12 <= end) & (year * 12 + 11 >= start))
        low, high = year * 12, year * 12 + 11
    else:
        year = literal(first)
        source = a
        low, high = literal(first * 12), literal(last * 12 + 11)
    # The periods that touch the years asked, said on the columns themselves (YYYYMM) so that the
    # index on (province, last month) reads only those that end in or after the first year.
    within = (a.c.from_month <= last * 100 + 12) & (a.c.to_month >= first * 100 + 1)
    months = _least(end, high) - _greatest(start, low) + 1
    pay = months * func.coalesce(raw(a.c.salary), 0)
    chosen = dimensions(a, year)
    # Over a range of years (not by year) an away period is charged at the rate of its first year
    # in the range.
    zero = literal(0, BigInteger)
    charged, charged_high = (
        _parts(
            dialect,
            pay,
            _rate(
                a.c.insurance_type,
                year if "YEAR" in group_by else _greatest(a.c.from_month // 100, literal(first)),
                first,
                last,
                only,
            ),
        )
        if by_type
        else (zero, zero)
    )
    return scoped(
        select(
            *chosen,
            func.count(func.distinct(a.c.person_id)).label("headcount"),
            func.sum(months).label("person_months"),
            func.sum(pay).label("salary_months"),
            func.sum(charged).label("contributions"),
            func.sum(charged_high).label("contributions_high"),
            func.count().label("present"),
        )
        .select_from(source)
        .where(within),
        a,
    ).group_by(*chosen)


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

    statement = _contribution_statement(_dialect(context), group_by, province, insurance_type, first, last)
    # Rows are the dimensions in the order of groupBy, then the measures: read by position,
    # since an answer may hold tens of thousands of groups (every unit of the country).
    width = len(group_by)
    # Over every type at once no rate applies (each type has its own): 0, as documented.
    typed_at = group_by.index("INSURANCE_TYPE") if "INSURANCE_TYPE" in group_by else None
    groups = []
    for row in await _run(context, statement, many_groups="UNIT" in group_by):
        cells = tuple(row)
        typed = insurance_type if typed_at is None else cells[typed_at]
        headcount, months, salary, paid, paid_high = cells[width:]
        # Positional (values, headcount, person_months, salary_months, contributions): money is
        # stored in hundredths, and the sums come back in hundredths too.
        groups.append(
            Group(
                cells[:width],
                int(headcount),
                int(months or 0),
                Decimal(salary).scaleb(-2) if salary is not None else ZERO_MONEY,
                hundredths(int(paid_high or 0) * CARRY + int(paid or 0), RATE_UNIT) if typed else ZERO_MONEY,
            )
        )
    if viewer.role is not Role.ANALYST:
        return groups
    hidden = suppressed([(g.values, g.headcount or 0) for g in groups])
    for i in hidden:
        groups[i] = Group(groups[i].values, None, None, None, None)
    return groups


class VisitGroup(NamedTuple):
    """One group of visitStatistics; `values` in the order of `groupBy`."""

    values: tuple[Any, ...]
    visits: int | None
    patients: int | None
    total_cost: Decimal | None
    insurance_paid: Decimal | None
    patient_paid: Decimal | None


VISIT_LABELS = {
    "FACILITY": "facility",
    "PROVINCE": "province",
    "ICD_CHAPTER": "icd_chapter",
    "YEAR": "year",
    "VISIT_TYPE": "visit_type",
}


def _visit_statement(
    group_by: Sequence[str], province: str | None, from_year: int | None, to_year: int | None
) -> Select[Any]:
    """One statement over one level of the visit rollup (models/visit_rollup.py says what its rows
    hold). Patients over a range of years (no YEAR in `groupBy`): each counted in their first year
    of the range with a visit in the group, the rows whose previous year is before the range."""
    v = visit_rollup_t
    by_facility = "FACILITY" in group_by
    place = (
        visit_rollup.FACILITY
        if by_facility
        else visit_rollup.PROVINCE
        if "PROVINCE" in group_by or province is not None
        else 0
    )
    level = (
        place
        | (visit_rollup.BY_ICD if "ICD_CHAPTER" in group_by else 0)
        | (visit_rollup.BY_TYPE if "VISIT_TYPE" in group_by else 0)
    )
    columns = {
        "FACILITY": v.c.facility_id,  # the facility's code once the groups are made
        "PROVINCE": v.c.province_code,
        "ICD_CHAPTER": v.c.icd_chapter,
        "YEAR": v.c.year,
        "VISIT_TYPE": v.c.visit_type,
    }
    keys = [columns[d].label(VISIT_LABELS[d]) for d in group_by]
    if "YEAR" in group_by:
        patients: ColumnElement[Any] = func.sum(v.c.patients)
    else:
        first_of_range = v.c.previous_year < (from_year if from_year is not None else 1)
        patients = func.sum(case((first_of_range, v.c.patients), else_=literal(0, Integer)))
    statement = select(
        *keys,
        func.sum(v.c.visits).label("visits"),
        patients.label("patients"),
        func.sum(v.c.total_cost).label("total_cost"),
        func.sum(v.c.insurance_paid).label("insurance_paid"),
        func.sum(v.c.patient_paid).label("patient_paid"),
    ).where(v.c.level == level)
    if province is not None:
        statement = statement.where(v.c.province_code == province)
    if from_year is not None:
        statement = statement.where(v.c.year >= from_year)
    if to_year is not None:
        statement = statement.where(v.c.year <= to_year)
    statement = statement.group_by(*keys)
    if not by_facility:
        return statement.order_by(*keys)
    # Facilities are grouped by id; their codes are read for the groups only.
    made = statement.subquery("groups")
    named = [
        facility_t.c.code.label("facility") if d == "FACILITY" else made.c[VISIT_LABELS[d]] for d in group_by
    ]
    return (
        select(
            *named,
            made.c.visits,
            made.c.patients,
            made.c.total_cost,
            made.c.insurance_paid,
            made.c.patient_paid,
        )
        .select_from(made)
        .join(facility_t, facility_t.c.id == made.c.facility)
        .order_by(*named)
    )


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
    statement = _visit_statement(group_by, province, from_year, to_year)

    width = len(group_by)
    groups = []
    for row in await _run(context, statement):
        cells = tuple(row)
        visits, patients, total, insured, own = cells[width:]
        # Positional, as VisitGroup's fields: money is stored in hundredths, and so are its sums.
        groups.append(
            VisitGroup(
                cells[:width],
                int(visits),
                int(patients),
                hundredths(int(total or 0)),
                hundredths(int(insured or 0)),
                hundredths(int(own or 0)),
            )
        )
    if viewer.role is not Role.ANALYST:
        return groups
    # The group's size is its patients: a facility's one patient with many visits is one person.
    hidden = suppressed([(g.values, g.patients or 0) for g in groups])
    for i in hidden:
        groups[i] = VisitGroup(groups[i].values, None, None, None, None, None)
    return groups
