"""Every rule holds on every way in: HTTP, graphql-transport-ws and the legacy graphql-ws.

Each test here attacks a rule that once held over HTTP only; each runs over all three transports.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from sqlalchemy import func, select

from models.tables import access_log_t, person_t
from tests.conftest import Api, Factory, codes, emit_event, eventually
from tests.test_cache import HOME, issued, signed_in
from tests.test_entry import SUSPEND
from tests.transports import HTTP, LEGACY_WS, TRANSPORT_WS, TRANSPORTS, Ways, receive

GOLDEN = "0113099841"


async def access_rows(api: Api, code: str) -> int:
    async with api.app.state.runtime.sessionmaker() as session:
        person_id = (
            await session.execute(select(person_t.c.id).where(person_t.c.social_insurance_code == code))
        ).scalar_one()
        return int(
            await session.scalar(
                select(func.count()).select_from(access_log_t).where(access_log_t.c.person_id == person_id)
            )
            or 0
        )


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_person_private_read_by_officer_logged_on_every_transport(
    api: Api, ways: Ways, factory: Factory, transport: str
) -> None:
    code = await factory.citizen()
    before = await access_rows(api, code)
    body = await ways.post(
        transport,
        "query PhoneLookup($c: String!) { person(socialInsuranceCode: $c) { phone dateOfBirth idDocument { number } } }",
        {"c": code},
        as_="officer.hanoi" if code.startswith("01") else "admin",
    )
    assert "errors" not in body, body
    assert body["data"]["person"]["phone"]
    assert await access_rows(api, code) == before + 1


@pytest.mark.parametrize("transport", [TRANSPORT_WS, LEGACY_WS])
async def test_events_node_read_by_officer_logged_per_event(
    api: Api, live_server: str, transport: str
) -> None:
    """A subscription event that shows someone's private data is in their access log."""
    from models.tables import card_t

    async with api.app.state.runtime.sessionmaker() as session:
        person_id, card_id = (
            await session.execute(
                select(person_t.c.id, card_t.c.id)
                .join(card_t, card_t.c.person_id == person_t.c.id)
                .where(person_t.c.social_insurance_code == GOLDEN)
                .limit(1)
            )
        ).one()
    before = await access_rows(api, GOLDEN)
    query = """subscription { events(types: [CARD_UPDATED]) { cursor
      node { ... on HealthInsuranceCard { number holder { phone dateOfBirth } } } } }"""
    async with websockets.connect(live_server, subprotocols=[websockets.Subprotocol(transport)]) as ws:
        token = await api.token("officer.hanoi")
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert (await receive(ws))["type"] == "connection_ack"
        hub = api.app.state.runtime.hub
        already = set(hub.subscribers)
        start = "subscribe" if transport == TRANSPORT_WS else "start"
        await ws.send(json.dumps({"id": "e", "type": start, "payload": {"query": query}}))
        await _subscribed(api, already, 1)
        await emit_event(
            api.app, "CARD_UPDATED", "HealthInsuranceCard", card_id, province_code="01", person_id=person_id
        )
        message = await receive(ws)
        assert message["type"] in ("next", "data"), message
        assert message["payload"]["data"]["events"]["node"]["holder"]["phone"], message

    async def logged() -> bool:  # the event's flush happens as the event is sent
        return await access_rows(api, GOLDEN) == before + 1

    await eventually(logged)


