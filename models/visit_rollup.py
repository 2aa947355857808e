"""The visit rollup: what `visitStatistics` adds up, kept with the visits.

Grouping the visits at query time does not scale (3.5 million visits for a million people:
by facility or province over the 10 s statement timeout, `count(DISTINCT person)` sorting them on
disk). The statistics read `visit_rollup` instead (`models/visit.py` `VisitRollup`), written in the
same transaction as every visit (`recordMedicalVisit`), every new version of one (a correction, a
void, and whatever else rewrites a visit through `resolvers/revision.write_visit`), the seed and
the COPY loader; migration 0010 fills it from the visits there. Voided visits count nowhere.

**Levels.** Every grouping the API offers is one level: the place (0 the nation, 1 a province, 2 a
facility, with its province), +4 by ICD chapter, +8 by visit type; the year is in every row. A
province filter reads the province level (or the facility level, whose rows carry the facility's
province). Twelve levels, so every answer is a sum over one level's rows, never over another's.

**Distinct patients are exact.** Sums (visits, costs) add up across anything; distinct patients do
not (one person, several facilities, chapters or years). So rows are per group *and* per year *and*
`previous_year`: the patients of the group whose visits in it were in that year, and whose last
year with a visit in the group before it was `previous_year` (0: none). Each person is counted once
per group and year. Over a range of years [a, b] without YEAR in `groupBy`, a person is counted once,
in their first year of the range with a visit in the group: the row of that year has a previous
year before a (or 0). So

    patients(group, a..b) = Σ_{a ≤ y ≤ b, previous_year < a} patients(group, y, previous_year)

with no bound a: the rows with previous_year 0. The visits and costs of a person in a group-year are
on the same row, so the sums over any range are the sums of the rows. No per-person data is read
by a statistic.

**Writes.** A change to a person's visits changes that person's figures only: their rows are
computed (`person_rows`) from their visits in force before and after, and the difference is added
with `INSERT … ON CONFLICT DO UPDATE SET x = x + excluded.x` (concurrent writers of the same group
add up), the person's row locked first on PostgreSQL so two writes of the same person's visits see
each other. A row nobody is counted in any more is deleted. A facility's province never changes
(nothing updates it); if it ever does, its rows must move with it.

**Bulk** (`persons_added`, `rebuild`): the same rows in SQL (a window `lag(year)` per person and
group), an independent implementation that `seed/check.py` and the tests compare with
`person_rows` over the raw visits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Integer,
    String,
    case,
    cast,
    delete,
    func,
    literal_column,
    select,
    text,
    true,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from models.rollup import Rows, _add_statement, _dialect, _records, difference
from models.tables import facility_t, person_t, visit_rollup_t, visit_t

PROVINCE = 1
FACILITY = 2
BY_ICD = 4
BY_TYPE = 8
ALL = "*"
LEVELS = tuple(
    place | icd | kind for place in (0, PROVINCE, FACILITY) for icd in (0, BY_ICD) for kind in (0, BY_TYPE)
)
KEY = ("level", "province_code", "facility_id", "icd_chapter", "visit_type", "year", "previous_year")
VALUES = ("patients", "visits", "total_cost", "insurance_paid", "patient_paid")
# A visit as the rollup needs it: the facility's province, the facility, the diagnosis code, the
# visit type, the year, then total cost, the fund's and the patient's share in hundredths.
Visit = tuple[str, int, str | None, str, int, int, int, int]
PERSONS_PER_READ = 5_000

# ICD-10 chapters by the first character (and the numbers where a letter spans two chapters).
ICD_CHAPTERS = (
    ("A", "I"), ("B", "I"), ("E", "IV"), ("F", "V"), ("G", "VI"), ("I", "IX"), ("J", "X"), ("K", "XI"),
    ("L", "XII"), ("M", "XIII"), ("N", "XIV"), ("O", "XV"), ("P", "XVI"), ("Q", "XVII"), ("R", "XVIII"),
    ("S", "XIX"), ("T", "XIX"), ("V", "XX"), ("W", "XX"), ("X", "XX"), ("Y", "XX"), ("Z", "XXI"), ("U", "XXII"),
)  # fmt: skip
_CHAPTER_BY_LETTER = dict(ICD_CHAPTERS)
UNKNOWN_CHAPTER = "?"


def icd_chapter_of(code: str | None) -> str:
    """The chapter of a diagnosis code (None, or no chapter: "?"), as `icd_chapter` computes it."""
    if not code:
        return UNKNOWN_CHAPTER
    letter, digits = code[0], code[1:3]
    if letter in "CDH":
        # The two characters after the letter as a number (their leading digits, as SQL casts them).
        lead = ""
        for c in digits:
            if not c.isdigit():
                break
            lead += c
        number = int(lead) if lead else 0
        if letter == "C" or (letter == "D" and number < 50):
            return "II"
        if letter == "D":
            return "III"
        return "VII" if number < 60 else "VIII"
    return _CHAPTER_BY_LETTER.get(letter, UNKNOWN_CHAPTER)


def icd_chapter(code: ColumnElement[str]) -> ColumnElement[str]:
    """The chapter of a diagnosis code column, in SQL (`icd_chapter_of` in Python)."""
    letter = func.substr(code, 1, 1)
    number = cast(func.substr(code, 2, 2), Integer)
    whens: list[tuple[ColumnElement[bool], str]] = [
        ((letter == "C") | ((letter == "D") & (number < 50)), "II"),
        (letter == "D", "III"),
        ((letter == "H") & (number < 60), "VII"),
        (letter == "H", "VIII"),
    ]
    whens += [(letter == first, chapter) for first, chapter in ICD_CHAPTERS]
    return case(*whens, else_=literal_column(f"'{UNKNOWN_CHAPTER}'", String))


def group_of(level: int, province: str, facility: int, chapter: str, kind: str) -> tuple[Any, ...]:
    place = level & 3
    return (
        level,
        province if place else "",
        facility if place == FACILITY else 0,
        chapter if level & BY_ICD else ALL,
        kind if level & BY_TYPE else ALL,
    )


def person_rows(visits: Iterable[Visit]) -> Rows:
    """The rollup rows of one person with these visits (in force), as if nobody else existed:
    (group, year, previous year) → `VALUES`."""
    groups: dict[tuple[Any, ...], dict[int, list[int]]] = {}
    for province, facility, code, kind, year, total, fund, patient in visits:
        chapter = icd_chapter_of(code)
        for level in LEVELS:
            years = groups.setdefault(group_of(level, province, facility, chapter, kind), {})
            sums = years.get(year)
            if sums is None:
                years[year] = [1, total, fund, patient]
            else:
                sums[0] += 1
                sums[1] += total
                sums[2] += fund
                sums[3] += patient
    rows: Rows = {}
    for group, years in groups.items():
        previous = 0
        for year in sorted(years):
            rows[(*group, year, previous)] = [1, *years[year]]
            previous = year
    return rows


def add_rows(total: Rows, rows: Rows) -> None:
    for key, values in rows.items():
        sums = total.get(key)
        if sums is None:
            total[key] = list(values)
        else:
            for i, value in enumerate(values):
                sums[i] += value


def _money(column: ColumnElement[Any]) -> ColumnElement[int]:
    return type_coerce(column, BigInteger)  # Money stores integer hundredths


def visits_of_persons(condition: ColumnElement[bool]) -> Any:
    """The visits in force of the people matching `condition`, as `Visit` tuples after the person's
    id, by person."""
    return (
        select(
            visit_t.c.person_id,
            facility_t.c.province_code,
            visit_t.c.facility_id,
            visit_t.c.diagnosis_code,
            visit_t.c.visit_type,
            visit_t.c.year,
            _money(visit_t.c.total_cost),
            _money(visit_t.c.insurance_paid),
            _money(visit_t.c.patient_paid),
        )
        .join(facility_t, facility_t.c.id == visit_t.c.facility_id)
        .where(condition, visit_t.c.voided.is_(False))
        .order_by(visit_t.c.person_id, visit_t.c.id)
    )


def as_visits(rows: Iterable[Sequence[Any]]) -> list[Visit]:
    return [(r[1], r[2], r[3], r[4], r[5], int(r[6]), int(r[7]), int(r[8])) for r in rows]


# ---------- writing ----------


async def add(conn: AsyncConnection | AsyncSession, rows: Rows) -> None:
    """Adds these values to the rollup (negative values subtract); drops the rows left empty."""
    if not rows:
        return
    statement = _add_statement(_dialect(conn), visit_rollup_t, KEY, VALUES)
    await conn.execute(statement, _records(KEY, VALUES, rows))
    emptied = sorted(key for key, values in rows.items() if values[0] < 0)
    if emptied:
        await conn.execute(
            delete(visit_rollup_t).where(
                tuple_(*(visit_rollup_t.c[k] for k in KEY)).in_(emptied), visit_rollup_t.c.patients == 0
            )
        )


async def _person_visits(session: AsyncSession, person_id: int) -> list[Visit]:
    return as_visits((await session.execute(visits_of_persons(visit_t.c.person_id == person_id))).all())


async def visits_before_change(session: AsyncSession, person_id: int) -> list[Visit]:
    """The person's visits in force before one of them is written (same transaction): pass them to
    `visits_changed` once it is. Locks the person's row first on PostgreSQL (FOR NO KEY UPDATE: it
    waits for another writer of the person, not for inserts referencing the person), so that two
    writes of the same person's visits see each other."""
    if _dialect(session) == "postgresql":
        await session.execute(
            select(person_t.c.id).where(person_t.c.id == person_id).with_for_update(key_share=True)
        )
    return await _person_visits(session, person_id)


