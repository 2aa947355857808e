"""The contribution rollup: what `contributionStatistics` adds up, kept with the periods.

Counting over the periods at query time does not scale (13 million periods for a million people:
every period joined to every year, then `count(DISTINCT person)` over 55 million period-years).
The statistics are read instead from three tables, written in the same transaction as every period
(`recordContributionPeriod`, the seed, the COPY loader; migration 0007 fills them from the periods
there), and never from the periods:

* `contribution_rollup`, one row per group and calendar year. A group is a province (the person's:
  level 1) or a unit (level 2), for one insurance type (level + 4) or all of them ("*"). It holds
  the people who contributed that year (at least one month), the `entrants` among them (their first
  year in the group), the months and the salary × months (hundredths) of every period in the year.
  Unit rows carry the same figures again for the people of the unit's home province only (the
  `home_` columns; a unit's home province is its code's first two characters, which never change).
* `contribution_return`: the people who contribute in a group again after a gap of a calendar year
  or more, by the last year they contributed before.
* `contribution_away`: a copy of the periods at a unit whose home province is not the person's,
  with the person's province (a quarter of the generated periods: the people of provinces without
  units of their own, and jobs in another city).

**Headcounts are distinct people, exactly as counting the periods gave them.** People in a year are
counted once per group, however many periods they have in it. Over a range of years [a, b] (no
YEAR in `groupBy`) a person is counted once, in the first year of the range they contributed in:
that is year a (`persons` of year a), or a later year y whose previous contributing year is before
a: an entrant of y, or a return to y from a year before a. So

    headcount(a..b) = persons(a) + Σ_{a<y≤b} entrants(y) + Σ_{a<y≤b} returns(y, previous < a),

which holds for any range, with no per-person data read. Provinces add up (a person has one
province), so the figures of all provinces are the sums of the province rows; insurance types and
units do not (one person, several units), hence the levels. Months and salaries add up everywhere.

**Units grouped with provinces** (`groupBy` UNIT with PROVINCE, or UNIT with `provinceCode`): the
people of a province at a unit are either all home (the unit's home province: the `home_` columns)
or all away (their periods are in `contribution_away`, counted at query time: a fraction of the
periods, indexed by province). A rollup of every (person's province, unit) pair instead would be
larger than the periods (a job in another province is a pair of its own) and took minutes to
build for a million people.

Writes: a new period changes its person's figures only; the person's rows are computed from their
periods before and after, and the difference is added with `INSERT … ON CONFLICT DO UPDATE SET x =
x + excluded.x` (concurrent writers of the same group add up, none is lost), after locking the
person's row (PostgreSQL; SQLite has one writer at a time), so two periods of the same person
written at once see each other. A person's province never changes (nothing updates it); if it ever
does, their rows must be moved with it.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Table,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
    true,
    tuple_,
    type_coerce,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from models.contribution import ALL, LEVEL_BY_TYPE, LEVEL_PROVINCE, LEVEL_UNIT
from models.tables import away_t, period_t, person_t, return_t, rollup_t, unit_t

PROVINCE_TYPE = LEVEL_PROVINCE | LEVEL_BY_TYPE
UNIT_TYPE = LEVEL_UNIT | LEVEL_BY_TYPE
# (level, province_scope, insurance_type, unit_id)
Group = tuple[int, str, str, int]
# A period as the rollup needs it: unit id, the unit's home province, insurance type, first and
# last month (YYYYMM), salary in hundredths (None: 0).
Period = tuple[int, str, str, int, int, int | None]
VALUES = ("persons", "entrants", "person_months", "salary_months")
HOME_VALUES = tuple(f"home_{v}" for v in VALUES)
RETURN_VALUES = ("persons", "home_persons")
# People read per statement when the rollup is computed from the database.
PERSONS_PER_READ = 5_000


def home_province(unit_code: str) -> str:
    """A unit's home province: its code starts with it (checked when the unit is made)."""
    return unit_code[:2]


