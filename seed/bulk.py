"""The generated people on PostgreSQL: COPY, streamed in chunks, ids assigned here.

The same people as the executemany path for the same seed (one random stream, `people.generate_chunks`),
written with asyncpg's binary COPY on the connection of the seed's transaction:

* ids are assigned here, above the largest id of each table (the tables are locked against other
  writers for the load), so child rows reference their person without a round trip; the sequences
  are moved past the block afterwards;
* a producer thread generates and encodes chunk n + 1 while the database takes chunk n, and at most
  `QUEUE_DEPTH` chunks wait in between: memory stays bounded whatever the count;
* values are converted as the columns' types would (`Money` to integer hundredths, `UtcDateTime` to
  naive UTC), since COPY bypasses SQLAlchemy's bind processing;
* each person's unit roster (`unit_member`) is written with the periods;
* a large load into small tables drops the secondary indexes, unique and foreign keys of the loaded
  tables and rebuilds them once at the end (faster than maintaining them row by row), all inside the
  transaction: a failed run leaves the schema as it was, and a second run adds nothing.
"""

from __future__ import annotations

import asyncio
import queue
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeDecorator
from tqdm import tqdm

from models.tables import benefit_t, card_t, period_t, person_t, unit_member_t, visit_t
from seed import people

CHUNK_PERSONS = 10_000
QUEUE_DEPTH = 2
# Rebuilding indexes pays off when the load is large and at least as big as what is there already.
REBUILD_FROM = 50_000
MAINTENANCE_WORK_MEM = "1GB"

# In the order they are written (parents first); unit_member has no id of its own.
LOADED: tuple[Table, ...] = (person_t, period_t, card_t, visit_t, benefit_t, unit_member_t)
WITH_IDS: tuple[Table, ...] = (person_t, period_t, card_t, visit_t, benefit_t)

Record = tuple[Any, ...]


