"""Writing the access log: one statement per request, whatever the number of rows read.

The rows of a request differ only by person and fields: the statement binds the constant columns
once and the pairs as one parameter (on SQLite a JSON object of the people per set of fields,
read by two `json_each`; two arrays on PostgreSQL, read by `unnest`), and the database expands
them. Sent as 10,000 parameter sets (an
executemany), the rows of an ADMIN's view cost SQLAlchemy and the driver about half of the write's
time; the parameter now costs a few milliseconds, and what is left is the database's inserts
(on PostgreSQL mostly the two foreign-key checks of every row).
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import BigInteger, Integer, Text, bindparam, cast, func, insert, literal_column, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import Insert

from auth.guard import AccessRecorder
from auth.viewer import Viewer
from models.sqlite import COMMIT_IN_TRIP
from models.tables import access_log_t
from models.types import utcnow

_CONSTANT = ("at", "actor_account_id", "actor_username", "actor_role", "operation_name", "reason")
COLUMNS = (*_CONSTANT, "person_id", "fields")


def _constants() -> list[Any]:
    return [bindparam(name, type_=access_log_t.c[name].type) for name in _CONSTANT]


def _sqlite_statement() -> Insert:
    # One JSON object: each set of fields read, with the people it was read of ({"fields": [ids]}):
    # a list view reads the same fields of every row, so the 10,000 rows of one are one key and
    # one array of integers, taken as they are (no JSON path extracted per row).
    groups = func.json_each(bindparam("rows", type_=Text)).table_valued("value", "key").alias("read_fields")
    people = func.json_each(groups.c.value).table_valued("value", "key").alias("read_person")
    rows = (
        select(*_constants(), cast(people.c.value, Integer).label("person_id"), groups.c.key.label("fields"))
        .select_from(groups)
        .join(people, true())
        .order_by(groups.c.key, people.c.key)
    )
    return insert(access_log_t).from_select(list(COLUMNS), rows)


def _postgresql_statement() -> Insert:
    pairs = (
        func.unnest(bindparam("person_ids", type_=ARRAY(BigInteger)), bindparam("fields", type_=ARRAY(Text)))
        .table_valued("person_id", "fields", with_ordinality="position")
        .render_derived()
        .alias("pair")
    )
    rows = (
        select(*_constants(), pairs.c.person_id, pairs.c.fields)
        .select_from(pairs)
        .order_by(literal_column("pair.position"))
    )
    return insert(access_log_t).from_select(list(COLUMNS), rows)


# Built once per backend: SQLAlchemy compiles each once and finds it by its cache key thereafter.
_STATEMENTS: dict[str, Insert] = {}


def statement(dialect: str) -> Insert:
    found = _STATEMENTS.get(dialect)
    if found is None:
        found = _STATEMENTS[dialect] = (
            _postgresql_statement() if dialect == "postgresql" else _sqlite_statement()
        )
    return found


def parameters(
    dialect: str,
    reads: dict[int, set[str]],
    viewer: Viewer,
    operation_name: str | None,
    reason: str | None,
) -> dict[str, Any]:
    """The statement's parameters: the request's constants, and each person's fields sorted and
    space-joined."""
    bound: dict[str, Any] = {
        "at": utcnow(),
        "actor_account_id": viewer.account_id,
        "actor_username": viewer.username,
        "actor_role": viewer.role.value,
        "operation_name": operation_name,
        "reason": reason,
    }
    if dialect == "postgresql":
        bound["person_ids"] = list(reads)
        bound["fields"] = [" ".join(sorted(fields)) for fields in reads.values()]
    else:
        grouped: dict[str, list[int]] = {}
        for person_id, fields in reads.items():
            grouped.setdefault(" ".join(sorted(fields)), []).append(person_id)
        bound["rows"] = orjson.dumps(grouped).decode()
    return bound


def pending(
    access: AccessRecorder,
    viewer: Viewer | None,
    operation_name: str | None,
    reason: str | None,
    dialect: str,
) -> dict[str, Any] | None:
    """The parameters of the statement writing what the request read, or None: nothing to log."""
    reads = {pid: fields for pid, fields in access.reads.items() if pid}
    if not reads or viewer is None:
        return None
    return parameters(dialect, reads, viewer, operation_name, reason)


async def write(session: AsyncSession, requests: list[dict[str, Any]]) -> None:
    """Writes the rows of one or more requests (`pending`'s parameters) and commits them (with
    whatever else the session wrote)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    await session.execute(
        statement(dialect),
        requests[0] if len(requests) == 1 else requests,
        # The transaction's only statement: on SQLite its commit goes in the same trip.
        execution_options={COMMIT_IN_TRIP: True},
    )
    await session.commit()


async def flush(
    session: AsyncSession,
    access: AccessRecorder,
    viewer: Viewer | None,
    operation_name: str | None,
    reason: str | None = None,
) -> None:
    """Writes what was read in the request's own transaction (a mutation's: with its writes)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    bound = pending(access, viewer, operation_name, reason, dialect)
    if bound is None:
        return
    await write(session, [bound])
    access.reads.clear()
