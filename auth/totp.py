"""The second factor of staff: TOTP (RFC 6238: 6 digits, 30-second steps, SHA-1, as every
authenticator app does it), through pyotp. A code is accepted once: the step of the last code
accepted is kept, and a code of that step or an earlier one is refused (RFC 6238, 5.2)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.viewer import Role
from models.tables import totp_t

ISSUER = "ansinh"
STEP_SECONDS = 30
# One step either side: the phone's clock may be a little off, and a code typed at the end of
# its step arrives in the next.
DRIFT_STEPS = 1


def needs_second_factor(role: str) -> bool:
    """Staff (officers, analysts, partners, admins) reach others' records: a password is not enough."""
    return role != Role.CITIZEN.value


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    otpauth_uri: str


async def credential(session: AsyncSession, account_id: int) -> Any | None:
    return (await session.execute(select(totp_t).where(totp_t.c.account_id == account_id))).first()


def _matching_step(secret: str, code: str, now: float) -> int | None:
    code = code.strip()
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int(now) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if pyotp.utils.strings_equal(totp.at(step * STEP_SECONDS), code):
            return step
    return None


async def accept(session: AsyncSession, row: Any, code: str, now: float | None = None) -> bool:
    """True, once, for a right code of the credential `row`; the caller commits."""
    step = _matching_step(row.secret, code, time.time() if now is None else now)
    if step is None:
        return False
    # Compare-and-set: of two requests with the same code, one wins.
    spent = await session.execute(
        update(totp_t)
        .where(
            totp_t.c.account_id == row.account_id,
            (totp_t.c.last_step.is_(None)) | (totp_t.c.last_step < step),
        )
        .values(last_step=step)
    )
    return bool(spent.rowcount == 1)  # type: ignore[attr-defined]


async def begin_enrolment(session: AsyncSession, account_id: int, username: str, now: datetime) -> Enrolment:
    """A new secret for an account not yet enrolled (it replaces an unconfirmed one)."""
    secret = pyotp.random_base32(length=32)
    await session.execute(
        delete(totp_t).where(totp_t.c.account_id == account_id, totp_t.c.confirmed_at.is_(None))
    )
    await session.execute(insert(totp_t).values(account_id=account_id, secret=secret, created_at=now))
    uri = pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=username, issuer_name=ISSUER)
    return Enrolment(secret, uri)


async def confirm(session: AsyncSession, row: Any, code: str, now: datetime) -> bool:
    if not await accept(session, row, code):
        return False
    await session.execute(
        update(totp_t).where(totp_t.c.account_id == row.account_id).values(confirmed_at=now)
    )
    return True