class Encoder:
    """Dict rows of the generator to COPY records of one table, converted as its column types would."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.table = table
        self.dialect = dialect
        self.columns = [c.name for c in table.columns]
        self.defaults: list[tuple[str, Any]] = []
        self.converters: list[tuple[int, Callable[[Any, Dialect], Any]]] = []
        for index, column in enumerate(table.columns):
            default = column.default
            scalar = getattr(default, "arg", None) if default is not None and default.is_scalar else None
            self.defaults.append((column.name, scalar))
            kind = column.type
            # Money, UtcDateTime: the types that change the value on the way in (not AutoString).
            if (
                isinstance(kind, TypeDecorator)
                and type(kind).process_bind_param is not TypeDecorator.process_bind_param
            ):
                self.converters.append((index, kind.process_bind_param))

    def record(self, row: dict[str, Any]) -> Record:
        values = [row.get(name, default) for name, default in self.defaults]
        for index, convert in self.converters:
            values[index] = convert(values[index], self.dialect)
        return tuple(values)


@dataclass(slots=True)
class Batch:
    generated: int  # people generated, written or not (the progress bar counts these)
    records: dict[str, list[Record]] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(len(r) for r in self.records.values())


class Producer:
    """Generates, filters and encodes chunks in a thread; hands them over through a bounded queue."""

    def __init__(
        self,
        chunks: Iterator[people.Generated],
        have: set[str],
        next_ids: dict[str, int],
        encoders: dict[str, Encoder],
    ) -> None:
        self.chunks = chunks
        self.have = have
        self.next_ids = next_ids
        self.encoders = encoders
        self.queue: queue.Queue[Batch | BaseException | None] = queue.Queue(maxsize=QUEUE_DEPTH)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="seed-producer", daemon=True)

    def _put(self, item: Batch | BaseException | None) -> None:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        try:
            for chunk in self.chunks:
                if self.stop.is_set():
                    return
                self._put(self.encode(chunk))
            self._put(None)
        except BaseException as exc:  # handed to the consumer, which raises it
            self._put(exc)

    def _id(self, table: Table) -> int:
        value = self.next_ids[table.name]
        self.next_ids[table.name] = value + 1
        return value

    def encode(self, chunk: people.Generated) -> Batch:
        batch = Batch(generated=len(chunk.persons))
        person_ids: dict[str, int] = {}
        persons = []
        for row in chunk.persons:
            code = row["social_insurance_code"]
            if code in self.have:
                continue
            person_ids[code] = row["id"] = self._id(person_t)
            persons.append(self.encoders[person_t.name].record(row))
        batch.records[person_t.name] = persons
        roster: dict[tuple[int, int], str] = {}
        for table, rows in (
            (period_t, chunk.periods),
            (card_t, chunk.cards),
            (visit_t, chunk.visits),
            (benefit_t, chunk.benefits),
        ):
            encoder = self.encoders[table.name]
            records = []
            for row in rows:
                code = row["person_code"]
                person_id = person_ids.get(code)
                if person_id is None:
                    continue
                row["person_id"] = person_id
                row["id"] = self._id(table)
                records.append(encoder.record(row))
                if table is period_t:
                    roster.setdefault((row["unit_id"], person_id), code)
            batch.records[table.name] = records
        batch.records[unit_member_t.name] = [
            self.encoders[unit_member_t.name].record(
                {"unit_id": unit_id, "person_id": person_id, "social_insurance_code": code}
            )
            for (unit_id, person_id), code in roster.items()
        ]
        return batch

    def start(self) -> None:
        self.thread.start()

    async def next_batch(self) -> Batch | None:
        item = await asyncio.to_thread(self.queue.get)
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


@dataclass(slots=True)
class Rebuild:
    """What was dropped from the loaded tables, to put back (statements in the order to run them)."""

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
    # Foreign keys first (they reference the tables whose constraints go next).
    for statement in drops["f"] + drops["u"] + drops["i"]:
        await conn.execute(text(statement))
    # Put back in the other order: foreign keys are validated last, against complete indexes.
    return Rebuild(restore=unique + indexes + foreign)


async def _max_ids(conn: AsyncConnection) -> dict[str, int]:
    ids = {}
    for table in WITH_IDS:
        statement = text(f"SELECT coalesce(max(id), 0) + 1 FROM {table.name}")  # noqa: S608
        ids[table.name] = int((await conn.execute(statement)).scalar_one())
    return ids


async def _advance_sequences(conn: AsyncConnection) -> None:
    for table in WITH_IDS:
        await conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
            ),
            {"table": table.name},
        )


async def load_people(
    conn: AsyncConnection,
    rng: random.Random,
    count: int,
    units: list[tuple[int, people.UnitSpec]],
    facilities: dict[str, list[tuple[int, bool]]],
    offices: dict[str, int],
    progress: bool,
    taken_codes: set[str],
) -> int:
    """Generates `count` people (as `people.generate` would) and COPYs those not there yet, with
    their periods, roster entries, cards, visits and benefits; returns how many people were added."""
    names = ", ".join(conn.dialect.identifier_preparer.quote(t.name) for t in LOADED)
    # Other writers wait (readers do not): the id block read below stays ours.
    await conn.execute(text(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE"))
    have = {c for (c,) in (await conn.execute(text("SELECT social_insurance_code FROM person"))).all()}
    rebuild: Rebuild | None = None
    if count >= REBUILD_FROM and count >= len(have):
        await conn.execute(text(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'"))
        rebuild = await _drop_secondary(conn, LOADED)
    next_ids = await _max_ids(conn)
    first_person = next_ids[person_t.name]
    encoders = {t.name: Encoder(t, conn.dialect) for t in LOADED}
    chunks = people.generate_chunks(rng, count, taken_codes, units, facilities, offices, CHUNK_PERSONS)
    producer = Producer(chunks, have, next_ids, encoders)
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    rows = 0
    producer.start()
    try:
        with tqdm(total=count, desc="people (COPY)", unit="person", disable=not progress) as bar:
            while (batch := await producer.next_batch()) is not None:
                for table in LOADED:
                    records = batch.records.get(table.name)
                    if records:
                        await driver.copy_records_to_table(
                            table.name, records=records, columns=encoders[table.name].columns
                        )
                rows += batch.rows
                bar.update(batch.generated)
                bar.set_postfix(rows=f"{rows:,}", refresh=False)
    finally:
        producer.close()
    added = producer.next_ids[person_t.name] - first_person
    if rebuild is not None:
        statements = rebuild.restore
        for statement in tqdm(statements, desc="indexes and keys", unit="step", disable=not progress):
            await conn.execute(text(statement))
    if added:
        await _advance_sequences(conn)
        for table in LOADED:
            await conn.execute(text(f"ANALYZE {conn.dialect.identifier_preparer.quote(table.name)}"))
    return added
