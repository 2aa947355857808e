from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth import scopes
from auth.viewer import Viewer
from models import rules
from models.rules.records import CardFact, check_card
from models.tables import (
    card_t,
    facility_t,
    person_t,
)
from models.types import VIETNAM_TZ
from resolvers.context import Context, require_viewer
from resolvers.errors import BadUserInput
from resolvers.events import audit, events_committed, inserted_id, record_event
from resolvers.loaders import cards_with_owner
from resolvers.outcomes import Invalid, Problem, Problems
from resolvers.recording import (
    INPUT,
    Outcome,
    Saved,
    load_history,
    officer_only,
    one_row,
    person_in_scope,
    report,
)
from resolvers.registration import check_text, vietnam_today

CARD_NUMBER = re.compile(r"^[A-Z]{2}[1-5]\d{2}\d{10}$")


def card_status(row: Any) -> str:
    today = datetime.now(VIETNAM_TZ).date()
    if row.suspended:
        return "SUSPENDED"
    if today < row.valid_from:
        return "NOT_YET_VALID"
    if row.valid_to is not None and today > row.valid_to:
        return "EXPIRED"
    return "ACTIVE"


async def card_by_number(context: Context, number: str) -> Any | None:
    """A card check: by the 15-character number, or by the 10-digit code printed since 2021."""
    require_viewer(context)
    value = number.strip().upper()
    if CARD_NUMBER.match(value):
        condition = card_t.c.number == value
    elif re.fullmatch(r"\d{10}", value):
        condition = card_t.c.social_insurance_code == value
    else:
        raise BadUserInput(
            "number: a card number is 15 characters (group, level, province, code, e.g. HC4010113099841) "
            "or the 10-digit social-insurance code.",
            "number",
        )
    statement = (
        cards_with_owner()
        .where(condition, scopes.card_check(context.viewer))
        .order_by(card_t.c.valid_from.desc(), card_t.c.id.desc())
        .limit(1)
    )
    return (await context.session.execute(statement)).first()


# ---------- health-insurance cards ----------


@dataclass(frozen=True, slots=True)
class CardData:
    social_insurance_code: str
    beneficiary_group: str
    valid_from: date
    primary_care_facility_code: str
    valid_to: date | None = None
    five_years_continuous_from: date | None = None


CARD_OFFICERS = "of the holder's province issue and change health-insurance cards"


async def issue_card(context: Context, data: CardData) -> Outcome:
    viewer = require_viewer(context)
    refused = officer_only(viewer, CARD_OFFICERS)
    if refused is not None:
        return refused
    session = context.session
    problems = Problems()
    person = await person_in_scope(
        session, viewer, problems, (*INPUT, "socialInsuranceCode"), data.social_insurance_code
    )
    group = data.beneficiary_group.strip().upper()
    if group not in rules.BENEFICIARY_GROUPS:
        problems.add(
            (*INPUT, "beneficiaryGroup"),
            "UNKNOWN_GROUP",
            f"{group!r} is not a beneficiary group (mã đối tượng) such as DN, HC, HT, TE, GD.",
        )
    if data.valid_to is not None and data.valid_to < data.valid_from:
        problems.add((*INPUT, "validTo"), "BEFORE_FROM", "validTo cannot be before validFrom.")
    facility = (
        await session.execute(
            select(facility_t.c.id, facility_t.c.accepts_health_insurance).where(
                facility_t.c.code == data.primary_care_facility_code.strip().upper()
            )
        )
    ).first()
    if facility is None:
        problems.add(
            (*INPUT, "primaryCareFacilityCode"),
            "NOT_FOUND",
            f"No health facility has the code {data.primary_care_facility_code!r}.",
        )
    elif not facility.accepts_health_insurance:
        problems.add(
            (*INPUT, "primaryCareFacilityCode"),
            "NO_HEALTH_INSURANCE_CONTRACT",
            "This facility has no health-insurance contract: it cannot be a place of primary care.",
        )
    number = None
    exists = False
    if person is not None and group in rules.BENEFICIARY_GROUPS:
        number = rules.card_number(group, person.province_scope, person.social_insurance_code)
        if (
            exists := (await session.execute(select(card_t.c.id).where(card_t.c.number == number))).first()
            is not None
        ):
            problems.add(
                (*INPUT, "beneficiaryGroup"),
                "CARD_EXISTS",
                f"The card {number} exists already: renew it (renewCard) rather than issue it again.",
            )
    if (
        not exists
        and person is not None
        and group in rules.BENEFICIARY_GROUPS
        and (data.valid_to is None or data.valid_to >= data.valid_from)
    ):
        fact = CardFact(None, group, data.valid_from, data.valid_to)
        report(problems, check_card(fact, await load_history(session, person), vietnam_today()))
    if problems or person is None or facility is None or number is None:
        return Invalid(problems.items)
    try:
        inserted = await session.execute(
            insert(card_t).values(
                number=number,
                social_insurance_code=person.social_insurance_code,
                person_id=person.id,
                beneficiary_group=group,
                benefit_level=rules.benefit_level(group),
                province_code=person.province_scope,
                valid_from=data.valid_from,
                valid_to=data.valid_to,
                suspended=False,
                primary_care_facility_id=facility.id,
                five_years_continuous_from=data.five_years_continuous_from,
            )
        )
    except IntegrityError:
        await session.rollback()
        return Invalid(
            [Problem((*INPUT, "beneficiaryGroup"), "CARD_EXISTS", f"The card {number} exists already.")]
        )
    card_id = inserted_id(inserted)
    await record_event(
        session,
        "CARD_ISSUED",
        "HealthInsuranceCard",
        card_id,
        person_id=person.id,
        province_code=person.province_scope,
        facility_id=facility.id,
    )
    await audit(session, viewer, "issueCard", "HealthInsuranceCard", card_id, {"number": number})
    await session.commit()
    events_committed(context)
    return Saved(await one_row(session, cards_with_owner().where(card_t.c.id == card_id)))


