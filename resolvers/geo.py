"""The open lookups of places: offices, health facilities, collection agents; `near` sorting."""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, select

from models.tables import agent_t, facility_t, office_t
from models.text import like_pattern
from resolvers import validate
from resolvers.context import Context
from resolvers.errors import BadUserInput
from resolvers.pagination import Key, Ordering, Page, page
from resolvers.reference import known_province
from resolvers.slices import Slice, fetch_page, where_all

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = 111.32
# Search radii tried in turn: a near query rarely needs more than the first.
RADII_KM = (10.0, 40.0, 160.0, 640.0, 2560.0, math.inf)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def check_point(latitude: float, longitude: float, argument: str = "near") -> None:
    problems = []
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        problems.append(f"{argument}.latitude must be between -90 and 90 (got {latitude})")
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        problems.append(f"{argument}.longitude must be between -180 and 180 (got {longitude})")
    if problems:
        raise BadUserInput("; ".join(problems) + ".", argument)


def _orderings(table: Table, tag: str) -> tuple[Ordering, Ordering]:
    by_code = Ordering(tag, (table.c.code,), kinds=("str",))
    # The distance is computed in Python: the column here only names the key's first part.
    by_distance = Ordering(
        tag + "-near", (table.c.latitude.label("distance_km"), table.c.id), kinds=("float", "int")
    )
    return by_code, by_distance


async def _near(
    context: Context,
    statement: Select[Any],
    table: Table,
    point: tuple[float, float],
    ordering: Ordering,
    page_: Page,
) -> Slice:
    """Bounding-box prefilter in SQL, exact haversine distance and ordering in Python.

    Every row within radius r lies in the box of half-width r, so once a radius yields more
    than a page of rows beyond the cursor, no row outside it can come earlier.
    """
    lat, lon = point
    after: Key | None = page_.after
    located: list[SimpleNamespace] = []
    for radius in RADII_KM:
        bounded = statement
        if math.isfinite(radius):
            dlat = radius / KM_PER_DEGREE
            dlon = radius / (KM_PER_DEGREE * max(0.01, math.cos(math.radians(lat))))
            bounded = statement.where(
                table.c.latitude.between(lat - dlat, lat + dlat),
                table.c.longitude.between(lon - dlon, lon + dlon),
            )
        bounded = bounded.where(table.c.latitude.is_not(None))
        located = []
        for row in (await context.session.execute(bounded)).all():
            distance = haversine_km(lat, lon, row.latitude, row.longitude)
            key = (distance, row.id)
            if distance <= radius and (after is None or key > after):
                located.append(SimpleNamespace(**row._mapping, distance_km=distance))
        if len(located) > page_.first:
            break
    located.sort(key=lambda r: (r.distance_km, r.id))
    window, has_next = page_.window(located)

    async def count() -> int:
        from sqlalchemy import func

        total = await context.session.scalar(select(func.count()).select_from(statement.subquery()))
        return int(total or 0)

    return Slice(
        rows=window, has_next=has_next, has_previous=after is not None, ordering=ordering, count=count
    )


async def _places(
    context: Context,
    table: Table,
    tag: str,
    province_code: str | None,
    near: tuple[float, float] | None,
    conditions: Sequence[ColumnElement[bool] | None],
    first: int | None,
    after: str | None,
) -> Slice:
    by_code, by_distance = _orderings(table, tag)
    ordering = by_distance if near is not None else by_code
    page_ = page(first, after, ordering)
    if near is not None:
        check_point(*near)
    province = await known_province(context, province_code)
    statement = where_all(select(table), table.c.province_code == province if province else None, *conditions)
    if near is not None:
        return await _near(context, statement, table, near, ordering, page_)
    return await fetch_page(context.session, statement, ordering, page_)


async def offices(
    context: Context,
    province_code: str | None,
    near: tuple[float, float] | None,
    first: int | None,
    after: str | None,
) -> Slice:
    return await _places(context, office_t, "office", province_code, near, (), first, after)


async def health_facilities(
    context: Context,
    province_code: str | None,
    accepts_health_insurance: bool | None,
    issues_sick_leave: bool | None,
    search: str | None,
    near: tuple[float, float] | None,
    first: int | None,
    after: str | None,
) -> Slice:
    folded = validate.search(search)
    conditions = (
        facility_t.c.accepts_health_insurance == accepts_health_insurance
        if accepts_health_insurance is not None
        else None,
        facility_t.c.issues_sick_leave == issues_sick_leave if issues_sick_leave is not None else None,
        facility_t.c.search_name.like(like_pattern(folded), escape="\\") if folded else None,
    )
    return await _places(context, facility_t, "facility", province_code, near, conditions, first, after)


async def collection_agents(
    context: Context,
    province_code: str | None,
    near: tuple[float, float] | None,
    first: int | None,
    after: str | None,
) -> Slice:
    return await _places(context, agent_t, "agent", province_code, near, (), first, after)
