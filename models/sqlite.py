"""SQLite through aiosqlite in one trip per statement.

aiosqlite runs each connection in a thread of its own, and every call is a trip there and back
(queue, wake the thread, run, wake the event loop). SQLAlchemy's adapter makes four per statement:
open a cursor, execute, fetch all rows, close the cursor. Here one function does the four in the
connection's thread, so a statement costs one trip: the citizen's home screen went from 14 trips
to 5 (bench/README.md). Only plain (buffered) cursors are replaced; streaming cursors are as before.

A short read makes no trip at all: it runs in the event loop's own thread (`_read_here`). The trip
costs more than most reads do (a by-key lookup is tens of microseconds in SQLite, the trip two
thread wake-ups): the citizen's home screen, four reads, went from 1.8–2.0 to 1.3–1.7 ms of CPU
per request in-process (bench/README.md). Only
`SELECT`s, only in WAL mode (a reader there never waits for a writer's lock, so it cannot hold the
loop that the writer needs to finish), and only while short: SQLite's progress handler counts the
read's work and interrupts it past `READ_HERE_BUDGET`, and the read then runs again in the
connection's thread, where a long read (a roster of 10,000 people) leaves the loop free to serve
the others. An interrupted SELECT changes nothing (SQLite rolls back only interrupted writes).
A statement text that once ran past the budget is sent to the thread directly from then on
(`LONG_READS`, the last LONG_READS_KEPT of them): the attempt here is thrown away work, and the
rosters' UNION ALL (10,000 rows) spent 15 ms a request in it before running again in the thread.
The sqlite3 connection is opened with `check_same_thread=False` for this; SQLite's serialized
threading mode (`sqlite3.threadsafety == 3`) guards it, and SQLAlchemy runs one statement at a
time per connection.

This leans on two attributes of aiosqlite's Connection that are not public (`_execute`, running a
function in the connection's thread, and `_conn`, the sqlite3 connection); pyproject.toml pins
the versions where they are, and the whole suite runs through this path.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.engine import Engine
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

Outcome = tuple[Any, int, int | None, list[Any]]


# An execution option: commit in the statement's own trip (the access log's insert, the last
# statement of a request). The write lock is then held for one trip, not across the event loop's
# turn between the statement and the commit, while the other requests' writers wait on it.
COMMIT_IN_TRIP = "ansinh_commit_in_trip"

# The progress handler runs every READ_HERE_STEPS virtual-machine instructions; a read still
# running after READ_HERE_BUDGET of them (about half a millisecond) goes to the connection's thread.
READ_HERE_STEPS = 4_000
READ_HERE_BUDGET = 10
# Statement texts that ran past the budget here once (the process's, as SQLAlchemy's compiled
# cache keeps one string per statement shape): they go to the connection's thread at once.
LONG_READS_KEPT = 512
LONG_READS: collections.OrderedDict[str, None] = collections.OrderedDict()


def _long(operation: str) -> None:
    LONG_READS[operation] = None
    LONG_READS.move_to_end(operation)
    if len(LONG_READS) > LONG_READS_KEPT:
        LONG_READS.popitem(last=False)


class _Budget:
    """A progress handler: interrupts the statement once called `left` times."""

    __slots__ = ("left",)

    def __init__(self, left: int) -> None:
        self.left = left

    def __call__(self) -> int:
        self.left -= 1
        return 1 if self.left < 0 else 0


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool, commit: bool = False
) -> Outcome:
    """In the connection's thread: the whole life of a cursor (and the commit, if asked)."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else []
        outcome = cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()
    if commit and connection.in_transaction:
        connection.commit()
    return outcome


async def _read_here(connection: sqlite3.Connection, operation: str, parameters: Any) -> Outcome | None:
    """The read run in this thread, or None when it was too long (nothing is changed by it).

    A coroutine that never suspends: awaited through the greenlet (`await_`) it runs at once, in
    the event loop's thread, and SQLAlchemy sees the await that its async engine requires of
    every statement."""
    budget = _Budget(READ_HERE_BUDGET)
    connection.set_progress_handler(budget, READ_HERE_STEPS)
    try:
        return _run(connection, operation, parameters, False)
    except sqlite3.OperationalError:
        if budget.left < 0:
            return None
        raise
    finally:
        connection.set_progress_handler(None, 0)


async def _read(connection: Any, operation: str, parameters: Any) -> Outcome:
    """A SELECT of a connection in WAL mode: here while short, else in the connection's thread."""
    if operation not in LONG_READS:
        here = await _read_here(connection._conn, operation, parameters)
        if here is not None:
            return here
        _long(operation)
    outcome: Outcome = await connection._execute(_run, connection._conn, operation, parameters, False)
    return outcome


