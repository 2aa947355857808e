from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from graphql import GraphQLError
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth import scopes, throttle
from auth.viewer import Role, Viewer
from models import rules
from models.rules.records import CardFact, History, check_card
from models.statements import run
from models.tables import (
    card_t,
    facility_t,
    person_t,
    rate_event_t,
)
from models.text import fold
from models.types import VIETNAM_TZ, utcnow
from resolvers.context import Context, require_viewer
from resolvers.errors import BadUserInput, RateLimited
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


def card_condition(number: str, argument: str = "number") -> Any:
    """The 15-character number, or the 10-digit code printed since 2021."""
    column, value = card_key(number, argument)
    return card_t.c[column] == value


def card_key(number: str, argument: str = "number") -> tuple[str, str]:
    """The card column a presented number names (`number` or `social_insurance_code`), and its value."""
    value = number.strip().upper()
    if CARD_NUMBER.match(value):
        return "number", value
    if re.fullmatch(r"\d{10}", value):
        return "social_insurance_code", value
    raise BadUserInput(
        f"{argument}: a card number is 15 characters (group, level, province, code, e.g. HC4010113099841) "
        "or the 10-digit social-insurance code.",
        argument,
    )


def presented(row: Any, full_name: str, date_of_birth: date) -> bool:
    """Whether the name and date of birth a patient presents are those of the person row (its
    `search_name` and `date_of_birth`): the name as written on the ID, case, spacing and
    diacritics aside."""
    return row.date_of_birth == date_of_birth and row.search_name == fold(full_name)


async def presented_budget(session: AsyncSession, facility_id: int) -> None:
    """RATE_LIMITED once the facility's mismatches reached PRESENTED_MISSES this window."""
    wait = await throttle.exhausted(
        session, PRESENTED_BUCKET, f"facility:{facility_id}", PRESENTED_MISSES, PRESENTED_WINDOW, utcnow()
    )
    if wait:
        raise RateLimited(wait)


async def presented_miss(session: AsyncSession, facility_id: int) -> None:
    """Counts a mismatch, committed at once (whatever else the request does or does not store)."""
    await throttle.note(session, PRESENTED_BUCKET, f"facility:{facility_id}", utcnow())
    await session.commit()


async def card_by_number(context: Context, number: str) -> Any | None:
    """A card lookup, in the viewer's scope (scopes.card_check)."""
    require_viewer(context)
    condition = card_condition(number)
    statement = (
        cards_with_owner()
        .where(condition, scopes.card_check(context.viewer))
        .order_by(card_t.c.valid_from.desc(), card_t.c.id.desc())
        .limit(1)
    )
    return (await context.session.execute(statement)).first()


# ---------- at the hospital counter ----------

# What the patient presented not matching (checkCoverage, recordMedicalVisit), per facility per hour:
# a counter's typing errors, never a way to try dates of birth for a card. Over it, every check is
# refused (a success would answer the guess too) until the window moves on.
PRESENTED_MISSES = 100
PRESENTED_WINDOW = timedelta(hours=1)
PRESENTED_BUCKET = "presented-miss"
# What the fund pays by benefit level (mức hưởng), on the primary route or referred.
FUND_SHARE = {
    1: Decimal("1.00"),
    2: Decimal("1.00"),
    3: Decimal("0.95"),
    4: Decimal("0.80"),
    5: Decimal("1.00"),
}
NO_MATCH = (
    "The card number, full name and date of birth do not match a card: check what the patient presented."
)
STATUS_REASONS = {
    "SUSPENDED": "The card is suspended.",
    "NOT_YET_VALID": "The card is not valid yet.",
    "EXPIRED": "The card has expired.",
}