async def _card_in_scope(
    session: AsyncSession, viewer: Viewer, problems: Problems, number: str
) -> Any | None:
    value = number.strip().upper()
    if not CARD_NUMBER.match(value):
        problems.add(
            (*INPUT, "cardNumber"),
            "FORMAT",
            "A card number is 15 characters: group, level, province, code (e.g. HC4010113099841).",
        )
        return None
    row = (
        await session.execute(cards_with_owner().where(card_t.c.number == value, scopes.cards(viewer)))
    ).first()
    if row is None:
        problems.add((*INPUT, "cardNumber"), "NOT_FOUND", f"No card {value} in your scope.")
    return row


async def _card_changed(
    context: Context, viewer: Viewer, card: Any, action: str, detail: dict[str, Any]
) -> Saved:
    session = context.session
    await record_event(
        session,
        "CARD_UPDATED",
        "HealthInsuranceCard",
        card.id,
        person_id=card.person_id,
        province_code=card.owner_province,
        facility_id=card.primary_care_facility_id,
    )
    await audit(session, viewer, action, "HealthInsuranceCard", card.id, {"number": card.number, **detail})
    await session.commit()
    events_committed(context)
    return Saved(await one_row(session, cards_with_owner().where(card_t.c.id == card.id)))


async def renew_card(context: Context, number: str, valid_from: date | None, valid_to: date) -> Outcome:
    viewer = require_viewer(context)
    refused = officer_only(viewer, CARD_OFFICERS)
    if refused is not None:
        return refused
    problems = Problems()
    card = await _card_in_scope(context.session, viewer, problems, number)
    today = vietnam_today()
    if valid_to < today:
        problems.add(
            (*INPUT, "validTo"), "IN_THE_PAST", f"A renewed card is valid until today ({today}) or later."
        )
    start = valid_from if valid_from is not None else (card.valid_from if card is not None else None)
    if start is not None and valid_to < start:
        problems.add((*INPUT, "validTo"), "BEFORE_FROM", "validTo cannot be before validFrom.")
    if card is not None and start is not None and valid_to >= start:
        holder = (
            await context.session.execute(select(person_t).where(person_t.c.id == card.person_id))
        ).one()
        fact = CardFact(card.id, card.beneficiary_group, start, valid_to, card.suspended)
        report(problems, check_card(fact, await load_history(context.session, holder), today))
    if problems or card is None or start is None:
        return Invalid(problems.items)
    await context.session.execute(
        update(card_t).where(card_t.c.id == card.id).values(valid_from=start, valid_to=valid_to)
    )
    return await _card_changed(
        context,
        viewer,
        card,
        "renewCard",
        {
            "validFrom": start.isoformat(),
            "validTo": valid_to.isoformat(),
            "before": [str(card.valid_from), str(card.valid_to)],
        },
    )


async def suspend_card(context: Context, number: str, reason: str) -> Outcome:
    viewer = require_viewer(context)
    refused = officer_only(viewer, CARD_OFFICERS)
    if refused is not None:
        return refused
    problems = Problems()
    card = await _card_in_scope(context.session, viewer, problems, number)
    text = check_text(problems, (*INPUT, "reason"), reason, "The reason", 500, required=True)
    if card is not None and card.suspended:
        problems.add((*INPUT, "cardNumber"), "ALREADY_SUSPENDED", "This card is suspended already.")
    if problems or card is None:
        return Invalid(problems.items)
    changed = await context.session.execute(
        update(card_t).where(card_t.c.id == card.id, card_t.c.suspended.is_(False)).values(suspended=True)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        await context.session.rollback()
        return Invalid(
            [Problem((*INPUT, "cardNumber"), "ALREADY_SUSPENDED", "This card is suspended already.")]
        )
    return await _card_changed(context, viewer, card, "suspendCard", {"reason": text})
