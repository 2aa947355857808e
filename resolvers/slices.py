"""Fetching one page of a list, and counting the list, with plain Core statements."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.statements import run
from resolvers.pagination import Cursors, Key, Ordering, Page


@dataclass(slots=True)
class Slice:
    rows: Sequence[Any]
    has_next: bool
    has_previous: bool
    ordering: Ordering
    count: Callable[[], Awaitable[int]]
    cursors: Cursors

    def keys(self) -> list[Key]:
        names = self.ordering.names
        return [tuple(getattr(row, n) for n in names) for row in self.rows]


async def fetch_page(
    session: AsyncSession,
    statement: Select[Any],
    ordering: Ordering,
    page: Page,
    count_statement: Select[Any] | None = None,
) -> Slice:
    """One page of `statement` (already filtered and scoped); the count runs only if asked for."""
    paged = statement
    if page.after is not None:
        paged = paged.where(ordering.after(page.after))
    rows = (await session.execute(paged.order_by(*ordering.order_by()).limit(page.first + 1))).all()
    counted = count_statement if count_statement is not None else statement
    return _slice(session, rows, ordering, page, lambda: counted.order_by(None))


async def fetch_page_of(
    session: AsyncSession,
    name: str,
    base: Callable[[], Select[Any]],
    conditions: Sequence[ColumnElement[bool] | None],
    ordering: Ordering,
    page: Page,
) -> Slice:
    """One page of `base()` narrowed by the `conditions` given (None: not given), as `fetch_page`
    reads it, but with the statement built once per shape (models/statements.py): the row scope,
    the filters and the cursor are its parts, their values and the page size its parameters."""
    parts = [c for c in conditions if c is not None]
    if page.after is not None:
        parts.append(ordering.after(page.after))

    def build(narrowing: Sequence[ColumnElement[Any]]) -> Select[Any]:
        return base().where(*narrowing).order_by(*ordering.order_by()).limit(bindparam("page_limit"))

    rows = await run(session, (name, ordering.tag), parts, build, {"page_limit": page.first + 1})
    return _slice(session, rows, ordering, page, lambda: where_all(base(), *conditions))


def _slice(
    session: AsyncSession,
    rows: Sequence[Any],
    ordering: Ordering,
    page: Page,
    counted: Callable[[], Select[Any]],
) -> Slice:
    """The page's rows (one more than the page was read: whether there is a next) and the count
    of what `counted` makes, made and run only if asked for."""
    window, has_next = page.window(rows)

    async def count() -> int:
        total = await session.scalar(select(func.count()).select_from(counted().subquery()))
        return int(total or 0)

    return Slice(
        rows=window,
        has_next=has_next,
        has_previous=page.after is not None,
        ordering=ordering,
        count=count,
        cursors=page.cursors,
    )


def where_all(statement: Select[Any], *conditions: ColumnElement[bool] | None) -> Select[Any]:
    for condition in conditions:
        if condition is not None:
            statement = statement.where(condition)
    return statement
