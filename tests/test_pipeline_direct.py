"""A query text a plan answered before is answered by its plan again, without strawberry's
machinery (gateway/pipeline.py `_answer_from_plan`), and every rule still holds on that path: the
gate decided again for this viewer and these variables, the session checked, the access log
written, the ordinary executor's errors when the plan falls back, on every transport.

The suite runs in verify mode, where that path is off (both executors must run): these tests
switch the app to `on`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from auth import tokens
from models.tables import access_log_t, account_t, auth_session_t
from models.types import utcnow
from schema import schema
from tests.conftest import Api, Factory, codes
from tests.transports import TRANSPORTS

UNITS = "query Units { units(first: 2) { nodes { code name } } }"
PERSONS = """query Persons($first: Int!) {
  persons(first: $first) { nodes { id fullName healthInsuranceCard { number status } } }
}"""


@pytest.fixture
def compiled_on(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str | None]]:
    """The app with plans answering (not verify); yields the texts strawberry was asked to run."""
    runtime = app.state.runtime
    monkeypatch.setattr(runtime, "settings", dataclasses.replace(runtime.settings, compiler="on"))
    through: list[str | None] = []
    original = schema.execute

    async def counted(query: str | None, *args: Any, **kwargs: Any) -> Any:
        through.append(query)
        return await original(query, *args, **kwargs)

    monkeypatch.setattr(schema, "execute", counted)
    yield through


async def ask(api: Api, query: str, variables: dict[str, Any] | None = None, *, token: str) -> dict[str, Any]:
    response = await api.client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}", "X-Ansinh-Debug": "1", "Cache-Control": "no-cache"},
    )
    body: dict[str, Any] = response.json()
    return body


async def staff_token(api: Api, factory: Factory, **session: Any) -> tuple[str, int]:
    """A token of a new ADMIN account (and its id), its session made with `session`'s flags."""
    username = await factory.staff(role="ADMIN")
    async with api.app.state.runtime.sessionmaker() as db:
        account_id = (
            await db.execute(select(account_t.c.id).where(account_t.c.username == username))
        ).scalar_one()
        token, _ = await tokens.issue(db, account_id, "test-direct", **session)
        await db.commit()
    return token, account_id


async def test_query_answered_again_by_its_plan_same_answer(api: Api, compiled_on: list[str | None]) -> None:
    token = await api.token("officer.hanoi")
    first = await ask(api, PERSONS, {"first": 3}, token=token)
    again = await ask(api, PERSONS, {"first": 3}, token=token)
    assert first["extensions"]["debug"]["executor"] == again["extensions"]["debug"]["executor"] == "compiled"
    assert again["data"] == first["data"] and "errors" not in again
    assert again["extensions"]["debug"]["sqlStatements"] == first["extensions"]["debug"]["sqlStatements"]
    assert compiled_on == [PERSONS]  # the second never went through strawberry


async def test_query_over_the_limits_refused_from_plan_path(api: Api, compiled_on: list[str | None]) -> None:
    """The cost depends on the variables: decided again for every request."""
    token = await api.token("officer.hanoi")
    for _ in range(2):
        assert "errors" not in await ask(api, PERSONS, {"first": 2}, token=token)
    refused = await ask(api, PERSONS, {"first": 1_000_000}, token=token)
    assert codes(refused) == ["QUERY_TOO_COMPLEX"]
    assert refused.get("data") is None


@pytest.mark.parametrize("flag", ["must_change_password", "second_factor_pending"])
async def test_account_held_back_refused_from_plan_path(
    api: Api, factory: Factory, compiled_on: list[str | None], flag: str
) -> None:
    """Another account of the same role filled the path; this one must change its password
    (or enrol a second factor) first: the gate's refusal, not the plan's answer."""
    admin = await api.token("admin")
    for _ in range(2):
        assert "errors" not in await ask(api, UNITS, token=admin)
    if flag == "second_factor_pending":
        token, _ = await staff_token(api, factory, second_factor_pending=True)
        reason = "SECOND_FACTOR_REQUIRED"
    else:
        token, account_id = await staff_token(api, factory)
        async with api.app.state.runtime.sessionmaker() as db:
            await db.execute(
                update(account_t).where(account_t.c.id == account_id).values(must_change_password=True)
            )
            await db.commit()
        reason = "PASSWORD_CHANGE_REQUIRED"
    refused = await ask(api, UNITS, token=token)
    assert codes(refused) == ["FORBIDDEN"]
    assert refused["errors"][0]["extensions"]["reason"] == reason


async def test_session_revoked_refused_from_plan_path(
    api: Api, factory: Factory, compiled_on: list[str | None]
) -> None:
    token, _ = await staff_token(api, factory)
    for _ in range(2):
        assert "errors" not in await ask(api, UNITS, token=token)
    async with api.app.state.runtime.sessionmaker() as db:
        await db.execute(
            update(auth_session_t)
            .where(auth_session_t.c.token_hash == tokens.hash_token(token))
            .values(revoked_at=utcnow() - timedelta(seconds=1))
        )
        await db.commit()
    assert codes(await ask(api, UNITS, token=token)) == ["UNAUTHENTICATED"]


async def test_plan_falling_back_answers_with_ordinary_error(api: Api, compiled_on: list[str | None]) -> None:
    """ADMIN reads no diagnosis without a reason: the plan the officers' requests left falls back
    at run time, and the ordinary executor (run once, without the plan) answers."""
    query = (
        "query V { persons(first: 2) { nodes { id medicalVisits(first: 1) { nodes { diagnosisCode } } } } }"
    )
    officer = await api.token("officer.hanoi")
    for _ in range(2):
        assert "errors" not in await ask(api, query, token=officer)
    body = await ask(api, query, token=await api.token("admin"))
    assert body["extensions"]["debug"]["executor"] == "ordinary"
    assert "FORBIDDEN" in codes(body)
    assert body["errors"][0]["path"][:3] == ["persons", "nodes", 0]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_access_log_written_every_time_from_plan_path(
    ways: Any, api: Api, compiled_on: list[str | None], transport: str
) -> None:
    query = "query Phones { persons(first: 3) { nodes { id phone } } }"

    async def logged() -> int:
        async with api.app.state.runtime.sessionmaker() as db:
            return int(
                await db.scalar(
                    select(func.count())
                    .select_from(access_log_t)
                    .where(access_log_t.c.operation_name == "Phones")
                )
                or 0
            )

    before = await logged()
    answers = [await ways.post(transport, query, as_="officer.hanoi") for _ in range(3)]
    assert all("errors" not in answer for answer in answers)
    assert answers[0]["data"] == answers[2]["data"]
    assert await logged() == before + 3 * 3
    assert compiled_on.count(query) <= 1
