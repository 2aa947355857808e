"""The generated people on PostgreSQL: COPY, streamed in chunks, ids assigned here.

The same people as the executemany path for the same seed (one random stream,
`people.generate_chunks`), written with COPY on the connection of the seed's transaction:

* ids are assigned here, above the largest id of each table (the tables are locked against other
  writers for the load), so child rows reference their person without a round trip; the sequences
  are moved past the block afterwards;
* a large load generates and encodes in a worker process (the random stream is sequential, and one
  Python process cannot both generate and feed the database) while the database takes the previous
  chunk; at most `QUEUE_DEPTH` chunks wait in between, so memory stays bounded whatever the count;
* values are converted as the columns' types would (`Money` to integer hundredths, `UtcDateTime` to
  naive UTC), since COPY bypasses SQLAlchemy's bind processing, then written in COPY's text format;
* each person's unit roster (`unit_member`) and away periods (`contribution_away`) are written with
  the periods; the statistics' rollup of the people added (`models/rollup.py`) is added up in this
  process, in a thread, while each chunk is being copied, then added to the rollup tables at the end;
  the visit rollup (`models/visit_rollup.py`) of the people added is one INSERT … SELECT at the end;
* a large load into small tables drops the secondary indexes, unique and foreign keys of the loaded
  tables and rebuilds them once at the end (faster than maintaining them row by row), all inside the
  transaction: a failed run leaves the schema as it was, and a second run adds nothing.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
import random
import traceback
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeDecorator

from models import rollup, visit_rollup
from models.rollup import HOME_VALUES, RETURN_KEY, RETURN_VALUES, ROLLUP_KEY, VALUES
from models.tables import (
    away_t,
    benefit_t,
    card_t,
    period_t,
    person_t,
    return_t,
    rollup_t,
    unit_member_t,
    unit_t,
    visit_rollup_t,
    visit_t,
)
from models.types import Money
from seed import people
from seed.progress import Progress

CHUNK_PERSONS = 10_000
QUEUE_DEPTH = 3
# From this many people the generation runs in a worker process.
WORKER_FROM = 20_000
# Rebuilding indexes pays off when the load is large and at least as big as what is there already.
REBUILD_FROM = 50_000
MAINTENANCE_WORK_MEM = "1GB"

# In the order they are written (parents first); unit_member and contribution_away have no id of
# their own.
LOADED: tuple[Table, ...] = (person_t, period_t, card_t, visit_t, benefit_t, unit_member_t, away_t)
WITH_IDS: tuple[Table, ...] = (person_t, period_t, card_t, visit_t, benefit_t)


NULL = "\\N"
# The columns of contribution_away as `Job.encode` writes them.
AWAY_COLUMNS = (
    "period_id",
    "person_id",
    "province_scope",
    "unit_id",
    "insurance_type",
    "from_month",
    "to_month",
    "salary",
)


def _string(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _optional_string(value: str | None) -> str:
    return NULL if value is None else _string(value)


def _optional(value: Any) -> Any:
    return NULL if value is None else value


# COPY's text format of a value whose column type says too little, by the value's own type.
_FORMAT: dict[type, Callable[[Any], str]] = {
    type(None): lambda _: NULL,
    str: _string,
    int: int.__repr__,
    bool: lambda value: "t" if value else "f",
    date: date.isoformat,
    datetime: lambda value: value.isoformat(" "),
}


def _any(value: Any) -> str:
    return _FORMAT[type(value)](value)  # anything else (a Decimal, an aware datetime) is refused


# Python types whose str() is already COPY's text format (bool: "True"/"False" are accepted).
_PLAIN = (int, bool, date)


def _python_type(kind: Any) -> type | None:
    try:
        python_type: type = kind.python_type
        return python_type
    except NotImplementedError:
        return None


class Encoder:
    """Dict rows of the generator to COPY text lines of one table, converted as its column types
    would convert them (`Money` to hundredths, `UtcDateTime` to naive UTC).

    The line of a row is one f-string compiled from the table's columns: this runs some 20 million
    times for a million people, where a loop over the columns per row would cost twice as much.
    """

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.table = table
        self.columns = [c.name for c in table.columns]
        names: dict[str, Any] = {
            "_dialect": dialect,
            "_string": _string,
            "_optional_string": _optional_string,
            "_optional": _optional,
            "_any": _any,
        }
        fields = []
        for index, column in enumerate(table.columns):
            default = column.default
            names[f"_name{index}"] = column.name
            names[f"_default{index}"] = (
                getattr(default, "arg", None) if default is not None and default.is_scalar else None
            )
            value = f"row.get(_name{index}, _default{index})"
            kind = column.type
            # Money, UtcDateTime: the types that change the value on the way in (not AutoString).
            if isinstance(kind, TypeDecorator):
                if type(kind).process_bind_param is not TypeDecorator.process_bind_param:
                    names[f"_convert{index}"] = kind.process_bind_param
                    value = f"_convert{index}({value}, _dialect)"
                kind = kind.impl_instance
            python_type = _python_type(kind)
            if python_type is str:
                value = f"_optional_string({value})" if column.nullable else f"_string({value})"
            elif python_type in _PLAIN and python_type is not datetime:
                value = f"_optional({value})" if column.nullable else value
            else:
                value = f"_any({value})"
            fields.append("{" + value + "}")
        source = "lambda row: f" + repr("\t".join(fields))
        # Built above from the table's column positions only: no outside text reaches it.
        self.line: Callable[[dict[str, Any]], str] = eval(  # noqa: S307
            compile(source, f"<COPY line of {table.name}>", "eval"), names
        )


@dataclass(slots=True)
class Batch:
    generated: int  # people generated, written or not (the progress bar counts these)
    rows: dict[str, int] = field(default_factory=dict)
    data: dict[str, bytes] = field(default_factory=dict)
    # The people written, as the rollup reads them: (province, periods).
    people: list[tuple[str, list[rollup.Period]]] = field(default_factory=list)
    # contribution_away lines by the person's province: copied at the end, a province at a time.
    away: dict[str, bytes] = field(default_factory=dict)


@dataclass(slots=True)
class Job:
    """Everything the generation needs; picklable, for the worker process."""

    rng: random.Random
    count: int
    taken_codes: set[str]
    units: list[tuple[int, people.UnitSpec]]
    facilities: dict[str, list[people.Facility]]
    offices: dict[str, int]
    have: set[str]  # codes already in the database: not written again
    next_ids: dict[str, int]

    def batches(self) -> Iterator[Batch]:
        dialect = postgresql.dialect()
        encoders = {t.name: Encoder(t, dialect) for t in LOADED}
        homes = {unit_id: rollup.home_province(spec.code) for unit_id, spec in self.units}
        for chunk in people.generate_chunks(
            self.rng, self.count, self.taken_codes, self.units, self.facilities, self.offices, CHUNK_PERSONS
        ):
            yield self.encode(chunk, encoders, homes)

    def _id(self, table: Table) -> int:
        value = self.next_ids[table.name]
        self.next_ids[table.name] = value + 1
        return value

    def encode(self, chunk: people.Generated, encoders: dict[str, Encoder], homes: dict[int, str]) -> Batch:
        # contribution_away goes in `away_lines` (by province), not with the chunk.
        lines: dict[str, list[str]] = {t.name: [] for t in LOADED if t is not away_t}
        person_ids: dict[str, int] = {}
        provinces: dict[str, str] = {}
        for row in chunk.persons:
            code = row["social_insurance_code"]
            if code in self.have:
                continue
            person_ids[code] = row["id"] = self._id(person_t)
            provinces[code] = row["province_scope"]
            lines[person_t.name].append(encoders[person_t.name].line(row))
        roster: dict[tuple[int, int], str] = {}
        periods: dict[str, list[rollup.Period]] = {}
        away_lines: dict[str, list[str]] = {}
        # Periods: their COPY lines, the roster, and what the rollup and contribution_away need.
        encoder, out = encoders[period_t.name], lines[period_t.name]
        money, dialect = Money(), postgresql.dialect()
        salary: Any = None
        cents: int | None = None
        current: str | None = None
        person_periods: list[rollup.Period] = []
        for row in chunk.periods:
            code = row["person_code"]
            person_id = person_ids.get(code)
            if person_id is None:
                continue
            row["person_id"] = person_id
            row["id"] = period_id = self._id(period_t)
            out.append(encoder.line(row))
            unit_id = row["unit_id"]
            roster.setdefault((unit_id, person_id), code)
            if code != current:  # a person's periods are generated together
                current, person_periods = code, []
                periods[code] = person_periods
            if row["salary"] is not salary:  # a job's periods share their salary
                salary = row["salary"]
                cents = money.process_bind_param(salary, dialect)
            home, kind, first, last = (
                homes[unit_id],
                row["insurance_type"],
                row["from_month"],
                row["to_month"],
            )
            person_periods.append((unit_id, home, kind, first, last, cents))
            province = provinces[code]
            if home != province:
                # Codes and integers: nothing to escape (columns in AWAY_COLUMNS order).
                away_lines.setdefault(province, []).append(
                    f"{period_id}\t{person_id}\t{province}\t{unit_id}\t{kind}\t{first}\t{last}\t"
                    f"{NULL if cents is None else cents}"
                )
        card_ids: dict[str, int] = {}
        for table, rows in ((card_t, chunk.cards), (visit_t, chunk.visits), (benefit_t, chunk.benefits)):
            encoder, out = encoders[table.name], lines[table.name]
            for row in rows:
                code = row["person_code"]
                person_id = person_ids.get(code)
                if person_id is None:
                    continue
                row["person_id"] = person_id
                row["id"] = self._id(table)
                if table is card_t:
                    card_ids[row["number"]] = row["id"]
                elif table is visit_t:
                    row["card_id"] = card_ids.get(row.pop("card_number", ""))
                out.append(encoder.line(row))
        lines[unit_member_t.name] = [
            encoders[unit_member_t.name].line(
                {"unit_id": unit_id, "person_id": person_id, "social_insurance_code": code}
            )
            for (unit_id, person_id), code in roster.items()
        ]
        batch = Batch(generated=len(chunk.persons))
        batch.people = [(provinces[code], rows) for code, rows in periods.items()]
        batch.rows[away_t.name] = sum(len(v) for v in away_lines.values())
        batch.away = {province: ("\n".join(v) + "\n").encode() for province, v in away_lines.items()}
        for name, table_lines in lines.items():
            batch.rows[name] = len(table_lines)
            if table_lines:
                table_lines.append("")
                batch.data[name] = "\n".join(table_lines).encode()
        return batch


@dataclass(slots=True)
class Failed:
    trace: str


def _work(job: Job, out: Any) -> None:
    """The worker process: every batch into `out`, then None (or what went wrong)."""
    try:
        for batch in job.batches():
            out.put(batch)
        out.put(None)
    except BaseException:
        out.put(Failed(traceback.format_exc()))


class Worker:
    """`job.batches()` in another process, handed over through a bounded queue."""

    def __init__(self, job: Job) -> None:
        context = multiprocessing.get_context("spawn")
        self.queue: Any = context.Queue(maxsize=QUEUE_DEPTH)
        self.process = context.Process(
            target=_work, args=(job, self.queue), name="seed-generator", daemon=True
        )

    def start(self) -> None:
        self.process.start()

    def _get(self) -> Batch | Failed | None:
        while True:
            try:
                item: Batch | Failed | None = self.queue.get(timeout=1)
                return item
            except queue.Empty:
                if not self.process.is_alive():
                    raise RuntimeError(
                        f"the seed's generator process died ({self.process.exitcode})"
                    ) from None

    async def next_batch(self) -> Batch | None:
        item = await asyncio.to_thread(self._get)
        if isinstance(item, Failed):
            raise RuntimeError(f"the seed's generator process failed:\n{item.trace}")
        return item

    def close(self, finished: bool) -> None:
        """Waits for the process after its last batch; stops it after a failure on this side."""
        if finished:
            self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=10)
        self.queue.close()


@dataclass(slots=True)
class Rebuild:
    """What was dropped from the loaded tables, as the statements that put it back, in order."""

    restore: list[str] = field(default_factory=list)


async def _drop_secondary(conn: AsyncConnection, tables: Sequence[Table]) -> Rebuild:
    """Drops foreign keys, unique constraints (not referenced by a foreign key) and plain indexes of
    `tables`, keeping primary keys and checks; returns the statements that recreate them."""
    unique: list[str] = []
    indexes: list[str] = []
    foreign: list[str] = []
    drops: dict[str, list[str]] = {"f": [], "u": [], "i": []}
    for table in tables:
        constraints = (
            await conn.execute(
                text(
                    """
                    SELECT quote_ident(c.conname), CAST(c.contype AS text), pg_get_constraintdef(c.oid)
                    FROM pg_constraint c
                    WHERE c.conrelid = CAST(:table AS regclass) AND c.contype IN ('u', 'f')
                      AND NOT (c.contype = 'u' AND EXISTS (
                          SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.conindid = c.conindid))
                    ORDER BY c.conname
                    """
                ),
                {"table": table.name},
            )
        ).all()
        plain = (
            await conn.execute(
                text(
                    """
                    SELECT quote_ident(n.nspname) || '.' || quote_ident(ci.relname),
                           pg_get_indexdef(i.indexrelid)
                    FROM pg_index i
                    JOIN pg_class ci ON ci.oid = i.indexrelid
                    JOIN pg_namespace n ON n.oid = ci.relnamespace
                    WHERE i.indrelid = CAST(:table AS regclass) AND NOT i.indisprimary
                      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                                      AND c.contype IN ('p', 'u', 'x'))
                    ORDER BY ci.relname
                    """
                ),
                {"table": table.name},
            )
        ).all()
        quoted = conn.dialect.identifier_preparer.quote(table.name)
        for name, kind, definition in constraints:
            drops[kind].append(f"ALTER TABLE {quoted} DROP CONSTRAINT {name}")
            restore = f"ALTER TABLE {quoted} ADD CONSTRAINT {name} {definition}"
            (foreign if kind == "f" else unique).append(restore)
        for name, definition in plain:
            drops["i"].append(f"DROP INDEX {name}")
            indexes.append(definition)
    for statement in drops["f"] + drops["u"] + drops["i"]:
        await conn.execute(text(statement))
    # Foreign keys last: each is validated by one join, against complete indexes.
    return Rebuild(restore=unique + indexes + foreign)


async def _next_ids(conn: AsyncConnection) -> dict[str, int]:
    ids = {}
    for table in WITH_IDS:
        statement = text(f"SELECT coalesce(max(id), 0) + 1 FROM {table.name}")  # noqa: S608
        ids[table.name] = int((await conn.execute(statement)).scalar_one())
    return ids


async def _advance_sequences(conn: AsyncConnection) -> None:
    for table in WITH_IDS:
        # The table names are the models' own, not input.
        statement = f"SELECT setval(pg_get_serial_sequence(:table, 'id'), (SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"  # noqa: S608
        await conn.execute(text(statement), {"table": table.name})


async def _pieces(data: bytes, size: int = 1 << 20) -> AsyncIterator[memoryview]:
    """COPY data as asyncpg takes it from memory (a bytes object would be taken for a path)."""
    view = memoryview(data)
    for start in range(0, len(view), size):
        yield view[start : start + size]


async def load_people(
    conn: AsyncConnection,
    rng: random.Random,
    count: int,
    units: list[tuple[int, people.UnitSpec]],
    facilities: dict[str, list[people.Facility]],
    offices: dict[str, int],
    progress: Progress,
    taken_codes: set[str],
) -> int:
    """Generates `count` people (as `people.generate` would) and COPYs those not there yet, with
    their periods, roster entries, cards, visits and benefits; returns how many people were added."""
    quote = conn.dialect.identifier_preparer.quote
    with progress.phase("the people already there"):
        # Other writers wait (readers do not): the id block read below stays ours.
        await conn.execute(text(f"LOCK TABLE {', '.join(quote(t.name) for t in LOADED)} IN EXCLUSIVE MODE"))
        have = {c for (c,) in (await conn.execute(text("SELECT social_insurance_code FROM person"))).all()}
    # A load's statements are long by nature (a COPY of millions of rows, an index build): not
    # runaway queries, which the engine's statement timeout is there to stop.
    await conn.execute(text("SET LOCAL statement_timeout = 0"))
    rebuild: Rebuild | None = None
    if count >= REBUILD_FROM and count >= len(have):
        await conn.execute(text(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'"))
        with progress.phase("dropping the indexes and keys of the loaded tables (rebuilt after)"):
            rebuild = await _drop_secondary(conn, LOADED)
    job = Job(rng, count, taken_codes, units, facilities, offices, have, await _next_ids(conn))
    first_person = job.next_ids[person_t.name]  # the people added get ids from here on
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    columns = {t.name: [c.name for c in t.columns] for t in LOADED}

    async def write(batch: Batch) -> None:
        for table in LOADED:
            data = batch.data.get(table.name)
            if data:
                await driver.copy_to_table(
                    table.name, source=_pieces(data), columns=columns[table.name], format="text"
                )

    totals = rollup.Totals()
    away: dict[str, list[bytes]] = {}

    async def take(batch: Batch) -> None:
        # The chunk's rollup is added up in a thread while the database takes the chunk.
        await asyncio.gather(write(batch), asyncio.to_thread(_add_people, totals, batch.people))
        for province, data in batch.away.items():
            away.setdefault(province, []).append(data)

    added = rows = 0
    # Every generated person counts, written or not: a rerun generates the same people to find
    # the missing ones, and the bar says how many of them are skipped.
    desc = f"people (COPY; skipping the {len(have):,} already there)" if have else "people (COPY)"
    with progress.bar(total=count, desc=desc, unit="person") as bar:

        def advance(batch: Batch) -> None:
            nonlocal added, rows
            added += batch.rows[person_t.name]
            rows += sum(batch.rows.values())
            bar.set_postfix(rows=f"{rows:,}", refresh=False)
            bar.update(batch.generated)

        if count < WORKER_FROM:
            for batch in job.batches():
                await take(batch)
                advance(batch)
        else:
            worker = Worker(job)
            worker.start()
            finished = False
            try:
                while (batch_ := await worker.next_batch()) is not None:
                    await take(batch_)
                    advance(batch_)
                finished = True
            finally:
                worker.close(finished)
    if added:
        with progress.phase("contribution periods away from the unit's province"):
            # The statistics read away periods by province: each province's together on disk.
            for province in sorted(away):
                await driver.copy_to_table(
                    away_t.name,
                    source=_pieces(b"".join(away.pop(province))),
                    columns=list(AWAY_COLUMNS),
                    format="text",
                )
        with progress.phase("the statistics' rollup"):
            await _add_rollup(conn, driver, totals)
    if rebuild is not None:
        with progress.bar(total=len(rebuild.restore), desc="indexes and keys", unit="step") as steps:
            for statement in rebuild.restore:
                steps.set_postfix_str(statement.split(" ON ")[0].split(" ADD ")[-1][:50])
                await conn.execute(text(statement))
                steps.update(1)
    if added:
        with progress.phase("the visit rollup"):
            # In SQL from the visits just copied (their people are new: nothing of theirs is there),
            # after the indexes: the visits are read by person.
            await conn.execute(text("SET LOCAL work_mem = '256MB'"))
            await visit_rollup.add_in_sql(conn, visit_t.c.person_id >= first_person)
        with progress.phase("sequences and the planner's statistics (ANALYZE)"):
            await _advance_sequences(conn)
            # The units too: the people's were added just before (seed.cli.people_context).
            for table in (*LOADED, rollup_t, return_t, visit_rollup_t, unit_t):
                await conn.execute(text(f"ANALYZE {quote(table.name)}"))
    return added


def _add_people(totals: rollup.Totals, persons: list[tuple[str, list[rollup.Period]]]) -> None:
    for province, periods in persons:
        totals.add_person(province, periods)


async def _lines(rows: Iterator[tuple[Any, ...]], per_piece: int = 50_000) -> AsyncIterator[bytes]:
    """Rows of numbers and codes (nothing to escape) in COPY's text format, a block at a time."""
    block: list[str] = []
    for row in rows:
        block.append("\t".join(map(str, row)))
        if len(block) == per_piece:
            block.append("")
            yield "\n".join(block).encode()
            block = []
    if block:
        block.append("")
        yield "\n".join(block).encode()


