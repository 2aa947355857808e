"""SQLite through aiosqlite in one trip per statement.

aiosqlite runs each connection in a thread of its own, and every call is a trip there and back
(queue, wake the thread, run, wake the event loop). SQLAlchemy's adapter makes four per statement:
open a cursor, execute, fetch all rows, close the cursor. Here one function does the four in the
connection's thread, so a statement costs one trip: the citizen's home screen went from 14 trips
to 5 (bench/README.md). Only plain (buffered) cursors are replaced; streaming cursors are as before.

This leans on two attributes of aiosqlite's Connection that are not public (`_execute`, running a
function in the connection's thread, and `_conn`, the sqlite3 connection); pyproject.toml pins
the versions where they are, and the whole suite runs through this path.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

Outcome = tuple[Any, int, int | None, list[Any]]


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> Outcome:
    """In the connection's thread: the whole life of a cursor."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


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

    def _trip(self, operation: Any, parameters: Any, many: bool) -> None:
        connection = self._connection
        try:
            self._outcome = await_(connection._execute(_run, connection._conn, operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._rows = collections.deque(self._outcome[3])

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._trip(operation, parameters, False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._trip(operation, seq_of_parameters, True)

    async def _async_soft_close(self) -> None:
        return None  # nothing is open: the rows are already here

    def close(self) -> None:
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor

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


def dbapi() -> OneTripDBAPI:
    import aiosqlite

    return OneTripDBAPI(aiosqlite, sqlite3)
