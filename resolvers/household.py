"""Household BHYT: households and their members, the quote of what a household pays, the
payments collection agents record (which issue or extend the members' cards), and the members'
revocation of the head's view of their card.

Who may do what (auth/scopes.py `households`, `household_persons`): officers of the province and
the collection agent of the household's ward create households and add members; the head or an
officer removes one; only an agent records a payment, and only for a household of its catchment
(any other code looks like one that does not exist); a member (18 or older) revokes the head's
view of their own card, and only that member restores it. Each change is an event for the head,
the member concerned and the agents of the ward (`_household_event`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth import scopes
from auth.viewer import Role, Viewer
from models import rules
from models.rules.law import household_monthly, household_share, is_adult, month_of
from models.rules.records import (
    CardFact,
    HouseholdWindow,
    check_household_months,
    covered_elsewhere,
    household_window,
)
from models.tables import (
    card_t,
    catchment_t,
    facility_t,
    household_member_t,
    household_payment_line_t,
    household_payment_t,
    household_t,
    person_t,
)
from models.types import utcnow
from resolvers.card import card_changed, insert_card, new_card_problems, renewal_problems
from resolvers.context import Context, require_viewer
from resolvers.errors import BadUserInput
from resolvers.events import audit, events_committed, inserted_id, record_event
from resolvers.outcomes import Invalid, Problem, Problems, Refused
from resolvers.recording import INPUT, Saved, checked_money, load_history, one_row, report
from resolvers.registration import vietnam_today

Outcome = Saved | Invalid | Refused
HOUSEHOLD_CODE = re.compile(r"^GD\d{10}$")
PERSON_CODE = re.compile(r"^\d{10}$")
GROUP = "GD"
WRITERS = "Only BHXH officers of the province and the household's collection agent (đại lý thu) do this."


# ---------- events ----------


async def _household_event(session: AsyncSession, kind: str, household: Any, persons: list[int]) -> None:
    """One event row for each who may be told (auth/scopes.py HOUSEHOLD_EVENTS): the head and the
    members concerned by person, each once, and each collection agent of the household's ward by
    agent; no province, so no officer's feed carries it."""
    for person_id in dict.fromkeys([household.head_person_id, *persons]):
        await record_event(session, kind, "Household", household.id, person_id=person_id)
    agents = (
        await session.execute(
            select(catchment_t.c.agent_id)
            .where(catchment_t.c.ward_code == household.ward_code)
            .order_by(catchment_t.c.agent_id)
        )
    ).scalars()
    for agent_id in agents:
        await record_event(session, kind, "Household", household.id, agent_id=agent_id)


# ---------- reading ----------


def _code(code: str) -> str | None:
    value = code.strip().upper()
    return value if HOUSEHOLD_CODE.match(value) else None


async def household_by_code(context: Context, code: str) -> Any | None:
    """A household in the viewer's row scope; out of scope reads as absent."""
    viewer = require_viewer(context)
    value = _code(code)
    if value is None:
        raise BadUserInput(
            "code: a household code is GD, the 5-digit ward and 5 digits (e.g. GD0976300001).", "code"
        )
    statement = select(household_t).where(household_t.c.code == value, scopes.households(viewer))
    return (await context.session.execute(statement)).first()


async def my_household(context: Context) -> Any | None:
    """The signed-in citizen's household, if any."""
    viewer = require_viewer(context)
    if viewer.role is not Role.CITIZEN:
        return None
    statement = (
        select(household_t)
        .join(household_member_t, household_member_t.c.household_id == household_t.c.id)
        .where(household_member_t.c.person_id == viewer.person_id)
    )
    return (await context.session.execute(statement)).first()


# ---------- the quote ----------


@dataclass(frozen=True, slots=True)
class QuoteLine:
    member: Any  # the row of Loaders.members_by_household
    rank: int | None  # None: covered elsewhere, not charged and not counted
    share: Decimal
    monthly: Decimal
    amount: Decimal
    window: HouseholdWindow | None


@dataclass(frozen=True, slots=True)
class Quote:
    household: Any
    months: int
    paid_on: date
    base_salary: int
    lines: list[QuoteLine]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def charged(self) -> list[QuoteLine]:
        return [line for line in self.lines if line.rank is not None]


def _facts(rows: list[Any]) -> list[CardFact]:
    return [CardFact(r.id, r.beneficiary_group, r.valid_from, r.valid_to, r.suspended) for r in rows]


