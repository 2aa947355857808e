"""PostgreSQL reads straight from asyncpg, for statements SQLAlchemy has already prepared for.

models/statements.py does SQLAlchemy's part of an execution itself (the text, the processed
parameters, the cursor events) for a statement built and run once before; this runs it as
SQLAlchemy's asyncpg cursor does: in the connection's transaction (begun if it is not), through
its cache of prepared statements, under its lock, and a failure raised as the adapter raises it
(its DBAPI error, which the caller wraps as SQLAlchemy wraps it).

This leans on attributes of SQLAlchemy's asyncpg adapter that are not public (`_execute_mutex`,
`_transaction`, `_start_transaction`, `_prepare`, `_invalidate_schema_cache_asof`,
`_handle_exception`); pyproject.toml pins the versions where they are, and the whole suite runs
through this path on PostgreSQL.
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
        if dbapi_connection._transaction is None:
            await dbapi_connection._start_transaction()
        try:
            prepared, _ = await dbapi_connection._prepare(
                operation, dbapi_connection._invalidate_schema_cache_asof
            )
            rows: list[Any] = await prepared.fetch(*parameters)
        except Exception as error:
            dbapi_connection._handle_exception(error)  # raises the adapter's DBAPI error
            raise
    return rows
