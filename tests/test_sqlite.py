"""SQLite's short reads run in the event loop's thread, everything else in the connection's
(models/sqlite.py): which thread ran a statement is told by a function of the connection that
returns the id of the thread calling it."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from models import engine as engines
from models import sqlite

# Long enough for the progress handler's budget many times over (about 10 ms of SQLite's work).
LONG_READ = (
    "SELECT (SELECT count(*) FROM (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
    "WHERE x < 200000) SELECT x FROM n)) AS counted, thread_id() AS thread"
)


@pytest.fixture
async def engine(database_url: str, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if not engines.is_sqlite(database_url):
        pytest.skip("SQLite only: PostgreSQL's driver has no connection thread")
    made = engines.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'threads.db'}")
    yield made
    await made.dispose()


async def with_thread_id(connection: AsyncConnection) -> None:
    raw = await connection.get_raw_connection()
    sqlite3_connection: Any = raw.driver_connection._conn  # type: ignore[union-attr]
    sqlite3_connection.create_function("thread_id", 0, threading.get_ident)


async def test_short_read_runs_in_the_event_loop_thread(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await with_thread_id(connection)
        ran_in = (await connection.execute(text("SELECT thread_id()"))).scalar_one()
    assert ran_in == threading.get_ident()


async def test_long_read_goes_to_the_connection_thread_with_every_row(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await with_thread_id(connection)
        row = (await connection.execute(text(LONG_READ))).one()
    assert row.counted == 200_000
    assert row.thread != threading.get_ident()


async def test_long_read_past_the_budget_once_goes_to_the_thread_without_a_second_attempt(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[str] = []
    real = sqlite._read_here

    async def counted(connection: Any, operation: str, parameters: Any) -> Any:
        attempts.append(operation)
        return await real(connection, operation, parameters)

    monkeypatch.setattr(sqlite, "_read_here", counted)
    monkeypatch.setattr(sqlite, "LONG_READS", type(sqlite.LONG_READS)())
    async with engine.connect() as connection:
        await with_thread_id(connection)
        for _ in range(3):
            assert (await connection.execute(text(LONG_READ))).one().thread != threading.get_ident()
        for _ in range(2):
            assert (
                await connection.execute(text("SELECT thread_id()"))
            ).scalar_one() == threading.get_ident()
    assert attempts.count(LONG_READ) == 1  # the first time only: then known to be long
    assert attempts.count("SELECT thread_id()") == 2 and LONG_READ in sqlite.LONG_READS


async def test_write_never_runs_in_the_event_loop_thread(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await with_thread_id(connection)
        await connection.execute(text("CREATE TABLE ran_in (thread INTEGER)"))
        await connection.execute(text("INSERT INTO ran_in SELECT thread_id()"))
        ran_in = (await connection.execute(text("SELECT thread FROM ran_in"))).scalar_one()
    assert ran_in != threading.get_ident()


async def test_read_while_another_connection_writes_answers_without_waiting(engine: AsyncEngine) -> None:
    async with engine.begin() as setup:
        await setup.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY)"))
        await setup.execute(text("INSERT INTO item VALUES (1)"))
    async with engine.connect() as writer, engine.connect() as reader:
        await writer.execute(text("INSERT INTO item VALUES (2)"))  # the write lock, held
        await with_thread_id(reader)
        started = time.monotonic()
        rows = (await reader.execute(text("SELECT id, thread_id() FROM item ORDER BY id"))).all()
        waited = time.monotonic() - started
        await writer.rollback()
    # WAL: the reader sees the last commit at once; with a lock to wait for it would have waited
    # up to the busy timeout (5 s) with the whole event loop.
    assert [r[0] for r in rows] == [1]
    assert rows[0][1] == threading.get_ident()
    assert waited < 1.0


async def test_read_outside_wal_mode_runs_in_the_connection_thread() -> None:
    made = engines.make_engine("sqlite+aiosqlite:///:memory:")  # journal mode "memory"
    try:
        async with made.connect() as connection:
            await with_thread_id(connection)
            ran_in = (await connection.execute(text("SELECT thread_id()"))).scalar_one()
    finally:
        await made.dispose()
    assert ran_in != threading.get_ident()


async def test_read_failing_in_the_event_loop_thread_raises_its_own_error(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        with pytest.raises(Exception, match="no such table: missing"):
            await connection.execute(text("SELECT * FROM missing"))


def test_is_read_takes_selects_only() -> None:
    assert sqlite.is_read("SELECT 1") and sqlite.is_read("select 1")
    assert not sqlite.is_read("INSERT INTO t SELECT 1")
    assert not sqlite.is_read("WITH x AS (SELECT 1) DELETE FROM t")
    assert not sqlite.is_read("PRAGMA journal_mode")
