"""'Who looked at my data': reads of someone else's private fields are logged once per request."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import Api, Factory, codes

LOG = """query { viewer { person { dataAccessLog(first: 100) {
  totalCount nodes { at actorUsername actorRole fields operationName } } } } }"""


async def test_data_access_log_records_officer_read_with_fields_and_operation(
    api: Api, factory: Factory
) -> None:
    username = await factory.citizen()
    before = (await api.data(LOG, as_=username))["viewer"]["person"]["dataAccessLog"]["totalCount"]
    await api.data(
        f'query LookAtPhone {{ person(socialInsuranceCode: "{username}") {{ fullName phone email }} }}',
        as_="officer.hanoi" if username.startswith("01") else "admin",
    )
    log = (await api.data(LOG, as_=username))["viewer"]["person"]["dataAccessLog"]
    assert log["totalCount"] == before + 1
    newest = log["nodes"][0]
    assert newest["operationName"] == "LookAtPhone"
    assert newest["fields"] == ["Person.email", "Person.phone"]  # identity fields are not private
    assert newest["actorRole"] in ("OFFICER", "ADMIN")


async def test_data_access_log_self_reads_not_logged(api: Api, factory: Factory) -> None:
    username = await factory.citizen()
    # Others may have read this person before (analysts' masked reads are logged too).
    before = (await api.data(LOG, as_=username))["viewer"]["person"]["dataAccessLog"]["totalCount"]
    await api.data("{ viewer { person { phone email dateOfBirth } } }", as_=username)
    log = (await api.data(LOG, as_=username))["viewer"]["person"]["dataAccessLog"]
    assert log["totalCount"] == before
    assert all(n["actorUsername"] != username for n in log["nodes"])


async def test_data_access_log_one_row_per_person_per_request(api: Api) -> None:
    before = await api.data(
        '{ person(socialInsuranceCode: "0113099841") { dataAccessLog { totalCount } } }', as_="admin"
    )
    await api.data(
        """{ a: persons(search: "nguyen thanh bien") { nodes { phone } }
             b: persons(search: "nguyen thanh bien") { nodes { email dateOfBirth } } }""",
        as_="officer.hanoi",
    )
    after = await api.data(
        '{ person(socialInsuranceCode: "0113099841") { dataAccessLog { totalCount } } }', as_="admin"
    )
    # Read twice in one request: one entry.
    assert (
        after["person"]["dataAccessLog"]["totalCount"] == before["person"]["dataAccessLog"]["totalCount"] + 1
    )


async def test_data_access_log_forbidden_to_officers(api: Api) -> None:
    body = await api.post(
        '{ person(socialInsuranceCode: "0113099841") { dataAccessLog { totalCount } } }', as_="officer.hanoi"
    )
    assert codes(body) == ["FORBIDDEN"]
    assert body["data"]["person"]["dataAccessLog"] is None


async def test_medical_visits_admin_needs_a_reason_and_is_logged_with_it(api: Api) -> None:
    query = (
        '{ person(socialInsuranceCode: "0113099841") { medicalVisits(first: 1) { nodes { diagnosis } } } }'
    )
    refused = await api.post(query, as_="admin")
    assert codes(refused) == ["FORBIDDEN"]
    headers = {
        "Authorization": f"Bearer {await api.token('admin')}",
        "X-Ansinh-Access-Reason": "Ticket 4711: claim dispute",
    }
    allowed = (await api.client.post("/graphql", json={"query": query}, headers=headers)).json()
    assert "errors" not in allowed
    assert allowed["data"]["person"]["medicalVisits"]["nodes"][0]["diagnosis"]
    log = await api.data(
        '{ person(socialInsuranceCode: "0113099841") { dataAccessLog(first: 1) { nodes { actorRole fields reason } } } }',
        as_="admin",
    )
    entry = log["person"]["dataAccessLog"]["nodes"][0]
    assert entry["reason"] == "Ticket 4711: claim dispute"
    assert "MedicalVisit.diagnosis" in entry["fields"]


async def test_data_access_log_records_analyst_row_reads(api: Api) -> None:
    """Analysts read de-identified rows, but rows of real people: each read is logged (masked
    fields by name), so "who looked at my data" shows the analyst too."""
    golden = (await api.data("{ viewer { person { id } } }", as_="0113099841"))["viewer"]["person"]["id"]
    await api.data(
        f'query Browse {{ node(id: "{golden}") {{ ... on Person {{ fullName birthYear phone '
        "contributionPeriods(first: 1) { nodes { fromMonth } } } } }",
        as_="analyst",
    )
    entry = (await api.data(LOG, as_="0113099841"))["viewer"]["person"]["dataAccessLog"]["nodes"][0]
    assert entry["actorRole"] == "ANALYST" and entry["operationName"] == "Browse"
    assert {"Person.fullName", "Person.phone", "Person.contributionPeriods"} <= set(entry["fields"])


async def test_contribution_period_occupation_workplace_null_for_analysts(api: Api) -> None:
    """Occupation and workplace came back in clear: with birth year, gender and ward they single
    a person out."""
    golden = (await api.data("{ viewer { person { id } } }", as_="0113099841"))["viewer"]["person"]["id"]
    query = f'{{ node(id: "{golden}") {{ ... on Person {{ contributionPeriods(first: 100) {{ nodes {{ occupation workplace unit {{ code }} }} }} }} }} }}'
    clear = (await api.data(query, as_="admin"))["node"]["contributionPeriods"]["nodes"]
    assert any(p["occupation"] or p["workplace"] for p in clear)
    masked = (await api.data(query, as_="analyst"))["node"]["contributionPeriods"]["nodes"]
    assert len(masked) == len(clear)
    assert all(p["occupation"] is None and p["workplace"] is None and p["unit"]["code"] for p in masked)


async def test_data_access_log_many_people_written_by_one_statement(api: Api) -> None:
    """Forty people read in one request: one INSERT whose rows the database expands from one
    bound parameter (not forty parameter sets), a row per person in the order they were read,
    their fields sorted and space-joined, and the answer cache told that access_log was written."""
    from sqlalchemy import event, select

    from models.tables import access_log_t

    engine = api.app.state.runtime.engine.sync_engine
    inserts: list[tuple[str, bool]] = []

    def seen(_c: Any, _cur: Any, statement: str, _p: Any, _ctx: Any, many: bool) -> None:
        if "access_log" in statement and statement.lstrip().upper().startswith("INSERT"):
            inserts.append((statement, many))

    versions = api.app.state.runtime.caches.versions
    before = versions.now()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        body = await api.post(
            "query Forty { persons(first: 40) { nodes { id phone dateOfBirth } } }", as_="officer.hanoi"
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    people = body["data"]["persons"]["nodes"]
    assert len(people) == 40
    assert len(inserts) == 1 and not inserts[0][1]
    assert not versions.unchanged_since(frozenset({"access_log"}), before)
    async with api.app.state.runtime.sessionmaker() as session:
        rows = (
            await session.execute(
                select(access_log_t)
                .where(access_log_t.c.operation_name == "Forty")
                .order_by(access_log_t.c.id)
            )
        ).all()
    assert len(rows) == 40
    assert len({row.at for row in rows}) == 1
    assert {row.actor_username for row in rows} == {"officer.hanoi"}
    assert {row.actor_role for row in rows} == {"OFFICER"}
    assert all(row.fields == "Person.dateOfBirth Person.phone" for row in rows)
    assert len({row.person_id for row in rows}) == 40


async def test_person_reads_at_once_each_logged_and_committed_in_fewer_groups(
    api: Api, factory: Factory
) -> None:
    """Concurrent officers' queries share the access log's commits (infra/group_commit.py): every
    request's row is written before its answer, in fewer transactions than requests."""
    group = api.app.state.pipeline.access_log
    if group is None:
        pytest.skip("SQLite only: PostgreSQL commits concurrent transactions side by side itself")
    people = [await factory.citizen() for _ in range(12)]
    before = await _log_counts(api, people)
    groups_before = group.groups

    async def look(code: str) -> dict[str, Any]:
        return await api.data(
            f'query Look {{ person(socialInsuranceCode: "{code}") {{ phone }} }}',
            as_="officer.hanoi" if code.startswith("01") else "admin",
        )

    answers = await asyncio.gather(*(look(code) for code in people))
    assert all(a["person"]["phone"] for a in answers)
    assert await _log_counts(api, people) == {code: before[code] + 1 for code in people}
    assert 1 <= group.groups - groups_before < len(people)


async def _log_counts(api: Api, codes_: list[str]) -> dict[str, int]:
    counted = {}
    for code in codes_:
        body = await api.data(
            f'{{ person(socialInsuranceCode: "{code}") {{ dataAccessLog {{ totalCount }} }} }}', as_="admin"
        )
        counted[code] = body["person"]["dataAccessLog"]["totalCount"]
    return counted
