"""Subscriptions over a real WebSocket (graphql-transport-ws): scoped, ordered, resumable."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from infra import hub as event_hub
from infra.hub import SubscriptionEnded
from models.tables import registration_t
from schema.event import EVENT_ORDER
from tests.conftest import Api, emit_event
from tests.wsclient import connect

EVENTS = """subscription($after: String, $types: [EventType!]) { events(after: $after, types: $types) {
  cursor type subjectId node { id ... on Registration { referenceNumber } } } }"""


def error_of(message: dict[str, Any]) -> dict[str, Any]:
    """The first error of a message: `error` (request refused) or `next` carrying errors."""
    if message["type"] == "error":
        return dict(message["payload"][0])
    assert message["type"] == "next" and message["payload"].get("errors"), message
    return dict(message["payload"]["errors"][0])


async def golden_registration(api: Api) -> int:
    async with api.app.state.runtime.sessionmaker() as session:
        return int(
            (
                await session.execute(
                    select(registration_t.c.id).where(registration_t.c.social_insurance_code == "0113099841")
                )
            ).scalar_one()
        )


async def test_events_without_token_clear_error(live_server: str) -> None:
    async with connect(live_server) as ws:
        op = await ws.subscribe(EVENTS)
        message = await ws.receive()
        assert message["id"] == op
        assert error_of(message)["extensions"]["code"] == "UNAUTHENTICATED"


async def test_events_bad_token_connection_rejected(live_server: str) -> None:
    import websockets

    with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
        async with connect(live_server, token="not-a-token"):
            pass
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_events_live_only_what_the_officer_may_see(api: Api, live_server: str) -> None:
    registration = await golden_registration(api)
    async with connect(live_server, await api.token("officer.hanoi")) as ws:
        await ws.subscribe(EVENTS, {"types": ["REGISTRATION_SUBMITTED"]})
        await asyncio.sleep(0.2)
        await emit_event(api.app, "REGISTRATION_SUBMITTED", "Registration", registration, province_code="79")
        await emit_event(api.app, "CARD_ISSUED", "HealthInsuranceCard", 1, province_code="01")
        mine = await emit_event(
            api.app, "REGISTRATION_SUBMITTED", "Registration", registration, province_code="01"
        )
        message = await ws.receive()
        event = message["payload"]["data"]["events"]
        assert event["type"] == "REGISTRATION_SUBMITTED"
        assert event["node"]["referenceNumber"] == "01-2020-000817"
        assert mine > 0


async def test_events_replay_after_cursor_then_live_no_gap_no_duplicate(api: Api, live_server: str) -> None:
    registration = await golden_registration(api)
    token = await api.token("officer.hanoi")
    ids = [
        await emit_event(api.app, "REGISTRATION_APPROVED", "Registration", registration, province_code="01")
        for _ in range(3)
    ]
    # Subscribed only once the hub has read them: otherwise they may still arrive as live events.
    hub = api.app.state.runtime.hub
    for _ in range(250):
        if hub.position >= ids[-1]:
            break
        await asyncio.sleep(0.02)
    async with connect(live_server, token) as ws:
        await ws.subscribe(EVENTS, {"types": ["REGISTRATION_APPROVED"]})
        await asyncio.sleep(0.2)
        await emit_event(api.app, "REGISTRATION_APPROVED", "Registration", registration, province_code="01")
        first = (await ws.receive())["payload"]["data"]["events"]["cursor"]
    async with connect(live_server, token) as ws:
        # Resume from the first of the three: replay the other two and the live one, then go live.
        await ws.subscribe(
            EVENTS,
            {"types": ["REGISTRATION_APPROVED"], "after": officer_cursors(api).seal(EVENT_ORDER, (ids[0],))},
        )
        replayed = [(await ws.receive())["payload"]["data"]["events"]["cursor"] for _ in range(3)]
        assert replayed[-1] == first
        await emit_event(api.app, "REGISTRATION_APPROVED", "Registration", registration, province_code="01")
        live = (await ws.receive())["payload"]["data"]["events"]["cursor"]
        assert len({*replayed, live}) == 4
        with pytest.raises(TimeoutError):
            await ws.receive(within=0.5)


def officer_cursors(api: Api) -> Any:
    """The cursors the server seals for officer.hanoi (an officer of province 01)."""
    from auth.scopes import scope_key
    from auth.viewer import Role, Viewer
    from resolvers.pagination import Cursors

    officer = Viewer(account_id=0, username="officer.hanoi", role=Role.OFFICER, province_code="01")
    return Cursors.make(api.app.state.runtime.settings.secret_key, scope_key(officer))


@pytest.mark.parametrize(
    ("after", "message"),
    [
        ("garbage", "malformed cursor"),
        # The old cursor of event 9999999, in the clear: forged, so refused like garbage.
        ("WyJldmVudCIsOTk5OTk5OV0", "malformed cursor"),
        ("SEALED", "no event has this cursor"),
    ],
)
async def test_events_bad_cursor_clear_error(api: Api, live_server: str, after: str, message: str) -> None:
    if after == "SEALED":
        after = officer_cursors(api).seal(EVENT_ORDER, (9_999_999,))
    async with connect(live_server, await api.token("officer.hanoi")) as ws:
        op = await ws.subscribe(EVENTS, {"after": after})
        answer = await ws.receive()
        # The operation cannot start: one `error` message (graphql-ws clients reject the
        # subscription with it), not a `next` carrying errors followed by `complete`.
        assert answer["type"] == "error" and answer["id"] == op, answer
        error = error_of(answer)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert message in error["message"]
        with pytest.raises(TimeoutError):
            await ws.receive(within=0.3)  # nothing follows for that operation


@pytest.mark.parametrize(
    ("username", "types", "refused"),
    [
        ("admin", ["MEDICAL_VISIT_RECORDED", "CARD_ISSUED"], "MEDICAL_VISIT_RECORDED"),
        ("analyst", ["REGISTRATION_SUBMITTED", "BENEFIT_DECIDED"], "REGISTRATION_SUBMITTED"),
        ("analyst", ["MEDICAL_VISIT_RECORDED"], "MEDICAL_VISIT_RECORDED"),
        ("partner.hospital", ["CARD_ISSUED", "MEDICAL_VISIT_RECORDED"], "CARD_ISSUED"),
        ("partner.employer", ["MEDICAL_VISIT_RECORDED"], "MEDICAL_VISIT_RECORDED"),
    ],
)
async def test_events_types_never_visible_refused_saying_so(
    api: Api, live_server: str, username: str, types: list[str], refused: str
) -> None:
    async with connect(live_server, await api.token(username)) as ws:
        await ws.subscribe(EVENTS, {"types": types})
        answer = await ws.receive()
        assert answer["type"] == "error", answer
        error = error_of(answer)
        assert error["extensions"]["code"] == "FORBIDDEN", error
        assert refused in error["message"] and "never sees" in error["message"], error
        allowed = [t for t in types if t != refused]
        assert all(t not in error["message"] for t in allowed), error


async def test_events_types_that_may_be_seen_accepted(api: Api, live_server: str) -> None:
    # The officer of a province may see every type, the hospital its own visits.
    for username, types in (("officer.hanoi", None), ("partner.hospital", ["MEDICAL_VISIT_RECORDED"])):
        async with connect(live_server, await api.token(username)) as ws:
            await ws.subscribe(EVENTS, {"types": types} if types else {})
            with pytest.raises(TimeoutError):
                await ws.receive(within=0.5)  # subscribed, waiting: no error


async def test_events_unknown_type_clear_error(api: Api, live_server: str) -> None:
    async with connect(live_server, await api.token("officer.hanoi")) as ws:
        await ws.subscribe(EVENTS, {"types": ["NOT_A_TYPE"]})
        assert "NOT_A_TYPE" in error_of(await ws.receive())["message"]


async def test_events_logout_closes_the_subscription(api: Api, live_server: str) -> None:
    import websockets

    from tests.conftest import DEMO_PASSWORD, totp_code
    from tests.test_account import LOGIN, call, login_input

    # An account no other test signs in with through login: a TOTP code is good once.
    signed_in = login_input("admin", DEMO_PASSWORD, "tablet", totpCode=totp_code())
    token = (await call(api.client, LOGIN, signed_in))["data"]["login"]["token"]
    async with connect(live_server, token) as ws:
        await ws.subscribe(EVENTS)
        await asyncio.sleep(0.2)
        await call(api.client, "mutation { logout }", {}, token)
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            for _ in range(5):
                await ws.receive(within=6)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_events_slow_consumer_closed_naming_what_to_do(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_hub, "QUEUE_SIZE", 3)
    registration = await golden_registration(api)
    hub = api.app.state.runtime.hub
    viewer_token = await api.token("admin")
    from auth.tokens import viewer_for

    async with api.app.state.runtime.sessionmaker() as session:
        found = await viewer_for(session, viewer_token)
    assert found is not None
    stream = hub.stream(found[0], frozenset({"REGISTRATION_REJECTED"}), None)
    first: Any = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(0.1)
    for _ in range(6):
        await emit_event(api.app, "REGISTRATION_REJECTED", "Registration", registration, province_code="01")
    await hub.read_new()
    with pytest.raises(SubscriptionEnded) as ended:
        await first
        for _ in range(10):
            await stream.__anext__()
    assert ended.value.code == "SLOW_CONSUMER" and "after" in str(ended.value)
    await stream.aclose()


async def test_events_legacy_graphql_ws_protocol_delivers(api: Api, live_server: str) -> None:
    import json

    import websockets

    registration = await golden_registration(api)
    token = await api.token("officer.hanoi")
    async with websockets.connect(live_server, subprotocols=[websockets.Subprotocol("graphql-ws")]) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "start",
                    "payload": {"query": EVENTS, "variables": {"types": ["BENEFIT_DECIDED"]}},
                }
            )
        )
        await asyncio.sleep(0.2)
        await emit_event(api.app, "BENEFIT_DECIDED", "Registration", registration, province_code="01")
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if message["type"] != "ka":
                break
        assert message["type"] == "data"
        assert message["payload"]["data"]["events"]["type"] == "BENEFIT_DECIDED"