async def visits_changed(session: AsyncSession, person_id: int, before: list[Visit]) -> None:
    """After a visit of the person was inserted, corrected or voided: the person's rows move from
    what their visits made before to what they make now."""
    after = await _person_visits(session, person_id)
    await add(session, difference(person_rows(after), person_rows(before)))


# ---------- in bulk, in SQL ----------


def _level_rows(level: int, condition: ColumnElement[bool]) -> Any:
    """One level's rows of the visits in force of the people matching `condition`, in SQL."""
    v, f = visit_t, facility_t
    place = level & 3
    keys: list[tuple[str, ColumnElement[Any]]] = []
    if place:
        keys.append(("province_code", f.c.province_code))
    if place == FACILITY:
        keys.append(("facility_id", v.c.facility_id))
    if level & BY_ICD:
        keys.append(("icd_chapter", icd_chapter(v.c.diagnosis_code)))
    if level & BY_TYPE:
        keys.append(("visit_type", v.c.visit_type))
    person_year = (
        select(
            v.c.person_id,
            *(column.label(name) for name, column in keys),
            v.c.year,
            func.count().label("visits"),
            func.sum(_money(v.c.total_cost)).label("total_cost"),
            func.sum(_money(v.c.insurance_paid)).label("insurance_paid"),
            func.sum(_money(v.c.patient_paid)).label("patient_paid"),
        )
        .select_from(v.join(f, f.c.id == v.c.facility_id))
        .where(condition, v.c.voided.is_(False))
        .group_by(v.c.person_id, *(column for _, column in keys), v.c.year)
        .subquery("person_year")
    )
    group = [person_year.c[name] for name, _ in keys]
    previous = func.coalesce(
        func.lag(person_year.c.year).over(
            partition_by=[person_year.c.person_id, *group], order_by=person_year.c.year
        ),
        0,
    )
    with_previous = select(
        *group,
        person_year.c.year,
        previous.label("previous_year"),
        person_year.c.visits,
        person_year.c.total_cost,
        person_year.c.insurance_paid,
        person_year.c.patient_paid,
    ).subquery("with_previous")
    w = with_previous.c
    constant: dict[str, ColumnElement[Any]] = {
        "level": literal_column(str(level), Integer),
        "province_code": literal_column("''", String),
        "facility_id": literal_column("0", Integer),
        "icd_chapter": literal_column(f"'{ALL}'", String),
        "visit_type": literal_column(f"'{ALL}'", String),
    }
    chosen = {name for name, _ in keys}
    columns: list[ColumnElement[Any]] = [w[name] if name in chosen else constant[name] for name in KEY[:5]]
    grouped = [w[name] for name, _ in keys]
    return select(
        *(c.label(name) for c, name in zip(columns, KEY[:5], strict=True)),
        w.year,
        w.previous_year,
        func.count().label("patients"),
        func.sum(w.visits).label("visits"),
        func.sum(w.total_cost).label("total_cost"),
        func.sum(w.insurance_paid).label("insurance_paid"),
        func.sum(w.patient_paid).label("patient_paid"),
    ).group_by(*grouped, w.year, w.previous_year)


