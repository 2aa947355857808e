"""The compiled read path (compiler/): the same answers as the ordinary executor, or a fallback.

The suite runs in verify mode (tests/conftest.py): every query any test sends is answered by both
executors and compared, and `_executors_agree` fails the test on a difference. These tests make
sure the compiled path is actually taken where it should be (debug `compared`), that it falls back
where it must, that a difference is caught, and what the plan cache holds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from compiler import hook
from compiler.cache import PlanCache
from compiler.plan import Plan, plain_attribute
from compiler.specs import Leaf, global_id_of, specs
from schema.node import global_id
from tests.conftest import Api, Factory, codes
from tests.transports import HTTP, TRANSPORTS

GOLDEN = "0113099841"

HOME = """{ viewer { account { username role mustChangePassword }
  person { fullName socialInsuranceCode healthInsuranceCard { number status validFrom validTo benefitLevel }
           participation(insuranceType: SOCIAL) { totalMonths years months firstMonth lastMonth } } } }"""

PERSONS = """query Persons($first: Int!, $after: String) {
  persons(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }
    edges { cursor node { id fullName } }
    nodes {
      __typename id socialInsuranceCode fullName gender birthYear dateOfBirth phone email
      healthInsuranceCard { id number status validFrom validTo benefitLevel beneficiaryGroup }
      contributionPeriods(first: 5) { totalCount nodes { id fromMonth toMonth months salary insuranceType unit { code name } } }
      medicalVisits(first: 3) { nodes { admittedAt diagnosisCode totalCost visitType route } }
    }
  }
}"""

UNITS = """query Units($units: Int, $people: Int) {
  units(first: $units) {
    totalCount
    nodes { id code name taxCode province { code name }
      staff: employees(first: $people) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { cursor node { id socialInsuranceCode fullName gender dateOfBirth phone email } }
      }
    }
  }
}"""

PERSON = """query One($code: String!) {
  person(socialInsuranceCode: $code) {
    id fullName birthYear phone
    healthInsuranceCard { number status holder { fullName } }
    contributionPeriods(first: 3) { totalCount edges { cursor node { fromMonth salary unit { name } } } }
    benefits(first: 2) { nodes { regime amount decidedOn } }
    participation(insuranceType: SOCIAL) { totalMonths }
  }
}"""

# `node` as Relay clients refetch with it: fragments on the types it may be, one answered per id.
NODE = """query Node($id: ID!) { node(id: $id) { id __typename
  ... on Person { fullName phone dateOfBirth healthInsuranceCard { number status }
    contributionPeriods(first: 2) { nodes { fromMonth unit { name } } } }
  ... on Unit { code name employees(first: 2) { nodes { fullName } } } } }"""

VIEWS: dict[str, tuple[str, dict[str, Any]]] = {
    "node-person": (NODE, {"id": global_id("Person", 1)}),
    "node-unit": (NODE, {"id": global_id("Unit", 1)}),
    "home": (HOME, {}),
    "persons": (PERSONS, {"first": 4}),
    "units": (UNITS, {"units": 3, "people": 4}),
    "person": (PERSON, {"code": GOLDEN}),
}

ROLES = [
    None,
    GOLDEN,
    "other-citizen",
    "officer.hanoi",
    "officer.hcm",
    "admin",
    "admin+reason",
    "analyst",
    "partner.hospital",
    "partner.employer",
]


async def ask(
    api: Api,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    as_: str | None = None,
    reason: bool = False,
) -> dict[str, Any]:
    headers = {"X-Ansinh-Debug": "1", "Cache-Control": "no-cache"}
    if as_ is not None:
        headers["Authorization"] = f"Bearer {await api.token(as_)}"
    if reason:
        headers["X-Ansinh-Access-Reason"] = "complaint 12/2026: record review"
    response = await api.client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def compared(body: dict[str, Any]) -> bool:
    return bool(body["extensions"]["debug"].get("compared"))


@pytest.fixture
def compiled_on(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app with the compiled path answering (not verify): its own answers and statements."""
    runtime = app.state.runtime
    monkeypatch.setattr(runtime, "settings", dataclasses.replace(runtime.settings, compiler="on"))
    yield