async def compute_quote(
    session: AsyncSession, household: Any, members: list[Any], months: int, paid_on: date
) -> Quote:
    """What each member pays for `months` from `paid_on`, by the scale (law.py): members holding a
    card of another group for the months the household card would cover are not charged and do not
    count in the order. The base salary is the one in force when the money is paid (a later change
    of the base salary is not collected again). One statement for every member's cards."""
    ids = [m.person_id for m in members]
    cards: dict[int, list[Any]] = {pid: [] for pid in ids}
    rows = (
        await session.execute(
            select(card_t).where(card_t.c.person_id.in_(ids)).order_by(card_t.c.valid_from, card_t.c.id)
        )
    ).all()
    for row in rows:
        cards[row.person_id].append(row)
    month = month_of(paid_on)
    lines: list[QuoteLine] = []
    rank = 0
    for member in members:
        held = _facts(cards[member.person_id])
        household_cards = [c for c in held if c.group == GROUP]
        window = household_window(household_cards[-1] if household_cards else None, paid_on, months)
        if covered_elsewhere(held, window) is not None:
            lines.append(QuoteLine(member, None, Decimal(0), Decimal(0), Decimal(0), None))
            continue
        rank += 1
        monthly = household_monthly(rank, month)
        lines.append(QuoteLine(member, rank, household_share(rank), monthly, monthly * months, window))
    return Quote(household, months, paid_on, rules.base_salary(month), lines)


def months_problems(problems: Problems, months: int) -> None:
    report(problems, check_household_months(months))


async def quote(context: Context, code: str, months: int) -> Quote | None:
    """quoteHouseholdContribution: for whoever reaches the household (members, officers, its agent)."""
    problems = Problems()
    months_problems(problems, months)
    if problems:
        raise BadUserInput(problems.items[0].message, "months")
    household = await household_by_code(context, code)
    if household is None:
        return None
    members = await context.loaders.members_by_household.load(household.id)
    return await compute_quote(context.session, household, members, months, vietnam_today())


# ---------- households and members ----------


async def _person(
    session: AsyncSession, viewer: Viewer, problems: Problems, path: tuple[str, ...], code: str
) -> Any | None:
    value = code.strip()
    if not PERSON_CODE.match(value):
        problems.add(path, "FORMAT", "A social-insurance code is exactly 10 digits.")
        return None
    row = (
        await session.execute(
            select(person_t).where(
                person_t.c.social_insurance_code == value, scopes.household_persons(viewer)
            )
        )
    ).first()
    if row is None:
        problems.add(path, "NOT_FOUND", f"No insured person with the code {value} in your scope.")
    return row


async def _already_in(
    session: AsyncSession,
    viewer: Viewer,
    problems: Problems,
    path: tuple[str, ...],
    person_ids: list[int],
    people: dict[int, Any],
) -> None:
    """ALREADY_IN_HOUSEHOLD for each person already a member somewhere, naming the household only
    when the viewer may see it."""
    if not person_ids:
        return
    rows = (
        await session.execute(
            select(
                household_member_t.c.person_id,
                household_t.c.code,
                scopes.households(viewer).label("visible"),
            )
            .join(household_t, household_t.c.id == household_member_t.c.household_id)
            .where(household_member_t.c.person_id.in_(person_ids))
        )
    ).all()
    for row in rows:
        where = f"household {row.code}" if row.visible else "another household"
        problems.add(
            (*path, people[row.person_id][0]),
            "ALREADY_IN_HOUSEHOLD",
            f"{people[row.person_id][1]} is already in {where}: a person is a member of one household.",
        )


def _writer(viewer: Viewer) -> Refused | None:
    if viewer.role is Role.OFFICER or viewer.is_agent:
        return None
    return Refused(WRITERS)


async def _next_code(session: AsyncSession, ward: str) -> str:
    prefix = f"{GROUP}{ward}"
    last = await session.scalar(
        select(func.max(household_t.c.code)).where(household_t.c.code.like(f"{prefix}%"))
    )
    number = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{number:05d}"


