"""Sign-in throttling and the adaptive captcha, counted from the login_attempt table, and the
budgets of what costs others (SMS, captchas), counted from rate_event.

A lock never outlives its window. The per-username lock holds whatever device id the client
sends: a device id is the client's word, not a secret (issue 13, finding 6). The price is that an
attacker can keep an account's sign-ins locked for 15 minutes at a time; sessions already signed
in go on working, and the lock lifts by itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.tables import login_attempt_t, rate_event_t

WINDOW = timedelta(minutes=15)
CAPTCHA_AFTER = 3  # failures, per username or per client address
USERNAME_LOCK_AFTER = 10
CLIENT_LOCK_AFTER = 50


@dataclass(frozen=True, slots=True)
class Budget:
    """At most `limit` uses per `window`, counted per key (an account, an address)."""

    bucket: str
    limit: int
    window: timedelta


# A new-device code is a paid SMS to someone's phone (SMS pumping): per account, per address.
SMS_PER_ACCOUNT = Budget("sms-account", 5, timedelta(hours=1))
SMS_PER_ADDRESS = Budget("sms-address", 10, timedelta(hours=1))
# A captcha is a row and an image rendered on the server.
CAPTCHAS_PER_ADDRESS = Budget("captcha-address", 30, timedelta(minutes=10))


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
    return await spend_all(session, [(Budget(bucket, limit, window), client)], now)


async def spend_all(session: AsyncSession, uses: Sequence[tuple[Budget, str]], now: datetime) -> int:
    """One use of each budget, for its key, only if every one of them has room: 0, else the
    seconds until all would have (nothing is counted then). The caller commits."""
    wait = 0
    for budget, key in uses:
        wait = max(wait, await _wait(session, budget.bucket, key, budget.limit, budget.window, now))
    if wait:
        return wait
    for budget, key in uses:
        await session.execute(insert(rate_event_t).values(bucket=budget.bucket, client=key[:64], at=now))
    return 0


async def note(session: AsyncSession, bucket: str, client: str, now: datetime) -> None:
    """Counts one event (say, a failure) against the client's budget; the caller commits."""
    await session.execute(insert(rate_event_t).values(bucket=bucket, client=client[:64], at=now))


def _recent(bucket: str, key: str, window: timedelta, now: datetime) -> tuple[Any, ...]:
    return (
        rate_event_t.c.bucket == bucket,
        rate_event_t.c.client == key[:64],
        rate_event_t.c.at > now - window,
    )


def used(bucket: str, client: str, window: timedelta, now: datetime) -> Any:
    """The client's uses of the bucket in the last `window`, as a scalar subquery: to read with
    another statement (the counter's card lookup), then `exhausted` only when at the limit."""
    return select(func.count()).where(*_recent(bucket, client, window, now)).scalar_subquery()


async def exhausted(
    session: AsyncSession, bucket: str, client: str, limit: int, window: timedelta, now: datetime
) -> int:
    """0 if the client has used less than `limit` in the last `window`, else seconds to wait."""
    return await _wait(session, bucket, client, limit, window, now)


async def _wait(
    session: AsyncSession, bucket: str, key: str, limit: int, window: timedelta, now: datetime
) -> int:
    condition = _recent(bucket, key, window, now)
    used = int(await session.scalar(select(func.count()).where(*condition)) or 0)
    if used < limit:
        return 0
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