# ---------- the plan cache ----------


def plan(size: int) -> Plan:
    return Plan(root=None, operation=None, size=size)  # type: ignore[arg-type]


def test_plan_cache_count_bound_evicts_least_recently_used() -> None:
    cache = PlanCache(max_plans=2, max_bytes=10_000)
    cache.put("a", plan(10), 0)
    cache.put("b", plan(10), 0)
    assert cache.get("a")[0]  # a is now the most recent
    cache.put("c", plan(10), 0)
    assert len(cache) == 2
    assert "a" in cache and "c" in cache and "b" not in cache


def test_plan_cache_byte_bound_evicts_until_under() -> None:
    cache = PlanCache(max_plans=100, max_bytes=1_000)
    for key in "abcd":
        cache.put(key, plan(300), 0)
    assert cache.bytes <= 1_000
    assert len(cache) == 3 and "a" not in cache
    cache.put("e", plan(900), 50)
    assert list(cache._entries) == ["e"] and cache.bytes == 950


def test_plan_cache_larger_than_bound_not_kept() -> None:
    cache = PlanCache(max_plans=10, max_bytes=500)
    cache.put("big", plan(400), 200)
    assert len(cache) == 0 and cache.bytes == 0
    assert cache.get("big") == (False, None)


def test_plan_cache_remembers_fallback() -> None:
    cache = PlanCache(max_plans=10, max_bytes=10_000)
    cache.put("mutation", None, 10)
    assert cache.get("mutation") == (True, None)


