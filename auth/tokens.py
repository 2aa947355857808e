"""Opaque bearer tokens: random, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.viewer import Role, Viewer
from models import statements
from models.tables import account_t, auth_session_t, office_t
from models.types import utcnow

SESSION_LIFETIME = timedelta(hours=12)
PASSWORD_MAX_AGE = timedelta(days=180)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value, if that is what it is."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def issue(
    session: AsyncSession,
    account_id: int,
    device_id: str,
    lifetime: timedelta = SESSION_LIFETIME,
    *,
    second_factor_pending: bool = False,
) -> tuple[str, datetime]:
    """A new session for the account; the caller commits. Returns the token and its expiry.
    With `second_factor_pending` the session may only enrol a second factor (auth/gate.py)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + lifetime
    await session.execute(
        insert(auth_session_t).values(
            token_hash=hash_token(token),
            account_id=account_id,
            device_id=device_id,
            created_at=now,
            expires_at=expires,
            second_factor_pending=second_factor_pending,
        )
    )
    return token, expires


# Built once: only the token's hash is bound per request (building and hashing the expression
# for every request cost more than running it).
_VIEWER = (
    select(
        auth_session_t.c.id.label("session_id"),
        auth_session_t.c.expires_at,
        auth_session_t.c.revoked_at,
        auth_session_t.c.second_factor_pending,
        *(c for c in account_t.c if c.name != "password_hash"),
        office_t.c.province_code.label("office_province"),
        office_t.c.level.label("office_level"),
    )
    .join(account_t, account_t.c.id == auth_session_t.c.account_id)
    .outerjoin(office_t, office_t.c.id == account_t.c.office_id)
    .where(auth_session_t.c.token_hash == bindparam("token_hash"))
)


async def viewer_for(session: AsyncSession, token: str) -> tuple[Viewer, Any] | None:
    """The signed-in viewer of a token and its account row; None if unknown, expired, revoked or
    disabled. One statement: the account comes along so that `viewer` costs nothing more."""
    found = await statements.run(
        session, "viewer_for", (), lambda _: _VIEWER, {"token_hash": hash_token(token)}
    )
    row = found[0] if found else None
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow() or row.disabled:
        return None
    role = Role(row.role)
    viewer = Viewer(
        account_id=row.id,
        username=row.username,
        role=role,
        session_id=row.session_id,
        person_id=row.person_id,
        office_id=row.office_id,
        province_code=(row.office_province if row.office_level != "NATIONAL" else None)
        if role is Role.OFFICER
        else None,
        facility_id=row.facility_id,
        unit_id=row.unit_id,
        agent_id=row.agent_id,
        # Set at approval, and again once the password is older than 180 days.
        must_change_password=row.must_change_password
        or row.password_changed_at + PASSWORD_MAX_AGE <= utcnow(),
        second_factor_pending=bool(row.second_factor_pending),
    )
    return viewer, row


# What decides whether a cached session still stands, and who it is: read again on every request.
_STANDING = (
    auth_session_t.c.revoked_at,
    auth_session_t.c.expires_at,
    auth_session_t.c.second_factor_pending,
    account_t.c.disabled,
    account_t.c.role,
    account_t.c.person_id,
    account_t.c.office_id,
    account_t.c.facility_id,
    account_t.c.unit_id,
    account_t.c.agent_id,
    account_t.c.must_change_password,
    account_t.c.password_changed_at,
)

_STILL_CURRENT = (
    select(*_STANDING)
    .join(account_t, account_t.c.id == auth_session_t.c.account_id)
    .where(auth_session_t.c.id == bindparam("session_id"))
)


async def still_current(session: AsyncSession, cached: Any) -> bool:
    """Whether a session read earlier (`cached`: the row of viewer_for) is unchanged in the
    database: not revoked, not expired, its account not disabled nor rebound. One statement on
    two primary keys, so that a session ended by any writer, even one whose commit this process
    never hears of (another program, a hand-made UPDATE), stops working at the next request."""
    found = await statements.run(
        session, "still_current", (), lambda _: _STILL_CURRENT, {"session_id": cached.session_id}
    )
    row = found[0] if found else None
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow() or row.disabled:
        return False
    return all(getattr(row, column.name) == getattr(cached, column.name) for column in _STANDING)