def months_by_year(from_month: int, to_month: int) -> list[tuple[int, int]]:
    """The months of a period in each calendar year it touches: 202011..202102 → 2020: 2, 2021: 2."""
    start = (from_month // 100) * 12 + from_month % 100 - 1
    end = (to_month // 100) * 12 + to_month % 100 - 1
    first, last = start // 12, end // 12
    if first == last:
        return [(first, end - start + 1)]
    return [
        (first, 12 * first + 12 - start),
        *((y, 12) for y in range(first + 1, last)),
        (last, end - 12 * last + 1),
    ]


def _years_of(province: str, periods: Iterable[Period]) -> dict[Group, dict[int, list[int]]]:
    """Per group of the person: year → [months, salary × months]."""
    groups: dict[Group, dict[int, list[int]]] = {}
    for unit_id, home, kind, first, last, salary in periods:
        pay = salary or 0
        keys = (
            (PROVINCE_TYPE, province, kind, 0),
            (LEVEL_PROVINCE, province, ALL, 0),
            (UNIT_TYPE, home, kind, unit_id),
            (LEVEL_UNIT, home, ALL, unit_id),
        )
        spans = months_by_year(first, last)
        for key in keys:
            years = groups.get(key)
            if years is None:
                years = groups[key] = {}
            for year, months in spans:
                sums = years.get(year)
                if sums is None:
                    years[year] = [months, months * pay]
                else:
                    sums[0] += months
                    sums[1] += months * pay
    return groups


Rows = dict[tuple[Any, ...], list[int]]


def person_rows(province: str, periods: Iterable[Period]) -> tuple[Rows, Rows]:
    """The rollup and return rows of one person with these periods, as if nobody else existed:
    (group, year) → the rollup values (`VALUES` then `HOME_VALUES`), and (group, year, previous year)
    → the return values."""
    rollup: Rows = {}
    returns: Rows = {}
    for group, years in _years_of(province, periods).items():
        home = group[1] == province
        previous = 0
        for year in sorted(years):
            months, pay = years[year]
            values = [1, 1 if previous == 0 else 0, months, pay]
            rollup[(*group, year)] = [*values, *values] if home else [*values, 0, 0, 0, 0]
            if previous and previous < year - 1:
                returns[(*group, year, previous)] = [1, 1 if home else 0]
            previous = year
    return rollup, returns


def difference(new: Rows, old: Rows) -> Rows:
    """new − old, without the rows that do not change."""
    out: Rows = {}
    for key in new.keys() | old.keys():
        a, b = new.get(key), old.get(key)
        if a is None:
            assert b is not None
            values = [-v for v in b]
        elif b is None:
            values = list(a)
        else:
            values = [x - y for x, y in zip(a, b, strict=True)]
        if any(values):
            out[key] = values
    return out


@dataclass(slots=True)
class _Series:
    """One group's years from `first`: 8 values per year, the people of the group's province
    (persons, entrants, months, salary × months) then the others. While adding, `persons` holds
    differences (+1 the first year of a run of years, −1 the year after it)."""

    first: int
    values: array[int]


def _islands(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Year ranges → the runs of consecutive years they cover, in order."""
    if len(spans) == 1:
        return spans
    spans.sort()
    out = [spans[0]]
    for first, last in spans[1:]:
        run_first, run_last = out[-1]
        if first <= run_last + 1:
            if last > run_last:
                out[-1] = (run_first, last)
        else:
            out.append((first, last))
    return out


@dataclass(slots=True)
class Totals:
    """The rollup of many people, added up; memory goes by groups × years, not by people.

    Works on runs of years rather than year by year (a national seed adds a million people): a
    run adds +1/−1 to its first year and the year after, and months are added to the groups by
    insurance type only, the groups of every type getting the sums of theirs at the end.
    """

    series: dict[Group, _Series] = field(default_factory=dict)
    returns: Rows = field(default_factory=dict)
    folded: bool = False

    def _series(self, group: Group, first: int, last: int) -> _Series:
        series = self.series.get(group)
        if series is None:
            series = self.series[group] = _Series(first, array("q", bytes(64 * (last - first + 1))))
        elif first < series.first or (last - series.first + 1) * 8 > len(series.values):
            _widen(series, first, last)
        return series

    def add_person(self, province: str, periods: Iterable[Period]) -> None:
        """Adds one person's periods (all of them: a person is added once)."""
        if self.folded:
            raise RuntimeError("Totals: a person added after the rows were read")
        get = self.series.get
        by_type: dict[str, list[tuple[int, int]]] = {}
        by_unit_type: dict[tuple[int, str], list[tuple[int, int]]] = {}
        by_unit: dict[int, list[tuple[int, int]]] = {}
        homes: dict[int, str] = {}
        every: list[tuple[int, int]] = []
        for unit_id, home, kind, first, last, salary in periods:
            pay = salary or 0
            start = (first // 100) * 12 + first % 100 - 1
            end = (last // 100) * 12 + last % 100 - 1
            y1, y2 = start // 12, end // 12
            span = (y1, y2)
            every.append(span)
            spans = by_type.get(kind)
            if spans is None:
                by_type[kind] = [span]
            else:
                spans.append(span)
            spans = by_unit.get(unit_id)
            if spans is None:
                by_unit[unit_id] = [span]
                homes[unit_id] = home
            else:
                spans.append(span)
            spans = by_unit_type.get((unit_id, kind))
            if spans is None:
                by_unit_type[(unit_id, kind)] = [span]
            else:
                spans.append(span)
            # Months and salaries: on the groups by insurance type (the others add theirs up).
            province_series = get((PROVINCE_TYPE, province, kind, 0))
            if (
                province_series is None
                or y1 < province_series.first
                or (y2 - province_series.first + 1) * 8 > len(province_series.values)
            ):
                province_series = self._series((PROVINCE_TYPE, province, kind, 0), y1, y2 + 1)
            unit_series = get((UNIT_TYPE, home, kind, unit_id))
            if (
                unit_series is None
                or y1 < unit_series.first
                or (y2 - unit_series.first + 1) * 8 > len(unit_series.values)
            ):
                unit_series = self._series((UNIT_TYPE, home, kind, unit_id), y1, y2 + 1)
            p_values, u_values = province_series.values, unit_series.values
            p_at = (y1 - province_series.first) * 8 + 2
            u_at = (y1 - unit_series.first) * 8 + (2 if home == province else 6)
            if y1 == y2:
                months = end - start + 1
                p_values[p_at] += months
                p_values[p_at + 1] += months * pay
                u_values[u_at] += months
                u_values[u_at + 1] += months * pay
                continue
            months = 12 * y1 + 12 - start
            p_values[p_at] += months
            p_values[p_at + 1] += months * pay
            u_values[u_at] += months
            u_values[u_at + 1] += months * pay
            full = 12 * pay
            for _ in range(y2 - y1 - 1):
                p_at += 8
                u_at += 8
                p_values[p_at] += 12
                p_values[p_at + 1] += full
                u_values[u_at] += 12
                u_values[u_at + 1] += full
            months = end - 12 * y2 + 1
            p_values[p_at + 8] += months
            p_values[p_at + 9] += months * pay
            u_values[u_at + 8] += months
            u_values[u_at + 9] += months * pay
        runs = self._runs
        runs((LEVEL_PROVINCE, province, ALL, 0), every, 0)
        for kind, spans in by_type.items():
            runs((PROVINCE_TYPE, province, kind, 0), spans, 0)
        for unit_id, spans in by_unit.items():
            home = homes[unit_id]
            runs((LEVEL_UNIT, home, ALL, unit_id), spans, 0 if home == province else 4)
        for (unit_id, kind), spans in by_unit_type.items():
            home = homes[unit_id]
            runs((UNIT_TYPE, home, kind, unit_id), spans, 0 if home == province else 4)

    def _runs(self, group: Group, spans: list[tuple[int, int]], offset: int) -> None:
        """People: +1 the first year of each run of years, −1 the year after; entrants, returns."""
        if len(spans) == 1:
            first_year, last_year = spans[0]
            series = self.series.get(group)
            if (
                series is None
                or first_year < series.first
                or (last_year + 2 - series.first) * 8 > len(series.values)
            ):
                series = self._series(group, first_year, last_year + 1)
            values = series.values
            at = (first_year - series.first) * 8 + offset
            values[at] += 1
            values[at + 1] += 1
            values[(last_year + 1 - series.first) * 8 + offset] -= 1
            return
        runs = _islands(spans)
        series = self._series(group, runs[0][0], runs[-1][1] + 1)
        values, first = series.values, series.first
        previous = 0
        for start, end in runs:
            at = (start - first) * 8 + offset
            values[at] += 1
            values[(end + 1 - first) * 8 + offset] -= 1
            if previous == 0:
                values[at + 1] += 1
            else:
                key = (*group, start, previous)
                counts = self.returns.get(key)
                if counts is None:
                    counts = self.returns[key] = [0, 0]
                counts[0] += 1
                if offset == 0:
                    counts[1] += 1
            previous = end

    def _fold_months(self) -> None:
        """The groups of every type get the months and salaries of their groups by type (once)."""
        if self.folded:
            return
        self.folded = True
        for (level, province, _, unit_id), typed in list(self.series.items()):
            if not level & LEVEL_BY_TYPE:
                continue
            last = typed.first + len(typed.values) // 8 - 1
            untyped = self._series((level - LEVEL_BY_TYPE, province, ALL, unit_id), typed.first, last)
            target, source = untyped.values, typed.values
            shift = (typed.first - untyped.first) * 8
            for at in range(0, len(source), 8):
                for column in (2, 3, 6, 7):
                    value = source[at + column]
                    if value:
                        target[shift + at + column] += value

    def rollup_rows(self) -> Iterator[tuple[Any, ...]]:
        """(level, province_scope, insurance_type, unit_id, year, *VALUES, *HOME_VALUES), for every
        year somebody contributed in, in the order of the table's key (level, insurance type, year,
        province, unit): written in this order, a level's years are together on disk. Ends the
        adding."""
        self._fold_months()
        buckets: dict[tuple[int, str], list[tuple[str, int, _Series]]] = {}
        for (level, province, kind, unit_id), series in self.series.items():
            buckets.setdefault((level, kind), []).append((province, unit_id, series))
        for level, kind in sorted(buckets):
            by_year: dict[int, list[tuple[Any, ...]]] = {}
            for province, unit_id, series in sorted(buckets[(level, kind)], key=lambda m: (m[0], m[1])):
                values = series.values
                home_persons = away_persons = 0
                for index in range(len(values) // 8):
                    at = index * 8
                    home_persons += values[at]
                    away_persons += values[at + 4]
                    if home_persons or away_persons:
                        year = series.first + index
                        row = (
                            level,
                            province,
                            kind,
                            unit_id,
                            year,
                            home_persons + away_persons,
                            values[at + 1] + values[at + 5],
                            values[at + 2] + values[at + 6],
                            values[at + 3] + values[at + 7],
                            home_persons,
                            values[at + 1],
                            values[at + 2],
                            values[at + 3],
                        )
                        rows = by_year.get(year)
                        if rows is None:
                            by_year[year] = [row]
                        else:
                            rows.append(row)
            for year in sorted(by_year):
                yield from by_year.pop(year)

    def return_rows(self) -> Iterator[tuple[Any, ...]]:
        """(level, province_scope, insurance_type, unit_id, year, previous_year, *RETURN_VALUES)."""
        for key in sorted(self.returns, key=lambda k: (k[0], k[2], k[4], k[1], k[3], k[5])):
            yield (*key, *self.returns[key])


def _widen(series: _Series, first: int, last: int) -> None:
    start = min(first, series.first)
    end = max(last, series.first + len(series.values) // 8 - 1)
    values = array("q", bytes(64 * (end - start + 1)))
    at = (series.first - start) * 8
    values[at : at + len(series.values)] = series.values
    series.first, series.values = start, values


# ---------- reading the periods ----------


def _raw(money: Any) -> Any:
    return type_coerce(money, BigInteger)


def periods_of_persons(person_ids: Any, *, in_force: bool = True) -> Any:
    """The periods of some people as the rollup reads them: person id, province, then `Period`.
    Voided periods count nowhere (`in_force=False` only for a database from before they existed:
    migration 0007's)."""
    live = period_t.c.voided.is_(False) if in_force else true()
    return (
        select(
            period_t.c.person_id,
            person_t.c.province_scope,
            period_t.c.unit_id,
            unit_t.c.code,
            period_t.c.insurance_type,
            period_t.c.from_month,
            period_t.c.to_month,
            _raw(period_t.c.salary),
            period_t.c.id,
        )
        .join(person_t, person_t.c.id == period_t.c.person_id)
        .join(unit_t, unit_t.c.id == period_t.c.unit_id)
        .where(person_ids, live)
        .order_by(period_t.c.person_id, period_t.c.id)
    )


def by_person(rows: Iterable[Sequence[Any]]) -> Iterator[tuple[int, str, list[Period], list[Sequence[Any]]]]:
    """Rows of `periods_of_persons`, grouped: (person id, province, periods, the rows)."""
    person: int | None = None
    province = ""
    periods: list[Period] = []
    raw: list[Sequence[Any]] = []
    for row in rows:
        if row[0] != person:
            if person is not None:
                yield person, province, periods, raw
            person, province, periods, raw = row[0], row[1], [], []
        periods.append((row[2], home_province(row[3]), row[4], row[5], row[6], row[7]))
        raw.append(row)
    if person is not None:
        yield person, province, periods, raw


def away_row(row: Sequence[Any]) -> dict[str, Any] | None:
    """The `contribution_away` row of a row of `periods_of_persons`, if the unit is away."""
    person_id, province, unit_id, code, kind, first, last, salary, period_id = row
    if home_province(code) == province:
        return None
    return {
        "period_id": period_id,
        "person_id": person_id,
        "province_scope": province,
        "unit_id": unit_id,
        "insurance_type": kind,
        "from_month": first,
        "to_month": last,
        "salary": None if salary is None else Decimal(salary) / 100,  # read in hundredths
    }


# ---------- writing ----------

ROLLUP_KEY = ("level", "province_scope", "insurance_type", "unit_id", "year")
RETURN_KEY = (*ROLLUP_KEY, "previous_year")


def _insert(dialect: str, table: Table) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _add_statement(dialect: str, table: Table, key: Sequence[str], values: Sequence[str]) -> Any:
    """INSERT … ON CONFLICT (key) DO UPDATE SET v = v + excluded.v: increments that add up under
    concurrent writers."""
    statement = _insert(dialect, table)
    return statement.on_conflict_do_update(
        index_elements=list(key),
        set_={v: table.c[v] + statement.excluded[v] for v in values},
    )


def _records(key: Sequence[str], values: Sequence[str], rows: Rows) -> list[dict[str, Any]]:
    # Sorted: concurrent transactions lock the rows they share in the same order (no deadlock).
    return [dict(zip((*key, *values), (*k, *v), strict=True)) for k, v in sorted(rows.items())]


async def add(conn: AsyncConnection | AsyncSession, rollup: Rows, returns: Rows) -> None:
    """Adds these rollup and return values to the tables (negative values subtract)."""
    dialect = _dialect(conn)
    if rollup:
        statement = _add_statement(dialect, rollup_t, ROLLUP_KEY, (*VALUES, *HOME_VALUES))
        await conn.execute(statement, _records(ROLLUP_KEY, (*VALUES, *HOME_VALUES), rollup))
        # A period voided or moved: a group-year nobody contributes in any more is gone.
        emptied_groups = sorted(key for key, values in rollup.items() if values[0] < 0)
        if emptied_groups:
            await conn.execute(
                delete(rollup_t).where(
                    tuple_(*(rollup_t.c[k] for k in ROLLUP_KEY)).in_(emptied_groups), rollup_t.c.persons == 0
                )
            )
    if returns:
        statement = _add_statement(dialect, return_t, RETURN_KEY, RETURN_VALUES)
        await conn.execute(statement, _records(RETURN_KEY, RETURN_VALUES, returns))
        # A gap filled: the return is gone (a row at 0 would count for nothing, but stay).
        emptied = sorted(key for key, values in returns.items() if values[0] < 0)
        if emptied:
            await conn.execute(
                delete(return_t).where(
                    tuple_(*(return_t.c[k] for k in RETURN_KEY)).in_(emptied), return_t.c.persons == 0
                )
            )


def _dialect(conn: AsyncConnection | AsyncSession | Connection) -> str:
    bind = conn.bind if isinstance(conn, AsyncSession) else conn
    return bind.dialect.name if bind is not None else "sqlite"


async def period_recorded(session: AsyncSession, person_id: int, period_id: int) -> None:
    """After a period was inserted (same transaction): the person's rows move from what their other
    periods made to what all of them make, and the period is copied to `contribution_away` if its
    unit is away. Locks the person's row first on PostgreSQL: a second period of the same person,
    written at the same time, waits and then reads this one."""
    if _dialect(session) == "postgresql":
        await session.execute(
            select(person_t.c.id)
            .where(person_t.c.id == person_id)
            # FOR NO KEY UPDATE: waits for another writer of the person, not for the foreign-key
            # checks of inserts that reference the person (FOR KEY SHARE).
            .with_for_update(key_share=True)
        )
    rows = (await session.execute(periods_of_persons(period_t.c.person_id == person_id))).all()
    for _, province, periods, raw in by_person(rows):
        others = [p for p, r in zip(periods, raw, strict=True) if r[8] != period_id]
        new_rollup, new_returns = person_rows(province, periods)
        old_rollup, old_returns = person_rows(province, others)
        await add(session, difference(new_rollup, old_rollup), difference(new_returns, old_returns))
        for r in raw:
            if r[8] == period_id and (away := away_row(r)) is not None:
                await session.execute(insert(away_t).values(**away))


async def _lock_person(session: AsyncSession, person_id: int) -> None:
    if _dialect(session) == "postgresql":
        await session.execute(
            select(person_t.c.id).where(person_t.c.id == person_id).with_for_update(key_share=True)
        )


async def periods_before_change(session: AsyncSession, person_id: int) -> list[Sequence[Any]]:
    """The person's periods in force before a correction or a void (same transaction, person
    locked): pass them to `periods_changed` once the change is written."""
    await _lock_person(session, person_id)
    return list((await session.execute(periods_of_persons(period_t.c.person_id == person_id))).all())


async def periods_changed(session: AsyncSession, person_id: int, before: list[Sequence[Any]]) -> None:
    """After a period of the person was corrected or voided: the rollup moves from what the periods
    made before to what they make now, and the person's away periods are written afresh."""
    after = list((await session.execute(periods_of_persons(period_t.c.person_id == person_id))).all())
    old = next(iter(by_person(before)), None)
    new = next(iter(by_person(after)), None)
    province = (new or old or (0, "", [], []))[1]
    new_rollup, new_returns = person_rows(province, new[2] if new else [])
    old_rollup, old_returns = person_rows(province, old[2] if old else [])
    await add(session, difference(new_rollup, old_rollup), difference(new_returns, old_returns))
    await session.execute(away_t.delete().where(away_t.c.person_id == person_id))
    away = [a for r in after if (a := away_row(r)) is not None]
    if away:
        await session.execute(insert(away_t), away)


async def persons_added(conn: AsyncConnection, person_ids: Sequence[int]) -> None:
    """People whose periods are not in the rollup yet (the seed's): adds them, with their away
    periods."""
    for start in range(0, len(person_ids), PERSONS_PER_READ):
        chunk = person_ids[start : start + PERSONS_PER_READ]
        rows = (await conn.execute(periods_of_persons(period_t.c.person_id.in_(chunk)))).all()
        totals = Totals()
        away: list[dict[str, Any]] = []
        for _, province, periods, raw in by_person(rows):
            totals.add_person(province, periods)
            away.extend(a for r in raw if (a := away_row(r)) is not None)
        await add(conn, _as_rows(totals.rollup_rows(), 5), _as_rows(totals.return_rows(), 6))
        if away:
            await conn.execute(insert(away_t), away)


def _as_rows(rows: Iterable[tuple[Any, ...]], key_length: int) -> Rows:
    return {row[:key_length]: list(row[key_length:]) for row in rows}


# ---------- from scratch ----------


def _has_voided(conn: Connection) -> bool:
    return any(c["name"] == "voided" for c in inspect(conn).get_columns("contribution_period"))


def compute(conn: Connection, persons_per_read: int = PERSONS_PER_READ) -> Totals:
    """The rollup of every period in the database, computed afresh (migration 0007, tests). Reads
    the people in ranges of ids, so memory goes by groups, not by periods."""
    totals = Totals()
    in_force = _has_voided(conn)
    last = conn.execute(select(person_t.c.id).order_by(person_t.c.id.desc()).limit(1)).scalar() or 0
    for start in range(0, last + 1, persons_per_read):
        ids = period_t.c.person_id.between(start, start + persons_per_read - 1)
        for _, province, periods, _ in by_person(conn.execute(periods_of_persons(ids, in_force=in_force))):
            totals.add_person(province, periods)
    return totals


def away_periods(in_force: bool = True) -> Any:
    """Every period at a unit away from its person's province, as `contribution_away` holds them."""
    return (
        select(
            period_t.c.id,
            period_t.c.person_id,
            person_t.c.province_scope,
            period_t.c.unit_id,
            period_t.c.insurance_type,
            period_t.c.from_month,
            period_t.c.to_month,
            period_t.c.salary,
        )
        .join(person_t, person_t.c.id == period_t.c.person_id)
        .join(unit_t, unit_t.c.id == period_t.c.unit_id)
        .where(
            func.substr(unit_t.c.code, 1, 2) != person_t.c.province_scope,
            period_t.c.voided.is_(False) if in_force else true(),
        )
    )


def rebuild(conn: Connection) -> None:
    """Empties the three tables and fills them from the periods (a synchronous connection: the
    migration's)."""
    totals = compute(conn)
    for table in (rollup_t, return_t, away_t):
        conn.execute(table.delete())
    columns = (*ROLLUP_KEY, *VALUES, *HOME_VALUES)
    _insert_all(conn, rollup_t, columns, totals.rollup_rows())
    _insert_all(conn, return_t, (*RETURN_KEY, *RETURN_VALUES), totals.return_rows())
    away = [c.name for c in away_t.columns]
    # A province's away periods together on disk: the statistics read them by province.
    statement = away_periods(_has_voided(conn)).order_by(
        person_t.c.province_scope, period_t.c.unit_id, period_t.c.id
    )
    conn.execute(insert(away_t).from_select(away, statement))
    if conn.dialect.name == "postgresql":
        for table in (rollup_t, return_t, away_t):
            conn.execute(text(f"ANALYZE {table.name}"))


def _insert_all(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(dict(zip(columns, row, strict=True)))
        if len(batch) == 10_000:
            conn.execute(insert(table), batch)
            batch = []
    if batch:
        conn.execute(insert(table), batch)


__all__ = [
    "Period",
    "Totals",
    "add",
    "away_row",
    "by_person",
    "compute",
    "difference",
    "home_province",
    "months_by_year",
    "period_recorded",
    "person_rows",
    "persons_added",
    "rebuild",
]
