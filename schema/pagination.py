"""Relay connections: `Connection[Person]` is `PersonConnection` in the schema."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry

from resolvers.pagination import Cursors, Key, Ordering
from resolvers.slices import Slice

NodeT = TypeVar("NodeT")


@strawberry.type(
    description="Where this page is in its list (Relay): pass `endCursor` as `after` for the next."
)
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items come before this page (`after` was given).")
    start_cursor: str | None = strawberry.field(
        description="The cursor of the first item; null on an empty page."
    )
    end_cursor: str | None = strawberry.field(
        description="The cursor of the last item, for `after`; null on an empty page."
    )


@strawberry.type(description="One item of a page, with its cursor.")
class Edge(Generic[NodeT]):
    node: NodeT = strawberry.field(description="The item.")
    _ordering: strawberry.Private[Ordering]
    _cursors: strawberry.Private[Cursors]
    _key: strawberry.Private[Key]

    @strawberry.field(description="Opaque: pass it as `after` to this same list, as the same viewer.")
    def cursor(self) -> str:
        return self._cursors.seal(self._ordering, self._key)


@strawberry.type(
    description="A page of a list (Relay connection), in a stable order: `first` items `after` a cursor."
)
class Connection(Generic[NodeT]):
    nodes: list[NodeT] = strawberry.field(
        description="The items of this page, as in `edges`, without cursors."
    )
    page_info: PageInfo = strawberry.field(
        description="Whether more items follow, and the cursors to page on."
    )
    _ordering: strawberry.Private[Ordering]
    _cursors: strawberry.Private[Cursors]
    _keys: strawberry.Private[Sequence[Key]]
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="The items of this page with their cursors.")
    def edges(self) -> list[Edge[NodeT]]:
        ordering, cursors = self._ordering, self._cursors
        return [
            Edge(node=n, _ordering=ordering, _cursors=cursors, _key=k)
            for n, k in zip(self.nodes, self._keys, strict=True)
        ]

    @strawberry.field(description="All items of the list, on every page, that the viewer may see.")
    async def total_count(self) -> int:
        return await self._count()


def connection(slice_: Slice, wrap: Callable[[Any], NodeT]) -> Connection[NodeT]:
    """A page of rows as a connection of GraphQL objects."""
    keys = slice_.keys()
    ordering, cursors = slice_.ordering, slice_.cursors
    return Connection(
        nodes=[wrap(row) for row in slice_.rows],
        page_info=PageInfo(
            has_next_page=slice_.has_next,
            has_previous_page=slice_.has_previous,
            start_cursor=cursors.seal(ordering, keys[0]) if keys else None,
            end_cursor=cursors.seal(ordering, keys[-1]) if keys else None,
        ),
        _ordering=ordering,
        _cursors=cursors,
        _keys=keys,
        _count=slice_.count,
    )
