"""Brokers: how one process tells the others that events were committed.

The event table is the source of truth; a broker message only says "look at the table". So a
lost message costs latency, never an event: every hub also polls the table.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

log = logging.getLogger("ansinh.broker")
CHANNEL = "ansinh_events"
# The tables other processes wrote, for the caches (infra/cache.py): a payload of names.
TABLES_CHANNEL = "ansinh_tables"

# What `listen_tables` yields: the tables written elsewhere, True once (re)connected (whatever was
# published meanwhile is unknown), False when the connection was lost (nothing can be trusted).
Invalidation = frozenset[str] | bool


class Broker(Protocol):
    # Whether other processes may write the same database and be heard through this broker.
    shared: bool

    async def publish(self) -> None: ...

    def listen(self) -> AsyncIterator[None]: ...

    async def publish_tables(self, tables: frozenset[str]) -> None: ...

    def listen_tables(self) -> AsyncIterator[Invalidation]: ...

    async def close(self) -> None: ...


def _encode(tables: frozenset[str]) -> str:
    return ",".join(sorted(tables))


def _decode(payload: object) -> frozenset[str]:
    text = payload.decode() if isinstance(payload, bytes) else str(payload)
    return frozenset(name for name in text.split(",") if name) or frozenset({"*"})


class InProcessBroker:
    """One process: a wake-up is a local event."""

    shared = False

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

    async def publish_tables(self, tables: frozenset[str]) -> None:
        return None  # the one process already knows what it wrote

    async def listen_tables(self) -> AsyncIterator[Invalidation]:
        yield True
        await asyncio.Event().wait()

    async def close(self) -> None:
        self._listeners.clear()


class RedisBroker:
    """Redis pub/sub across processes and hosts (redis-py's asyncio client)."""

    shared = True

    def __init__(self, url: str) -> None:
        from redis import asyncio as redis

        self._redis = redis.from_url(url, socket_connect_timeout=2, health_check_interval=10)

    async def publish(self) -> None:
        try:
            await self._redis.publish(CHANNEL, b"1")
        except Exception as exc:  # an outage costs latency only: the hubs poll the table
            log.warning("broker publish failed: %s", exc)

    async def _channel(self, channel: str) -> AsyncIterator[bytes | bool]:
        """The messages of a channel, for ever: True on each (re)connection, False when it is lost."""
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(channel)
                yield True
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                    if message is not None:
                        data = message.get("data", b"")
                        yield data if isinstance(data, bytes) else str(data).encode()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("broker connection lost (%s); retrying", exc)
                yield False
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def listen(self) -> AsyncIterator[None]:
        async for message in self._channel(CHANNEL):
            if message is not False:
                yield None  # a wake-up, or (re)connected: catch up on what the outage hid

    async def publish_tables(self, tables: frozenset[str]) -> None:
        try:
            await self._redis.publish(TABLES_CHANNEL, _encode(tables))
        except Exception as exc:  # the listeners notice the outage themselves and stop trusting
            log.warning("broker publish failed: %s", exc)

    async def listen_tables(self) -> AsyncIterator[Invalidation]:
        async for message in self._channel(TABLES_CHANNEL):
            yield message if isinstance(message, bool) else _decode(message)

    async def close(self) -> None:
        await self._redis.aclose()


class PostgresBroker:
    """PostgreSQL LISTEN/NOTIFY on the application's own database."""

    shared = True

    def __init__(self, url: str) -> None:
        self._dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        # Writes are frequent: their notifications share one connection instead of one each.
        self._publisher: Any = None
        self._publishing = asyncio.Lock()

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

    async def publish_tables(self, tables: frozenset[str]) -> None:
        import asyncpg

        async with self._publishing:
            try:
                if self._publisher is None or self._publisher.is_closed():
                    self._publisher = await asyncpg.connect(self._dsn, timeout=2)
                await self._publisher.execute("SELECT pg_notify($1, $2)", TABLES_CHANNEL, _encode(tables))
            except Exception as exc:
                log.warning("broker publish failed: %s", exc)
                with contextlib.suppress(Exception):
                    await self._publisher.close()
                self._publisher = None

    async def listen_tables(self) -> AsyncIterator[Invalidation]:
        import asyncpg

        while True:
            inbox: asyncio.Queue[frozenset[str]] = asyncio.Queue()

            def notified(*args: object, inbox: asyncio.Queue[frozenset[str]] = inbox) -> None:
                inbox.put_nowait(_decode(args[-1]))

            try:
                connection = await asyncpg.connect(self._dsn, timeout=2)
                try:
                    await connection.add_listener(TABLES_CHANNEL, notified)
                    yield True
                    while not connection.is_closed():
                        with contextlib.suppress(TimeoutError):
                            yield await asyncio.wait_for(inbox.get(), timeout=5.0)
                finally:
                    with contextlib.suppress(Exception):
                        await connection.close()
                yield False
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("broker connection lost (%s); retrying", exc)
                yield False
                await asyncio.sleep(1.0)

    async def close(self) -> None:
        if self._publisher is not None:
            with contextlib.suppress(Exception):
                await self._publisher.close()
            self._publisher = None


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
