"""Sign-in throttling and the adaptive captcha, counted from the login_attempt table.

A lock never outlives its window, and the per-username lock does not apply on a device the
account is already signed in on: an attacker can slow a victim's sign-ins from new devices,
not lock the victim out of their own phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.tables import login_attempt_t, rate_event_t

WINDOW = timedelta(minutes=15)
CAPTCHA_AFTER = 3  # failures, per username or per client address
USERNAME_LOCK_AFTER = 10
CLIENT_LOCK_AFTER = 50


@dataclass(frozen=True, slots=True)
class Pressure:
    username_failures: int
    client_failures: int
    username_retry_after: int  # seconds until the username lock lifts (0: not locked)
    client_retry_after: int

    @property
    def wants_captcha(self) -> bool:
        return self.username_failures >= CAPTCHA_AFTER or self.client_failures >= CAPTCHA_AFTER


async def _failures(
    session: AsyncSession, column: str, value: str, now: datetime, lock_after: int
) -> tuple[int, int]:
    since = now - WINDOW
    condition = (
        login_attempt_t.c[column] == value,
        login_attempt_t.c.at > since,
        login_attempt_t.c.succeeded.is_(False),
    )
    count = int(await session.scalar(select(func.count()).where(*condition)) or 0)
    retry = 0
    if count >= lock_after:
        # The lock lifts when the lock_after-th most recent failure leaves the window.
        pivot = (
            await session.execute(
                select(login_attempt_t.c.at)
                .where(*condition)
                .order_by(login_attempt_t.c.at.desc())
                .offset(lock_after - 1)
                .limit(1)
            )
        ).scalar_one()
        retry = max(1, int((pivot + WINDOW - now).total_seconds()) + 1)
    return count, retry


async def pressure(session: AsyncSession, username: str, client: str, now: datetime) -> Pressure:
    user_count, user_retry = await _failures(session, "username", username, now, USERNAME_LOCK_AFTER)
    client_count, client_retry = await _failures(session, "client", client, now, CLIENT_LOCK_AFTER)
    return Pressure(user_count, client_count, user_retry, client_retry)


async def record(
    session: AsyncSession, username: str, client: str, device_id: str, now: datetime, *, ok: bool
) -> None:
    await session.execute(
        insert(login_attempt_t).values(
            username=username, client=client, device_id=device_id, at=now, succeeded=ok
        )
    )


async def spend(
    session: AsyncSession, bucket: str, client: str, limit: int, window: timedelta, now: datetime
) -> int:
    """Counts one use by the client; returns 0 if within `limit` per `window`, else seconds to wait."""
    wait = await exhausted(session, bucket, client, limit, window, now)
    if not wait:
        await note(session, bucket, client, now)
    return wait


async def note(session: AsyncSession, bucket: str, client: str, now: datetime) -> None:
    """Counts one event (say, a failure) against the client's budget; the caller commits."""
    await session.execute(insert(rate_event_t).values(bucket=bucket, client=client, at=now))


async def exhausted(
    session: AsyncSession, bucket: str, client: str, limit: int, window: timedelta, now: datetime
) -> int:
    """0 if the client has used less than `limit` in the last `window`, else seconds to wait."""
    since = now - window
    condition = (rate_event_t.c.bucket == bucket, rate_event_t.c.client == client, rate_event_t.c.at > since)
    used = int(await session.scalar(select(func.count()).where(*condition)) or 0)
    if used >= limit:
        oldest = (
            await session.execute(
                select(rate_event_t.c.at)
                .where(*condition)
                .order_by(rate_event_t.c.at.desc())
                .offset(limit - 1)
                .limit(1)
            )
        ).scalar_one()
        return max(1, int((oldest + window - now).total_seconds()) + 1)
    return 0