async def _subscribed(api: Api, before: set[Any], count: int) -> None:
    """Waits for `count` subscribers more than `before` (others may come and go meanwhile)."""
    hub = api.app.state.runtime.hub
    await eventually(lambda: len(hub.subscribers - before) >= count)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_partner_query_off_the_allow_list_refused_in_production_on_every_transport(
    api: Api, production_server: str, production_client: Any, transport: str
) -> None:
    ways = Ways(api, production_server)
    body = await ways.post(
        transport, "{ __typename }", as_="partner.hospital", url=production_server, client=production_client
    )
    assert codes(body) == ["FORBIDDEN"], body
    assert "allow-list" in body["errors"][0]["message"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_validation_error_in_production_masked_with_code_on_every_transport(
    api: Api, production_server: str, production_client: Any, transport: str
) -> None:
    ways = Ways(api, production_server)
    body = await ways.post(transport, "{ viewr { id } }", url=production_server, client=production_client)
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert "Did you mean" not in body["errors"][0]["message"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_introspection_anonymous_in_production_forbidden_on_every_transport(
    api: Api, production_server: str, production_client: Any, transport: str
) -> None:
    ways = Ways(api, production_server)
    body = await ways.post(
        transport, "{ __schema { types { name } } }", url=production_server, client=production_client
    )
    assert codes(body) == ["FORBIDDEN"], body


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_query_limits_refused_on_every_transport(ways: Ways, transport: str) -> None:
    aliases = " ".join(f"a{i}: __typename" for i in range(200))
    body = await ways.post(transport, f"{{ {aliases} }}")
    assert codes(body) == ["QUERY_TOO_COMPLEX"], body
    assert body.get("data") is None


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_operation_name_of_wrong_type_bad_user_input_on_every_transport(
    api: Api, ways: Ways, transport: str
) -> None:
    for bad in ({"an": "object"}, ["a", "list"], 7):
        payload = {"query": "query A { __typename }", "operationName": bad}
        if transport == HTTP:
            response = await api.client.post("/graphql", json=payload)
            assert response.status_code == 400, response.text
            body = response.json()
        else:
            body = await _raw_ws(ways.ws_url, transport, payload)
        assert codes(body) == ["BAD_USER_INPUT"], body
        assert "operationName" in body["errors"][0]["message"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_variables_and_query_of_wrong_type_bad_user_input_on_every_transport(
    api: Api, ways: Ways, transport: str
) -> None:
    for payload in (
        {"query": 42},
        {"query": "{ __typename }", "variables": [1]},
        {"query": "{ __typename }", "extensions": "x"},
    ):
        if transport == HTTP:
            response = await api.client.post("/graphql", json=payload)
            assert response.status_code == 400, response.text
            body = response.json()
        else:
            body = await _raw_ws(ways.ws_url, transport, payload)
        assert codes(body) == ["BAD_USER_INPUT"], (payload, body)


async def _raw_ws(url: str, transport: str, payload: Any) -> dict[str, Any]:
    async with websockets.connect(url, subprotocols=[websockets.Subprotocol(transport)]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert (await receive(ws))["type"] == "connection_ack"
        start = "subscribe" if transport == TRANSPORT_WS else "start"
        await ws.send(json.dumps({"id": "1", "type": start, "payload": payload}))
        message = await receive(ws)
        assert message["type"] == "error", message
        errors = message["payload"]
        return {"errors": errors if isinstance(errors, list) else [errors]}


async def test_subscription_over_http_post_bad_user_input(api: Api) -> None:
    response = await api.client.post("/graphql", json={"query": "subscription { events { cursor } }"})
    assert response.status_code == 400, response.text
    body = response.json()
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "WebSocket" in body["errors"][0]["message"]


async def test_mutation_over_get_method_not_allowed_with_code(api: Api) -> None:
    response = await api.client.get("/graphql", params={"query": "mutation { logout { __typename } }"})
    assert response.status_code == 405
    assert codes(response.json()) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("transport", [TRANSPORT_WS, LEGACY_WS])
async def test_card_status_fresh_on_the_same_socket_after_suspend(
    api: Api, live_server: str, transport: str
) -> None:
    """Loaders live for one operation: the socket that read ACTIVE reads SUSPENDED after the change."""
    from tests.test_cache import person_of

    person = await person_of(api)
    card = await issued(api, person, validFrom="2025-01-01", validTo="2035-12-31")
    token = await signed_in(api, person)
    start = "subscribe" if transport == TRANSPORT_WS else "start"
    async with websockets.connect(live_server, subprotocols=[websockets.Subprotocol(transport)]) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert (await receive(ws))["type"] == "connection_ack"

        async def status(op: str) -> str:
            await ws.send(json.dumps({"id": op, "type": start, "payload": {"query": HOME}}))
            message = await receive(ws)
            assert message["type"] in ("next", "data"), message
            assert (await receive(ws))["type"] == "complete"
            return str(message["payload"]["data"]["viewer"]["person"]["healthInsuranceCard"]["status"])

        assert await status("1") == "ACTIVE"
        suspended = await api.data(
            SUSPEND, {"input": {"cardNumber": card["number"], "reason": "Mất thẻ"}}, as_="officer.hanoi"
        )
        assert suspended["suspendCard"]["__typename"] == "SuspendCardSuccess"
        assert await status("2") == "SUSPENDED"


@pytest.mark.parametrize("transport", [TRANSPORT_WS, LEGACY_WS])
async def test_events_nothing_sent_after_complete(api: Api, live_server: str, transport: str) -> None:
    """The client completes (stops) the subscription the moment an event arrives: no message for
    that id may follow, however the race between the complete and the next event falls."""
    from tests.test_subscription import golden_registration

    registration = await golden_registration(api)
    query = "subscription { events(types: [REGISTRATION_SUBMITTED]) { cursor node { id ... on Registration { phone } } } }"
    start = "subscribe" if transport == TRANSPORT_WS else "start"
    stop = "complete" if transport == TRANSPORT_WS else "stop"
    token = await api.token("officer.hanoi")
    hub = api.app.state.runtime.hub
    async with websockets.connect(live_server, subprotocols=[websockets.Subprotocol(transport)]) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert (await receive(ws))["type"] == "connection_ack"
        already = set(hub.subscribers)
        await ws.send(json.dumps({"id": "watched", "type": start, "payload": {"query": query}}))
        await ws.send(json.dumps({"id": "witness", "type": start, "payload": {"query": query}}))
        await _subscribed(api, already, 2)
        for _ in range(3):
            await emit_event(
                api.app,
                "REGISTRATION_SUBMITTED",
                "Registration",
                registration,
                province_code="01",
                person_id=None,
            )
        # Messages the server sent before it read the complete may still arrive; a barrier that
        # the server answers after reading it (pong; legacy: its own complete) marks the point
        # after which nothing for that id may come.
        stopped = barrier = False
        seen_after: list[dict[str, Any]] = []
        witnessed = 0

        async def raw() -> dict[str, Any]:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
            return message

        while witnessed < 3 or not barrier:
            message = await raw()
            if message["type"] == "pong":
                barrier = True
            elif message.get("id") == "watched":
                if barrier:
                    seen_after.append(message)
                elif transport == LEGACY_WS and message["type"] == "complete":
                    barrier = True
                elif not stopped:
                    await ws.send(json.dumps({"id": "watched", "type": stop}))
                    if transport == TRANSPORT_WS:
                        await ws.send(json.dumps({"type": "ping"}))
                    stopped = True
            elif message.get("id") == "witness" and message["type"] in ("next", "data"):
                assert "errors" not in message["payload"], message
                witnessed += 1
        # The witness saw every event: had the watched operation lived on, its messages were due.
        await ws.send(json.dumps({"id": "watched-2", "type": start, "payload": {"query": "{ __typename }"}}))
        while True:
            message = await raw()
            if message.get("id") == "watched":
                seen_after.append(message)
            if message.get("id") == "watched-2" and message["type"] == "complete":
                break
        assert seen_after == [], seen_after


async def test_legacy_graphql_ws_runs_queries_and_mutations(api: Api, ways: Ways) -> None:
    query = await ways.post(LEGACY_WS, "{ offices(first: 1) { nodes { code } } }")
    assert "errors" not in query and query["data"]["offices"]["nodes"], query
    mutation = await ways.post(LEGACY_WS, "mutation { requestCaptcha { __typename id } }")
    assert "errors" not in mutation and mutation["data"]["requestCaptcha"]["id"], mutation


async def test_websocket_offered_both_protocols_picks_graphql_transport_ws(live_server: str) -> None:
    for offered in ([LEGACY_WS, TRANSPORT_WS], [TRANSPORT_WS, LEGACY_WS]):
        async with websockets.connect(
            live_server, subprotocols=[websockets.Subprotocol(p) for p in offered]
        ) as ws:
            assert ws.subprotocol == TRANSPORT_WS


async def test_graphql_transport_ws_unknown_message_closes_4400(live_server: str) -> None:
    async with websockets.connect(live_server, subprotocols=[websockets.Subprotocol(TRANSPORT_WS)]) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert (await receive(ws))["type"] == "connection_ack"
        await ws.send(json.dumps({"type": "teleport", "id": "1"}))
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await receive(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400


async def test_graphql_ws_unknown_message_error_with_code(live_server: str) -> None:
    async with websockets.connect(live_server, subprotocols=[websockets.Subprotocol(LEGACY_WS)]) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert (await receive(ws))["type"] == "connection_ack"
        await ws.send(json.dumps({"type": "teleport", "id": "1"}))
        message = await receive(ws)
        assert message["type"] == "error" and message["payload"]["extensions"]["code"] == "BAD_USER_INPUT"
        await ws.send("not json")
        message = await receive(ws)
        assert message["type"] == "error" and message["payload"]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_graphql_transport_ws_complete_of_unknown_operation_ignored(live_server: str) -> None:
    async with websockets.connect(live_server, subprotocols=[websockets.Subprotocol(TRANSPORT_WS)]) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert (await receive(ws))["type"] == "connection_ack"
        await ws.send(json.dumps({"type": "complete", "id": "never-started"}))
        await ws.send(json.dumps({"id": "q", "type": "subscribe", "payload": {"query": "{ __typename }"}}))
        message = await receive(ws)
        assert message == {"id": "q", "type": "next", "payload": {"data": {"__typename": "Query"}}}


async def test_failed_statement_unit_rolled_back_before_the_access_log(
    api: Api, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A statement fails in the middle of an officer's read (as when the connection drops): the
    unit is rolled back once, the access log of what was read is still written, and the answer
    carries INTERNAL for the one field, never a raw 500 or PendingRollbackError."""
    from sqlalchemy import text

    from resolvers.loaders import Loaders

    real = Loaders.__init__

    def failing(self: Any, session: Any, viewer: Any) -> None:
        real(self, session, viewer)

        async def broken(keys: list[Any]) -> list[Any]:
            await session.execute(
                text("SELECT * FROM no_such_table")
            )  # fails; PostgreSQL aborts the transaction
            return []

        from strawberry.dataloader import DataLoader

        self.participation_by_person = DataLoader(load_fn=broken, cache=False)

    code = await factory.citizen()
    before = await access_rows(api, code)
    monkeypatch.setattr(Loaders, "__init__", failing)
    body = await api.post(
        "query($c: String!) { person(socialInsuranceCode: $c) { phone participation(insuranceType: SOCIAL) { totalMonths } } }",
        {"c": code},
        as_="officer.hanoi" if code.startswith("01") else "admin",
        fresh=True,
    )
    monkeypatch.undo()
    assert body["data"]["person"]["phone"], body
    # SQLite reports the missing table as an OperationalError, which reads as UNAVAILABLE.
    assert codes(body) in (["INTERNAL"], ["UNAVAILABLE"]), body
    assert await access_rows(api, code) == before + 1


# ---------- the review's and the rules' guarantees, on every way in ----------


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_persons_search_by_clear_name_refused_to_analysts_on_every_transport(
    ways: Ways, transport: str
) -> None:
    body = await ways.post(
        transport, '{ persons(search: "Nguyễn Thành Biên", first: 1) { nodes { id } } }', as_="analyst"
    )
    assert codes(body) == ["FORBIDDEN"], body


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_persons_forged_cursor_bad_user_input_on_every_transport(ways: Ways, transport: str) -> None:
    import base64

    forged = base64.urlsafe_b64encode(f'["person","{GOLDEN}"]'.encode()).decode().rstrip("=")
    body = await ways.post(
        transport,
        "query($after: String) { persons(first: 2, after: $after) { nodes { id } } }",
        {"after": forged},
        as_="officer.hanoi",
    )
    assert codes(body) == ["BAD_USER_INPUT"], body


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_record_contribution_period_under_working_age_refused_on_every_transport(
    api: Api, ways: Ways, transport: str
) -> None:
    from tests.test_entry import PERIOD, fields, own_unit, period_input, person_of

    person = await person_of(api)  # born 1990-05-17
    unit = await own_unit(api)
    variables = period_input(person, unit.code, fromMonth="1998-06", toMonth="1998-12", salary="500000")
    body = await ways.post(transport, PERIOD, variables, as_="officer.hanoi")
    assert "errors" not in body, body
    assert fields(body["data"]["recordContributionPeriod"]) == {"fromMonth": "UNDER_WORKING_AGE"}


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_check_coverage_for_hospitals_only_on_every_transport(ways: Ways, transport: str) -> None:
    query = """{ checkCoverage(input: {cardNumber: "GD4010113099841", fullName: "Nguyễn Thành Biên",
      dateOfBirth: "1984-01-01", visitType: OUTPATIENT}) { valid } }"""
    for username in ("officer.hanoi", "analyst", GOLDEN):
        body = await ways.post(transport, query, as_=username)
        assert codes(body) == ["FORBIDDEN"], (username, body)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_viewer_with_password_change_due_limited_on_every_transport(
    api: Api, ways: Ways, factory: Factory, transport: str
) -> None:
    username = await factory.citizen("Temporary-Pass-1", must_change=True)
    blocked = await ways.post(
        transport, "{ viewer { person { phone } } offices(first: 1) { totalCount } }", as_=username
    )
    assert codes(blocked) == ["FORBIDDEN"], blocked
    assert blocked["errors"][0]["extensions"]["reason"] == "PASSWORD_CHANGE_REQUIRED"
    assert "data" not in blocked or blocked["data"] is None
    allowed = await ways.post(transport, "{ viewer { account { mustChangePassword } } }", as_=username)
    assert allowed == {"data": {"viewer": {"account": {"mustChangePassword": True}}}}, allowed


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_staff_without_second_factor_limited_to_enrolment_on_every_transport(
    api: Api, ways: Ways, factory: Factory, transport: str
) -> None:
    from auth import tokens

    username = await factory.staff()
    async with api.app.state.runtime.sessionmaker() as session:
        from models.tables import account_t

        account_id = (
            await session.execute(select(account_t.c.id).where(account_t.c.username == username))
        ).scalar_one()
        token, _ = await tokens.issue(session, account_id, "enrolling", second_factor_pending=True)
        await session.commit()
    api._tokens[username] = token
    blocked = await ways.post(transport, "{ persons(first: 1) { totalCount } }", as_=username)
    assert codes(blocked) == ["FORBIDDEN"], blocked
    assert blocked["errors"][0]["extensions"]["reason"] == "SECOND_FACTOR_REQUIRED"
    enrol = await ways.post(transport, "mutation { enrollTotp { __typename } }", as_=username)
    assert "errors" not in enrol, enrol


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_person_read_whose_access_log_cannot_be_written_withheld_on_every_transport(
    api: Api, ways: Ways, factory: Factory, transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from auth import access_log

    async def refuse(*_: Any) -> None:
        raise OperationalError("INSERT INTO access_log", {}, Exception("disk I/O error"))

    code = await factory.citizen()
    before = await access_rows(api, code)
    monkeypatch.setattr(access_log, "write", refuse)
    body = await ways.post(
        transport,
        "query Phone($c: String!) { person(socialInsuranceCode: $c) { phone } }",
        {"c": code},
        as_="officer.hanoi" if code.startswith("01") else "admin",
    )
    monkeypatch.undo()
    assert codes(body) == ["UNAVAILABLE"]
    assert code not in json.dumps(body.get("data"))  # nothing read is sent unlogged
    assert "phone" not in json.dumps(body.get("data"))
    assert await access_rows(api, code) == before
