"""The change feed and the audit trail, both written in the caller's transaction.

An `event` row exists if and only if the change that caused it commits: its id is the
subscription cursor (commit order). The scope facts (person, province, facility, unit) are copied
in so that subscribers can be filtered by the access policy without loading the subject.
"""

from __future__ import annotations

import json
from typing import Any, cast

from sqlalchemy import CursorResult, Result, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from auth.viewer import Viewer
from models.tables import audit_t, event_t
from models.types import utcnow
from resolvers.context import Context

EVENT_TYPES = frozenset(
    {
        "REGISTRATION_SUBMITTED",
        "REGISTRATION_APPROVED",
        "REGISTRATION_REJECTED",
        "CARD_ISSUED",
        "CARD_UPDATED",
        "CONTRIBUTION_RECORDED",
        "MEDICAL_VISIT_RECORDED",
        "BENEFIT_DECIDED",
        "CLAIM_SUBMITTED",
        "CLAIM_REVIEW_STARTED",
        "CLAIM_LINE_REVIEWED",
        "CLAIM_DECIDED",
        "HOUSEHOLD_MEMBER_ADDED",
        "HOUSEHOLD_MEMBER_REMOVED",
        "HOUSEHOLD_PAYMENT_RECORDED",
        "HOUSEHOLD_DELEGATION_REVOKED",
        "HOUSEHOLD_DELEGATION_RESTORED",
    }
)
DETAIL_MAX = 2000
EVENT_ORDER_LOCK = 0x616E73696E68  # "ansinh": one lock for the order of all events


async def record_event(
    session: AsyncSession,
    type: str,
    subject_type: str,
    subject_id: int,
    person_id: int | None = None,
    province_code: str | None = None,
    facility_id: int | None = None,
    unit_id: int | None = None,
    agent_id: int | None = None,
) -> None:
    """Adds one event in the caller's transaction (not committed here).

    Subscribers read events by id, so ids must become visible in id order. On PostgreSQL a
    sequence hands out ids at insert, not at commit; a transaction-scoped advisory lock taken
    just before the insert (and held until commit) makes event-writing transactions commit one
    after the other from that point, so no smaller id can appear after a larger one was read.
    (SQLite has a single writer: its ids are already commit order.)
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_ORDER_LOCK})
    await session.execute(
        insert(event_t).values(
            type=type,
            occurred_at=utcnow(),
            subject_type=subject_type,
            subject_id=subject_id,
            person_id=person_id,
            province_code=province_code,
            facility_id=facility_id,
            unit_id=unit_id,
            agent_id=agent_id,
        )
    )


def _detail_text(detail: str | dict[str, Any] | None) -> str | None:
    if detail is None:
        return None
    text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False, default=str)
    return text if len(text) <= DETAIL_MAX else text[: DETAIL_MAX - 1] + "…"


async def audit(
    session: AsyncSession,
    viewer: Viewer | None,
    action: str,
    subject_type: str,
    subject_id: int,
    detail: str | dict[str, Any] | None,
) -> None:
    """Who did what, on which record, in the caller's transaction. `viewer` None: anonymous.

    The detail says what changed; it must not carry secrets (passwords, OTPs, tokens).
    """
    await session.execute(
        insert(audit_t).values(
            at=utcnow(),
            actor_account_id=viewer.account_id if viewer is not None else None,
            actor_username=viewer.username if viewer is not None else None,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            detail=_detail_text(detail),
        )
    )


def events_committed(context: Context) -> None:
    """After the commit of a transaction that recorded events: subscribers get them now, not at the
    next poll."""
    context.runtime.events_committed()


def inserted_id(result: Result[Any]) -> int:
    """The primary key of the row a single-row INSERT just wrote."""
    key = cast(CursorResult[Any], result).inserted_primary_key
    assert key is not None, "not an INSERT"
    return int(key[0])
