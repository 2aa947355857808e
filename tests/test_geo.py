"""Offices, health facilities, collection agents: the open lookups of places, `near`, the seed."""

from __future__ import annotations

import math
from typing import Any

import pytest
from sqlalchemy import Table, delete, insert, select

from models.tables import agent_t, facility_t, office_t
from seed import reference as ref
from tests.conftest import Api, codes
from tests.paging import PAGE_INFO, check_page_bounds, walk

PROVINCES = {p.code: p for p in ref.PROVINCES}
HANOI = {"latitude": 21.0285, "longitude": 105.8542}
HCM = {"latitude": 10.7769, "longitude": 106.7009}
DA_NANG = {"latitude": 16.0544, "longitude": 108.2022}


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Spherical law of haversines, written out independently of the resolver."""
    radius = 6371.0088
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * radius * math.asin(min(1.0, math.sqrt(h)))


async def rows(api: Api, table: Table, *conditions: Any) -> list[Any]:
    async with api.app.state.runtime.sessionmaker() as session:
        return list((await session.execute(select(table).where(*conditions))).all())


def nearest(found: list[Any], point: dict[str, float]) -> list[tuple[str, float]]:
    """(code, km) of the located rows, nearest first, ties by id as the API breaks them."""
    located = [r for r in found if r.latitude is not None]
    ranked = sorted(
        located,
        key=lambda r: (great_circle_km(point["latitude"], point["longitude"], r.latitude, r.longitude), r.id),
    )
    return [
        (r.code, great_circle_km(point["latitude"], point["longitude"], r.latitude, r.longitude))
        for r in ranked
    ]


OFFICES = f"""query($first: Int, $after: String, $province: String, $near: GeoPointInput) {{
  offices(provinceCode: $province, near: $near, first: $first, after: $after) {{
    totalCount edges {{ cursor node {{ id code name distanceKm }} }} {PAGE_INFO} }} }}"""
FACILITIES = f"""query($first: Int, $after: String, $province: String, $near: GeoPointInput,
    $accepts: Boolean, $sickLeave: Boolean, $search: String) {{
  healthFacilities(provinceCode: $province, near: $near, acceptsHealthInsurance: $accepts,
      issuesSickLeave: $sickLeave, search: $search, first: $first, after: $after) {{
    totalCount edges {{ cursor node {{ id code name acceptsHealthInsurance issuesSickLeave distanceKm }} }}
    {PAGE_INFO} }} }}"""
AGENTS = f"""query($first: Int, $after: String, $province: String, $near: GeoPointInput) {{
  collectionAgents(provinceCode: $province, near: $near, first: $first, after: $after) {{
    totalCount edges {{ cursor node {{ id code name phone distanceKm }} }} {PAGE_INFO} }} }}"""


# ---------- offices ----------


async def test_offices_one_per_province_with_address_and_location(api: Api) -> None:
    data = await api.data(
        """{ offices(first: 100) { totalCount nodes { code name phone
            address { province { code } ward { code } street text } location { latitude longitude } } } }"""
    )
    offices = {o["code"]: o for o in data["offices"]["nodes"]}
    assert data["offices"]["totalCount"] == len(offices) == 64  # 63 provinces and the national office
    for code, province in PROVINCES.items():
        office = offices[code]
        assert office["name"] == f"BHXH {province.name}"
        assert office["address"]["province"]["code"] == code
        assert office["address"]["street"] and office["address"]["text"].endswith(province.name)
        lat, lon = office["location"]["latitude"], office["location"]["longitude"]
        min_lat, min_lon, max_lat, max_lon = province.bbox
        assert min_lat <= lat <= max_lat and min_lon <= lon <= max_lon, code


async def test_offices_hanoi_office_as_in_the_guide(api: Api) -> None:
    data = await api.data(
        '{ offices(provinceCode: "01") { nodes { code name phone address { district { name } ward { name } text } } } }'
    )
    hanoi = next(o for o in data["offices"]["nodes"] if o["code"] == "01")
    assert hanoi["name"] == "BHXH Thành phố Hà Nội"
    assert hanoi["phone"] == "024.37236555"
    assert hanoi["address"]["district"]["name"] == "Quận Hà Đông"
    assert hanoi["address"]["ward"]["name"] == "Phường Hà Cầu"
    assert hanoi["address"]["text"].startswith("162 Tô Hiệu, Phường Hà Cầu, Quận Hà Đông")


async def test_offices_pages_cover_the_list_once_in_code_order(api: Api) -> None:
    reference = (await api.data(OFFICES, {"first": 100}))["offices"]["edges"]
    walked = await walk(api, OFFICES, "offices", size=9)
    assert [n["code"] for n in walked] == [e["node"]["code"] for e in reference]
    assert len(walked) == 64
    assert all(n["distanceKm"] is None for n in walked)


async def test_offices_page_bounds_bad_user_input(api: Api) -> None:
    await check_page_bounds(api, OFFICES, "offices")
    await check_page_bounds(api, OFFICES, "offices", {"near": HANOI})


async def test_offices_near_nearest_first_like_brute_force(api: Api) -> None:
    expected = nearest(await rows(api, office_t), HCM)
    page = (await api.data(OFFICES, {"near": HCM, "first": 12}))["offices"]
    got = [(e["node"]["code"], e["node"]["distanceKm"]) for e in page["edges"]]
    assert [c for c, _ in got] == [c for c, _ in expected[:12]]
    assert got[0][0] == "79"
    for (_, km), (_, exact) in zip(got, expected, strict=False):
        assert km == pytest.approx(exact, abs=1e-3)
    assert page["totalCount"] == len(expected)


async def test_offices_near_pages_cover_every_office_in_distance_order(api: Api) -> None:
    expected = nearest(await rows(api, office_t), DA_NANG)
    walked = await walk(api, OFFICES, "offices", {"near": DA_NANG}, size=7)
    assert [n["code"] for n in walked] == [c for c, _ in expected]
    distances = [n["distanceKm"] for n in walked]
    assert distances == sorted(distances)


async def test_offices_near_cursor_of_the_plain_list_refused(api: Api) -> None:
    plain = (await api.data(OFFICES, {"first": 3}))["offices"]["pageInfo"]["endCursor"]
    body = await api.post(OFFICES, {"near": HANOI, "first": 3, "after": plain})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "malformed cursor" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"near": {"latitude": 91, "longitude": 105}}, "near.latitude must be between -90 and 90 (got 91"),
        ({"near": {"latitude": -90.5, "longitude": 105}}, "near.latitude must be between -90 and 90"),
        ({"near": {"latitude": 21, "longitude": 180.01}}, "near.longitude must be between -180 and 180"),
        ({"near": {"latitude": 21, "longitude": -181}}, "near.longitude must be between -180 and 180"),
        ({"province": "00"}, "provinceCode: no province has the code '00'"),
        ({"province": "1"}, 'provinceCode: a province code is 2 digits, such as "01"'),
        ({"province": "HN"}, "provinceCode: a province code is 2 digits"),
    ],
)
async def test_offices_bad_input_specific_error(api: Api, variables: dict[str, Any], message: str) -> None:
    body = await api.post(OFFICES, {"first": 5, **variables})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert message in body["errors"][0]["message"]
    assert body["data"] is None


async def test_offices_near_both_coordinates_wrong_one_message(api: Api) -> None:
    body = await api.post(OFFICES, {"near": {"latitude": 100, "longitude": 200}})
    message = body["errors"][0]["message"]
    assert "latitude must be between" in message and "longitude must be between" in message


# ---------- health facilities ----------


async def test_health_facilities_near_with_filter_like_brute_force(api: Api) -> None:
    found = await rows(api, facility_t, facility_t.c.accepts_health_insurance.is_(True))
    expected = nearest(found, HANOI)
    page = (await api.data(FACILITIES, {"near": HANOI, "accepts": True, "first": 25}))["healthFacilities"]
    assert [e["node"]["code"] for e in page["edges"]] == [c for c, _ in expected[:25]]
    assert all(e["node"]["acceptsHealthInsurance"] for e in page["edges"])
    assert page["totalCount"] == len(expected)
    assert page["edges"][0]["node"]["distanceKm"] == pytest.approx(expected[0][1], abs=1e-3)


async def test_health_facilities_near_pages_follow_distance(api: Api) -> None:
    found = await rows(api, facility_t, facility_t.c.province_code == "48")
    expected = nearest(found, DA_NANG)
    walked = await walk(api, FACILITIES, "healthFacilities", {"near": DA_NANG, "province": "48"}, size=6)
    assert [n["code"] for n in walked] == [c for c, _ in expected]


@pytest.mark.parametrize(
    "point",
    [
        {"latitude": 0.0, "longitude": 0.0},  # the Gulf of Guinea: every radius is too small
        {"latitude": 89.9, "longitude": 179.9},  # near the pole and the antimeridian
        {"latitude": -45.0, "longitude": -170.0},
    ],
)
async def test_health_facilities_near_far_away_point_still_exact(api: Api, point: dict[str, float]) -> None:
    expected = nearest(await rows(api, facility_t), point)
    page = (await api.data(FACILITIES, {"near": point, "first": 10}))["healthFacilities"]
    assert [e["node"]["code"] for e in page["edges"]] == [c for c, _ in expected[:10]]
    second = (
        await api.data(FACILITIES, {"near": point, "first": 10, "after": page["pageInfo"]["endCursor"]})
    )["healthFacilities"]
    assert [e["node"]["code"] for e in second["edges"]] == [c for c, _ in expected[10:20]]


async def test_health_facilities_near_point_at_a_facility_is_zero_km(api: Api) -> None:
    bach_mai = {"latitude": 21.0003, "longitude": 105.8405}
    page = (await api.data(FACILITIES, {"near": bach_mai, "first": 1}))["healthFacilities"]
    assert page["edges"][0]["node"]["name"] == "Bệnh viện Bạch Mai"
    assert page["edges"][0]["node"]["distanceKm"] == 0.0


async def test_health_facilities_pages_cover_a_province_once(api: Api) -> None:
    reference = (await api.data(FACILITIES, {"province": "01", "first": 100}))["healthFacilities"]
    walked = await walk(api, FACILITIES, "healthFacilities", {"province": "01"}, size=8)
    assert [n["code"] for n in walked] == [e["node"]["code"] for e in reference["edges"]]
    assert all(n["code"].startswith("01") for n in walked)
    assert len(walked) >= 32


async def test_health_facilities_page_bounds_bad_user_input(api: Api) -> None:
    await check_page_bounds(api, FACILITIES, "healthFacilities", {"province": "79"})


@pytest.mark.parametrize("text", ["bach mai", "BẠCH MAI", "  Bạch   mai ", "bệnh viện bạch"])
async def test_health_facilities_search_ignores_diacritics_and_case(api: Api, text: str) -> None:
    page = (await api.data(FACILITIES, {"search": text, "first": 50}))["healthFacilities"]
    assert "Bệnh viện Bạch Mai" in [e["node"]["name"] for e in page["edges"]]


async def test_health_facilities_search_wildcards_are_literal(api: Api) -> None:
    page = (await api.data(FACILITIES, {"search": "%%", "first": 5}))["healthFacilities"]
    assert page["totalCount"] == 0


async def test_health_facilities_flags_filter_and_partition(api: Api) -> None:
    counts = {}
    for accepts in (True, False):
        for sick in (True, False):
            page = (await api.data(FACILITIES, {"accepts": accepts, "sickLeave": sick, "first": 100}))[
                "healthFacilities"
            ]
            assert all(
                (e["node"]["acceptsHealthInsurance"], e["node"]["issuesSickLeave"]) == (accepts, sick)
                for e in page["edges"]
            )
            counts[(accepts, sick)] = page["totalCount"]
    total = (await api.data(FACILITIES, {"first": 0}))["healthFacilities"]["totalCount"]
    assert sum(counts.values()) == total >= 2000
    assert counts[(True, True)] > 0 and counts[(True, False)] > 0 and counts[(False, False)] > 0


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ("", "search: give at least 2 characters"),
        ("   ", "search: give at least 2 characters"),
        ("a", "search: give at least 2 characters"),
        ("x" * 101, "search: at most 100 characters (got 101)"),
    ],
)
async def test_health_facilities_bad_search_specific_error(api: Api, search: str, message: str) -> None:
    body = await api.post(FACILITIES, {"search": search})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert message in body["errors"][0]["message"]


# ---------- collection agents ----------


async def test_collection_agents_province_filter_and_order(api: Api) -> None:
    page = (await api.data(AGENTS, {"province": "79", "first": 100}))["collectionAgents"]
    got = [e["node"]["code"] for e in page["edges"]]
    assert got and all(code.startswith("DL79") for code in got)
    assert page["totalCount"] == len(got)
    assert all(e["node"]["phone"] for e in page["edges"])


async def test_collection_agents_near_like_brute_force(api: Api) -> None:
    expected = nearest(await rows(api, agent_t), HCM)
    walked = await walk(api, AGENTS, "collectionAgents", {"near": HCM}, size=100)
    assert [n["code"] for n in walked] == [c for c, _ in expected]


async def test_collection_agents_near_skips_and_does_not_count_unlocated(api: Api) -> None:
    """A place without coordinates is listed, but has no distance: `near` neither shows nor counts it."""
    unlocated = {
        "code": "DL01ZZZ",
        "name": "Điểm thu chưa có tọa độ",
        "search_name": "diem thu chua co toa do",
        "address_scheme": "2004",
        "province_code": "01",
        "district_code": "272",
        "ward_code": "09763",
        "phone": "024.3000000",
    }
    async with api.app.state.runtime.sessionmaker() as session:
        await session.execute(insert(agent_t).values(**unlocated))
        await session.commit()
    try:
        plain = (await api.data(AGENTS, {"province": "01", "first": 100}))["collectionAgents"]
        near = (await api.data(AGENTS, {"province": "01", "near": HANOI, "first": 100}))["collectionAgents"]
        assert "DL01ZZZ" in [e["node"]["code"] for e in plain["edges"]]
        assert "DL01ZZZ" not in [e["node"]["code"] for e in near["edges"]]
        assert near["totalCount"] == plain["totalCount"] - 1 == len(near["edges"])
    finally:
        async with api.app.state.runtime.sessionmaker() as session:
            await session.execute(delete(agent_t).where(agent_t.c.code == "DL01ZZZ"))
            await session.commit()


async def test_collection_agents_page_bounds_bad_user_input(api: Api) -> None:
    await check_page_bounds(api, AGENTS, "collectionAgents", {"near": HCM})


# ---------- the seed (reference places) ----------


def inside(province: ref.Province, lat: float, lon: float) -> bool:
    min_lat, min_lon, max_lat, max_lon = province.bbox
    return min_lat <= lat <= max_lat and min_lon <= lon <= max_lon


async def test_seed_offices_every_old_province_with_code_address_coordinates(api: Api) -> None:
    found = await rows(api, office_t)
    by_province = {r.province_code: r for r in found if r.level == "PROVINCE"}
    assert set(by_province) == set(PROVINCES) and len(PROVINCES) == 63
    for code, row in by_province.items():
        assert row.code == code and row.ward_code and row.district_code and row.street, code
        assert inside(PROVINCES[code], row.latitude, row.longitude), code


async def test_seed_health_facilities_count_places_and_flags(api: Api) -> None:
    found = await rows(api, facility_t)
    assert len(found) >= 2000
    assert len({r.code for r in found}) == len(found)
    for r in found:
        assert len(r.code) == 5 and r.code[:2] == r.province_code, r.code
        assert r.latitude is not None and inside(PROVINCES[r.province_code], r.latitude, r.longitude), r.code
    for code in PROVINCES:
        local = [r for r in found if r.province_code == code]
        assert sum(r.accepts_health_insurance for r in local) >= 10, code
    # Realistic flags: hospitals sign BHYT contracts and certify sick leave; commune stations
    # sign contracts only; some private clinics do neither.
    assert all(
        r.accepts_health_insurance and r.issues_sick_leave
        for r in found
        if r.name.startswith("Bệnh viện Đa khoa ")
    )
    assert all(
        r.accepts_health_insurance and not r.issues_sick_leave
        for r in found
        if r.name.startswith("Trạm Y tế")
    )
    assert any(not r.accepts_health_insurance for r in found)


async def test_seed_collection_agents_at_least_500_located(api: Api) -> None:
    found = await rows(api, agent_t)
    assert len(found) >= 500
    assert {r.province_code for r in found} == set(PROVINCES)
    for r in found:
        assert r.phone and inside(PROVINCES[r.province_code], r.latitude, r.longitude), r.code