def _coverage_lookup(column: str) -> Any:
    """The counter's one read: the card (by `column`) and its holder's name and date of birth, the
    facility's contract and the facility's mismatches this window (auth/throttle.used's count,
    with its bucket, client and window start as parameters)."""
    accepts = (
        select(facility_t.c.accepts_health_insurance)
        .where(facility_t.c.id == bindparam("facility"))
        .scalar_subquery()
    )
    misses = (
        select(func.count())
        .where(
            rate_event_t.c.bucket == bindparam("bucket"),
            rate_event_t.c.client == bindparam("client"),
            rate_event_t.c.at > bindparam("since", type_=rate_event_t.c.at.type),
        )
        .scalar_subquery()
    )
    return (
        select(
            card_t,
            person_t.c.search_name,
            person_t.c.date_of_birth,
            accepts.label("facility_accepts"),
            misses.label("presented_misses"),
        )
        .join(person_t, person_t.c.id == card_t.c.person_id)
        .where(card_t.c[column] == bindparam("card"))
        .order_by(card_t.c.valid_from.desc(), card_t.c.id.desc())
        .limit(1)
    )


@dataclass(frozen=True, slots=True)
class CoverageAnswer:
    valid: bool
    reason: str | None = None
    benefit_level: int | None = None
    fund_share: Decimal | None = None
    route: str | None = None
    five_years_continuous: bool | None = None
    valid_to: date | None = None


async def check_coverage(
    context: Context,
    card_number: str,
    full_name: str,
    date_of_birth: date,
    visit_type: str,
    referred: bool,
) -> CoverageAnswer:
    """Kiểm tra thẻ at the counter, from the card and the name and date of birth the patient
    presents. A card that does not match them (or no card) gets one answer, whatever the reason,
    and no answer names anybody: the hospital learns the coverage of the card it was shown."""
    viewer = require_viewer(context)
    if viewer.role is not Role.PARTNER or viewer.facility_id is None:
        raise GraphQLError(
            "checkCoverage is the hospital counter's check (partner hospitals).",
            extensions={"code": "FORBIDDEN"},
        )
    column, value = card_key(card_number, "cardNumber")
    session = context.session
    # One statement at the counter: the card and its holder, the facility's contract and its
    # mismatches this window (the budget is checked as before, by `presented_budget`, only when
    # there is no card or the limit is reached). Built once per column (models/statements.py):
    # the card, the facility and the window's start are its parameters.
    values = {
        "card": value,
        "facility": viewer.facility_id,
        "bucket": PRESENTED_BUCKET,
        "client": f"facility:{viewer.facility_id}"[:64],
        "since": utcnow() - PRESENTED_WINDOW,
    }
    found = await run(session, ("check_coverage", column), (), lambda _: _coverage_lookup(column), values)
    row = found[0] if found else None
    if row is None or row.presented_misses >= PRESENTED_MISSES:
        await presented_budget(session, viewer.facility_id)
    if row is None or not presented(row, full_name, date_of_birth):
        await presented_miss(session, viewer.facility_id)
        return CoverageAnswer(valid=False, reason=NO_MATCH)
    # The holder's card data was read (not shown beyond coverage): the access log has it.
    for field in (
        "HealthInsuranceCard.status",
        "HealthInsuranceCard.benefitLevel",
        "HealthInsuranceCard.validTo",
    ):
        context.access.record(row.person_id, field)
    status = card_status(row)
    if status != "ACTIVE":
        return CoverageAnswer(valid=False, reason=STATUS_REASONS[status], valid_to=row.valid_to)
    if not row.facility_accepts:
        return CoverageAnswer(valid=False, reason="This facility has no health-insurance contract.")
    today = datetime.now(VIETNAM_TZ).date()
    share = FUND_SHARE[row.benefit_level]
    reason = None
    if row.primary_care_facility_id == viewer.facility_id:
        route = "PRIMARY"
    elif referred:
        route = "REFERRED"
    else:
        route = "OUT_OF_ROUTE"
        if visit_type == "OUTPATIENT":
            # Without the facility's level (not recorded) the counter cannot apply the district-level
            # rule: outpatient care out of route is reported as not paid by the fund.
            share, reason = (
                Decimal("0.00"),
                "Out of route: the fund pays outpatient care at the registered facility or on referral.",
            )
    return CoverageAnswer(
        valid=True,
        reason=reason,
        benefit_level=row.benefit_level,
        fund_share=share,
        route=route,
        five_years_continuous=row.five_years_continuous_from is not None
        and row.five_years_continuous_from <= today,
        valid_to=row.valid_to,
    )


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
    if person is not None and group in rules.BENEFICIARY_GROUPS:
        number = await new_card_problems(
            session,
            problems,
            INPUT,
            person,
            group,
            data.valid_from,
            data.valid_to,
            await load_history(session, person),
        )
    if problems or person is None or facility is None or number is None:
        return Invalid(problems.items)
    try:
        card_id = await insert_card(
            session,
            viewer,
            person,
            group,
            number,
            data.valid_from,
            data.valid_to,
            facility.id,
            data.five_years_continuous_from,
            "issueCard",
            {},
        )
    except IntegrityError:
        await session.rollback()
        return Invalid(
            [Problem((*INPUT, "beneficiaryGroup"), "CARD_EXISTS", f"The card {number} exists already.")]
        )
    await session.commit()
    events_committed(context)
    return Saved(await one_row(session, cards_with_owner().where(card_t.c.id == card_id)))


