"""Quên mật khẩu: the same answer for any username, a code by SMS, limited tries, every session ended."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Api, Factory, messages
from tests.test_account import LOGIN, call, login_input

REQUEST = """mutation($input: RequestPasswordResetInput!) { requestPasswordReset(input: $input) { __typename
  ... on PasswordResetRequested { challengeId phoneHint }
  ... on InvalidInput { errors { field code message } }
  ... on TooManyAttempts { message retryAfterSeconds } } }"""
RESET = """mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { __typename
  ... on ChangePasswordSuccess { account { username mustChangePassword } }
  ... on InvalidInput { errors { field code message } }
  ... on InvalidCredentials { message } } }"""


def ask(username: str) -> dict[str, object]:
    return {"input": {"username": username, "captchaId": "x", "captchaAnswer": "x"}}


async def test_request_password_reset_same_shape_whether_or_not_the_account_exists(
    api: Api, factory: Factory
) -> None:
    username = await factory.citizen()
    real = (await call(api.client, REQUEST, ask(username)))["data"]["requestPasswordReset"]
    fake = (await call(api.client, REQUEST, ask("0199999990")))["data"]["requestPasswordReset"]
    assert real["__typename"] == fake["__typename"] == "PasswordResetRequested"
    assert set(real) == set(fake)
    assert len(real["phoneHint"]) == len(fake["phoneHint"]) and "***" in fake["phoneHint"]
    again = (await call(api.client, REQUEST, ask("0199999990")))["data"]["requestPasswordReset"]
    assert again["phoneHint"] == fake["phoneHint"]  # stable: comparing answers tells nothing
    unknown = await call(
        api.client,
        RESET,
        {"input": {"challengeId": fake["challengeId"], "code": "123456", "newPassword": "Moi-Mat-Khau-2026"}},
    )
    assert unknown["data"]["resetPassword"]["errors"][0]["code"] == "OTP_EXPIRED"


async def test_reset_password_success_ends_every_session(
    api: Api, factory: Factory, message_log: Path
) -> None:
    username = await factory.citizen("Old-Pass-2026")
    signed_in = (await call(api.client, LOGIN, login_input(username, "Old-Pass-2026")))["data"]["login"]
    assert signed_in["__typename"] == "LoginSuccess"
    requested = (await call(api.client, REQUEST, ask(username)))["data"]["requestPasswordReset"]
    await api.app.state.runtime.outbox.deliver_due()
    sms = messages(message_log, "password_reset_otp")[-1]
    assert requested["phoneHint"].endswith(sms["to"][-3:])
    code = sms["params"]["otp"]
    assert len(code) == 6 and code.isdigit()
    weak = await call(
        api.client,
        RESET,
        {"input": {"challengeId": requested["challengeId"], "code": code, "newPassword": "abc"}},
    )
    assert weak["data"]["resetPassword"]["__typename"] == "InvalidInput"
    ok = await call(
        api.client,
        RESET,
        {
            "input": {
                "challengeId": requested["challengeId"],
                "code": code,
                "newPassword": "Moi-Mat-Khau-2026",
            }
        },
    )
    assert ok["data"]["resetPassword"] == {
        "__typename": "ChangePasswordSuccess",
        "account": {"username": username, "mustChangePassword": False},
    }
    old = await call(api.client, "{ viewer { account { username } } }", {}, signed_in["token"])
    assert old["data"]["viewer"] is None
    new = (await call(api.client, LOGIN, login_input(username, "Moi-Mat-Khau-2026")))["data"]["login"]
    assert new["__typename"] == "LoginSuccess"
    used = await call(
        api.client,
        RESET,
        {
            "input": {
                "challengeId": requested["challengeId"],
                "code": code,
                "newPassword": "Khac-Mat-Khau-2026",
            }
        },
    )
    assert used["data"]["resetPassword"]["errors"][0]["code"] == "OTP_EXPIRED"


async def test_reset_password_wrong_codes_limited(api: Api, factory: Factory, message_log: Path) -> None:
    username = await factory.citizen()
    requested = (await call(api.client, REQUEST, ask(username)))["data"]["requestPasswordReset"]
    await api.app.state.runtime.outbox.deliver_due()
    code = messages(message_log, "password_reset_otp")[-1]["params"]["otp"]
    wrong = "000000" if code != "000000" else "111111"
    answers = []
    for _ in range(5):
        body = await call(
            api.client,
            RESET,
            {
                "input": {
                    "challengeId": requested["challengeId"],
                    "code": wrong,
                    "newPassword": "Moi-Mat-Khau-2026",
                }
            },
        )
        answers.append(body["data"]["resetPassword"]["errors"][0]["code"])
    assert answers == ["OTP_WRONG"] * 5
    late = await call(
        api.client,
        RESET,
        {
            "input": {
                "challengeId": requested["challengeId"],
                "code": code,
                "newPassword": "Moi-Mat-Khau-2026",
            }
        },
    )
    assert late["data"]["resetPassword"]["errors"][0]["code"] == "OTP_EXPIRED"


async def test_reset_password_device_code_does_not_reset(
    api: Api, factory: Factory, message_log: Path
) -> None:
    """A code of the other purpose (a new device's) never passes for a reset."""
    username = await factory.citizen("Old-Pass-2026")
    requested = (await call(api.client, REQUEST, ask(username)))["data"]["requestPasswordReset"]
    await call(api.client, LOGIN, login_input(username, "Old-Pass-2026", "phone-A"))
    await call(api.client, LOGIN, login_input(username, "Old-Pass-2026", "phone-B"))
    await api.app.state.runtime.outbox.deliver_due()
    device_code = messages(message_log, "device_otp")[-1]["params"]["otp"]
    reset_code = messages(message_log, "password_reset_otp")[-1]["params"]["otp"]
    if device_code != reset_code:
        body = await call(
            api.client,
            RESET,
            {
                "input": {
                    "challengeId": requested["challengeId"],
                    "code": device_code,
                    "newPassword": "Moi-Mat-Khau-2026",
                }
            },
        )
        assert body["data"]["resetPassword"]["errors"][0]["code"] == "OTP_WRONG"


async def test_request_password_reset_budget_per_username(api: Api, factory: Factory) -> None:
    username = await factory.citizen()
    kinds = [
        (await call(api.client, REQUEST, ask(username)))["data"]["requestPasswordReset"]["__typename"]
        for _ in range(4)
    ]
    assert kinds == ["PasswordResetRequested"] * 3 + ["TooManyAttempts"]
