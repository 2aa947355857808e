"""Statements depend on the shape of a request, never on its rows: every list field, measured.

Each list is read with a small and a large page (and, nested, with few and many parents). The
larger request may need fewer statements (a loader's cache can already hold what a later link
needs) but never more, and each shape has a fixed ceiling: one statement per list or link of
the shape, plus the viewer's session lookup.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.paging import PAGE_INFO, walk

GOLDEN = "0113099841"
HANOI = {"latitude": 21.0285, "longitude": 105.8542}

PLACE = "id code name distanceKm address { text province { name } district { name } ward { name } } location { latitude }"

# name, query (takes $n), variables, viewer, ceiling.
LISTS: list[tuple[str, str, dict[str, Any], str | None, int]] = [
    (
        "persons",
        """query($n: Int) { persons(first: $n) { totalCount pageInfo { endCursor }
            nodes { id socialInsuranceCode fullName address { text } } } }""",
        {},
        "officer.hanoi",
        # session + page + count + one administrative-unit batch
        4,
    ),
    (
        "units",
        """query($n: Int) { units(first: $n) { totalCount nodes { id code name province { name } address { text } } } }""",
        {},
        "admin",
        4,
    ),
    (
        "participatingUnits",
        """query($n: Int) { participatingUnits(first: $n) { totalCount nodes { id code name taxCode province { name } } } }""",
        {},
        None,
        3,
    ),
    (
        "registrations",
        """query($n: Int) { registrations(first: $n) { totalCount nodes { id referenceNumber applicantName
            contactAddress { text } receivingOffice { name address { text } } } } }""",
        {},
        "admin",
        # session, page, count, offices, then one administrative-unit batch per depth (the
        # contact address, the office's address)
        6,
    ),
    (
        "offices",
        f"query($n: Int) {{ offices(first: $n) {{ totalCount nodes {{ {PLACE} }} }} }}",
        {},
        None,
        3,
    ),
    (
        "offices near",
        f"query($n: Int, $near: GeoPointInput) {{ offices(near: $near, first: $n) {{ totalCount nodes {{ {PLACE} }} }} }}",
        {"near": HANOI},
        None,
        # the radius count, the page, the total, one administrative-unit batch
        4,
    ),
    (
        "healthFacilities",
        f"""query($n: Int) {{ healthFacilities(provinceCode: "79", acceptsHealthInsurance: true, first: $n) {{
            totalCount nodes {{ {PLACE} acceptsHealthInsurance issuesSickLeave }} }} }}""",
        {},
        None,
        # + the province check
        4,
    ),
    (
        "healthFacilities near",
        f"""query($n: Int, $near: GeoPointInput) {{ healthFacilities(near: $near, search: "benh vien", first: $n) {{
            totalCount nodes {{ {PLACE} }} }} }}""",
        {"near": HANOI},
        None,
        4,
    ),
    (
        "collectionAgents",
        f"query($n: Int) {{ collectionAgents(first: $n) {{ totalCount nodes {{ {PLACE} phone }} }} }}",
        {},
        None,
        3,
    ),
    (
        "collectionAgents near",
        f"query($n: Int, $near: GeoPointInput) {{ collectionAgents(near: $near, first: $n) {{ totalCount nodes {{ {PLACE} }} }} }}",
        {"near": HANOI},
        None,
        4,
    ),
    (
        "faqs",
        "query($n: Int) { faqs(first: $n) { totalCount nodes { id question answer topic } } }",
        {},
        None,
        2,
    ),
    (
        "faqs search",
        'query($n: Int) { faqs(search: "bhxh", first: $n) { totalCount nodes { id question } } }',
        {},
        None,
        2,
    ),
    (
        "news",
        "query($n: Int) { news(first: $n) { totalCount nodes { id title publishedAt videoUrl } } }",
        {},
        None,
        2,
    ),
]


@pytest.mark.parametrize(
    ("name", "query", "variables", "viewer", "ceiling"), LISTS, ids=[x[0] for x in LISTS]
)
async def test_list_statements_independent_of_page_size(
    api: Api, name: str, query: str, variables: dict[str, Any], viewer: str | None, ceiling: int
) -> None:
    small = await api.statements(query, {**variables, "n": 5}, as_=viewer)
    large = await api.statements(query, {**variables, "n": 50}, as_=viewer)
    largest = await api.statements(query, {**variables, "n": 100}, as_=viewer)
    assert large <= small and largest <= small, (name, small, large, largest)
    assert small <= ceiling, (name, small)


# Nested lists: $p parents, $c children each. name, query, viewer, ceiling.
NESTED: list[tuple[str, str, str, int]] = [
    (
        "Person.contributionPeriods",
        """query($p: Int, $c: Int) { persons(first: $p) { nodes { id
            contributionPeriods(first: $c) { totalCount pageInfo { endCursor }
              nodes { id fromMonth toMonth salary unit { name province { name } } } } } } }""",
        "officer.hanoi",
        # session, persons, periods, period totals, units, administrative units
        6,
    ),
    (
        "Person.benefits",
        """query($p: Int, $c: Int) { persons(first: $p) { nodes { id
            benefits(first: $c) { totalCount nodes { id regime amount payingOffice { name address { text } } } } } } }""",
        "officer.hanoi",
        6,
    ),
    (
        "Person.medicalVisits",
        """query($p: Int, $c: Int) { persons(first: $p) { nodes { id
            medicalVisits(first: $c) { totalCount nodes { id diagnosis totalCost facility { name address { text } } } } } } }""",
        "officer.hanoi",
        6,
    ),
    (
        "Person.dataAccessLog",
        """query($p: Int, $c: Int) { persons(first: $p) { nodes { id
            dataAccessLog(first: $c) { totalCount nodes { at actorUsername actorRole fields operationName } } } } }""",
        "admin",
        4,
    ),
    (
        "Unit.employees",
        """query($p: Int, $c: Int) { units(first: $p) { nodes { id
            employees(first: $c) { totalCount nodes { id socialInsuranceCode fullName address { text } } } } } }""",
        "officer.hanoi",
        # session, units, employees, employee totals, administrative units
        5,
    ),
    (
        "Unit.contributionPeriods",
        """query($p: Int, $c: Int) { units(first: $p) { nodes { id
            contributionPeriods(first: $c) { totalCount nodes { id fromMonth person { fullName } } } } } }""",
        "officer.hanoi",
        # session, units, periods, period totals, persons
        5,
    ),
]


@pytest.mark.parametrize(("name", "query", "viewer", "ceiling"), NESTED, ids=[x[0] for x in NESTED])
async def test_nested_list_statements_independent_of_rows(
    api: Api, name: str, query: str, viewer: str, ceiling: int
) -> None:
    small = await api.statements(query, {"p": 5, "c": 5}, as_=viewer)
    large = await api.statements(query, {"p": 50, "c": 50}, as_=viewer)
    largest = await api.statements(query, {"p": 100, "c": 100}, as_=viewer)
    assert large <= small and largest <= small, (name, small, large, largest)
    assert small <= ceiling, (name, small)


async def test_nested_list_second_page_statements_flat(api: Api) -> None:
    """A nested page after a cursor costs what the first page does (keyset, no OFFSET)."""
    query = """query($after: String) { viewer { person { contributionPeriods(first: 2, after: $after) {
        pageInfo { endCursor } nodes { fromMonth unit { name } } } } } }"""
    first = await api.post(query, {"after": None}, as_=GOLDEN, debug=True)
    cursor = first["data"]["viewer"]["person"]["contributionPeriods"]["pageInfo"]["endCursor"]
    second = await api.post(query, {"after": cursor}, as_=GOLDEN, debug=True)
    assert second["extensions"]["debug"]["sqlStatements"] <= first["extensions"]["debug"]["sqlStatements"]


# ---------- nested lists page by page ----------

PERIODS = f"""query($first: Int, $after: String) {{ viewer {{ person {{
    contributionPeriods(first: $first, after: $after) {{ totalCount edges {{ cursor node {{ id fromMonth insuranceType }} }} {PAGE_INFO} }} }} }} }}"""
VISITS = f"""query($first: Int, $after: String) {{ viewer {{ person {{
    medicalVisits(first: $first, after: $after) {{ totalCount edges {{ cursor node {{ id admittedAt }} }} {PAGE_INFO} }} }} }} }}"""
BENEFITS = f"""query($first: Int, $after: String) {{ viewer {{ person {{
    benefits(first: $first, after: $after) {{ totalCount edges {{ cursor node {{ id decidedOn }} }} {PAGE_INFO} }} }} }} }}"""


class Nested:
    """`walk` over a list under viewer.person."""

    def __init__(self, api: Api, field: str) -> None:
        self.api, self.field = api, field

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, *, as_: str | None = None
    ) -> Any:
        return {self.field: (await self.api.data(query, variables, as_=as_))["viewer"]["person"][self.field]}


async def test_contribution_periods_pages_newest_first_once(api: Api) -> None:
    walked = await walk(
        Nested(api, "contributionPeriods"), PERIODS, "contributionPeriods", size=5, as_=GOLDEN
    )
    months = [n["fromMonth"] for n in walked]
    assert months == sorted(months, reverse=True) and len(walked) >= 20


async def test_medical_visits_pages_newest_first_once(api: Api) -> None:
    walked = await walk(Nested(api, "medicalVisits"), VISITS, "medicalVisits", size=2, as_=GOLDEN)
    admitted = [n["admittedAt"] for n in walked]
    assert admitted == sorted(admitted, reverse=True) and len(walked) >= 3


async def test_benefits_pages_newest_first_once(api: Api) -> None:
    walked = await walk(Nested(api, "benefits"), BENEFITS, "benefits", size=1, as_=GOLDEN)
    decided = [n["decidedOn"] for n in walked]
    assert decided == sorted(decided, reverse=True) and walked
