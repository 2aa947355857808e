"""Walking a connection page by page, checking what every page says about itself."""

from __future__ import annotations

from typing import Any, Protocol

from tests.conftest import Api, codes

PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"


class Reader(Protocol):
    async def data(
        self, query: str, variables: dict[str, Any] | None = None, *, as_: str | None = None
    ) -> Any: ...


async def walk(
    api: Reader,
    query: str,
    field: str,
    variables: dict[str, Any] | None = None,
    *,
    size: int = 7,
    as_: str | None = None,
) -> list[dict[str, Any]]:
    """Every node of the list, page after page (`query` takes $first and $after and selects
    `totalCount edges { cursor node { ... } }` and PAGE_INFO). Asserts that the pages agree:
    totals, cursors, hasNextPage/hasPreviousPage, no item twice."""
    nodes: list[dict[str, Any]] = []
    after: str | None = None
    total: int | None = None
    pages = 0
    while True:
        data = await api.data(query, {**(variables or {}), "first": size, "after": after}, as_=as_)
        page = data[field]
        pages += 1
        assert pages < 1000, "the list does not end"
        info = page["pageInfo"]
        edges = page["edges"]
        total = page["totalCount"] if total is None else total
        assert page["totalCount"] == total, "totalCount changed between pages"
        assert info["hasPreviousPage"] is (after is not None)
        assert len(edges) <= size
        if edges:
            assert info["startCursor"] == edges[0]["cursor"]
            assert info["endCursor"] == edges[-1]["cursor"]
        else:
            assert info["startCursor"] is None and info["endCursor"] is None
        nodes.extend(edge["node"] for edge in edges)
        if not info["hasNextPage"]:
            break
        assert len(edges) == size, "a page before the last one is full"
        after = info["endCursor"]
    assert len(nodes) == total
    keys = [node.get("id") or repr(sorted(node.items())) for node in nodes]
    assert len(set(keys)) == len(keys), "an item appeared twice"
    return nodes


async def check_page_bounds(
    api: Api, query: str, field: str, variables: dict[str, Any] | None = None, *, as_: str | None = None
) -> None:
    """`first: 0` is an empty page that knows there is more; `first: 101` and a malformed cursor
    are BAD_USER_INPUT with a specific message."""
    empty = (await api.data(query, {**(variables or {}), "first": 0, "after": None}, as_=as_))[field]
    assert empty["edges"] == []
    assert empty["pageInfo"]["hasNextPage"] is (empty["totalCount"] > 0)
    assert empty["pageInfo"]["endCursor"] is None
    too_many = await api.post(query, {**(variables or {}), "first": 101, "after": None}, as_=as_)
    assert codes(too_many) == ["BAD_USER_INPUT"]
    assert "first must be between 0 and 100 (got 101)" in too_many["errors"][0]["message"]
    for cursor in ("not-a-cursor", "eyJ4IjoxfQ", "%%%"):
        bad = await api.post(query, {**(variables or {}), "first": 5, "after": cursor}, as_=as_)
        assert codes(bad) == ["BAD_USER_INPUT"], cursor
        assert "malformed cursor" in bad["errors"][0]["message"]
