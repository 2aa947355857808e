"""Benefit decisions (thông tin hưởng): recorded by officers of the person's province."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from models.benefit import BENEFIT_REGIMES
from models.rules.records import BenefitFact, check_benefit
from models.tables import (
    benefit_t,
)
from resolvers.context import Context, require_viewer
from resolvers.events import audit, events_committed, inserted_id, record_event
from resolvers.loaders import benefits_with_owner
from resolvers.outcomes import Invalid, Problems
from resolvers.recording import (
    INPUT,
    Outcome,
    Saved,
    checked_money,
    decision_taken,
    load_history,
    not_future_date,
    office_by_code,
    officer_only,
    one_row,
    person_in_scope,
    report,
)
from resolvers.registration import check_text

# ---------- benefits ----------


@dataclass(frozen=True, slots=True)
class BenefitData:
    social_insurance_code: str
    regime: str
    decided_on: date
    decision_number: str | None = None
    period_from: date | None = None
    period_to: date | None = None
    amount: Decimal | None = None
    paying_office_code: str | None = None


async def benefit_rules(
    context: Context,
    problems: Problems,
    person: Any,
    data: BenefitData,
    amount: Decimal | None,
    decision_number: str | None,
    own_id: int | None = None,
) -> None:
    """The regime's rules over the person's history (models/rules/records.py); a decision number
    once in the whole register."""
    session = context.session
    if await decision_taken(session, decision_number, own_id):
        problems.add(
            (*INPUT, "decisionNumber"),
            "DUPLICATE_DECISION",
            f"The decision {decision_number} is recorded already.",
        )
    if data.period_from is not None and data.period_to is not None and data.period_to < data.period_from:
        return
    fact = BenefitFact(own_id, data.regime, data.decided_on, None, data.period_from, data.period_to, amount)
    report(problems, check_benefit(fact, await load_history(session, person), own_id=own_id))


async def record_benefit(context: Context, data: BenefitData) -> Outcome:
    viewer = require_viewer(context)
    refused = officer_only(viewer, "of the person's province record benefit decisions")
    if refused is not None:
        return refused
    session = context.session
    problems = Problems()
    person = await person_in_scope(
        session, viewer, problems, (*INPUT, "socialInsuranceCode"), data.social_insurance_code
    )
    if data.regime not in BENEFIT_REGIMES:
        problems.add((*INPUT, "regime"), "UNKNOWN_REGIME", f"{data.regime!r} is not a benefit regime.")
    not_future_date(problems, (*INPUT, "decidedOn"), data.decided_on, "The decision date")
    if data.period_from is not None and data.period_to is not None and data.period_to < data.period_from:
        problems.add((*INPUT, "periodTo"), "BEFORE_FROM", "periodTo cannot be before periodFrom.")
    amount = checked_money(problems, (*INPUT, "amount"), data.amount, "The amount", required=False)
    decision_number = check_text(
        problems, (*INPUT, "decisionNumber"), data.decision_number, "The decision number", 40, required=False
    )
    office_id = await office_by_code(session, problems, (*INPUT, "payingOfficeCode"), data.paying_office_code)
    if person is not None and data.regime in BENEFIT_REGIMES:
        await benefit_rules(context, problems, person, data, amount, decision_number)
    if problems or person is None:
        return Invalid(problems.items)
    inserted = await session.execute(
        insert(benefit_t).values(
            person_id=person.id,
            regime=data.regime,
            decision_number=decision_number,
            decided_on=data.decided_on,
            period_from=data.period_from,
            period_to=data.period_to,
            amount=amount,
            paying_office_id=office_id,
        )
    )
    benefit_id = inserted_id(inserted)
    await record_event(
        session,
        "BENEFIT_DECIDED",
        "Benefit",
        benefit_id,
        person_id=person.id,
        province_code=person.province_scope,
    )
    await audit(
        session,
        viewer,
        "recordBenefit",
        "Benefit",
        benefit_id,
        {"person": person.social_insurance_code, "regime": data.regime, "decision": decision_number},
    )
    await session.commit()
    events_committed(context)
    return Saved(await one_row(session, benefits_with_owner().where(benefit_t.c.id == benefit_id)))