async def new_card_problems(
    session: AsyncSession,
    problems: Problems,
    path: tuple[str, ...],
    person: Any,
    group: str,
    valid_from: date,
    valid_to: date | None,
    history: History,
) -> str | None:
    """The checks of a new card (issueCard, and a household payment's first card of a member):
    its number is free, and the record rules hold. The card's number, or None on a problem."""
    number = rules.card_number(group, person.province_scope, person.social_insurance_code)
    if (await session.execute(select(card_t.c.id).where(card_t.c.number == number))).first() is not None:
        problems.add(
            (*path, "beneficiaryGroup"),
            "CARD_EXISTS",
            f"The card {number} exists already: renew it (renewCard) rather than issue it again.",
        )
        return None
    if valid_to is not None and valid_to < valid_from:
        return None
    before = len(problems.items)
    report(problems, check_card(CardFact(None, group, valid_from, valid_to), history, vietnam_today()), path)
    return number if len(problems.items) == before else None


async def insert_card(
    session: AsyncSession,
    viewer: Viewer,
    person: Any,
    group: str,
    number: str,
    valid_from: date,
    valid_to: date | None,
    facility_id: int,
    five_years_continuous_from: date | None,
    action: str,
    detail: dict[str, Any],
) -> int:
    """Writes a checked card, its event and its audit row, in the caller's transaction."""
    inserted = await session.execute(
        insert(card_t).values(
            number=number,
            social_insurance_code=person.social_insurance_code,
            person_id=person.id,
            beneficiary_group=group,
            benefit_level=rules.benefit_level(group),
            province_code=person.province_scope,
            valid_from=valid_from,
            valid_to=valid_to,
            suspended=False,
            primary_care_facility_id=facility_id,
            five_years_continuous_from=five_years_continuous_from,
        )
    )
    card_id = inserted_id(inserted)
    await record_event(
        session,
        "CARD_ISSUED",
        "HealthInsuranceCard",
        card_id,
        person_id=person.id,
        province_code=person.province_scope,
        facility_id=facility_id,
    )
    await audit(session, viewer, action, "HealthInsuranceCard", card_id, {"number": number, **detail})
    return card_id


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
    await card_changed(session, viewer, card, action, detail)
    await session.commit()
    events_committed(context)
    return Saved(await one_row(session, cards_with_owner().where(card_t.c.id == card.id)))


async def card_changed(
    session: AsyncSession, viewer: Viewer, card: Any, action: str, detail: dict[str, Any]
) -> None:
    """A card's event and audit row, in the caller's transaction."""
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
        renewal_problems(problems, INPUT, card, start, valid_to, await load_history(context.session, holder))
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


def renewal_problems(
    problems: Problems, path: tuple[str, ...], card: Any, start: date, valid_to: date, history: History
) -> bool:
    """The record rules of a card given new validity (renewCard, and a household payment for a
    member who holds the household card): whether they hold."""
    before = len(problems.items)
    fact = CardFact(card.id, card.beneficiary_group, start, valid_to, card.suspended)
    report(problems, check_card(fact, history, vietnam_today()), path)
    return len(problems.items) == before


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