async def read(dbapi_connection: Any, operation: str, parameters: Sequence[Any]) -> list[Any] | None:
    """A SELECT's driver rows, run as a OneTripCursor runs it, for a caller that has already done
    SQLAlchemy's part of an execution (models/statements.py); None if `dbapi_connection` is not
    one of ours."""
    if not isinstance(dbapi_connection, OneTripConnection):
        return None
    connection = dbapi_connection._connection
    if dbapi_connection.reads_here:
        return (await _read(connection, operation, parameters))[3]
    outcome: Outcome = await connection._execute(_run, connection._conn, operation, parameters, False)
    return outcome[3]


def is_read(operation: str) -> bool:
    return operation[:6].upper() == "SELECT"


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_outcome",)

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]  # none is kept between statements
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._outcome: Outcome = (None, -1, None, [])

    @property
    def description(self) -> Any:
        return self._outcome[0]

    @property
    def rowcount(self) -> int:
        return self._outcome[1]

    @property
    def lastrowid(self) -> Any:
        return self._outcome[2]

    def _trip(self, operation: Any, parameters: Any, many: bool, commit: bool = False) -> None:
        connection = self._connection
        reads_here = getattr(self._adapt_connection, "reads_here", False)
        if reads_here and not many and not commit and is_read(operation):
            try:
                self._outcome = await_(_read(connection, operation, parameters))
            except Exception as error:
                self._adapt_connection._handle_exception(error)
            self._rows = collections.deque(self._outcome[3])
            return
        try:
            self._outcome = await_(
                connection._execute(_run, connection._conn, operation, parameters, many, commit)
            )
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._rows = collections.deque(self._outcome[3])

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._trip(operation, parameters, False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._trip(operation, seq_of_parameters, True)

    def execute_and_commit(self, operation: Any, parameters: Any) -> None:
        self._trip(operation, parameters, False, commit=True)

    def executemany_and_commit(self, operation: Any, seq_of_parameters: Any) -> None:
        self._trip(operation, seq_of_parameters, True, commit=True)

    async def _async_soft_close(self) -> None:
        return None  # nothing is open: the rows are already here

    def close(self) -> None:
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("reads_here",)
    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.reads_here: bool = False  # until the connection is known to be in WAL mode (`journal_mode`)

    def _idle(self) -> bool:
        """No transaction is open: sqlite3 begins one before the first write, so a unit of work
        that only read has nothing to end. Read here, in the event loop's thread: no statement of
        this connection runs meanwhile (SQLAlchemy waits for each)."""
        connection = self._connection._connection
        return connection is not None and not connection.in_transaction

    def rollback(self) -> None:
        # Every read-only request ends with a rollback (the pool's reset on return): a trip to the
        # connection's thread for nothing, a tenth of the citizen's home screen.
        if not self._idle():
            super().rollback()

    def commit(self) -> None:
        if not self._idle():
            super().commit()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """What `create_async_engine(..., module=…)` takes in place of the adapted aiosqlite module."""

    def connect(self, *arg: Any, **kw: Any) -> Any:
        connection = super().connect(*arg, **kw)
        return OneTripConnection(self, connection._connection)


def journal_mode(dbapi_connection: Any, mode: str) -> None:
    """Told the journal mode a new connection is in: its short reads run in the loop's thread
    only in WAL mode, where they never wait for a lock."""
    if isinstance(dbapi_connection, OneTripConnection):
        dbapi_connection.reads_here = mode.lower() == "wal"


def dbapi() -> OneTripDBAPI:
    import aiosqlite

    return OneTripDBAPI(aiosqlite, sqlite3)


def commit_in_trip(engine: Engine) -> None:
    """Statements run with the `COMMIT_IN_TRIP` execution option commit in their own trip. The
    transaction SQLAlchemy keeps is then empty: its commit follows as usual (the events that
    name the tables written fire) and costs no trip (`OneTripConnection.commit`)."""

    def do_execute(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        if isinstance(cursor, OneTripCursor) and context.execution_options.get(COMMIT_IN_TRIP):
            cursor.execute_and_commit(statement, parameters)
            return True
        return False

    def do_executemany(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        if isinstance(cursor, OneTripCursor) and context.execution_options.get(COMMIT_IN_TRIP):
            cursor.executemany_and_commit(statement, parameters)
            return True
        return False

    event.listen(engine, "do_execute", do_execute)
    event.listen(engine, "do_executemany", do_executemany)
