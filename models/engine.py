"""The async engine, per-request sessions, the SQL statement counter and the tables each
statement reads and writes (what the caches of infra/cache.py are invalidated by)."""

from __future__ import annotations

import asyncio
import errno
import itertools
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


class StatementCounter:
    """The statements of one request, and the tables they read; `wrote` once any statement wrote."""

    __slots__ = ("count", "read", "wrote")

    def __init__(self) -> None:
        self.count = 0
        self.read: set[str] = set()
        self.wrote = False


# Statements are compiled by SQLAlchemy: keywords are upper case, names lower case. A statement
# reads every table whose name appears in it as a word (FROM, JOIN, comma lists, subqueries and
# qualified columns alike); a word that only looks like a table (a column, a string literal) costs
# an extra invalidation, never a stale answer. "*" stands for a write we cannot name (DDL, COPY):
# it invalidates everything.
_WORDS = re.compile(r"[a-z_][a-z0-9_]*")
_WRITES = re.compile(r'\b(?:INSERT INTO|UPDATE|DELETE FROM)\s+"?([a-z_][a-z0-9_]*)')
_HARMLESS = (
    "SELECT",
    "WITH",
    "PRAGMA",
    "SAVEPOINT",
    "RELEASE",
    "ROLLBACK",
    "BEGIN",
    "COMMIT",
    "SET ",
    "SHOW",
)
_TABLES: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
_TABLES_MAX = 4096
_listeners = itertools.count()


_known: list[frozenset[str]] = []


def _table_names() -> frozenset[str]:
    """The application's tables (read once: importing them here at load time would be circular)."""
    if not _known:
        from sqlmodel import SQLModel

        import models.tables  # noqa: F401  (every table registered)

        _known.append(frozenset(SQLModel.metadata.tables))
    return _known[0]


def statement_tables(statement: str) -> tuple[frozenset[str], frozenset[str]]:
    """The tables a SQL statement reads and writes, remembered per statement text."""
    found = _TABLES.get(statement)
    if found is None:
        writes = frozenset(_WRITES.findall(statement))
        head = statement.lstrip()[:10].upper()
        if not writes and not head.startswith(_HARMLESS):
            writes = frozenset({"*"})
        found = (_table_names().intersection(_WORDS.findall(statement)) | writes, writes)
        if len(_TABLES) >= _TABLES_MAX:
            # Searches put their patterns into the SQL text: the texts are not a bounded set.
            _TABLES.clear()
        _TABLES[statement] = found
    return found


# The counter of the request being served, if it asked to be counted (X-Ansinh-Debug, tests).
_current_counter: ContextVar[StatementCounter | None] = ContextVar("statement_counter", default=None)


@contextmanager
def count_statements() -> Iterator[StatementCounter]:
    counter = StatementCounter()
    token = _current_counter.set(counter)
    try:
        yield counter
    finally:
        _current_counter.reset(token)


