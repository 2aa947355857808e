"""Every stored record against the rules of models/rules: what the seed wrote must be what the API
would have accepted; and the visit rollup against a recomputation from the raw visits. Reads the whole database (for tests and `seed --check` sized data)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models import visit_rollup
from models.admin_units import PROVINCES
from models.rules import records
from models.tables import (
    benefit_t,
    card_t,
    facility_t,
    office_t,
    period_t,
    person_t,
    registration_t,
    unit_t,
    visit_t,
)
from models.types import VIETNAM_TZ

WAGE_REGION = {p.code: p.wage_region for p in PROVINCES}


async def violations(conn: AsyncConnection, as_of: date) -> list[str]:
    """One line per broken rule: the record, the code, the message."""
    out: list[str] = []
    persons = {r.id: r for r in (await conn.execute(select(person_t))).all()}
    histories = {pid: records.History(born=p.date_of_birth, gender=p.gender) for pid, p in persons.items()}
    for r in (
        await conn.execute(
            select(period_t, unit_t.c.province_scope.label("unit_province"))
            .join(unit_t, unit_t.c.id == period_t.c.unit_id)
            .where(period_t.c.voided.is_(False))
        )
    ).all():
        histories[r.person_id].periods.append(
            records.PeriodFact(
                r.id,
                r.unit_id,
                r.insurance_type,
                r.from_month,
                r.to_month,
                r.salary,
                r.salary_coefficient,
                WAGE_REGION.get(r.unit_province, 4),
            )
        )
    cards = (await conn.execute(select(card_t))).all()
    for c in cards:
        histories[c.person_id].cards.append(
            records.CardFact(c.id, c.beneficiary_group, c.valid_from, c.valid_to, c.suspended)
        )
    for b in (await conn.execute(select(benefit_t).where(benefit_t.c.voided.is_(False)))).all():
        histories[b.person_id].benefits.append(
            records.BenefitFact(
                b.id, b.regime, b.decided_on, b.decision_number, b.period_from, b.period_to, b.amount
            )
        )
    for pid, history in histories.items():
        code = persons[pid].social_insurance_code
        for p in history.periods:
            out += [
                f"period {p.id} of {code}: {v.code} {v.message}" for v in records.check_period(p, history)
            ]
        for card in history.cards:
            out += [
                f"card {card.id} of {code}: {v.code} {v.message}"
                for v in records.check_card(card, history, as_of)
            ]
        for benefit in history.benefits:
            out += [
                f"benefit {benefit.id} of {code}: {v.code} {v.message}"
                for v in records.check_benefit(benefit, history, own_id=benefit.id)
            ]
    for number, count in (
        await conn.execute(
            select(benefit_t.c.decision_number, func.count())
            .where(benefit_t.c.decision_number.is_not(None))
            .group_by(benefit_t.c.decision_number)
            .having(func.count() > 1)
        )
    ).all():
        out.append(f"decision {number}: DUPLICATE_DECISION recorded {count} times")
    out += await _visits(conn, {c.id: c for c in cards})
    out += await _registrations(conn, persons)
    # What visitStatistics reads: the rollup kept with the visits, against the visits themselves.
    out += await visit_rollup.differences(conn)
    out += await _households(conn)
    return out


async def _households(conn: AsyncConnection) -> list[str]:
    """A household's head is one of its members, and each payment is what the scale says: its
    lines add up to it, ranked 1, 2, 3 ... at the base salary of the day it was paid."""
    from models.rules.law import household_monthly, month_of
    from models.tables import household_member_t, household_payment_line_t, household_payment_t, household_t

    out: list[str] = []
    members = {(r.household_id, r.person_id) for r in (await conn.execute(select(household_member_t))).all()}
    for h in (await conn.execute(select(household_t))).all():
        if (h.id, h.head_person_id) not in members:
            out.append(f"household {h.code}: HEAD_NOT_MEMBER the head is not a member")
    lines: dict[int, list[Any]] = defaultdict(list)
    for line in (await conn.execute(select(household_payment_line_t))).all():
        lines[line.payment_id].append(line)
    for p in (await conn.execute(select(household_payment_t))).all():
        ranked = sorted(lines[p.id], key=lambda line: line.rank)
        if [line.rank for line in ranked] != list(range(1, len(ranked) + 1)):
            out.append(f"payment {p.id}: RANKS the members are not ranked 1, 2, 3 ...")
        for line in ranked:
            if line.amount != household_monthly(line.rank, month_of(p.paid_on)) * p.months:
                out.append(f"payment {p.id}: LINE_AMOUNT rank {line.rank} paid {line.amount}")
        if sum((line.amount for line in ranked), 0) != p.amount:
            out.append(f"payment {p.id}: AMOUNT the lines do not add up to {p.amount}")
    return out


async def _visits(conn: AsyncConnection, cards: dict[int, Any]) -> list[str]:
    out: list[str] = []
    facilities = {f.id: f for f in (await conn.execute(select(facility_t))).all()}
    seen: set[tuple[Any, ...]] = set()
    copaid: dict[tuple[int, int], Any] = defaultdict(int)
    rows = (
        await conn.execute(
            select(visit_t)
            .where(visit_t.c.voided.is_(False))
            .order_by(visit_t.c.person_id, visit_t.c.admitted_at)
        )
    ).all()
    for v in rows:
        day = v.admitted_at.astimezone(VIETNAM_TZ).date()
        card = cards.get(v.card_id) if v.card_id is not None else None
        if card is None or card.person_id != v.person_id:
            out.append(f"visit {v.id}: NO_VALID_CARD no card of the patient")
            continue
        if card.suspended or day < card.valid_from or (card.valid_to is not None and day > card.valid_to):
            out.append(f"visit {v.id}: NO_VALID_CARD the card is not valid on {day}")
        facility = facilities[v.facility_id]
        tier = records.facility_tier(facility.code, facility.name)
        home = facilities[card.primary_care_facility_id]
        if (
            v.route == "PRIMARY"
            and facility.id != home.id
            and (tier not in ("DISTRICT", "COMMUNE") or facility.province_code != home.province_code)
        ):
            out.append(f"visit {v.id}: NOT_PRIMARY_CARE at {facility.code}")
        if v.route == "REFERRED" and not v.referred_from:
            out.append(f"visit {v.id}: REFERRAL_REQUIRED")
        share = records.fund_share(
            level=card.benefit_level,
            tier=tier,
            route=v.route,
            visit_type=v.visit_type,
            total=v.total_cost,
            day=day,
            copaid_this_year=copaid[(v.person_id, day.year)],
            five_years_from=card.five_years_continuous_from,
        )
        if v.route != "OUT_OF_ROUTE":
            copaid[(v.person_id, day.year)] += v.patient_paid
        if records.fund_paid(v.total_cost, share) != v.insurance_paid:
            out.append(
                f"visit {v.id}: FUND_SHARE_MISMATCH {v.insurance_paid} of {v.total_cost}, the rules say "
                f"{records.fund_paid(v.total_cost, share)} ({share.why})"
            )
        key = (v.person_id, v.facility_id, v.admitted_at, v.visit_type, v.total_cost)
        if key in seen:
            out.append(f"visit {v.id}: DUPLICATE_VISIT")
        seen.add(key)
    return out


async def _registrations(conn: AsyncConnection, persons: dict[int, Any]) -> list[str]:
    out: list[str] = []
    by_code = {p.social_insurance_code: p for p in persons.values()}
    provinces = frozenset(p.code for p in PROVINCES)
    rows = (
        await conn.execute(
            select(registration_t, office_t.c.level, office_t.c.province_code.label("office_province")).join(
                office_t, office_t.c.id == registration_t.c.receiving_office_id
            )
        )
    ).all()
    for r in rows:
        person = by_code.get(r.social_insurance_code)
        if person is None:
            out.append(f"registration {r.reference_number}: NO_MATCH")
            continue
        for v in records.check_id_document(
            r.id_type,
            r.id_number,
            recorded_type=person.id_type,
            recorded_number=person.id_number,
            provinces=provinces,
        ):
            out.append(f"registration {r.reference_number}: {v.code} {v.message}")
        if r.level != "NATIONAL" and r.office_province != person.province_scope:
            out.append(f"registration {r.reference_number}: OFFICE_OUT_OF_PROVINCE")
    return out
