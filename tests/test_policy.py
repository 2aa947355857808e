"""The access policy, tested from its own table: every role × every guarded field × every way in.

The expected outcome of each cell comes from auth/policy.py (DECISIONS, MASKERS), so a change of
the policy changes the test; the relations and the reachability of the golden records per way in
are written out here, because they are what privacy.md promises.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLObjectType

from auth.policy import DECISIONS, FIELDS, MASKERS, Decision, Relation
from schema import schema
from tests.conftest import Api, Factory
from tests.transports import TRANSPORTS, Ways

GOLDEN = "0113099841"
CARD = "HC4010113099841"
EMPLOYER_UNIT = "01T0001"
GUARDED_TYPES = (
    "Person",
    "ContributionPeriod",
    "HealthInsuranceCard",
    "MedicalVisit",
    "Benefit",
    "Registration",
    "Unit",
    "HouseholdMember",
    "HouseholdPaymentLine",
    "Claim",
    "ClaimLine",
)

# How to select a field that is an object or a list.
SELECTIONS = {
    "Person.idDocument": "idDocument { type number }",
    "Person.address": "address { text street }",
    "Person.healthInsuranceCard": "healthInsuranceCard { id }",
    "Person.contributionPeriods": "contributionPeriods(first: 1) { totalCount }",
    "Person.participation": "participation(insuranceType: SOCIAL) { totalMonths }",
    "Person.benefits": "benefits(first: 1) { totalCount }",
    "Person.medicalVisits": "medicalVisits(first: 1) { totalCount }",
    "Person.dataAccessLog": "dataAccessLog(first: 1) { totalCount }",
    "ContributionPeriod.person": "person { id }",
    "ContributionPeriod.unit": "unit { id }",
    **{
        f"{t}.revisions": "revisions { reason changes { field before after } }"
        for t in ("ContributionPeriod", "MedicalVisit", "Benefit")
    },
    "HealthInsuranceCard.holder": "holder { id }",
    "HealthInsuranceCard.primaryCareFacility": "primaryCareFacility { code }",
    "HealthInsuranceCard.qr": "qr { payload }",
    "MedicalVisit.person": "person { id }",
    "MedicalVisit.facility": "facility { code }",
    "Benefit.person": "person { id }",
    "Benefit.payingOffice": "payingOffice { code }",
    "Registration.idDocument": "idDocument { type number }",
    "Registration.contactAddress": "contactAddress { text }",
    "Registration.receivingOffice": "receivingOffice { code }",
    "Unit.province": "province { code }",
    "Unit.address": "address { text }",
    "Unit.employees": "employees(first: 1) { totalCount }",
    "Unit.contributionPeriods": "contributionPeriods(first: 1) { totalCount }",
}


def selection(type_name: str) -> str:
    names = [f for f in FIELDS if f.startswith(type_name + ".")]
    return " ".join(SELECTIONS.get(f, f.split(".", 1)[1]) for f in names)


def test_policy_covers_every_field_of_guarded_types() -> None:
    for type_name in GUARDED_TYPES:
        graphql_type = schema._schema.type_map[type_name]
        assert isinstance(graphql_type, GraphQLObjectType)
        in_schema = {f"{type_name}.{name}" for name in graphql_type.fields}
        in_policy = {f for f in FIELDS if f.startswith(type_name + ".")}
        assert in_schema - in_policy == set(), f"fields without a policy entry: {in_schema - in_policy}"
        assert in_policy - in_schema == set(), f"policy entries for no field: {in_policy - in_schema}"


def test_policy_rules_decide_every_relation() -> None:
    from auth.policy import RULES

    for field_class, decisions in RULES.items():
        assert set(decisions) == set(Relation), field_class


# The ways into the golden person's records, with the field path down to the object.
WAYS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "person(code)": (f'{{ target: person(socialInsuranceCode: "{GOLDEN}") {{ SEL }} }}', ("target",)),
    "persons(search)": (
        '{ target: persons(search: "nguyen thanh bien", first: 1) { nodes { SEL } } }',
        ("target", "nodes", 0),
    ),
    "card.holder": (
        f'{{ c: healthInsuranceCard(number: "{CARD}") {{ target: holder {{ SEL }} }} }}',
        ("c", "target"),
    ),
    "unit.employees": (
        f'{{ u: unit(code: "{EMPLOYER_UNIT}") {{ e: employees(first: 100) {{ nodes {{ socialInsuranceCode_ SEL }} }} }} }}',
        ("u", "e", "nodes"),
    ),
}

# What each demo account is to the golden person (privacy.md), and which ways reach him.
VIEWERS: dict[str, tuple[Relation, set[str]]] = {
    GOLDEN: (Relation.SELF, {"person(code)", "persons(search)", "card.holder"}),
    "officer.hanoi": (Relation.STAFF, {"person(code)", "persons(search)", "card.holder", "unit.employees"}),
    "admin": (Relation.ADMIN, {"person(code)", "persons(search)", "card.holder", "unit.employees"}),
    # Analysts cannot look anybody up by identifier nor search names, only browse de-identified lists.
    "analyst": (Relation.ANALYST, {"unit.employees"}),
    "partner.hospital": (Relation.HOSPITAL, {"person(code)", "persons(search)", "card.holder"}),
    "partner.employer": (Relation.EMPLOYER, {"person(code)", "persons(search)", "unit.employees"}),
    "officer.hcm": (Relation.OTHER, set()),
}


def dig(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        if data is None or (isinstance(step, int) and step >= len(data)):
            return None
        data = data[step]
    return data


def forbidden_fields(body: dict[str, Any]) -> set[str]:
    out = set()
    for error in body.get("errors", []):
        assert error["extensions"]["code"] == "FORBIDDEN", error
        out.add(error["message"].removeprefix("Not allowed to read ").rstrip("."))
    return out


async def golden_truth(api: Api, type_name: str, query: str, path: tuple[Any, ...]) -> dict[str, Any]:
    body = await api.post(query.replace("SEL", selection(type_name)), as_=GOLDEN)
    assert "errors" not in body, body.get("errors")
    value = dig(body["data"], path)
    assert value, body
    return value


def check_object(
    type_name: str, relation: Relation, got: dict[str, Any], truth: dict[str, Any], denied: set[str]
) -> None:
    for field in (f for f in FIELDS if f.startswith(type_name + ".")):
        name = field.split(".", 1)[1]
        decision = DECISIONS[field][relation]
        if decision is Decision.FORBID:
            assert field in denied and got.get(name) is None, (relation, field, got.get(name))
            continue
        assert field not in denied, (relation, field)
        if field in SELECTIONS:
            if name in ("address", "contactAddress") and decision is Decision.MASK:
                assert got[name] is None or got[name].get("street") is None, (relation, field)
            continue
        expected = truth[name]
        if decision is Decision.MASK:
            masker = MASKERS.get(field)
            expected = masker(expected) if masker is not None and expected is not None else None
        assert got[name] == expected, (relation, field, got[name], expected)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("username", list(VIEWERS))
@pytest.mark.parametrize("way", list(WAYS))
async def test_person_fields_each_role_each_way_as_policy_says(
    api: Api, ways: Ways, username: str, way: str, transport: str
) -> None:
    relation, reachable = VIEWERS[username]
    query, path = WAYS[way]
    truth = await golden_truth(api, "Person", WAYS["person(code)"][0], ("target",))
    if way == "unit.employees":
        query = query.replace("socialInsuranceCode_ ", "")
    body = await ways.post(transport, query.replace("SEL", selection("Person")), as_=username)
    found = dig(body["data"], path)
    if way == "unit.employees":
        found = next((p for p in (found or []) if p["id"] == truth["id"]), None)
    if way not in reachable:
        assert found is None, (username, way, found)
        return
    assert found is not None, (username, way, body)
    check_object("Person", relation, found, truth, forbidden_fields(body))


RECORD_WAYS = {
    "ContributionPeriod": ("contributionPeriods(first: 100) { nodes { SEL } }", "contributionPeriods"),
    "MedicalVisit": ("medicalVisits(first: 100) { nodes { SEL } }", "medicalVisits"),
    "Benefit": ("benefits(first: 100) { nodes { SEL } }", "benefits"),
}


@pytest.mark.parametrize("username", [u for u in VIEWERS if u != "officer.hcm"])
@pytest.mark.parametrize("type_name", list(RECORD_WAYS))
async def test_record_fields_each_role_as_policy_says(api: Api, username: str, type_name: str) -> None:
    """Periods, visits and benefits reached through the person, by node(id:) as well."""
    relation, _ = VIEWERS[username]
    link, field = RECORD_WAYS[type_name]
    template = f'{{ target: persons(search: "nguyen thanh bien", first: 1) {{ nodes {{ {link} }} }} }}'
    truth_body = await api.post(template.replace("SEL", selection(type_name)), as_=GOLDEN)
    truths = {n["id"]: n for n in truth_body["data"]["target"]["nodes"][0][field]["nodes"]}
    link_decision = DECISIONS[f"Person.{field}"][relation]
    if relation is Relation.ANALYST:
        # Analysts search no names: they reach the person from a list, by its opaque id.
        golden_id = (await api.data("{ viewer { person { id } } }", as_=GOLDEN))["viewer"]["person"]["id"]
        by_node = f'{{ target: node(id: "{golden_id}") {{ ... on Person {{ {link} }} }} }}'
        body = await api.post(by_node.replace("SEL", selection(type_name)), as_=username)
        person = body["data"]["target"]
    else:
        body = await api.post(template.replace("SEL", selection(type_name)), as_=username)
        person = body["data"]["target"]["nodes"][0]
    if link_decision is Decision.FORBID:
        assert person[field] is None and f"Person.{field}" in forbidden_fields(body)
        return
    nodes = person[field]["nodes"]
    if relation is Relation.EMPLOYER:
        # Only the periods at the employer's own unit.
        assert 0 < len(nodes) < len(truths)
    elif relation is Relation.HOSPITAL:
        assert 0 < len(nodes) < len(truths)  # only the visits it recorded
    elif type_name == "MedicalVisit" and relation in (Relation.ADMIN, Relation.ANALYST):
        assert nodes == []
    else:
        assert len(nodes) == len(truths)
    denied = forbidden_fields(body)
    for node in nodes:
        record_relation = relation
        check_object(type_name, record_relation, node, truths[node["id"]], denied)
        by_id = await api.post(
            f"query($id: ID!) {{ node(id: $id) {{ ... on {type_name} {{ {selection(type_name)} }} }} }}",
            {"id": node["id"]},
            as_=username,
        )
        assert by_id["data"]["node"] is not None, (username, type_name)
        check_object(
            type_name, record_relation, by_id["data"]["node"], truths[node["id"]], forbidden_fields(by_id)
        )


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("username", list(VIEWERS))
async def test_health_insurance_card_fields_each_role_as_policy_says(
    api: Api, ways: Ways, username: str, transport: str
) -> None:
    relation, _ = VIEWERS[username]
    query = f'{{ target: healthInsuranceCard(number: "{CARD}") {{ {selection("HealthInsuranceCard")} }} }}'
    truth = await golden_truth(api, "HealthInsuranceCard", query, ("target",))
    body = await ways.post(transport, query, as_=username)
    found = body["data"]["target"]
    # A card check: hospitals check any card; analysts cannot look people up; other scopes as rows.
    if relation in (Relation.OTHER, Relation.EMPLOYER, Relation.ANALYST):
        assert found is None
        return
    check_object("HealthInsuranceCard", relation, found, truth, forbidden_fields(body))


async def test_out_of_scope_lookup_looks_like_not_found(api: Api, factory: Factory) -> None:
    other = await factory.citizen()
    for username in (other, "officer.hcm"):
        missing = await api.post('{ person(socialInsuranceCode: "0199999999") { id } }', as_=username)
        hidden = await api.post(f'{{ person(socialInsuranceCode: "{GOLDEN}") {{ id }} }}', as_=username)
        assert missing == hidden == {"data": {"person": None}}


async def test_anonymous_private_lookups_unauthenticated(api: Api) -> None:
    for query in (
        f'{{ person(socialInsuranceCode: "{GOLDEN}") {{ id }} }}',
        "{ persons { totalCount } }",
        f'{{ healthInsuranceCard(number: "{CARD}") {{ id }} }}',
        "{ units { totalCount } }",
        "{ registrations { totalCount } }",
    ):
        body = await api.post(query)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"], query


async def test_participating_units_public_view_only(api: Api) -> None:
    for username in (None, GOLDEN):
        body = await api.post(
            f'{{ participatingUnits(search: "cong nghe thong tin") {{ nodes {{ code name taxCode province {{ code }} {selection("Unit").split("province")[0]} employees(first: 1) {{ totalCount }} }} }} }}',
            as_=username,
        )
        node = body["data"]["participatingUnits"]["nodes"][0]
        assert node["code"] == EMPLOYER_UNIT and node["employees"] is None
        assert "Unit.employees" in forbidden_fields(body)


def test_row_scopes_one_clause_per_viewers_facts_never_shared_across_facts() -> None:
    """Row scopes are made once per viewer's scope facts (auth/scopes.py `per_scope`): two
    sessions of one person share the clause; another person, province or an admin's reason
    never get it."""
    from auth import scopes
    from auth.viewer import Role, Viewer
    from models.tables import period_t

    def bound(clause: Any) -> list[Any]:
        return sorted(map(str, clause.compile().params.values()))

    one = Viewer(account_id=1, username="0100000001", role=Role.CITIZEN, session_id=1, person_id=1)
    same_person = Viewer(account_id=1, username="0100000001", role=Role.CITIZEN, session_id=2, person_id=1)
    other_person = Viewer(account_id=2, username="0100000002", role=Role.CITIZEN, session_id=3, person_id=2)
    assert scopes.cards(one) is scopes.cards(same_person)
    assert bound(scopes.cards(other_person)) == ["2"] and bound(scopes.cards(one)) == ["1"]
    assert scopes.benefits(one, period_t.c.person_id) is not scopes.cards(one)

    hanoi = Viewer(account_id=3, username="o1", role=Role.OFFICER, province_code="01")
    hcm = Viewer(account_id=4, username="o2", role=Role.OFFICER, province_code="79")
    assert bound(scopes.persons(hanoi)) == ["01"] and bound(scopes.persons(hcm)) == ["79"]

    admin = Viewer(account_id=5, username="admin", role=Role.ADMIN)
    audited = Viewer(account_id=5, username="admin", role=Role.ADMIN, access_reason="Ticket 1")
    assert str(scopes.visits(admin).compile()) != str(scopes.visits(audited).compile())
