"""`node(id:)`: every Node type round-trips for a viewer who may see it, and is null otherwise."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.conftest import Api, Factory, codes

GOLDEN = "0113099841"
OTHER_CITIZEN = "another citizen"  # made by the factory: signed in, unrelated

# type, query reaching one object (its selection is `{ SELECTION }`), path to it, a viewer who
# may see it, the field compared, viewers for whom it is out of scope.
CASES: list[tuple[str, str, list[Any], str | None, str, list[str | None]]] = [
    (
        "Person",
        "{ viewer { person SELECTION } }",
        ["viewer", "person"],
        GOLDEN,
        "socialInsuranceCode",
        [None, "officer.hcm", OTHER_CITIZEN],
    ),
    (
        "Unit",
        '{ unit(code: "01T0001") SELECTION }',
        ["unit"],
        "officer.hanoi",
        "code",
        [None, "officer.hcm", "partner.hospital"],
    ),
    (
        "ContributionPeriod",
        "{ viewer { person { contributionPeriods(insuranceType: SOCIAL, first: 1) { nodes SELECTION } } } }",
        ["viewer", "person", "contributionPeriods", "nodes", 0],
        GOLDEN,
        "fromMonth",
        [None, "officer.hcm", "partner.hospital", OTHER_CITIZEN],
    ),
    (
        "HealthInsuranceCard",
        "{ viewer { person { healthInsuranceCard SELECTION } } }",
        ["viewer", "person", "healthInsuranceCard"],
        GOLDEN,
        "number",
        [None, "officer.hcm", "partner.employer"],
    ),
    (
        "MedicalVisit",
        "{ viewer { person { medicalVisits(first: 1) { nodes SELECTION } } } }",
        ["viewer", "person", "medicalVisits", "nodes", 0],
        GOLDEN,
        "admittedAt",
        [None, "officer.hcm", "admin", "analyst", "partner.employer"],
    ),
    (
        "Benefit",
        "{ viewer { person { benefits(first: 1) { nodes SELECTION } } } }",
        ["viewer", "person", "benefits", "nodes", 0],
        GOLDEN,
        "decidedOn",
        [None, "officer.hcm", "partner.employer", "partner.hospital"],
    ),
    (
        "Registration",
        "{ registrations(first: 1) { nodes SELECTION } }",
        ["registrations", "nodes", 0],
        GOLDEN,
        "referenceNumber",
        [None, "officer.hcm", "analyst", "partner.employer"],
    ),
    (
        "Office",
        '{ offices(provinceCode: "01") { nodes SELECTION } }',
        ["offices", "nodes", 0],
        None,
        "code",
        [],
    ),
    (
        "HealthFacility",
        '{ healthFacilities(search: "bach mai") { nodes SELECTION } }',
        ["healthFacilities", "nodes", 0],
        None,
        "code",
        [],
    ),
    (
        "CollectionAgent",
        "{ collectionAgents(first: 1) { nodes SELECTION } }",
        ["collectionAgents", "nodes", 0],
        None,
        "code",
        [],
    ),
    ("Faq", "{ faqs(first: 1) { nodes SELECTION } }", ["faqs", "nodes", 0], None, "question", []),
    ("NewsArticle", "{ news(first: 1) { nodes SELECTION } }", ["news", "nodes", 0], None, "title", []),
]
NODE = "query($id: ID!) { node(id: $id) { __typename id ... on TYPE { FIELD } } }"


_citizen: list[str] = []


async def other_citizen(factory: Factory) -> str:
    if not _citizen:
        _citizen.append(await factory.citizen())
    return _citizen[0]


def dig(data: Any, path: list[Any]) -> Any:
    for step in path:
        data = data[step]
    return data


async def reach(api: Api, case: tuple[str, str, list[Any], str | None, str, list[str | None]]) -> Any:
    _, query, path, viewer, field, _ = case
    return dig(await api.data(query.replace("SELECTION", f"{{ id {field} }}"), as_=viewer), path)


def node_query(type_name: str, field: str) -> str:
    return NODE.replace("TYPE", type_name).replace("FIELD", field)


def raw_id(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
async def test_node_round_trip_same_object(api: Api, case: Any) -> None:
    type_name, _, _, viewer, field, _ = case
    expected = await reach(api, case)
    data = await api.data(node_query(type_name, field), {"id": expected["id"]}, as_=viewer)
    assert data["node"] == {"__typename": type_name, **expected}


@pytest.mark.parametrize("case", [c for c in CASES if c[5]], ids=[c[0] for c in CASES if c[5]])
async def test_node_out_of_scope_null_like_absent(api: Api, factory: Factory, case: Any) -> None:
    type_name, _, _, _, field, outsiders = case
    expected = await reach(api, case)
    for outsider in outsiders:
        viewer = await other_citizen(factory) if outsider == OTHER_CITIZEN else outsider
        body = await api.post(node_query(type_name, field), {"id": expected["id"]}, as_=viewer)
        assert body["data"] == {"node": None}, (type_name, viewer)
        assert "errors" not in body, (type_name, viewer)


@pytest.mark.parametrize("type_name", [c[0] for c in CASES])
async def test_node_absent_row_null(api: Api, type_name: str) -> None:
    body = await api.post(
        "query($id: ID!) { node(id: $id) { id } }", {"id": raw_id(f"{type_name}:987654321")}, as_="admin"
    )
    assert body == {"data": {"node": None}}


async def test_node_unknown_type_null(api: Api) -> None:
    body = await api.post(
        "query($id: ID!) { node(id: $id) { id } }", {"id": raw_id("Account:1")}, as_="admin"
    )
    assert body == {"data": {"node": None}}


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not-an-id",
        raw_id("Person"),
        raw_id("Person:abc"),
        raw_id("Person:-1"),
        raw_id(":1"),
        "%%%",
        raw_id("Person:" + "9" * 30),
    ],
)
async def test_node_malformed_id_bad_user_input(api: Api, value: str) -> None:
    body = await api.post("query($id: ID!) { node(id: $id) { id } }", {"id": value}, as_="admin")
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "is not an id of this API" in body["errors"][0]["message"]
    assert body["data"] == {"node": None}


async def test_node_id_of_a_connection_matches_its_node(api: Api) -> None:
    """Ids are the same wherever an object appears: in a list, a link, or by id."""
    data = await api.data(
        "{ viewer { person { id healthInsuranceCard { holder { id } primaryCareFacility { id code } } } } }",
        as_=GOLDEN,
    )
    person = data["viewer"]["person"]
    assert person["healthInsuranceCard"]["holder"]["id"] == person["id"]
    facility = person["healthInsuranceCard"]["primaryCareFacility"]
    again = await api.data(node_query("HealthFacility", "code"), {"id": facility["id"]})
    assert again["node"]["code"] == facility["code"]
