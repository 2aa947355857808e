"""PostgreSQL connections are pinged at checkout only after a while in the pool
(models/engine.py `_ping_when_idle`): a connection that died meanwhile is replaced before the
request uses it, and one checked in a moment ago is handed out without the ping's round trips."""

from __future__ import annotations

import asyncio
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
    """The trade: a restart shorter than the delay, before the driver has seen the connection end,
    costs one request per stale connection an error the pipeline answers as UNAVAILABLE; the pool
    then drops the connection."""
    from gateway.errors import database_unavailable

    first = await backend_pid(engine)
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 3600.0)
    monkeypatch.setattr(engines, "closed_by_driver", lambda _connection: False)  # not seen yet
    await terminate(engine, first)
    with pytest.raises(DBAPIError) as failed:
        await backend_pid(engine)
    assert database_unavailable(failed.value)
    assert await backend_pid(engine) != first


async def test_connection_closed_on_our_side_replaced_at_checkout_within_the_delay(
    engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection the driver itself has closed (what a statement cancelled halfway left in the
    pool: the next request answered UNAVAILABLE) is known to be closed without a round trip: it is
    replaced at checkout even within the delay, and no request fails for it."""
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 3600.0)
    async with engine.connect() as connection:
        first = int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())
        driver = (await connection.get_raw_connection()).driver_connection
    driver.terminate()  # back in the pool, closed on the client's side
    assert await backend_pid(engine) != first


async def test_connection_ended_by_the_server_and_seen_replaced_within_the_delay(
    engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the driver has seen the server end a connection (a restart, an administrator), the
    next checkout replaces it, without a ping and without failing a request."""
    first = await backend_pid(engine)
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 3600.0)
    pool = engine.sync_engine.pool
    ended = asyncio.Event()
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        driver.add_termination_listener(lambda _connection: ended.set())
    await terminate(engine, first)
    await asyncio.wait_for(ended.wait(), timeout=10)  # the end arrives on the socket, the loop reads it
    assert driver.is_closed()
    assert pool.checkedin() >= 1
    assert await backend_pid(engine) != first
