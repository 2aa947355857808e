"""Units: the scoped list for staff, the public participatingUnits view, and their links."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, codes
from tests.paging import PAGE_INFO, check_page_bounds, walk

GOLDEN = "0113099841"
IT_CENTRE = "01T0001"  # TRUNG TÂM CÔNG NGHỆ THÔNG TIN, the golden person's unit, partner.employer's

UNITS = f"""query($first: Int, $after: String, $search: String, $province: String) {{
  units(search: $search, provinceCode: $province, first: $first, after: $after) {{
    totalCount edges {{ cursor node {{ id code name province {{ code }} }} }} {PAGE_INFO} }} }}"""
PUBLIC = f"""query($first: Int, $after: String, $search: String, $taxCode: String, $province: String) {{
  participatingUnits(search: $search, taxCode: $taxCode, provinceCode: $province, first: $first, after: $after) {{
    totalCount edges {{ cursor node {{ id code name taxCode province {{ code name }} }} }} {PAGE_INFO} }} }}"""


async def test_units_anonymous_unauthenticated(api: Api) -> None:
    body = await api.post(UNITS, {"first": 5})
    assert codes(body) == ["UNAUTHENTICATED"]


async def test_units_pages_cover_the_officers_province_once_in_code_order(api: Api) -> None:
    reference = (await api.data(UNITS, {"first": 100}, as_="officer.hanoi"))["units"]["edges"]
    walked = await walk(api, UNITS, "units", size=5, as_="officer.hanoi")
    assert [n["code"] for n in walked] == [e["node"]["code"] for e in reference]
    assert len(walked) > 5
    assert {n["province"]["code"] for n in walked} == {"01"}
    assert IT_CENTRE in [n["code"] for n in walked]


async def test_units_admin_sees_every_province(api: Api) -> None:
    every = (await api.data(UNITS, {"first": 0}, as_="admin"))["units"]["totalCount"]
    hanoi = (await api.data(UNITS, {"first": 0}, as_="officer.hanoi"))["units"]["totalCount"]
    hcm = (await api.data(UNITS, {"first": 0}, as_="officer.hcm"))["units"]["totalCount"]
    assert every > hanoi + hcm > 0 and hcm > 0


async def test_units_page_bounds_bad_user_input(api: Api) -> None:
    await check_page_bounds(api, UNITS, "units", as_="admin")


@pytest.mark.parametrize("text", ["trung tam cong nghe", "TRUNG TÂM CÔNG NGHỆ", "công  nghệ thông tin"])
async def test_units_search_ignores_diacritics_and_case(api: Api, text: str) -> None:
    found = (await api.data(UNITS, {"search": text, "first": 50}, as_="officer.hanoi"))["units"]
    assert IT_CENTRE in [e["node"]["code"] for e in found["edges"]]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"province": "7"}, "a province code is 2 digits"),
        ({"province": "99"}, "no province has the code '99'"),
        ({"search": ""}, "at least 2 characters"),
        ({"search": "y" * 200}, "at most 100 characters (got 200)"),
    ],
)
async def test_units_bad_input_specific_error(api: Api, variables: dict[str, Any], message: str) -> None:
    body = await api.post(UNITS, {"first": 5, **variables}, as_="admin")
    assert codes(body) == ["BAD_USER_INPUT"]
    assert message in body["errors"][0]["message"]


async def test_unit_by_code_in_scope_only(api: Api) -> None:
    query = "query($c: String!) { unit(code: $c) { code name address { text } } }"
    mine = await api.data(query, {"c": IT_CENTRE}, as_="officer.hanoi")
    assert mine["unit"]["name"] == "TRUNG TÂM CÔNG NGHỆ THÔNG TIN"
    assert mine["unit"]["address"]["text"]
    assert (await api.data(query, {"c": IT_CENTRE}, as_="officer.hcm"))["unit"] is None
    assert (await api.data(query, {"c": "01Z9999"}, as_="admin"))["unit"] is None
    bad = await api.post(query, {"c": ""}, as_="admin")
    assert codes(bad) == ["BAD_USER_INPUT"] and "1 to 16 characters" in bad["errors"][0]["message"]


async def test_unit_employees_for_the_employer_and_staff(api: Api) -> None:
    query = """query($c: String!) { unit(code: $c) { employees(first: 100) { totalCount
        nodes { socialInsuranceCode fullName } } } }"""
    for viewer in ("partner.employer", "officer.hanoi", "admin"):
        employees = (await api.data(query, {"c": IT_CENTRE}, as_=viewer))["unit"]["employees"]
        found = [p["socialInsuranceCode"] for p in employees["nodes"]]
        assert GOLDEN in found, viewer
        assert found == sorted(found) and employees["totalCount"] == len(found), viewer


async def test_unit_employees_forbidden_to_an_employee(api: Api) -> None:
    body = await api.post(
        "query($c: String!) { unit(code: $c) { code employees { totalCount } } }",
        {"c": IT_CENTRE},
        as_=GOLDEN,
    )
    assert codes(body) == ["FORBIDDEN"]
    assert body["data"]["unit"] == {"code": IT_CENTRE, "employees": None}


async def test_unit_contribution_periods_employer_sees_its_own(api: Api) -> None:
    data = await api.data(
        """query($c: String!) { unit(code: $c) { contributionPeriods(first: 100) { totalCount
            nodes { fromMonth salary unit { code } person { socialInsuranceCode } } } } }""",
        {"c": IT_CENTRE},
        as_="partner.employer",
    )
    periods = data["unit"]["contributionPeriods"]
    assert periods["totalCount"] == len(periods["nodes"]) > 0
    assert {p["unit"]["code"] for p in periods["nodes"]} == {IT_CENTRE}
    golden = [p for p in periods["nodes"] if p["person"]["socialInsuranceCode"] == GOLDEN]
    assert golden and {p["fromMonth"] for p in golden} == {"2020-02"}
    months = [p["fromMonth"] for p in periods["nodes"]]
    assert months == sorted(months, reverse=True)


# ---------- participatingUnits: the public view ----------


async def test_participating_units_public_fields_for_anyone(api: Api) -> None:
    data = await api.data(PUBLIC, {"search": "trung tam cong nghe thong tin", "first": 10})
    unit = next(e["node"] for e in data["participatingUnits"]["edges"] if e["node"]["code"] == IT_CENTRE)
    assert unit["name"] == "TRUNG TÂM CÔNG NGHỆ THÔNG TIN"
    assert unit["province"] == {"code": "01", "name": "Thành phố Hà Nội"}


@pytest.mark.parametrize("viewer", [None, "officer.hanoi", "admin", "partner.employer"])
@pytest.mark.parametrize(
    "selection",
    ["address { text }", "employees { totalCount }", "contributionPeriods { totalCount }"],
)
async def test_participating_units_private_links_forbidden(
    api: Api, viewer: str | None, selection: str
) -> None:
    body = await api.post(
        f'{{ participatingUnits(search: "cong nghe thong tin", first: 1) {{ nodes {{ code {selection} }} }} }}',
        as_=viewer,
    )
    assert codes(body) == ["FORBIDDEN"]
    node = body["data"]["participatingUnits"]["nodes"][0]
    assert node[selection.split()[0]] is None and node["code"]
    assert body["errors"][0]["path"][:3] == ["participatingUnits", "nodes", 0]


async def test_participating_units_pages_cover_every_unit_once(api: Api) -> None:
    walked = await walk(api, PUBLIC, "participatingUnits", size=10)
    every = (await api.data(UNITS, {"first": 0}, as_="admin"))["units"]["totalCount"]
    assert len(walked) == every
    reference = (await api.data(UNITS, {"first": 100}, as_="admin"))["units"]["edges"]
    assert [n["code"] for n in walked][:100] == [e["node"]["code"] for e in reference]


async def test_participating_units_page_bounds_bad_user_input(api: Api) -> None:
    await check_page_bounds(api, PUBLIC, "participatingUnits")


async def test_participating_units_tax_code_and_province_filters(api: Api) -> None:
    some = (await api.data(PUBLIC, {"province": "79", "first": 100}))["participatingUnits"]["edges"]
    assert some and {e["node"]["province"]["code"] for e in some} == {"79"}
    taxed = next(e["node"] for e in some if e["node"]["taxCode"])
    found = (await api.data(PUBLIC, {"taxCode": taxed["taxCode"], "first": 10}))["participatingUnits"]
    assert taxed["code"] in [e["node"]["code"] for e in found["edges"]]
    assert {e["node"]["taxCode"] for e in found["edges"]} == {taxed["taxCode"]}


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"taxCode": "12345"}, "taxCode: a tax code is 10 digits, or 10 digits, a dash and 3 digits"),
        ({"taxCode": "0123456789-12"}, "taxCode: a tax code is 10 digits"),
        ({"province": "00"}, "no province has the code '00'"),
        ({"search": "x"}, "at least 2 characters"),
    ],
)
async def test_participating_units_bad_input_specific_error(
    api: Api, variables: dict[str, Any], message: str
) -> None:
    body = await api.post(PUBLIC, {"first": 5, **variables})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert message in body["errors"][0]["message"]


async def test_unit_employees_analyst_not_ordered_by_the_masked_code(api: Api) -> None:
    """A roster in code order would place each masked code between its clear neighbours; analysts
    page through it in the internal order, with their own cursors."""
    from schema.node import parse_global_id

    units = await api.data("{ units(first: 100) { nodes { code employees { totalCount } } } }", as_="admin")
    code = max(units["units"]["nodes"], key=lambda u: u["employees"]["totalCount"])["code"]
    query = """query($u: String!, $after: String) { unit(code: $u) { employees(first: 3, after: $after) {
      nodes { id } pageInfo { endCursor hasNextPage } } } }"""
    seen: list[int] = []
    after = None
    while True:
        page = (await api.data(query, {"u": code, "after": after}, as_="analyst"))["unit"]["employees"]
        seen += [parse_global_id(n["id"])[1] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) > 3 and seen == sorted(seen) and len(set(seen)) == len(seen)
    everyone = "query($u: String!) { unit(code: $u) { employees(first: 100) { nodes { id } } } }"
    clear = (await api.data(everyone, {"u": code}, as_="admin"))["unit"]["employees"]["nodes"]
    by_code = [parse_global_id(n["id"])[1] for n in clear]
    assert sorted(by_code) == seen and by_code != seen