async def create_household(context: Context, head_code: str, member_codes: list[str]) -> Outcome:
    viewer = require_viewer(context)
    refused = _writer(viewer)
    if refused is not None:
        return refused
    session = context.session
    problems = Problems()
    head = await _person(session, viewer, problems, (*INPUT, "headSocialInsuranceCode"), head_code)
    members: list[Any] = []
    seen: set[str] = set()
    people: dict[int, tuple[str, str]] = {}
    for index, code in enumerate(member_codes):
        path = (*INPUT, "memberSocialInsuranceCodes", str(index))
        if code.strip() in seen:
            problems.add(path, "DUPLICATE_MEMBER", f"{code.strip()} is listed twice.")
            continue
        seen.add(code.strip())
        row = await _person(session, viewer, problems, path, code)
        if row is not None:
            members.append(row)
            people[row.id] = (str(index), row.social_insurance_code)
    if head_code.strip() not in seen:
        problems.add(
            (*INPUT, "headSocialInsuranceCode"),
            "HEAD_NOT_MEMBER",
            "The head of the household is one of its members: list the head's code among memberSocialInsuranceCodes.",
        )
    if head is not None and head.ward_code is None:
        problems.add(
            (*INPUT, "headSocialInsuranceCode"),
            "NO_WARD",
            "The head's address names no ward or commune: a household is managed where it lives; correct the address first.",
        )
    await _already_in(session, viewer, problems, (*INPUT, "memberSocialInsuranceCodes"), list(people), people)
    if problems or head is None:
        return Invalid(problems.items)
    now = utcnow()
    code = await _next_code(session, head.ward_code)
    ordered = [head] + [m for m in members if m.id != head.id]
    try:
        inserted = await session.execute(
            insert(household_t).values(
                code=code,
                head_person_id=head.id,
                province_scope=head.province_scope,
                ward_code=head.ward_code,
                created_at=now,
            )
        )
        household_id = inserted_id(inserted)
        await session.execute(
            insert(household_member_t),
            [
                {
                    "household_id": household_id,
                    "person_id": m.id,
                    "position": i,
                    "joined_at": now,
                    "delegation_revoked_at": None,
                }
                for i, m in enumerate(ordered, start=1)
            ],
        )
    except IntegrityError:
        await session.rollback()
        return Invalid(
            [Problem(INPUT, "CONCURRENT_CHANGE", "A member or the code was taken meanwhile: send it again.")]
        )
    await audit(
        session, viewer, "createHousehold", "Household", household_id, {"code": code, "members": len(ordered)}
    )
    await session.commit()
    return Saved(await one_row(session, select(household_t).where(household_t.c.id == household_id)))


async def _household_for_write(
    session: AsyncSession, viewer: Viewer, problems: Problems, code: str, *, lock: bool = False
) -> Any | None:
    value = _code(code)
    if value is None:
        problems.add(
            (*INPUT, "householdCode"), "FORMAT", "A household code is GD, the 5-digit ward and 5 digits."
        )
        return None
    statement = select(household_t).where(household_t.c.code == value, scopes.households(viewer))
    if lock:
        statement = statement.with_for_update()  # PostgreSQL; SQLite has one writer anyway
    row = (await session.execute(statement)).first()
    if row is None:
        problems.add((*INPUT, "householdCode"), "NOT_FOUND", f"No household {value} in your scope.")
    return row


async def add_household_member(context: Context, household_code: str, person_code: str) -> Outcome:
    viewer = require_viewer(context)
    refused = _writer(viewer)
    if refused is not None:
        return refused
    session = context.session
    problems = Problems()
    household = await _household_for_write(session, viewer, problems, household_code, lock=True)
    person = await _person(session, viewer, problems, (*INPUT, "socialInsuranceCode"), person_code)
    if person is not None:
        await _already_in(
            session,
            viewer,
            problems,
            INPUT,
            [person.id],
            {person.id: ("socialInsuranceCode", person.social_insurance_code)},
        )
    if problems or household is None or person is None:
        return Invalid(problems.items)
    position = (
        await session.scalar(
            select(func.max(household_member_t.c.position)).where(
                household_member_t.c.household_id == household.id
            )
        )
        or 0
    ) + 1
    try:
        await session.execute(
            insert(household_member_t).values(
                household_id=household.id, person_id=person.id, position=position, joined_at=utcnow()
            )
        )
    except IntegrityError:
        await session.rollback()
        return Invalid(
            [
                Problem(
                    (*INPUT, "socialInsuranceCode"),
                    "ALREADY_IN_HOUSEHOLD",
                    "This person joined a household meanwhile.",
                )
            ]
        )
    await audit(
        session,
        viewer,
        "addHouseholdMember",
        "Household",
        household.id,
        {"person": person.social_insurance_code},
    )
    await _household_event(session, "HOUSEHOLD_MEMBER_ADDED", household, [person.id])
    await session.commit()
    events_committed(context)
    return Saved(household)


