"""PostgreSQL connections are pinged at checkout only after a while in the pool
(models/engine.py `_ping_when_idle`): a connection that died meanwhile is replaced before the
request uses it, and one checked in a moment ago is handed out without the ping's round trips."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from models import engine as engines


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[Any]:
    if engines.is_sqlite(database_url):
        pytest.skip("PostgreSQL only: SQLite connections are files, never pinged")
    made = engines.make_engine(database_url)
    yield made
    await made.dispose()


async def terminate(engine: Any, pid: int) -> None:
    """Ends a backend from a connection of its own (not one of `engine`'s pool)."""
    other = create_async_engine(engine.url, poolclass=NullPool)
    try:
        async with other.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await other.dispose()


async def backend_pid(engine: Any) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_connection_idle_long_enough_pinged_and_replaced_when_dead(
    engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await backend_pid(engine)
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 0.0)
    await terminate(engine, first)
    replaced = await backend_pid(engine)
    assert replaced != first


async def test_connection_checked_in_a_moment_ago_not_pinged(
    engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await backend_pid(engine)
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 3600.0)
    pinged: list[Any] = []
    monkeypatch.setattr(engine.sync_engine.dialect, "do_ping", lambda connection: pinged.append(connection))
    for _ in range(3):
        await backend_pid(engine)
    assert pinged == []


async def test_connection_dead_within_the_delay_fails_as_unavailable_then_replaced(
    engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trade: a restart shorter than the delay costs one request per stale connection an
    error the pipeline answers as UNAVAILABLE; the pool then drops the connection."""
    from gateway.errors import database_unavailable

    first = await backend_pid(engine)
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 3600.0)
    await terminate(engine, first)
    with pytest.raises(DBAPIError) as failed:
        await backend_pid(engine)
    assert database_unavailable(failed.value)
    assert await backend_pid(engine) != first