def rows_in_sql(condition: ColumnElement[bool]) -> Any:
    """Every level's rows of the people matching `condition` (their visits in force), one statement."""
    return union_all(*(_level_rows(level, condition) for level in LEVELS))


async def persons_added(conn: AsyncConnection, person_ids: Sequence[int]) -> None:
    """People whose visits are not in the rollup yet (the seed's): adds them."""
    for start in range(0, len(person_ids), PERSONS_PER_READ):
        await add_in_sql(conn, visit_t.c.person_id.in_(person_ids[start : start + PERSONS_PER_READ]))


async def add_in_sql(conn: AsyncConnection, condition: ColumnElement[bool]) -> None:
    """Adds the rows of the people matching `condition`, none of whom is in the rollup yet, in
    one INSERT … SELECT (the COPY loader's: every person it added)."""
    statement = _add_statement(_dialect(conn), visit_rollup_t, KEY, VALUES)
    rows = rows_in_sql(condition).subquery("added")
    # WHERE true: SQLite reads "SELECT … ON CONFLICT" as a join's ON otherwise.
    await conn.execute(
        statement.from_select(list(KEY + VALUES), select(*(rows.c[c] for c in KEY + VALUES)).where(true()))
    )


def rebuild(conn: Connection) -> None:
    """Empties the rollup and fills it from the visits (a synchronous connection: the migration's)."""
    conn.execute(visit_rollup_t.delete())
    rows = rows_in_sql(true()).subquery("every")
    conn.execute(
        visit_rollup_t.insert().from_select(list(KEY + VALUES), select(*(rows.c[c] for c in KEY + VALUES)))
    )
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {visit_rollup_t.name}"))