# ---------- payments ----------


async def record_payment(
    context: Context, household_code: str, months: int, amount_paid: Decimal, facility_code: str | None
) -> Outcome:
    """An agent received `amount_paid` for `months`: the amount must be what the scale says (the
    quote's total), and each charged member's household card is issued or extended for the months
    paid, through the card writes of issueCard/renewCard (their rules, events and audit rows)."""
    viewer = require_viewer(context)
    if not viewer.is_agent:
        return Refused(
            "Only collection agents (đại lý thu) record household payments, for the households of their catchment."
        )
    session = context.session
    problems = Problems()
    months_problems(problems, months)
    household = await _household_for_write(session, viewer, problems, household_code, lock=True)
    paid = checked_money(problems, (*INPUT, "amountPaid"), amount_paid, "The amount paid")
    facility_id: int | None = None
    if facility_code is not None and facility_code.strip():
        facility = (
            await session.execute(
                select(facility_t.c.id, facility_t.c.accepts_health_insurance).where(
                    facility_t.c.code == facility_code.strip().upper()
                )
            )
        ).first()
        if facility is None:
            problems.add(
                (*INPUT, "primaryCareFacilityCode"),
                "NOT_FOUND",
                f"No health facility has the code {facility_code!r}.",
            )
        elif not facility.accepts_health_insurance:
            problems.add(
                (*INPUT, "primaryCareFacilityCode"),
                "NO_HEALTH_INSURANCE_CONTRACT",
                "This facility has no health-insurance contract: it cannot be a place of primary care.",
            )
        else:
            facility_id = facility.id
    if problems or household is None or paid is None:
        return Invalid(problems.items)
    today = vietnam_today()
    members = await context.loaders.members_by_household.load(household.id)
    computed = await compute_quote(session, household, members, months, today)
    if not computed.charged:
        return Invalid(
            [
                Problem(
                    INPUT,
                    "NOTHING_DUE",
                    "Every member holds a card of another group for these months: nothing is due.",
                )
            ]
        )
    if paid != computed.total:
        return Invalid(
            [
                Problem(
                    (*INPUT, "amountPaid"),
                    "AMOUNT_MISMATCH",
                    f"{months} months for this household are {computed.total:,.0f} VND by the scale "
                    f"(base salary {computed.base_salary:,} VND), not {paid:,.0f}.",
                )
            ]
        )
    plans: list[tuple[QuoteLine, Any, Any | None, str | None, int]] = []
    for line in computed.charged:
        assert line.window is not None
        path = (*INPUT, "members", str(line.member.position))
        person = (await session.execute(select(person_t).where(person_t.c.id == line.member.person_id))).one()
        history = await load_history(session, person)
        number = rules.card_number(GROUP, person.province_scope, person.social_insurance_code)
        card = (
            await session.execute(
                select(card_t, person_t.c.province_scope.label("owner_province"))
                .join(person_t, person_t.c.id == card_t.c.person_id)
                .where(card_t.c.number == number)
            )
        ).first()
        if card is not None:
            start = card.valid_from if line.window.continued else line.window.valid_from
            renewal_problems(problems, path, card, start, line.window.valid_to, history)
            plans.append((line, person, card, None, 0))
            continue
        chosen = facility_id
        if chosen is None and history.cards:
            # The place of primary care of the member's latest card (of another group, ended).
            chosen = await session.scalar(
                select(card_t.c.primary_care_facility_id)
                .where(card_t.c.person_id == person.id)
                .order_by(card_t.c.valid_from.desc(), card_t.c.id.desc())
                .limit(1)
            )
        if chosen is None:
            problems.add(
                (*path, "primaryCareFacilityCode"),
                "PRIMARY_CARE_FACILITY_REQUIRED",
                f"{person.social_insurance_code} has no card yet: give primaryCareFacilityCode (nơi đăng ký KCB ban đầu).",
            )
            continue
        if await new_card_problems(
            session, problems, path, person, GROUP, line.window.valid_from, line.window.valid_to, history
        ):
            plans.append((line, person, None, number, chosen))
    if problems:
        return Invalid(problems.items)
    now = utcnow()
    inserted = await session.execute(
        insert(household_payment_t).values(
            household_id=household.id,
            agent_id=viewer.agent_id,
            account_id=viewer.account_id,
            months=months,
            paid_on=today,
            amount=paid,
            recorded_at=now,
        )
    )
    payment_id = inserted_id(inserted)
    detail = {"household": household.code, "payment": payment_id}
    lines = []
    for line, person, card, new_number, chosen in plans:
        assert line.window is not None and line.rank is not None
        if card is not None:
            start = card.valid_from if line.window.continued else line.window.valid_from
            await session.execute(
                update(card_t)
                .where(card_t.c.id == card.id)
                .values(valid_from=start, valid_to=line.window.valid_to)
            )
            await card_changed(
                session,
                viewer,
                card,
                "recordHouseholdPayment",
                {
                    **detail,
                    "validFrom": start.isoformat(),
                    "validTo": line.window.valid_to.isoformat(),
                    "before": [str(card.valid_from), str(card.valid_to)],
                },
            )
            card_id = card.id
        else:
            assert new_number is not None
            card_id = await insert_card(
                session,
                viewer,
                person,
                GROUP,
                new_number,
                line.window.valid_from,
                line.window.valid_to,
                chosen,
                None,
                "recordHouseholdPayment",
                detail,
            )
        lines.append(
            {
                "payment_id": payment_id,
                "person_id": person.id,
                "rank": line.rank,
                "amount": line.amount,
                "card_id": card_id,
                "valid_from": line.window.valid_from,
                "valid_to": line.window.valid_to,
            }
        )
    await session.execute(insert(household_payment_line_t), lines)
    # The members paid for are told through their cards' events too; the head by this one.
    await _household_event(
        session, "HOUSEHOLD_PAYMENT_RECORDED", household, [line["person_id"] for line in lines]
    )
    await audit(
        session,
        viewer,
        "recordHouseholdPayment",
        "Household",
        household.id,
        {**detail, "months": months, "amount": str(paid)},
    )
    await session.commit()
    events_committed(context)
    return Saved(PaymentSaved(household, payment_id))


