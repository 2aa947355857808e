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
from tests.conftest import DEMO_PASSWORD, DEMO_TOTP_SECRET, Api, Factory, codes, messages, totp_code

LOGIN = """mutation($input: LoginInput!) { login(input: $input) {
  __typename
  ... on LoginSuccess { token expiresAt account { username role mustChangePassword } }
  ... on DeviceConfirmationRequired { challengeId phoneHint }
  ... on InvalidCredentials { message captchaRequired }
  ... on TooManyAttempts { message retryAfterSeconds }
  ... on InvalidInput { errors { field code message } }
  ... on SecondFactorRequired { message enrolled }
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
    body = await call(api.client, LOGIN, login_input("officer.hcm", DEMO_PASSWORD, totpCode=totp_code()))
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
    signed_in = login_input("partner.employer", DEMO_PASSWORD, "laptop", totpCode=totp_code())
    token = (await call(api.client, LOGIN, signed_in))["data"]["login"]["token"]
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


# ---------- issue 13, finding 6: brute force, and the second factor of staff ----------

ME = "{ viewer { account { username } } }"


@pytest.fixture
async def own_address(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The shared app (captcha off), from an address of its own: its failures count for no other test."""
    transport = httpx.ASGITransport(app=app, client=(f"198.51.101.{next(_clients)}", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_login_known_device_id_does_not_lift_the_username_lock(
    api: Api, factory: Factory, own_address: httpx.AsyncClient
) -> None:
    """A device id is whatever the client says: the victim's, sent with every guess, used to skip
    the per-username lock (40 wrong passwords, then the right one signed in)."""
    username = await factory.citizen("Victim-Pass-2026")
    victim = await call(api.client, LOGIN, login_input(username, "Victim-Pass-2026", "victim-phone"))
    assert victim["data"]["login"]["__typename"] == "LoginSuccess"
    answers = [
        (await call(own_address, LOGIN, login_input(username, f"guess-{i}", "victim-phone")))["data"]["login"]
        for i in range(40)
    ]
    assert [a["__typename"] for a in answers[:10]] == ["InvalidCredentials"] * 10
    assert {a["__typename"] for a in answers[10:]} == {"TooManyAttempts"}
    right = await call(own_address, LOGIN, login_input(username, "Victim-Pass-2026", "victim-phone"))
    assert right["data"]["login"]["__typename"] == "TooManyAttempts"


async def test_login_staff_password_alone_needs_the_second_factor(
    api: Api, factory: Factory, own_address: httpx.AsyncClient
) -> None:
    import pyotp

    username = await factory.staff(totp_secret=DEMO_TOTP_SECRET)
    alone = (await call(own_address, LOGIN, login_input(username, "Staff-Pass-2026")))["data"]["login"]
    assert alone == {"__typename": "SecondFactorRequired", "message": alone["message"], "enrolled": True}
    assert "totpCode" in alone["message"]
    now = pyotp.TOTP(DEMO_TOTP_SECRET).now()
    wrong = "000000" if now != "000000" else "111111"
    guessed = await call(own_address, LOGIN, login_input(username, "Staff-Pass-2026", totpCode=wrong))
    assert guessed["data"]["login"]["__typename"] == "SecondFactorRequired"
    # A wrong code with the wrong password says nothing about the code.
    both = await call(own_address, LOGIN, login_input(username, "not-it", totpCode=now))
    assert both["data"]["login"]["__typename"] == "InvalidCredentials"
    ok = (await call(own_address, LOGIN, login_input(username, "Staff-Pass-2026", totpCode=now)))["data"]
    assert ok["login"]["__typename"] == "LoginSuccess"
    assert (await call(own_address, ME, {}, ok["login"]["token"]))["data"]["viewer"]["account"] == {
        "username": username
    }
    # RFC 6238 5.2: a code is accepted once (one seen over a shoulder, or phished, is spent).
    replayed = await call(own_address, LOGIN, login_input(username, "Staff-Pass-2026", "other", totpCode=now))
    assert replayed["data"]["login"]["__typename"] == "SecondFactorRequired"


async def test_login_staff_code_guesses_lock_the_account(
    api: Api, factory: Factory, own_address: httpx.AsyncClient
) -> None:
    """With the password known, the six digits are guessed within the per-username lock."""
    username = await factory.staff(totp_secret=DEMO_TOTP_SECRET)
    right = totp_code()
    guesses = [f"{i:06d}" for i in range(20) if f"{i:06d}" != right][:10]
    for guess in guesses:
        answer = await call(own_address, LOGIN, login_input(username, "Staff-Pass-2026", totpCode=guess))
        assert answer["data"]["login"]["__typename"] == "SecondFactorRequired"
    locked = await call(own_address, LOGIN, login_input(username, "Staff-Pass-2026", totpCode=right))
    assert locked["data"]["login"]["__typename"] == "TooManyAttempts"


ENROLL = "mutation { enrollTotp { secret otpauthUri } }"
CONFIRM_TOTP = "mutation($code: String!) { confirmTotp(code: $code) }"


async def test_enroll_totp_at_first_sign_in_then_only_with_the_code(
    api: Api, factory: Factory, own_address: httpx.AsyncClient
) -> None:
    import pyotp

    username = await factory.staff()
    first = (await call(own_address, LOGIN, login_input(username, "Staff-Pass-2026")))["data"]["login"]
    assert first["__typename"] == "LoginSuccess"
    pending = first["token"]
    # This session enrols a second factor, and does nothing else.
    blocked = await call(own_address, "{ persons(first: 1) { totalCount } }", {}, pending)
    assert codes(blocked) == ["FORBIDDEN"] and "enrollTotp" in blocked["errors"][0]["message"]
    assert codes(await call(own_address, ME, {}, pending)) == ["FORBIDDEN"]
    enrolment = (await call(own_address, ENROLL, {}, pending))["data"]["enrollTotp"]
    secret = enrolment["secret"]
    assert len(secret) >= 32 and enrolment["otpauthUri"].startswith("otpauth://totp/")
    assert f"secret={secret}" in enrolment["otpauthUri"]
    # Until confirmed the password alone still gives only an enrolment session.
    again = (await call(own_address, LOGIN, login_input(username, "Staff-Pass-2026", "b")))["data"]["login"]
    assert again["__typename"] == "LoginSuccess"
    assert codes(await call(own_address, ME, {}, again["token"])) == ["FORBIDDEN"]
    code = pyotp.TOTP(secret).now()
    wrong = "000000" if code != "000000" else "111111"
    assert (await call(own_address, CONFIRM_TOTP, {"code": wrong}, pending))["data"]["confirmTotp"] is False
    assert (await call(own_address, CONFIRM_TOTP, {"code": code}, pending))["data"]["confirmTotp"] is True
    # Proven: the enrolment sessions end, and the password alone is no longer enough.
    assert codes(await call(own_address, ENROLL, {}, pending)) == ["UNAUTHENTICATED"]
    alone = (await call(own_address, LOGIN, login_input(username, "Staff-Pass-2026")))["data"]["login"]
    assert alone["__typename"] == "SecondFactorRequired" and alone["enrolled"] is True
    next_code = pyotp.TOTP(secret).at(int(__import__("time").time()) + 30)
    full = await call(own_address, LOGIN, login_input(username, "Staff-Pass-2026", totpCode=next_code))
    token = full["data"]["login"]["token"]
    assert (await call(own_address, ME, {}, token))["data"]["viewer"]["account"]["username"] == username
    # Enrolled once: a stolen full session cannot swap the authenticator for the thief's.
    assert codes(await call(own_address, ENROLL, {}, token)) == ["FORBIDDEN"]


async def test_enroll_totp_citizens_and_anonymous_refused(api: Api) -> None:
    assert codes(await call(api.client, ENROLL, {})) == ["UNAUTHENTICATED"]
    citizen = await api.token("0113099841")
    assert codes(await call(api.client, ENROLL, {}, citizen)) == ["FORBIDDEN"]
    assert codes(await call(api.client, CONFIRM_TOTP, {"code": "123456"}, citizen)) == ["FORBIDDEN"]


# ---------- issue 13, finding 8: what sign-in costs others ----------


async def test_login_new_device_sms_capped_per_account_and_address(
    api: Api, factory: Factory, message_log: Path
) -> None:
    """Every sign-in from a new device sent an SMS: a paid message per request (SMS pumping)."""
    from auth.throttle import SMS_PER_ACCOUNT, SMS_PER_ADDRESS

    username = await factory.citizen("Pumped-Pass-2026")
    transport = httpx.ASGITransport(app=api.app, client=(f"198.51.102.{next(_clients)}", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        first = await call(client, LOGIN, login_input(username, "Pumped-Pass-2026", "phone-0"))
        assert first["data"]["login"]["__typename"] == "LoginSuccess"
        answers = [
            (await call(client, LOGIN, login_input(username, "Pumped-Pass-2026", f"phone-{i}")))["data"][
                "login"
            ]
            for i in range(1, SMS_PER_ACCOUNT.limit + 3)
        ]
    kinds = [a["__typename"] for a in answers]
    assert kinds[: SMS_PER_ACCOUNT.limit] == ["DeviceConfirmationRequired"] * SMS_PER_ACCOUNT.limit
    assert set(kinds[SMS_PER_ACCOUNT.limit :]) == {"TooManyAttempts"}
    assert "codes" in answers[-1]["message"] and answers[-1]["retryAfterSeconds"] > 0
    await api.app.state.runtime.outbox.deliver_due()
    phone = [m for m in messages(message_log, "device_otp") if m["to"][-3:] == answers[0]["phoneHint"][-3:]]
    assert len(phone) >= SMS_PER_ACCOUNT.limit
    # Per address: one address pumping many accounts' phones.
    transport = httpx.ASGITransport(app=api.app, client=(f"198.51.103.{next(_clients)}", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        kinds = []
        for _ in range(SMS_PER_ADDRESS.limit // 2 + 2):
            other = await factory.citizen("Pumped-Pass-2026")
            for device in ("a", "b", "c"):
                answer = await call(client, LOGIN, login_input(other, "Pumped-Pass-2026", device))
                kinds.append(answer["data"]["login"]["__typename"])
    assert kinds.count("DeviceConfirmationRequired") == SMS_PER_ADDRESS.limit
    assert kinds[-1] == "TooManyAttempts"
    # Sent, as the server's sender loop would: the outbox tests expect an empty outbox.
    await api.app.state.runtime.outbox.deliver_due()


async def test_request_captcha_capped_per_address_and_per_request(api: Api) -> None:
    """A captcha is a row: 30 per request with aliases, and no limit per address."""
    from auth.throttle import CAPTCHAS_PER_ADDRESS
    from models.tables import captcha_t

    async def stored() -> int:
        from sqlalchemy import func, select

        async with api.app.state.runtime.sessionmaker() as session:
            return int(await session.scalar(select(func.count()).select_from(captcha_t)) or 0)

    transport = httpx.ASGITransport(app=api.app, client=(f"198.51.104.{next(_clients)}", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        before = await stored()
        aliased = "mutation { " + " ".join(f"c{i}: requestCaptcha {{ id }}" for i in range(30)) + " }"
        many = await call(client, aliased, {})
        assert "RATE_LIMITED" in codes(many)
        assert await stored() - before <= 1
        answers = [await call(client, CAPTCHA, {}) for _ in range(CAPTCHAS_PER_ADDRESS.limit + 1)]
    assert await stored() - before <= CAPTCHAS_PER_ADDRESS.limit
    assert codes(answers[-1]) == ["RATE_LIMITED"]
    assert answers[-1]["errors"][0]["extensions"]["retryAfterSeconds"] > 0


async def test_change_password_current_password_guesses_locked_like_login(
    api: Api, factory: Factory, own_address: httpx.AsyncClient
) -> None:
    """A stolen session guessed the password itself through changePassword, without any limit:
    its wrong guesses count against the same per-username lock as sign-in."""
    username = await factory.citizen("Guessed-Pass-2026")
    token = (await call(own_address, LOGIN, login_input(username, "Guessed-Pass-2026")))["data"]["login"][
        "token"
    ]
    for i in range(10):
        wrong = await call(
            own_address,
            CHANGE,
            {"input": {"currentPassword": f"guess-{i}", "newPassword": "Brand-New-Pass-9"}},
            token,
        )
        assert wrong["data"]["changePassword"]["__typename"] == "InvalidCredentials"
    right = await call(
        own_address,
        CHANGE,
        {"input": {"currentPassword": "Guessed-Pass-2026", "newPassword": "Brand-New-Pass-9"}},
        token,
    )
    assert right["data"]["changePassword"]["__typename"] == "InvalidCredentials"
    assert "try again" in right["data"]["changePassword"]["message"]
