"""Pages of child lists for many parents at once: one statement per list shape, not per parent.

`persons(first: 100) { contributionPeriods(first: 5) }` asks for 100 pages of periods; a
ROW_NUMBER() window partitioned by the parent answers all of them in one statement, and the
totals (only when asked for) in one GROUP BY.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from resolvers.pagination import Ordering, Page
from resolvers.slices import Slice

Args = tuple[Hashable, ...]
PageKey = tuple[int, Args, Page]
CountKey = tuple[int, Args]


@dataclass(frozen=True, slots=True)
class ChildList:
    """How to read one kind of child list: rows (for the given parents), parent column, order, filters."""

    base: Callable[[Sequence[int]], Select[Any]]
    parent: str  # the name of the selected column that holds the parent's id
    ordering: Ordering
    filters: Callable[[Args], Sequence[ColumnElement[bool]]]


def _statement(spec: ChildList, parents: Sequence[int], args: Args) -> Select[Any]:
    statement = spec.base(parents)
    for condition in spec.filters(args):
        statement = statement.where(condition)
    return statement


def page_loader(session: AsyncSession, spec: ChildList) -> DataLoader[PageKey, tuple[list[Any], bool]]:
    async def load(keys: list[PageKey]) -> list[tuple[list[Any], bool]]:
        groups: dict[tuple[Args, Page], list[int]] = defaultdict(list)
        for parent, args, page in keys:
            groups[(args, page)].append(parent)
        found: dict[tuple[Args, Page], dict[int, list[Any]]] = {}
        for (args, page), parents in groups.items():
            statement = _statement(spec, sorted(set(parents)), args)
            if page.after is not None:
                statement = statement.where(spec.ordering.after(page.after))
            position = (
                func.row_number()
                .over(partition_by=statement.selected_columns[spec.parent], order_by=spec.ordering.order_by())
                .label("position_in_parent")
            )
            inner = statement.add_columns(position).subquery()
            outer = (
                select(inner)
                .where(inner.c.position_in_parent <= page.first + 1)
                .order_by(inner.c[spec.parent], inner.c.position_in_parent)
            )
            # Grouped by parent under one (args, page): a page's hash is computed once, not per row.
            by_parent: dict[int, list[Any]] = found.setdefault((args, page), {})
            parent_of = spec.parent
            for row in (await session.execute(outer)).all():
                parent = getattr(row, parent_of)
                rows = by_parent.get(parent)
                if rows is None:
                    by_parent[parent] = [row]
                else:
                    rows.append(row)
        result = []
        for parent, args, page in keys:
            rows = found.get((args, page), {}).get(parent, [])
            result.append((rows[: page.first], len(rows) > page.first))
        return result

    return DataLoader(load_fn=load)


def count_loader(session: AsyncSession, spec: ChildList) -> DataLoader[CountKey, int]:
    async def load(keys: list[CountKey]) -> list[int]:
        groups: dict[Args, list[int]] = defaultdict(list)
        for parent, args in keys:
            groups[args].append(parent)
        counts: dict[tuple[int, Args], int] = {}
        for args, parents in groups.items():
            inner = _statement(spec, sorted(set(parents)), args).subquery()
            statement = select(inner.c[spec.parent], func.count()).group_by(inner.c[spec.parent])
            for parent, total in (await session.execute(statement)).all():
                counts[(parent, args)] = int(total)
        return [counts.get(key, 0) for key in keys]

    return DataLoader(load_fn=load)


@dataclass(slots=True)
class Children:
    """A child list's two loaders, made per request."""

    spec: ChildList
    pages: DataLoader[PageKey, tuple[list[Any], bool]]
    counts: DataLoader[CountKey, int]

    @classmethod
    def of(cls, session: AsyncSession, spec: ChildList) -> Children:
        return cls(spec, page_loader(session, spec), count_loader(session, spec))

    async def slice(self, parent: int, args: Args, page: Page) -> Slice:
        rows, has_next = await self.pages.load((parent, args, page))

        async def count() -> int:
            return await self.counts.load((parent, args))

        return Slice(
            rows=rows,
            has_next=has_next,
            has_previous=page.after is not None,
            ordering=self.spec.ordering,
            count=count,
            cursors=page.cursors,
        )