@dataclass(frozen=True, slots=True)
class PaymentSaved:
    household: Any
    payment_id: int


async def payment_row(context: Context, payment_id: int) -> Any:
    from models.tables import agent_t

    return await one_row(
        context.session,
        select(household_payment_t, agent_t.c.code.label("agent_code"))
        .join(agent_t, agent_t.c.id == household_payment_t.c.agent_id)
        .where(household_payment_t.c.id == payment_id),
    )


# ---------- delegated access ----------


async def _own_membership(context: Context, household_code: str, refusal: str) -> Any | Invalid | Refused:
    """The signed-in member's own row of the household (with its head and date of birth), for a
    member's change of the head's view of their card; else the problem (`refusal` for anyone
    not signed in as a citizen: the change is the member's own)."""
    viewer = require_viewer(context)
    if viewer.role is not Role.CITIZEN:
        return Refused(refusal)
    path = (*INPUT, "householdCode")
    value = _code(household_code)
    if value is None:
        return Invalid([Problem(path, "FORMAT", "A household code is GD, the 5-digit ward and 5 digits.")])
    member = (
        await context.session.execute(
            select(
                household_member_t,
                household_t.c.head_person_id,
                person_t.c.date_of_birth,
            )
            .join(household_t, household_t.c.id == household_member_t.c.household_id)
            .join(person_t, person_t.c.id == household_member_t.c.person_id)
            .where(household_t.c.code == value, household_member_t.c.person_id == viewer.person_id)
            .with_for_update(of=household_member_t)
        )
    ).first()
    if member is None:
        return Invalid([Problem(path, "NOT_A_MEMBER", f"You are not a member of a household {value}.")])
    if member.person_id == member.head_person_id:
        return Invalid([Problem(path, "HEAD_ITSELF", "You are the head: your card is yours already.")])
    return member


async def _delegation_changed(context: Context, member: Any, revoked: bool) -> Saved:
    viewer, session = require_viewer(context), context.session
    await session.execute(
        update(household_member_t)
        .where(household_member_t.c.id == member.id)
        .values(delegation_revoked_at=utcnow() if revoked else None)
    )
    action = "revokeHouseholdDelegation" if revoked else "restoreHouseholdDelegation"
    await audit(session, viewer, action, "Household", member.household_id, {"member": viewer.username})
    household = await one_row(session, select(household_t).where(household_t.c.id == member.household_id))
    kind = "HOUSEHOLD_DELEGATION_REVOKED" if revoked else "HOUSEHOLD_DELEGATION_RESTORED"
    await _household_event(session, kind, household, [member.person_id])
    await session.commit()
    events_committed(context)
    return Saved(household)


