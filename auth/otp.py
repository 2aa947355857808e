"""One-time codes: 6 digits by SMS, valid 5 minutes, 5 tries; for a new device ("otp") or a
forgotten password ("password-reset"). The purpose is part of the code's keyed hash, so a code
(or a challenge) of one purpose never passes for the other."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.secrets import digits, keyed_hash, same
from models.tables import challenge_t

LIFETIME = timedelta(minutes=5)
MAX_TRIES = 5


class OtpVerdict(Enum):
    OK = "OK"
    WRONG = "OTP_WRONG"
    EXPIRED = "OTP_EXPIRED"  # unknown, expired, used, or out of tries


async def create(
    session: AsyncSession, key: str, account_id: int, device_id: str, now: datetime, purpose: str = "otp"
) -> tuple[str, str]:
    """A new challenge; returns its id and the code to send."""
    code = digits(6)
    challenge_id = str(uuid.uuid4())
    await session.execute(
        insert(challenge_t).values(
            id=challenge_id,
            account_id=account_id,
            device_id=device_id,
            code_hmac=keyed_hash(key, purpose, code),
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    return challenge_id, code


async def check(
    session: AsyncSession, key: str, challenge_id: str, code: str, now: datetime, purpose: str = "otp"
) -> tuple[OtpVerdict, Any, int]:
    """The verdict, the challenge row and the tries left. A try is counted atomically first."""
    counted = await session.execute(
        update(challenge_t)
        .where(
            challenge_t.c.id == challenge_id,
            challenge_t.c.used_at.is_(None),
            challenge_t.c.expires_at > now,
            challenge_t.c.attempts < MAX_TRIES,
        )
        .values(attempts=challenge_t.c.attempts + 1)
    )
    if counted.rowcount != 1:  # type: ignore[attr-defined]
        return OtpVerdict.EXPIRED, None, 0
    row = (await session.execute(select(challenge_t).where(challenge_t.c.id == challenge_id))).one()
    if not same(row.code_hmac, keyed_hash(key, purpose, code.strip())):
        return OtpVerdict.WRONG, row, MAX_TRIES - row.attempts
    await session.execute(update(challenge_t).where(challenge_t.c.id == challenge_id).values(used_at=now))
    return OtpVerdict.OK, row, MAX_TRIES - row.attempts
