"""PostgreSQL reads straight from asyncpg, for statements SQLAlchemy has already prepared for.

models/statements.py does SQLAlchemy's part of an execution itself (the text, the processed
parameters, the cursor events) for a statement built and run once before; this runs it as
SQLAlchemy's asyncpg cursor does (through its cache of prepared statements, under its lock, a
failure raised as the adapter raises it: its DBAPI error, which the caller wraps as SQLAlchemy
wraps it), with one difference: a read when no transaction is open runs outside one, where the
cursor would begin one first.

This leans on attributes of SQLAlchemy's asyncpg adapter that are not public (`_execute_mutex`,
`_prepare`, `_invalidate_schema_cache_asof`, `_handle_exception`); pyproject.toml pins the
versions where they are, and the whole suite runs through this path on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection


async def read(dbapi_connection: Any, operation: str, parameters: Sequence[Any]) -> list[Any] | None:
    """A SELECT's driver rows, or None if `dbapi_connection` is not SQLAlchemy's asyncpg adapter."""
    if not isinstance(dbapi_connection, AsyncAdapt_asyncpg_connection):
        return None
    async with dbapi_connection._execute_mutex:
        # Outside a transaction if none is open: no BEGIN now and no ROLLBACK at the end (two of a
        # read-only request's six round trips). What a transaction would add under READ COMMITTED
        # is nothing a read sees: each statement takes its own snapshot either way, and a read
        # takes no locks. A read after a write of the unit of work is inside its transaction.
        try:
            prepared, _ = await dbapi_connection._prepare(
                operation, dbapi_connection._invalidate_schema_cache_asof
            )
            rows: list[Any] = await prepared.fetch(*parameters)
        except Exception as error:
            dbapi_connection._handle_exception(error)  # raises the adapter's DBAPI error
            raise
    return rows
