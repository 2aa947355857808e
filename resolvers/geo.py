"""The open lookups of places: offices, health facilities, collection agents; `near` sorting."""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, case, func, literal, select

from models.tables import agent_t, facility_t, office_t
from models.text import contains
from resolvers import validate
from resolvers.context import Context
from resolvers.errors import BadUserInput
from resolvers.pagination import Key, Ordering, Page, page
from resolvers.reference import known_province
from resolvers.slices import Slice, fetch_page, where_all

EARTH_RADIUS_KM = 6371.0088
# Candidate radii of a `near` query; one aggregate statement finds the smallest that is enough.
RADII_KM = (2.0, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 640.0, 1280.0, 2560.0, 5120.0)
# Float rounding must never shrink the outer box below the circle it has to contain.
SLACK_DEGREES = 1e-9


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


def outer_box(lat: float, radius_km: float) -> tuple[float, float | None]:
    """Half-widths in degrees of a box that contains every point within `radius_km` of (lat, _).

    Exact on the sphere of the haversine: the latitude reach is r/R; the longitude reach is
    asin(sin(r/R) / cos(lat)), unless the circle reaches a pole (then every longitude).
    """
    angle = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(angle) + SLACK_DEGREES
    if angle >= math.pi / 2 - abs(math.radians(lat)) or angle >= math.pi / 2:
        return dlat, None
    dlon = math.degrees(math.asin(min(1.0, math.sin(angle) / math.cos(math.radians(lat))))) + SLACK_DEGREES
    return dlat, dlon


def inner_box(lat: float, radius_km: float) -> tuple[float, float]:
    """Half-widths in degrees of a box whose every point is within `radius_km` of (lat, _).

    With |dφ| ≤ a and |dλ| ≤ b, haversine's sin²(dφ/2) + cos φ0 cos φ sin²(dλ/2) stays below
    sin²(r/2R) when each term takes at most half of it (cos φ bounded over the box).
    """
    half = math.sin(min(math.pi / 2, radius_km / (2 * EARTH_RADIUS_KM))) ** 2 / 2
    a = 2 * math.asin(math.sqrt(half))
    p0 = math.radians(lat)
    widest = math.cos(p0) * math.cos(max(0.0, abs(p0) - a))
    b = math.pi if widest <= half else 2 * math.asin(min(1.0, math.sqrt(half / widest)))
    return math.degrees(a) * (1 - 1e-9), math.degrees(b) * (1 - 1e-9)


def _in_box(table: Table, lat: float, lon: float, dlat: float, dlon: float | None) -> ColumnElement[bool]:
    condition = table.c.latitude.between(lat - dlat, lat + dlat)
    if dlon is None or lon - dlon < -180 or lon + dlon > 180:
        # The box would wrap around the antimeridian: any longitude (a superset, still correct).
        return condition
    return and_(condition, table.c.longitude.between(lon - dlon, lon + dlon))


def _in_inner_box(table: Table, lat: float, lon: float, dlat: float, dlon: float) -> ColumnElement[bool]:
    # Clamped to the map: a subset of the inner box, so its count stays a lower bound.
    return and_(
        table.c.latitude.between(max(-90.0, lat - dlat), min(90.0, lat + dlat)),
        table.c.longitude.between(max(-180.0, lon - dlon), min(180.0, lon + dlon)),
    )


def _orderings(table: Table, tag: str) -> tuple[Ordering, Ordering]:
    # Open lists: the same rows for everyone, so their cursors are bound to the list only.
    by_code = Ordering(tag, (table.c.code,), kinds=("str",), scoped=False)
    # The distance is computed in Python: the column here only names the key's first part.
    by_distance = Ordering(
        tag + "-near",
        (table.c.latitude.label("distance_km"), table.c.id),
        kinds=("float", "int"),
        scoped=False,
    )
    return by_code, by_distance


def _count(column: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((column, 1), else_=0)), 0)


async def _near(
    context: Context,
    statement: Select[Any],
    table: Table,
    point: tuple[float, float],
    ordering: Ordering,
    page_: Page,
) -> Slice:
    """Nearest first: a bounding-box prefilter in SQL, the exact haversine distance in Python.

    Two statements whatever the page size or the data. The first counts, in one pass, the rows
    inside the inner box (surely within r) of every candidate radius r, and those inside the
    outer box of the cursor's distance (a superset of the rows already shown). The smallest r
    whose inner count, less the rows already shown, exceeds the page is enough: more than a page
    of rows beyond the cursor lie within r, so no row outside r can be on this page. The second
    fetches the rows of r's outer box (a superset of the circle) and orders them exactly.
    """
    lat, lon = point
    after: Key | None = page_.after
    located = statement.where(table.c.latitude.is_not(None), table.c.longitude.is_not(None))
    shown: ColumnElement[Any]
    if after is not None:
        if not (math.isfinite(after[0]) and after[0] >= 0):
            raise BadUserInput(
                "after: malformed cursor; pass an endCursor or cursor returned by this same list.", "after"
            )
        dlat, dlon = outer_box(lat, float(after[0]))
        shown = _count(_in_box(table, lat, lon, dlat, dlon))
    else:
        shown = literal(0)
    inner = [_count(_in_inner_box(table, lat, lon, *inner_box(lat, r))) for r in RADII_KM]
    counts = (await context.session.execute(located.with_only_columns(shown, *inner))).one()
    already = int(counts[0] or 0)
    radius = next(
        (r for r, n in zip(RADII_KM, counts[1:], strict=True) if int(n or 0) - already > page_.first),
        math.inf,
    )
    bounded = located
    if math.isfinite(radius):
        dlat, dlon = outer_box(lat, radius)
        bounded = located.where(_in_box(table, lat, lon, dlat, dlon))
    rows: list[SimpleNamespace] = []
    for row in (await context.session.execute(bounded)).all():
        distance = haversine_km(lat, lon, row.latitude, row.longitude)
        if distance <= radius and (after is None or (distance, row.id) > after):
            rows.append(SimpleNamespace(**row._mapping, distance_km=distance))
    rows.sort(key=lambda r: (r.distance_km, r.id))
    window, has_next = page_.window(rows)

    async def count() -> int:
        # The rows a `near` list can show: those with a location.
        total = await context.session.scalar(select(func.count()).select_from(located.subquery()))
        return int(total or 0)

    return Slice(
        rows=window,
        has_next=has_next,
        has_previous=after is not None,
        ordering=ordering,
        count=count,
        cursors=page_.cursors,
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
    page_ = page(first, after, ordering, context.cursors)
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
        contains(facility_t.c.search_name, folded) if folded else None,
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
