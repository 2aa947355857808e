"""Sign-in the way the portal does it: captcha, throttling, one device, OTP, password rules."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server import create_app
from settings import Settings
from tests.conftest import DEMO_PASSWORD, Api, Factory, codes, messages

LOGIN = """mutation($input: LoginInput!) { login(input: $input) {
  __typename
  ... on LoginSuccess { token expiresAt account { username role mustChangePassword } }
  ... on DeviceConfirmationRequired { challengeId phoneHint }
  ... on InvalidCredentials { message captchaRequired }
  ... on TooManyAttempts { message retryAfterSeconds }
  ... on InvalidInput { errors { field code message } }
} }"""
CONFIRM = """mutation($input: ConfirmDeviceInput!) { confirmDevice(input: $input) {
  __typename ... on LoginSuccess { token } ... on InvalidInput { errors { field code message } } } }"""
CHANGE = """mutation($input: ChangePasswordInput!) { changePassword(input: $input) {
  __typename ... on ChangePasswordSuccess { account { mustChangePassword } }
  ... on InvalidCredentials { message } ... on InvalidInput { errors { field code message } } } }"""
CAPTCHA = "mutation { requestCaptcha { id imageDataUrl expiresAt } }"
KNOWN_CAPTCHA = "ABCDE"


async def call(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None = None
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def login_input(username: str, password: str, device: str = "phone-1", **extra: Any) -> dict[str, Any]:
    return {"input": {"username": username, "password": password, "deviceId": device, **extra}}


@pytest.fixture(scope="module")
async def adaptive_app(seeded: Settings) -> AsyncIterator[Any]:
    """The same database, served with the adaptive captcha of the default configuration."""
    app = create_app(dataclasses.replace(seeded, captcha="adaptive"))
    app.state.runtime.captcha_text = lambda: KNOWN_CAPTCHA
    yield app
    await app.state.runtime.engine.dispose()


_clients = iter(range(10, 250))


@pytest.fixture
async def adaptive(adaptive_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of its own address: failures are counted per client address too."""
    transport = httpx.ASGITransport(app=adaptive_app, client=(f"198.51.100.{next(_clients)}", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_login_success_returns_token_that_signs_in(api: Api) -> None:
    body = await call(api.client, LOGIN, login_input("officer.hcm", DEMO_PASSWORD))
    result = body["data"]["login"]
    assert result["__typename"] == "LoginSuccess"
    assert result["account"] == {"username": "officer.hcm", "role": "OFFICER", "mustChangePassword": False}
    viewer = await call(api.client, "{ viewer { account { username } } }", {}, result["token"])
    assert viewer["data"]["viewer"]["account"]["username"] == "officer.hcm"


async def test_login_wrong_password_and_unknown_user_same_answer(api: Api) -> None:
    wrong = (await call(api.client, LOGIN, login_input("analyst", "not-the-password")))["data"]["login"]
    unknown = (await call(api.client, LOGIN, login_input("nobody.here", "not-the-password")))["data"]["login"]
    assert wrong["__typename"] == unknown["__typename"] == "InvalidCredentials"
    assert wrong["message"] == unknown["message"]


async def test_login_empty_fields_invalid_input_lists_all(api: Api) -> None:
    result = (await call(api.client, LOGIN, login_input("", "", device="")))["data"]["login"]
    assert result["__typename"] == "InvalidInput"
    assert sorted(e["field"][-1] for e in result["errors"]) == ["deviceId", "password", "username"]


@pytest.mark.parametrize("username", ["adm\x00in", "adm\ud800in"], ids=["nul", "surrogate"])
async def test_login_text_no_database_can_take_bad_user_input(api: Api, username: str) -> None:
    """Found by fuzzing: the lookup of such a username was INTERNAL (U+0000 on PostgreSQL, an
    unpaired surrogate, which JSON can escape, on both backends)."""
    # JSON as clients write it: non-ASCII escaped (httpx's json= cannot encode a surrogate).
    request = json.dumps({"query": LOGIN, "variables": login_input(username, "not-the-password")})
    response = await api.client.post(
        "/graphql", content=request, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert codes(body) == ["BAD_USER_INPUT"] and "U+0000" in body["errors"][0]["message"]
    assert body.get("data") is None


async def test_login_adaptive_captcha_after_three_failures(adaptive: httpx.AsyncClient) -> None:
    user = "captcha.victim"
    answers = [(await call(adaptive, LOGIN, login_input(user, "bad")))["data"]["login"] for _ in range(3)]
    assert [a["captchaRequired"] for a in answers] == [False, False, True]
    blocked = (await call(adaptive, LOGIN, login_input(user, "bad")))["data"]["login"]
    assert blocked == {
        "__typename": "InvalidCredentials",
        "message": blocked["message"],
        "captchaRequired": True,
    }
    captcha = (await call(adaptive, CAPTCHA, {}))["data"]["requestCaptcha"]
    assert captcha["imageDataUrl"].startswith("data:image/png;base64,")
    wrong = await call(
        adaptive, LOGIN, login_input(user, "bad", captchaId=captcha["id"], captchaAnswer="ZZZZZ")
    )
    assert wrong["data"]["login"]["errors"][0]["code"] == "CAPTCHA_WRONG"
    reused = await call(
        adaptive, LOGIN, login_input(user, "bad", captchaId=captcha["id"], captchaAnswer=KNOWN_CAPTCHA)
    )
    assert reused["data"]["login"]["errors"][0]["code"] == "CAPTCHA_EXPIRED"


async def test_login_throttled_after_ten_failures_with_retry_after(adaptive: httpx.AsyncClient) -> None:
    user = "throttle.victim"
    for _ in range(10):
        captcha = (await call(adaptive, CAPTCHA, {}))["data"]["requestCaptcha"]
        await call(
            adaptive, LOGIN, login_input(user, "bad", captchaId=captcha["id"], captchaAnswer=KNOWN_CAPTCHA)
        )
    result = (await call(adaptive, LOGIN, login_input(user, "bad")))["data"]["login"]
    assert result["__typename"] == "TooManyAttempts"
    assert 0 < result["retryAfterSeconds"] <= 15 * 60 + 1


async def test_confirm_device_new_device_needs_otp_and_signs_old_out(
    api: Api, factory: Factory, message_log: Path
) -> None:
    username = await factory.citizen()
    first = (await call(api.client, LOGIN, login_input(username, "Citizen-Pass-2026", "phone-A")))["data"][
        "login"
    ]
    assert first["__typename"] == "LoginSuccess"
    second = (await call(api.client, LOGIN, login_input(username, "Citizen-Pass-2026", "phone-B")))["data"][
        "login"
    ]
    assert second["__typename"] == "DeviceConfirmationRequired"
    assert "***" in second["phoneHint"]
    await api.app.state.runtime.outbox.deliver_due()
    sms = [m for m in messages(message_log, "device_otp")][-1]
    assert sms["channel"] == "sms" and second["phoneHint"].endswith(sms["to"][-3:])
    code = sms["params"]["otp"]
    wrong = "000000" if code != "000000" else "111111"
    bad = await call(api.client, CONFIRM, {"input": {"challengeId": second["challengeId"], "code": wrong}})
    assert bad["data"]["confirmDevice"]["errors"][0]["code"] == "OTP_WRONG"
    assert "4 tries left" in bad["data"]["confirmDevice"]["errors"][0]["message"]
    ok = await call(api.client, CONFIRM, {"input": {"challengeId": second["challengeId"], "code": code}})
    new_token = ok["data"]["confirmDevice"]["token"]
    old = await call(api.client, "{ viewer { account { username } } }", {}, first["token"])
    assert old["data"]["viewer"] is None
    new = await call(api.client, "{ viewer { account { username } } }", {}, new_token)
    assert new["data"]["viewer"]["account"]["username"] == username
    again = await call(api.client, CONFIRM, {"input": {"challengeId": second["challengeId"], "code": code}})
    assert again["data"]["confirmDevice"]["errors"][0]["code"] == "OTP_EXPIRED"


async def test_change_password_rules_each_reported(api: Api, factory: Factory) -> None:
    username = await factory.citizen("Original-Pass-1")
    token = (await call(api.client, LOGIN, login_input(username, "Original-Pass-1")))["data"]["login"][
        "token"
    ]
    cases = {
        "short": "TOO_SHORT",
        "12345678": "TOO_COMMON",
        f"x{username}y": "CONTAINS_USERNAME",
        "Original-Pass-1": "SAME_AS_CURRENT",
    }
    for new, code in cases.items():
        result = await call(
            api.client, CHANGE, {"input": {"currentPassword": "Original-Pass-1", "newPassword": new}}, token
        )
        assert code in [e["code"] for e in result["data"]["changePassword"]["errors"]], new
    wrong = await call(
        api.client, CHANGE, {"input": {"currentPassword": "nope", "newPassword": "Brand-New-Pass-9"}}, token
    )
    assert wrong["data"]["changePassword"]["__typename"] == "InvalidCredentials"


async def test_change_password_first_login_gate_then_free(api: Api, factory: Factory) -> None:
    username = await factory.citizen("Temporary-Pass-1", must_change=True)
    login = (await call(api.client, LOGIN, login_input(username, "Temporary-Pass-1")))["data"]["login"]
    assert login["account"]["mustChangePassword"] is True
    token = login["token"]
    blocked = await call(
        api.client, "{ viewer { person { phone } } offices(first: 1) { totalCount } }", {}, token
    )
    assert codes(blocked) == ["FORBIDDEN"] and "Change your password first" in blocked["errors"][0]["message"]
    allowed = await call(api.client, "{ viewer { account { mustChangePassword } } }", {}, token)
    assert allowed["data"]["viewer"]["account"]["mustChangePassword"] is True
    changed = await call(
        api.client,
        CHANGE,
        {"input": {"currentPassword": "Temporary-Pass-1", "newPassword": "Mine-Only-2026!"}},
        token,
    )
    assert changed["data"]["changePassword"]["account"]["mustChangePassword"] is False
    free = await call(api.client, "{ offices(first: 1) { totalCount } }", {}, token)
    assert "errors" not in free


async def test_logout_ends_the_session(api: Api) -> None:
    token = (await call(api.client, LOGIN, login_input("officer.hcm", DEMO_PASSWORD, "laptop")))["data"][
        "login"
    ]["token"]
    assert (await call(api.client, "mutation { logout }", {}, token))["data"]["logout"] is True
    after = await call(api.client, "{ persons(first: 1) { totalCount } }", {}, token)
    assert codes(after) == ["UNAUTHENTICATED"]
    assert "expired or was signed out" in after["errors"][0]["message"]


async def test_login_rehashes_when_parameters_change(api: Api, factory: Factory) -> None:
    from argon2 import PasswordHasher
    from sqlalchemy import select, update

    from models.tables import account_t

    username = await factory.citizen("Weakly-Hashed-1")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("Weakly-Hashed-1")
    async with api.app.state.runtime.sessionmaker() as session:
        await session.execute(
            update(account_t).where(account_t.c.username == username).values(password_hash=weak)
        )
        await session.commit()
    result = (await call(api.client, LOGIN, login_input(username, "Weakly-Hashed-1")))["data"]["login"]
    assert result["__typename"] == "LoginSuccess"
    async with api.app.state.runtime.sessionmaker() as session:
        stored = (
            await session.execute(select(account_t.c.password_hash).where(account_t.c.username == username))
        ).scalar_one()
    assert stored != weak and stored.startswith("$argon2id$") and "m=65536" in stored
