"""Brokers: how one process tells the others that events were committed.

The event table is the source of truth; a broker message only says "look at the table". So a
lost message costs latency, never an event: every hub also polls the table.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Protocol

log = logging.getLogger("ansinh.broker")
CHANNEL = "ansinh_events"


class Broker(Protocol):
    async def publish(self) -> None: ...

    def listen(self) -> AsyncIterator[None]: ...

    async def close(self) -> None: ...


class InProcessBroker:
    """One process: a wake-up is a local event."""

    def __init__(self) -> None:
        self._listeners: set[asyncio.Queue[None]] = set()

    async def publish(self) -> None:
        for queue in self._listeners:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)

    async def listen(self) -> AsyncIterator[None]:
        queue: asyncio.Queue[None] = asyncio.Queue(maxsize=1)
        self._listeners.add(queue)
        try:
            while True:
                await queue.get()
                yield None
        finally:
            self._listeners.discard(queue)

    async def close(self) -> None:
        self._listeners.clear()


class RedisBroker:
    """Redis pub/sub across processes and hosts (redis-py's asyncio client)."""

    def __init__(self, url: str) -> None:
        from redis import asyncio as redis

        self._redis = redis.from_url(url, socket_connect_timeout=2, health_check_interval=10)

    async def publish(self) -> None:
        try:
            await self._redis.publish(CHANNEL, b"1")
        except Exception as exc:  # an outage costs latency only: the hubs poll the table
            log.warning("broker publish failed: %s", exc)

    async def listen(self) -> AsyncIterator[None]:
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(CHANNEL)
                yield None  # (re)connected: catch up on what the outage hid
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                    if message is not None:
                        yield None
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("broker connection lost (%s); retrying", exc)
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def close(self) -> None:
        await self._redis.aclose()


class PostgresBroker:
    """PostgreSQL LISTEN/NOTIFY on the application's own database."""

    def __init__(self, url: str) -> None:
        self._dsn = url.replace("postgresql+asyncpg://", "postgresql://")

    async def publish(self) -> None:
        import asyncpg

        try:
            connection = await asyncpg.connect(self._dsn, timeout=2)
            try:
                await connection.execute(f"NOTIFY {CHANNEL}")
            finally:
                await connection.close()
        except Exception as exc:
            log.warning("broker publish failed: %s", exc)

    async def listen(self) -> AsyncIterator[None]:
        import asyncpg

        while True:
            wake: asyncio.Queue[None] = asyncio.Queue(maxsize=1)

            def notified(*_: object, wake: asyncio.Queue[None] = wake) -> None:
                with contextlib.suppress(asyncio.QueueFull):
                    wake.put_nowait(None)

            try:
                connection = await asyncpg.connect(self._dsn, timeout=2)
                try:
                    await connection.add_listener(CHANNEL, notified)
                    yield None
                    while not connection.is_closed():
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(wake.get(), timeout=5.0)
                            yield None
                finally:
                    with contextlib.suppress(Exception):
                        await connection.close()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("broker connection lost (%s); retrying", exc)
                await asyncio.sleep(1.0)

    async def close(self) -> None:
        return None


def make_broker(url: str | None, database_url: str) -> Broker:
    if not url:
        return InProcessBroker()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBroker(url)
    if url.startswith("postgresql") or url == "database":
        return PostgresBroker(database_url if url == "database" else url)
    raise SystemExit(
        f"ANSINH_BROKER_URL: unsupported broker {url!r} (redis://…, postgresql://… or 'database')"
    )