# ---------- checking ----------


def recomputed(rows: Iterable[Sequence[Any]]) -> Rows:
    """The rollup of these rows of `visits_of_persons` (every person's, in person order), computed
    in Python person by person: what the table must hold."""
    total: Rows = {}
    person: Any = None
    mine: list[Sequence[Any]] = []
    for row in rows:
        if row[0] != person:
            if mine:
                add_rows(total, person_rows(as_visits(mine)))
            person, mine = row[0], []
        mine.append(row)
    if mine:
        add_rows(total, person_rows(as_visits(mine)))
    return total


async def stored(conn: AsyncConnection) -> Rows:
    columns = [visit_rollup_t.c[c] for c in (*KEY, *VALUES)]
    return {
        tuple(r[: len(KEY)]): [int(v) for v in r[len(KEY) :]]
        for r in (await conn.execute(select(*columns))).all()
    }


async def differences(conn: AsyncConnection) -> list[str]:
    """What the stored rollup gets wrong against a recomputation from the raw visits (empty: none)."""
    have = await stored(conn)
    want = recomputed((await conn.execute(visits_of_persons(true()))).all())
    out = []
    for key in sorted(have.keys() | want.keys()):
        if have.get(key) != want.get(key):
            out.append(f"visit_rollup {key}: stored {have.get(key)}, from the visits {want.get(key)}")
    return out


__all__ = [
    "KEY",
    "LEVELS",
    "VALUES",
    "add",
    "differences",
    "icd_chapter",
    "icd_chapter_of",
    "person_rows",
    "persons_added",
    "rebuild",
    "visits_before_change",
    "visits_changed",
]
