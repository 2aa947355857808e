"""The electronic BHYT card (thẻ BHYT điện tử, as VssID shows it): a signed QR, its verification, and
the revocation list that lets a counter verify it offline."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import segno
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.card_keys import QR_LIFETIME_SECONDS, CardClaims, QrRefused
from models.tables import card_t, event_t
from models.types import utcnow
from resolvers.card import STATUS_REASONS, CoverageAnswer, card_status
from resolvers.context import Context
from resolvers.errors import BadUserInput

# A card renewed or suspended after a QR was issued revokes that QR: the events that say so.
REVOKING_EVENTS = ("CARD_UPDATED",)


@dataclass(frozen=True, slots=True)
class CardQrImage:
    payload: str
    svg: str
    png_data_uri: str


def claims_of(card: Any, holder: Any, facility: Any, key_id: str, now: datetime) -> CardClaims:
    issued = int(now.timestamp())
    expires = issued + QR_LIFETIME_SECONDS
    if card.valid_to is not None:
        end_of_validity = datetime(card.valid_to.year, card.valid_to.month, card.valid_to.day, tzinfo=UTC)
        expires = min(expires, int(end_of_validity.timestamp()) + 24 * 3600)
    return CardClaims(
        number=card.number,
        full_name=holder.full_name,
        date_of_birth=holder.date_of_birth,
        benefit_level=card.benefit_level,
        valid_from=card.valid_from,
        valid_to=card.valid_to,
        primary_care_facility=facility.code if facility is not None else None,
        issued_at=issued,
        expires_at=expires,
        key_id=key_id,
    )


def card_qr(context: Context, card: Any, holder: Any, facility: Any) -> CardQrImage:
    keys = context.runtime.card_keys
    payload = keys.sign(claims_of(card, holder, facility, keys.current, datetime.now(UTC)))
    code = segno.make(payload, error="m")
    svg = io.BytesIO()
    code.save(svg, kind="svg", scale=4, xmldecl=False, svgns=True)
    return CardQrImage(payload=payload, svg=svg.getvalue().decode(), png_data_uri=code.png_data_uri(scale=4))


async def verify_card_qr(context: Context, payload: str) -> CoverageAnswer:
    """What a counter learns from an e-card: whether it is genuine and current, and its level.
    Beyond what the QR itself shows, nothing; a tampered or expired QR is a specific error."""
    try:
        claims = context.runtime.card_keys.verify(payload.strip(), datetime.now(UTC))
    except QrRefused as refused:
        error = BadUserInput(str(refused), "payload")
        error.extensions = {**(error.extensions or {}), "reason": refused.code}
        raise error from None
    card = (
        await context.session.execute(
            select(card_t.c.number, card_t.c.suspended, card_t.c.valid_from, card_t.c.valid_to).where(
                card_t.c.number == claims.number
            )
        )
    ).first()
    if card is None:
        return CoverageAnswer(valid=False, reason="No card has this number any more.")
    revoked_at = await context.session.scalar(
        select(func.max(event_t.c.occurred_at)).where(
            event_t.c.type.in_(REVOKING_EVENTS),
            event_t.c.subject_type == "HealthInsuranceCard",
            event_t.c.subject_id
            == select(card_t.c.id).where(card_t.c.number == claims.number).scalar_subquery(),
        )
    )
    if revoked_at is not None and int(revoked_at.replace(tzinfo=UTC).timestamp()) >= claims.issued_at:
        return CoverageAnswer(
            valid=False, reason="This e-card was revoked: the card changed since (renewed or suspended)."
        )
    status = card_status(card)
    if status != "ACTIVE":
        return CoverageAnswer(valid=False, reason=STATUS_REASONS[status], valid_to=card.valid_to)
    return CoverageAnswer(valid=True, benefit_level=claims.benefit_level, valid_to=card.valid_to)


async def revocations(session: AsyncSession) -> list[dict[str, str]]:
    """Every card changed after issue, with the time from which its earlier QRs are void."""
    rows = await session.execute(
        select(card_t.c.number, func.max(event_t.c.occurred_at).label("since"))
        .join(card_t, card_t.c.id == event_t.c.subject_id)
        .where(event_t.c.type.in_(REVOKING_EVENTS), event_t.c.subject_type == "HealthInsuranceCard")
        .group_by(card_t.c.number)
        .order_by(card_t.c.number)
    )
    return [
        {"number": row.number, "since": row.since.replace(tzinfo=UTC).isoformat(timespec="seconds")}
        for row in rows
    ]


def now_iso() -> str:
    return utcnow().replace(tzinfo=UTC).isoformat(timespec="seconds")