def _on_execute(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
    counter = _current_counter.get()
    if counter is not None:
        counter.count += 1
        read, written = statement_tables(statement)
        counter.read |= read
        if written:
            counter.wrote = True


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    mode = cursor.fetchone()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
    from models import sqlite

    sqlite.journal_mode(dbapi_connection, str(mode[0]) if mode else "")


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


STATEMENT_TIMEOUT_MS = 30_000
# A server that accepts the connection and never answers (not PostgreSQL, or overloaded) must not
# hold `ansinh serve` for asyncpg's default minute.
CONNECT_TIMEOUT_SECONDS = 10

# PostgreSQL's answers to a connection it refuses: the configuration is wrong, not the code.
_REFUSALS = {
    "InvalidCatalogNameError": 'the database "{database}" does not exist on {address}: create it '
    "(createdb {database}) or name an existing one",
    "InvalidAuthorizationSpecificationError": "PostgreSQL at {address} refused the user: {detail}",
    "InvalidPasswordError": "PostgreSQL at {address} refused the password: {detail}",
    "CannotConnectNowError": "PostgreSQL at {address} does not accept connections now: {detail}",
    "TooManyConnectionsError": "PostgreSQL at {address} has no connection left: {detail}",
}


_UNREACHABLE = frozenset({errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL})


def connection_problem(error: BaseException, url: str) -> str | None:
    """One line naming ANSINH_DATABASE_URL and what went wrong on connecting to it, or None when
    `error` is not a failure to connect (a bug deserves its traceback)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    address = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    causes: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and len(causes) < 10:
        causes.append(cause)
        cause = getattr(cause, "orig", None) or cause.__cause__
    for found in causes:
        name = type(found).__name__
        detail = str(found).splitlines()[0] if str(found) else name
        problem: str | None = None
        if name in _REFUSALS:
            problem = _REFUSALS[name].format(database=parsed.database, address=address, detail=detail)
        elif isinstance(found, ConnectionRefusedError):
            problem = f"the connection to {address} was refused: is PostgreSQL running there?"
        elif isinstance(found, TimeoutError):
            problem = (
                f"no answer from {address} within {CONNECT_TIMEOUT_SECONDS} s: is PostgreSQL listening there?"
            )
        elif isinstance(found, OSError) and type(found).__name__ == "gaierror":
            problem = f"the host {parsed.host} is not known ({detail})"
        elif isinstance(found, ConnectionError) or getattr(found, "errno", None) in _UNREACHABLE:
            problem = f"cannot connect to {address}: {detail}"
        elif is_sqlite(url) and "unable to open database file" in detail:
            problem = (
                f"cannot open the SQLite file {parsed.database}: does its folder exist, "
                "and may this user write there?"
            )
        if problem is not None:
            return f"ANSINH_DATABASE_URL ({shown}): {problem}"
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return f"ANSINH_DATABASE_URL ({shown}): the connection was lost: {str(error.orig).splitlines()[0]}"
    return None


def make_engine(url: str) -> AsyncEngine:
    kwargs: dict[str, Any] = {}
    if not is_sqlite(url):
        kwargs.update(
            # Thirty connections at most per process, as before (10 kept + 20 overflow), but all
            # kept: an overflow connection is closed when it is returned to a full pool, so under
            # more than ten requests at once every other request opened a connection (TLS
            # attempt, startup, asyncpg's type introspection) and closed it. Kept, the citizen's
            # home screen on PostgreSQL went from 340 to 580 requests per second on one worker
            # (bench/README.md).
            pool_size=30,
            max_overflow=0,
            # No statement may hold a connection for long: a runaway query is cancelled by the
            # database, not left to starve the pool (aggregates set their own, shorter, limit).
            connect_args={
                "server_settings": {"statement_timeout": str(STATEMENT_TIMEOUT_MS)},
                "timeout": CONNECT_TIMEOUT_SECONDS,
            },
        )
    elif url.startswith("sqlite+aiosqlite"):
        from models import sqlite

        # Short reads run in the event loop's thread (models/sqlite.py), not only the connection's.
        kwargs["connect_args"] = {"check_same_thread": False}
        kwargs["module"] = sqlite.dbapi()  # one trip to the connection's thread per statement
    engine = create_async_engine(url, **kwargs)
    sync: Engine = engine.sync_engine
    event.listen(sync, "before_cursor_execute", _on_execute)
    if is_sqlite(url):
        event.listen(sync, "connect", _sqlite_pragmas)
        if url.startswith("sqlite+aiosqlite"):
            from models import sqlite

            sqlite.commit_in_trip(sync)
    else:
        _ping_when_idle(sync)
    return engine


# A connection back in the pool for less than this is handed out without a ping.
PING_AFTER_IDLE_SECONDS = 1.0
_IDLE_SINCE = "ansinh.idle_since"


def closed_by_driver(dbapi_connection: Any) -> bool:
    """Whether the driver knows the connection is closed: by itself (a statement cancelled halfway
    leaves asyncpg's connection so) or because it has seen the server end it. Known without a round
    trip, so checked at every checkout: replaced then rather than failing the request given it."""
    closed = getattr(getattr(dbapi_connection, "driver_connection", None), "is_closed", None)
    return bool(closed is not None and closed())


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's pre-ping, for connections that sat in the pool a while only.

    `pool_pre_ping` pinged at every checkout, and asyncpg's ping is three round trips (BEGIN,
    an empty statement, ROLLBACK): more than a small request's own statements. A connection
    checked in a moment ago has nothing new to tell: one that went idle over a restart of the
    database is pinged and replaced, as before. A restart shorter than the delay costs the
    requests on its stale connections an UNAVAILABLE answer (503, Retry-After), as a connection
    lost during a request always did. A connection the driver has closed itself is replaced at
    every checkout, at the cost of an attribute read."""

    def fresh(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if closed_by_driver(dbapi_connection):
            raise DisconnectionError("the connection was closed by the driver")
        since = record.info.get(_IDLE_SINCE)
        if since is not None and time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # whatever the driver raises, the pool connects anew
            raise DisconnectionError(f"the connection did not answer a ping: {exc}") from exc

    event.listen(engine, "connect", fresh)
    event.listen(engine, "checkin", fresh)
    event.listen(engine, "checkout", checkout)


class SerialSession(AsyncSession):
    """A session whose statements run one at a time.

    GraphQL resolves sibling fields concurrently (and DataLoaders dispatch their batches as
    separate tasks), but a session has one connection, which runs one statement at a time: the
    lock queues them instead of failing with "concurrent operations are not permitted".
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._serial = asyncio.Lock()

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        async with self._serial:
            return await super().execute(*args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        async with self._serial:
            return await super().scalar(*args, **kwargs)

    async def commit(self) -> None:
        async with self._serial:
            await super().commit()

    async def rollback(self) -> None:
        async with self._serial:
            await super().rollback()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=SerialSession, expire_on_commit=False, autoflush=False)


def on_events_committed(engine: AsyncEngine, callback: Callable[[], None]) -> None:
    """Calls `callback` after each commit of a transaction that inserted into the event table."""

    def committed(tables: frozenset[str]) -> None:
        if "event" in tables or "*" in tables:
            callback()

    on_tables_committed(engine, committed)


def on_tables_committed(engine: AsyncEngine, callback: Callable[[frozenset[str]], None]) -> None:
    """Calls `callback` with the tables written by each transaction, right after its commit (in the
    committing request, before its answer is sent: the next read sees the new state)."""
    sync: Engine = engine.sync_engine
    key = f"ansinh.written.{next(_listeners)}"  # each listener keeps its own account

    def after_execute(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        written = statement_tables(statement)[1]
        if written:
            pending: set[str] | None = connection.info.get(key)
            if pending is None:
                connection.info[key] = set(written)
            else:
                pending |= written

    def after_commit(connection: Any) -> None:
        written = connection.info.pop(key, None)
        if written:
            callback(frozenset(written))

    def after_rollback(connection: Any) -> None:
        connection.info.pop(key, None)

    event.listen(sync, "after_cursor_execute", after_execute)
    event.listen(sync, "commit", after_commit)
    event.listen(sync, "rollback", after_rollback)