async def _add_rollup(conn: AsyncConnection, driver: Any, totals: rollup.Totals) -> None:
    """Adds the rollup of the people loaded to what the rollup tables hold: COPY straight into an
    empty table; else (an earlier load is there) COPY into a temporary table, then one INSERT … ON
    CONFLICT that adds the figures up (minutes for a million people, where the COPY takes seconds)."""
    for table, key, values, rows in (
        (rollup_t, ROLLUP_KEY, (*VALUES, *HOME_VALUES), totals.rollup_rows()),
        (return_t, RETURN_KEY, RETURN_VALUES, totals.return_rows()),
    ):
        if (await conn.execute(select(table).limit(1))).first() is None:
            await driver.copy_to_table(
                table.name, source=_lines(rows), columns=[*key, *values], format="text"
            )
            continue
        # Names of the models' own tables and columns, not input.
        load = f"{table.name}_load"
        await conn.execute(text(f"CREATE TEMPORARY TABLE {load} (LIKE {table.name}) ON COMMIT DROP"))
        await driver.copy_to_table(load, source=_lines(rows), columns=[*key, *values], format="text")
        columns = ", ".join((*key, *values))
        added = ", ".join(f"{v} = {table.name}.{v} + excluded.{v}" for v in values)
        await conn.execute(
            text(
                f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {load} "  # noqa: S608
                f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {added}"
            )
        )