async def revoke_delegation(context: Context, household_code: str) -> Outcome:
    """A member withdraws the head's view of their card, at once (the next read of the head no
    longer finds it). Adults only: a minor's card is the parent's or guardian's to see."""
    member = await _own_membership(
        context, household_code, "A member revokes the head's view of their own card, signed in as themself."
    )
    if isinstance(member, Invalid | Refused):
        return member
    path = (*INPUT, "householdCode")
    if not is_adult(member.date_of_birth, vietnam_today()):
        return Invalid(
            [
                Problem(
                    path,
                    "MINOR",
                    f"Only a member of {rules.ADULT_AGE} or older revokes the head's view: a minor's card stays with "
                    "the head (the parent or guardian).",
                )
            ]
        )
    if member.delegation_revoked_at is not None:
        return Invalid([Problem(path, "ALREADY_REVOKED", "The head's view of your card is revoked already.")])
    return await _delegation_changed(context, member, revoked=True)


async def restore_delegation(context: Context, household_code: str) -> Outcome:
    """The member who revoked the head's view gives it back, at once. Only that member can: a
    revocation is the member's own (signed in as themself), so neither the head nor an officer
    undoes it; from then on each of the head's reads is in the member's access log again."""
    member = await _own_membership(
        context,
        household_code,
        "Only the member who revoked the head's view restores it, signed in as themself.",
    )
    if isinstance(member, Invalid | Refused):
        return member
    if member.delegation_revoked_at is None:
        return Invalid(
            [
                Problem(
                    (*INPUT, "householdCode"),
                    "NOT_REVOKED",
                    "The head sees your card already: nothing to restore.",
                )
            ]
        )
    return await _delegation_changed(context, member, revoked=False)


# ---------- leaving ----------

REMOVERS = "Only the head of the household (signed in as themself) and BHXH officers of its province remove a member."


async def remove_member(context: Context, household_code: str, person_code: str) -> Outcome:
    """The member leaves the household (moved, joined another, died): the head or an officer
    removes them. The cards the household paid for stay as they are, valid to their paid end
    (the money was the member's share for those months, and a card is one valid card at a time:
    ending it early would leave the member uninsured for months already paid); the household's
    next quote no longer counts them, and they may join another household at once, whose payment
    continues the same GD card from its end. The head cannot leave: a head change is not here."""
    viewer = require_viewer(context)
    if viewer.role not in (Role.OFFICER, Role.CITIZEN):
        return Refused(REMOVERS)
    session, problems = context.session, Problems()
    household = await _household_for_write(session, viewer, problems, household_code, lock=True)
    if household is not None and viewer.role is Role.CITIZEN and household.head_person_id != viewer.person_id:
        return Refused(REMOVERS)
    path = (*INPUT, "socialInsuranceCode")
    value = person_code.strip()
    if not PERSON_CODE.match(value):
        problems.add(path, "FORMAT", "A social-insurance code is exactly 10 digits.")
    if problems or household is None:
        return Invalid(problems.items)
    member = (
        await session.execute(
            select(household_member_t.c.id, household_member_t.c.person_id)
            .join(person_t, person_t.c.id == household_member_t.c.person_id)
            .where(
                household_member_t.c.household_id == household.id, person_t.c.social_insurance_code == value
            )
        )
    ).first()
    if member is None:
        return Invalid(
            [Problem(path, "NOT_A_MEMBER", f"{value} is not a member of household {household.code}.")]
        )
    if member.person_id == household.head_person_id:
        return Invalid(
            [
                Problem(
                    path,
                    "HEAD_NOT_REMOVABLE",
                    "The head is not removed: the household is managed in the head's name (a new head is not a "
                    "change this platform makes).",
                )
            ]
        )
    await session.execute(delete(household_member_t).where(household_member_t.c.id == member.id))
    await audit(session, viewer, "removeHouseholdMember", "Household", household.id, {"person": value})
    await _household_event(session, "HOUSEHOLD_MEMBER_REMOVED", household, [member.person_id])
    await session.commit()
    events_committed(context)
    return Saved(household)
