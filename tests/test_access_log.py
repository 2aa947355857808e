"""'Who looked at my data': reads of someone else's private fields are logged once per request."""

from __future__ import annotations

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