async def test_plan_cache_bounds_hold_in_the_app(api: Api, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = app.state.runtime
    monkeypatch.setattr(
        runtime,
        "settings",
        dataclasses.replace(runtime.settings, compiler_plans=3, compiler_plan_bytes=200_000),
    )
    for n in range(6):
        body = await ask(api, f"{{ units(first: {n + 1}) {{ nodes {{ code }} }} }}", as_="admin")
        assert compared(body)
    cache = hook.plan_cache(runtime.settings)
    assert len(cache) == 3 and cache.bytes <= 200_000


# ---------- the compiled path is taken, and agrees ----------


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("role", ROLES)
async def test_views_policy_same_as_each_role(
    api: Api, factory: Factory, view: str, role: str | None
) -> None:
    """Each targeted view as each role: where the plan answers, verify mode has compared it
    byte for byte and the access-log reads too (`_executors_agree`); where the ordinary
    executor refuses a field, the plan fell back and the refusal is the ordinary one."""
    query, variables = VIEWS[view]
    username = await factory.citizen() if role == "other-citizen" else role
    if role == "admin+reason":
        username = "admin"
    body = await ask(api, query, variables, as_=username, reason=role == "admin+reason")
    if "FORBIDDEN" in codes(body) or "UNAUTHENTICATED" in codes(body):
        assert not compared(body), "a refusal is the ordinary executor's own"
    elif body.get("errors") is None:
        assert compared(body), f"{view} as {role} should have been compiled"


@pytest.mark.parametrize(
    ("view", "role"),
    [
        ("home", GOLDEN),
        ("persons", "officer.hanoi"),
        ("units", "admin"),
        ("units", "analyst"),
        ("person", "admin+reason"),
        ("node-person", GOLDEN),
        ("node-person", "officer.hanoi"),
        ("node-unit", "admin"),
    ],
)
async def test_views_compiled_where_nothing_is_refused(api: Api, view: str, role: str) -> None:
    query, variables = VIEWS[view]
    body = await ask(api, query, variables, as_=role.split("+")[0], reason=role.endswith("+reason"))
    assert "errors" not in body, body["errors"]
    assert compared(body)


async def test_views_compiled_answer_when_on(api: Api, compiled_on: None) -> None:
    body = await ask(api, UNITS, {"units": 2, "people": 3}, as_="admin")
    assert body["extensions"]["debug"]["executor"] == "compiled"
    assert len(body["data"]["units"]["nodes"]) == 2


async def test_views_statements_compiled_independent_of_rows(api: Api, compiled_on: None) -> None:
    """One statement per list level: the same count for 2 and 20 parents, and what test_lists
    allows the ordinary path (session, page, count, one batch per link)."""
    counts = []
    for first in (2, 20):
        body = await ask(api, PERSONS, {"first": first}, as_="officer.hanoi")
        assert body["extensions"]["debug"]["executor"] == "compiled"
        counts.append(body["extensions"]["debug"]["sqlStatements"])
    # session, page, count, cards, periods, period count, units, visits; a level with no rows
    # (two people without a period) loads nothing below it, so the smaller page may run fewer.
    assert counts[0] <= counts[1] <= 8
    small = await ask(api, UNITS, {"units": 2, "people": 2}, as_="admin")
    large = await ask(api, UNITS, {"units": 20, "people": 50}, as_="admin")
    # session, units, unit count, provinces, employees, employee counts
    assert small["extensions"]["debug"]["sqlStatements"] == large["extensions"]["debug"]["sqlStatements"] <= 6


async def test_views_pages_follow_cursors(api: Api) -> None:
    first = await ask(api, PERSONS, {"first": 3}, as_="officer.hanoi")
    assert compared(first)
    after = first["data"]["persons"]["pageInfo"]["endCursor"]
    second = await ask(api, PERSONS, {"first": 3, "after": after}, as_="officer.hanoi")
    assert compared(second)
    assert second["data"]["persons"]["pageInfo"]["hasPreviousPage"] is True
    seen = {n["id"] for n in first["data"]["persons"]["nodes"]}
    assert not seen & {n["id"] for n in second["data"]["persons"]["nodes"]}


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_views_compiled_over_every_transport(ways: Any, app: Any, transport: str) -> None:
    cache = hook.plan_cache(app.state.runtime.settings)
    # An alias of its own per transport: not an answer the cache already holds.
    alias = transport.replace("-", "_")
    query = f"query Ways {{ units(first: 2) {{ nodes {{ {alias}: code employees(first: 2) {{ nodes {{ fullName }} }} }} }} }}"
    before = cache.hits + cache.misses
    body = await ways.post(transport, query, as_="admin")
    assert "errors" not in body, body
    assert len(body["data"]["units"]["nodes"]) == 2
    assert cache.hits + cache.misses > before, "the plan was looked up: the compiled path ran"


# ---------- fallback ----------

FALLBACKS = {
    "introspection": ("{ __schema { queryType { name } } }", None),
    "node of a type without a plan": ('{ node(id: "T2ZmaWNlOjE") { id } }', "admin"),  # Office:1
    "statistics refused": ("{ visitStatistics(groupBy: [YEAR]) { visits } }", "partner.hospital"),
    "unknown field": ("{ persons(first: 2) { nodes { address { text } } } }", "officer.hanoi"),
    "unknown root field": ("{ participatingUnits(first: 2) { nodes { code } } }", None),
    "unknown link": ("{ units(first: 2) { nodes { address { text } } } }", "admin"),
    "mutation": ("mutation { logout }", None),
    "interface fragment": ("{ persons(first: 2) { nodes { ... on Node { id } } } }", "officer.hanoi"),
}


@pytest.mark.parametrize("what", list(FALLBACKS))
async def test_fallback_ordinary_executor_answers(api: Api, what: str) -> None:
    query, username = FALLBACKS[what]
    body = await ask(api, query, as_=username)
    if what == "interface fragment":
        # A fragment on an interface the object implements is collected as graphql-core does.
        assert compared(body)
    else:
        assert not compared(body), body
        assert body["extensions"]["debug"]["executor"] == "ordinary"


STATISTICS = {
    "contributions by province": (
        "{ contributionStatistics(groupBy: [PROVINCE, YEAR], fromYear: 2018) "
        "{ __typename provinceCode year insuranceType unitCode headcount personMonths salaryMonths contributions } }",
        "analyst",
    ),
    "contributions of one type": (
        "{ s: contributionStatistics(groupBy: [INSURANCE_TYPE], insuranceType: HEALTH) "
        "{ insuranceType headcount contributions } }",
        "admin",
    ),
    "visits by facility": (
        "{ visitStatistics(groupBy: [FACILITY, VISIT_TYPE]) "
        "{ facilityCode provinceCode icdChapter year visitType visits patients totalCost insurancePaid patientPaid } }",
        "analyst",
    ),
    "visits of the officer's province": (
        '{ visitStatistics(groupBy: [ICD_CHAPTER], provinceCode: "01") { icdChapter patients } }',
        "officer.hanoi",
    ),
}


@pytest.mark.parametrize("what", list(STATISTICS))
async def test_statistics_compiled_same_answer(api: Api, what: str) -> None:
    """The analysts' aggregates (flat lists of groups, suppressed by resolvers/statistics.py) are
    answered by plans: verify mode compares them with the ordinary executor, byte for byte."""
    query, username = STATISTICS[what]
    body = await ask(api, query, as_=username)
    assert "errors" not in body, body
    assert compared(body), body


async def test_fallback_forbidden_field_error_is_the_ordinary_one(api: Api, compiled_on: None) -> None:
    """ADMIN without a reason reads no diagnosis: the plan falls back at run time and the error
    (message, path, extensions) is the ordinary executor's."""
    body = await ask(api, PERSONS, {"first": 2}, as_="admin")
    assert body["extensions"]["debug"]["executor"] == "ordinary"
    assert "FORBIDDEN" in codes(body)
    assert body["errors"][0]["path"][:3] == ["persons", "nodes", 0]


@pytest.mark.parametrize("include", [True, False])
async def test_fallback_not_needed_for_directives(api: Api, include: bool) -> None:
    query = "query D($i: Boolean!) { units(first: 2) { nodes { code name @include(if: $i) taxCode @skip(if: $i) } } }"
    body = await ask(api, query, {"i": include}, as_="admin")
    assert compared(body)
    node = body["data"]["units"]["nodes"][0]
    assert ("name" in node) is include and ("taxCode" in node) is not include


async def test_fallback_bad_variables_ordinary_error(api: Api) -> None:
    body = await ask(api, PERSONS, {"first": "many"}, as_="officer.hanoi")
    assert body["errors"] and not compared(body)


@pytest.mark.parametrize(
    "after",
    ["not-a-cursor", "A" * 600, "QUJD", ""],
)
async def test_forged_cursors_refused_as_by_the_ordinary_path(
    api: Api, after: str, compiled_on: None
) -> None:
    body = await ask(api, PERSONS, {"first": 2, "after": after}, as_="officer.hanoi")
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert body["extensions"]["debug"]["executor"] == "ordinary"
    nested = await ask(
        api,
        "query($a: String) { units(first: 2) { nodes { employees(first: 2, after: $a) { nodes { id } } } } }",
        {"a": after},
        as_="admin",
    )
    assert "BAD_USER_INPUT" in codes(nested)
    assert nested["extensions"]["debug"]["executor"] == "ordinary"


async def test_forged_cursors_of_another_viewer_refused(api: Api, compiled_on: None) -> None:
    first = await ask(api, PERSONS, {"first": 2}, as_="officer.hanoi")
    cursor = first["data"]["persons"]["pageInfo"]["endCursor"]
    body = await ask(api, PERSONS, {"first": 2, "after": cursor}, as_="officer.hcm")
    assert codes(body) == ["BAD_USER_INPUT"]


# ---------- verify mode catches a difference ----------


@pytest.fixture
def fresh_plans(app: Any) -> Iterator[None]:
    cache = hook.plan_cache(app.state.runtime.settings)
    cache.clear()
    yield
    cache.clear()


async def test_verify_catches_a_different_answer(
    api: Api, monkeypatch: pytest.MonkeyPatch, fresh_plans: None
) -> None:
    unit = specs()["Unit"]
    monkeypatch.setitem(unit.leaves, "name", Leaf(None, lambda row: row.name + "!"))
    start = len(hook.MISMATCHES)
    await ask(api, "{ units(first: 2) { nodes { name } } }", as_="admin")
    found = hook.MISMATCHES[start:]
    del hook.MISMATCHES[start:]  # caught on purpose: not a failure of this test
    assert [m.what for m in found] == ["answer"]
    assert '!"' in found[0].compiled and '!"' not in found[0].ordinary


def shifted_owner(row: Any) -> int:
    return int(row.id) + 1


async def test_verify_catches_different_access_reads(
    api: Api, monkeypatch: pytest.MonkeyPatch, fresh_plans: None
) -> None:
    person = specs()["Person"]
    monkeypatch.setitem(specs(), "Person", dataclasses.replace(person, owner=shifted_owner))
    start = len(hook.MISMATCHES)
    await ask(api, "{ units(first: 1) { nodes { employees(first: 2) { nodes { phone } } } } }", as_="admin")
    found = hook.MISMATCHES[start:]
    del hook.MISMATCHES[start:]
    assert [m.what for m in found] == ["access"]


async def test_verify_catches_a_plan_statement_failing_where_the_ordinary_one_answers(
    api: Api, monkeypatch: pytest.MonkeyPatch, fresh_plans: None
) -> None:
    """A narrowed statement is the plan's own: if it fails and the ordinary executor's does not,
    verify mode reports it (in "on" mode the ordinary executor would answer, silently slower)."""
    from sqlalchemy import literal_column

    import resolvers.children as children
    from models import statements

    monkeypatch.setattr(statements, "SHAPES", statements.Shapes())  # built again, through _only
    real = children._only
    monkeypatch.setattr(
        children,
        "_only",
        lambda statement, keep: (
            real(statement, keep).where(literal_column("no_such_column") == 1)
            if keep is not None
            else statement
        ),
    )
    start = len(hook.MISMATCHES)
    body = await ask(
        api, "{ units(first: 2) { nodes { employees(first: 2) { nodes { phone } } } } }", as_="admin"
    )
    found = hook.MISMATCHES[start:]
    del hook.MISMATCHES[start:]
    assert "errors" not in body and body["data"]["units"]["nodes"]
    assert [m.what for m in found] == ["crash"] and "no_such_column" in found[0].compiled


# ---------- the pieces ----------


@pytest.mark.parametrize("pk", [0, 1, 7, 99, 12345, 2**31, 10**15])
def test_global_id_same_as_schema(pk: int) -> None:
    class Row:
        id = pk

    for name in ("Person", "Unit", "HealthInsuranceCard"):
        assert global_id_of(name)(Row()) == global_id(name, pk)


def test_plain_attribute_only_for_plain_reads() -> None:
    assert plain_attribute(lambda r: r.full_name) == "full_name"
    assert plain_attribute(lambda r: r.a.b) is None
    assert plain_attribute(lambda r: r.date_of_birth.year if r.date_of_birth else None) is None

    def with_default(r: Any, s: int = 1) -> Any:
        return r.x

    assert plain_attribute(with_default) is None


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_statistics_compiled_same_suppression_and_refusal_on_every_transport(
    ways: Any, app: Any, transport: str
) -> None:
    """The aggregates' plans run on every way in; analysts get the same suppressed groups (verify
    mode compares them there too) and a hospital is refused with the ordinary executor's error."""
    cache = hook.plan_cache(app.state.runtime.settings)
    alias = transport.replace("-", "_")
    query = f"{{ {alias}: visitStatistics(groupBy: [FACILITY]) {{ facilityCode patients totalCost }} }}"
    before = cache.hits + cache.misses
    body = await ways.post(transport, query, as_="analyst")
    assert "errors" not in body, body
    groups = body["data"][alias]
    assert groups and any(g["patients"] is None for g in groups), "small groups are suppressed"
    assert cache.hits + cache.misses > before, "the plan was looked up: the compiled path ran"
    refused = await ways.post(transport, query, as_="partner.hospital")
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"], refused


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_contribution_statistics_units_same_scope_and_suppression_on_every_transport(
    ways: Any, transport: str
) -> None:
    """Groups by unit on every way in, as each role that may or may not ask: analysts get small
    units suppressed (every measure null), an officer their own province's people only and nothing
    of another's, a hospital and a citizen nothing."""
    alias = transport.replace("-", "_")

    def query(province: str = "") -> str:
        where = f', provinceCode: "{province}"' if province else ""
        return (
            f"{{ {alias}: contributionStatistics(groupBy: [UNIT]{where}, insuranceType: SOCIAL) "
            "{ unitCode headcount personMonths salaryMonths contributions } }"
        )

    analyst = await ways.post(transport, query(), as_="analyst")
    assert "errors" not in analyst, analyst
    groups = analyst["data"][alias]
    hidden = [g for g in groups if g["headcount"] is None]
    assert hidden and all(g["salaryMonths"] is None and g["contributions"] is None for g in hidden)
    officer = await ways.post(transport, query(), as_="officer.hanoi")
    assert "errors" not in officer, officer
    # An officer's units are those of their province's people (at units at home or elsewhere), as
    # an admin asking for that province gets them, small ones included.
    own = await ways.post(transport, query("01"), as_="admin")
    assert officer["data"][alias] == own["data"][alias] and officer["data"][alias]
    assert all(g["headcount"] is not None for g in officer["data"][alias]), "officers see small units"
    for province, who in (("79", "officer.hanoi"), ("", "partner.hospital"), ("", "0113099841")):
        refused = await ways.post(transport, query(province), as_=who)
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"], (who, refused)


FALLING_BACK = """{ contributionStatistics(groupBy: PROVINCE, insuranceType: HEALTH, provinceCode: "48") {
  personMonths year headcount salaryMonths }
  units { edges { node { contributionPeriods(first: 4, insuranceType: HEALTH) { totalCount }
    employees { totalCount } name province { name code } } }
    pageInfo { hasNextPage endCursor } totalCount nodes { code } } }"""


@pytest.mark.parametrize("who", [GOLDEN, "partner.hospital", "partner.employer"])
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_query_falling_back_at_run_time_answered_as_by_the_ordinary_executor_alone(
    ways: Any, app: Any, transport: str, who: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan that falls back at run time leaves nothing behind for the ordinary executor: its
    answer, errors included, is the one the ordinary executor gives alone, as each role refused
    the statistics. A lookup the plan had warmed (the province, before the viewer is refused
    statistics) once let that refusal come before the other root field's reads, which graphql-core
    then cancelled: the units' errors were left out."""
    runtime = app.state.runtime
    base = runtime.settings
    answers: dict[str, list[dict[str, Any]]] = {}
    for mode in ("off", "on", "on"):  # the second `on`: the plan is known to fall back by now
        monkeypatch.setattr(runtime, "settings", dataclasses.replace(base, compiler=mode))
        body = await ways.post(transport, FALLING_BACK, as_=who)
        answers.setdefault(mode, []).append({"data": body.get("data"), "errors": body.get("errors")})
    alone = answers["off"][0]
    assert alone["data"] is None and "FORBIDDEN" in codes(alone)
    if who == GOLDEN:
        assert codes(alone) == ["FORBIDDEN"] * 5  # two units' two lists, statistics
    assert answers["on"] == [alone, alone]


NODE_OF = {
    "person": global_id("Person", 1),
    "unit": global_id("Unit", 1),
    "office": global_id("Office", 1),  # no plan: falls back at run time
    "forged": "UGVyc29uOjk5OTk5OTk5OTk5OTk5OTk5OTk5",  # Person:9999… past 18 digits: BAD_USER_INPUT
    "absent": global_id("Person", 999_999),
}


@pytest.mark.parametrize("what", list(NODE_OF))
@pytest.mark.parametrize("who", [None, GOLDEN, "officer.hanoi", "officer.hcm", "analyst", "partner.employer"])
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_node_compiled_same_as_the_ordinary_executor_on_every_transport(
    ways: Any, app: Any, transport: str, who: str | None, what: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """node(id:) over HTTP and both WebSocket protocols, as each role, for ids in scope, out of it,
    of a type without a plan, absent and forged: the plan answers (or falls back to) exactly what
    the ordinary executor answers, data, masks, nulls and errors."""
    runtime = app.state.runtime
    base = runtime.settings
    answers = {}
    executors = {}
    debug = {"X-Ansinh-Debug": "1"} if transport == HTTP else None
    for mode in ("off", "on"):
        monkeypatch.setattr(runtime, "settings", dataclasses.replace(base, compiler=mode))
        # A text of its own per executor: the answer cache (keyed by the text) may not answer the
        # second from the first, and the WebSocket protocols carry no Cache-Control.
        text = f"# {mode}\n{NODE}"
        body = await ways.post(transport, text, {"id": NODE_OF[what]}, as_=who, headers=debug)
        answers[mode] = {"data": body.get("data"), "errors": body.get("errors")}
        executors[mode] = ((body.get("extensions") or {}).get("debug") or {}).get("executor")
    assert answers["on"] == answers["off"]
    if what == "forged":
        assert codes(answers["on"]) == ["BAD_USER_INPUT"]
    if transport == HTTP and what in ("person", "unit") and who in ("officer.hanoi", "analyst"):
        assert executors["on"] == "compiled" and answers["on"]["data"]["node"] is not None


# ---------- the columns a plan reads ----------


def _reader_passes_the_row_on(r: Any) -> Any:
    return global_id("Person", r.id) + str(vars(r))


def test_read_by_only_attribute_reads_of_the_row() -> None:
    from operator import attrgetter

    from compiler.columns import read_by

    assert read_by(lambda r: r.full_name) == {"full_name"}
    assert read_by(lambda r: r.date_of_birth.year if r.date_of_birth else None) == {"date_of_birth"}
    assert read_by(lambda viewer, row: (viewer.role, row.id, row.province_scope), 1) == {
        "id",
        "province_scope",
    }
    assert read_by(attrgetter("person_id", "unit.code")) == {"person_id", "unit"}
    assert read_by(lambda r: 0) == frozenset()
    # The row handed to something else, indexed, captured or renamed: unknown, every column.
    assert read_by(_reader_passes_the_row_on) is None
    assert read_by(lambda r: r[0]) is None
    assert read_by(lambda r: [r.x for _ in range(2)]) is None
    assert read_by(lambda r: getattr(r, "phone")) is None  # noqa: B009
    assert read_by(len) is None


def test_plan_with_a_leaf_reading_more_than_attributes_narrows_nothing() -> None:
    from compiler.plan import ConnectionPlan, LeafField, NodesPart, ObjectPlan

    person = specs()["Person"]
    plain = ObjectPlan(person, [LeafField("phone", person.leaves["phone"], str, False, "str")])
    assert plain.columns == {"phone", "id", "province_scope"}  # the leaf, the relation, the owner
    opaque = ObjectPlan(person, [LeafField("x", Leaf(None, _reader_passes_the_row_on), str, False, "str")])
    assert opaque.columns is None
    assert ConnectionPlan("PersonConnection", [NodesPart("nodes", plain)]).columns == plain.columns
    assert ConnectionPlan("PersonConnection", [NodesPart("a", plain), NodesPart("b", opaque)]).columns is None
    assert ConnectionPlan("PersonConnection", []).columns == frozenset()


@pytest.mark.parametrize("role", ["admin", "officer.hanoi", "analyst"])
async def test_units_employees_compiled_selects_only_what_the_view_reads(
    api: Api, compiled_on: None, role: str
) -> None:
    """The roster's statement carries the columns the plan reads (the seven fields, the relation's
    and the batch's own), not the seventeen of a person, and answers as the ordinary path does."""
    from sqlalchemy import event

    engine = api.app.state.runtime.engine.sync_engine
    seen: list[str] = []

    def capture(_c: Any, _cur: Any, statement: str, _p: Any, _ctx: Any, _many: bool) -> None:
        if "unit_member" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    variables = {"units": 3, "people": 4}
    event.listen(engine, "before_cursor_execute", capture)
    try:
        body = await ask(api, UNITS, variables, as_=role)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert body["extensions"]["debug"]["executor"] == "compiled"
    (page, *_) = [s for s in seen if "LIMIT" in s.upper()]
    selected = page[: page.upper().index("FROM")]
    for column in (
        "social_insurance_code",
        "full_name",
        "date_of_birth",
        "phone",
        "province_scope",
        "unit_id",
    ):
        assert column in selected
    for column in ("street", "id_number", "search_name", "ward_code", "address_scheme"):
        assert column not in selected
    hook_settings = api.app.state.runtime.settings
    api.app.state.runtime.settings = dataclasses.replace(hook_settings, compiler="off")
    try:
        ordinary = await ask(api, UNITS, variables, as_=role)
    finally:
        api.app.state.runtime.settings = hook_settings
    assert ordinary["extensions"]["debug"].get("executor") != "compiled"
    assert body["data"] == ordinary["data"] and body.get("errors") == ordinary.get("errors")


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("role", ["admin", "officer.hanoi", "analyst", "partner.employer"])
async def test_units_employees_narrowed_over_every_transport_as_every_staff_role(
    ways: Any, app: Any, transport: str, role: str
) -> None:
    """Over HTTP and both WebSocket protocols, as each role that may list units: the compiled
    roster reads only the view's columns, and (verify mode, which the suite runs in) its answer,
    masks and access-log reads are the ordinary executor's; the answer is the same on every way in."""
    from sqlalchemy import event

    engine = app.state.runtime.engine.sync_engine
    seen: list[str] = []

    def capture(_c: Any, _cur: Any, statement: str, _p: Any, _ctx: Any, _many: bool) -> None:
        if "unit_member" in statement and "LIMIT" in statement.upper():
            seen.append(statement[: statement.upper().index("FROM")])

    alias = transport.replace("-", "_")  # not an answer the cache already holds
    # An employer may not read its employees' birth dates or phones (FORBIDDEN, as ordinarily).
    fields = "socialInsuranceCode fullName" + ("" if role == "partner.employer" else " dateOfBirth phone")
    query = f"""{{ units(first: 3) {{ nodes {{ {alias}: code
      employees(first: 4) {{ nodes {{ {fields} }} }} }} }} }}"""
    start = len(hook.MISMATCHES)
    event.listen(engine, "before_cursor_execute", capture)
    try:
        body = await ways.post(transport, query, as_=role)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert hook.MISMATCHES[start:] == []
    assert "errors" not in body, body
    ordinary = await ways.post(HTTP, query.replace(f"{alias}:", "code_again:"), as_=role)
    assert [u["employees"] for u in body["data"]["units"]["nodes"]] == [
        u["employees"] for u in ordinary["data"]["units"]["nodes"]
    ]
    if any(u["employees"]["nodes"] for u in body["data"]["units"]["nodes"]):
        narrowed = [s for s in seen if "street" not in s and "id_number" not in s]
        assert narrowed and all("full_name" in s and "province_scope" in s for s in narrowed)
        assert all(("phone" in s) == ("phone" in fields) for s in narrowed)
