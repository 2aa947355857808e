"""Quên mật khẩu: a one-time code to the registered phone, then a new password.

The request answers the same whether or not the username exists (a challenge id and a phone
hint, stable for the username), so it is no way to learn who has an account. Requests are
budgeted per address and per username, a code has 5 tries and 5 minutes, and a reset ends every
session of the account (their subscriptions with them).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from auth import otp, throttle
from auth.masking import mask_phone
from auth.passwords import hash_password, password_problems
from auth.secrets import keyed_hash
from infra.outbox import enqueue
from models.tables import account_t, auth_session_t, challenge_t, person_t
from models.types import utcnow
from resolvers.account import ACCOUNT_COLUMNS, check_captcha, client_address
from resolvers.context import Context
from resolvers.outcomes import Invalid, Problem, Problems, Throttled

PURPOSE = "password-reset"
PER_ADDRESS = 10  # requests per client address per hour
PER_USERNAME = 3  # SMS per username per hour: nobody floods a phone through this
WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class ResetRequested:
    challenge_id: str
    phone_hint: str


def _decoy_hint(key: str, username: str) -> str:
    """A hint for a username without an account (or without a phone): shaped like a real one and
    the same on every request, so that comparing answers tells nothing."""
    digest = keyed_hash(key, "reset-hint", username)
    number = "09" + "".join(str(int(c, 16) % 10) for c in digest[:8])
    return mask_phone(number)


async def request_password_reset(
    context: Context, username: str, captcha_id: str, captcha_answer: str
) -> ResetRequested | Invalid | Throttled:
    session, settings = context.session, context.runtime.settings
    problems = Problems()
    name = username.strip()
    if not 1 <= len(name) <= 64:
        problems.add(("input", "username"), "LENGTH", "The username has 1 to 64 characters.")
    await check_captcha(context, problems, captcha_id, captcha_answer)
    if problems:
        await session.commit()  # the captcha is spent either way
        return Invalid(problems.items)
    now = utcnow()
    for bucket, client, limit in (
        ("reset-address", client_address(context), PER_ADDRESS),
        ("reset-username", name, PER_USERNAME),
    ):
        wait = await throttle.spend(session, bucket, client, limit, WINDOW, now)
        if wait:
            await session.commit()
            return Throttled("Too many password resets asked; try again later.", wait)
    row = (
        await session.execute(
            select(account_t.c.id, account_t.c.disabled, person_t.c.phone)
            .outerjoin(person_t, person_t.c.id == account_t.c.person_id)
            .where(account_t.c.username == name)
        )
    ).first()
    if row is None or row.disabled or not row.phone:
        await session.commit()
        return ResetRequested(str(uuid.uuid4()), _decoy_hint(settings.secret_key, name))
    challenge_id, code = await otp.create(session, settings.secret_key, row.id, "", now, purpose=PURPOSE)
    await enqueue(session, "sms", row.phone, "password_reset_otp", otp=code)
    await session.commit()
    context.runtime.outbox_wake()
    return ResetRequested(challenge_id, mask_phone(row.phone))


async def reset_password(context: Context, challenge_id: str, code: str, new_password: str) -> Any | Invalid:
    """The account row after the reset, or the problems (a wrong code counts a try)."""
    session, settings = context.session, context.runtime.settings
    if not code.strip().isdigit() or len(code.strip()) != 6:
        return Invalid([Problem(("input", "code"), "OTP_FORMAT", "The code has 6 digits.")])
    if len(new_password) > 256:
        return Invalid([Problem(("input", "newPassword"), "LENGTH", "At most 256 characters.")])
    now = utcnow()
    expired = Invalid(
        [Problem(("input", "challengeId"), "OTP_EXPIRED", "This code has expired or was used up; ask again.")]
    )
    # The new password is judged first (it needs the username, not the code): a weak one costs no try.
    account = (
        await session.execute(
            select(account_t.c.id, account_t.c.username)
            .join(challenge_t, challenge_t.c.account_id == account_t.c.id)
            .where(challenge_t.c.id == challenge_id, challenge_t.c.device_id == "")
        )
    ).first()
    if account is None:
        return expired
    problems = [
        Problem(("input", "newPassword"), c, m) for c, m in password_problems(new_password, account.username)
    ]
    if problems:
        return Invalid(problems)
    verdict, _, left = await otp.check(session, settings.secret_key, challenge_id, code, now, purpose=PURPOSE)
    if verdict is otp.OtpVerdict.EXPIRED:
        await session.commit()
        return expired
    if verdict is otp.OtpVerdict.WRONG:
        await session.commit()
        return Invalid([Problem(("input", "code"), verdict.value, f"The code is wrong; {left} tries left.")])
    await session.execute(
        update(account_t)
        .where(account_t.c.id == account.id)
        .values(
            password_hash=hash_password(new_password), must_change_password=False, password_changed_at=now
        )
    )
    # Every session ends (whoever knew the old password is out), their subscriptions with them.
    await session.execute(
        update(auth_session_t)
        .where(auth_session_t.c.account_id == account.id, auth_session_t.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.commit()
    return (await session.execute(select(*ACCOUNT_COLUMNS).where(account_t.c.id == account.id))).one()
