"""Contribution periods (quá trình đóng): recorded by officers of the person's province."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from models import rollup
from models.rules import BHTN_START
from models.rules import records as rules_records
from models.rules.records import PeriodFact
from models.tables import (
    period_t,
    unit_t,
)
from models.types import to_year_month
from resolvers.context import Context, require_viewer
from resolvers.events import audit, events_committed, inserted_id, record_event
from resolvers.loaders import periods_with_owner
from resolvers.outcomes import Invalid, Problem, Problems
from resolvers.recording import (
    COEFFICIENT_MAX,
    INPUT,
    OCCUPATIONAL_ACCIDENT_START,
    Outcome,
    Saved,
    add_member,
    checked_money,
    current_month,
    load_history,
    officer_only,
    one_row,
    person_in_scope,
    region_of,
    report,
)
from resolvers.registration import check_text

# ---------- contribution periods ----------


@dataclass(frozen=True, slots=True)
class PeriodData:
    social_insurance_code: str
    unit_code: str
    insurance_type: str
    from_month: int
    to_month: int
    salary: Decimal
    salary_coefficient: Decimal | None = None
    occupation: str | None = None
    workplace: str | None = None


async def record_contribution_period(context: Context, data: PeriodData) -> Outcome:
    viewer = require_viewer(context)
    refused = officer_only(viewer, "of the person's province record contribution periods")
    if refused is not None:
        return refused
    session = context.session
    problems = Problems()
    person = await person_in_scope(
        session, viewer, problems, (*INPUT, "socialInsuranceCode"), data.social_insurance_code
    )
    unit = (
        await session.execute(select(unit_t).where(unit_t.c.code == data.unit_code.strip().upper()))
    ).first()
    if unit is None:
        problems.add((*INPUT, "unitCode"), "NOT_FOUND", f"No unit has the code {data.unit_code!r}.")
    start, end = data.from_month, data.to_month
    current = current_month()
    if start > end:
        problems.add((*INPUT, "toMonth"), "BEFORE_FROM", "toMonth cannot be before fromMonth.")
    if end > current:
        problems.add(
            (*INPUT, "toMonth"),
            "IN_THE_FUTURE",
            f"A period cannot reach past this month ({to_year_month(current)}).",
        )
    if data.insurance_type == "UNEMPLOYMENT" and start < BHTN_START:
        problems.add(
            (*INPUT, "fromMonth"),
            "BEFORE_BHTN",
            "Unemployment insurance (BHTN) exists from 2009-01: no BHTN period before that month.",
        )
    if data.insurance_type == "OCCUPATIONAL_ACCIDENT" and start < OCCUPATIONAL_ACCIDENT_START:
        problems.add(
            (*INPUT, "fromMonth"),
            "BEFORE_TNLD",
            "The occupational-accident fund (TNLĐ-BNN) is recorded apart from 2016-07; earlier months are SOCIAL.",
        )
    coefficient = data.salary_coefficient
    if coefficient is not None and (not coefficient.is_finite() or not 0 < coefficient <= COEFFICIENT_MAX):
        problems.add(
            (*INPUT, "salaryCoefficient"), "OUT_OF_RANGE", "A salary coefficient is above 0 and at most 20."
        )
        coefficient = None
    elif coefficient is not None and coefficient.as_tuple().exponent < -2:  # type: ignore[operator]
        problems.add(
            (*INPUT, "salaryCoefficient"), "PRECISION", "A salary coefficient has at most 2 decimal places."
        )
    salary = checked_money(problems, (*INPUT, "salary"), data.salary, "The salary")
    occupation = check_text(
        problems, (*INPUT, "occupation"), data.occupation, "The occupation", 200, required=False
    )
    workplace = check_text(
        problems, (*INPUT, "workplace"), data.workplace, "The workplace", 200, required=False
    )
    exact = {
        "insurance_type": data.insurance_type,
        "from_month": start,
        "to_month": end,
    }
    duplicate = Problem(
        (*INPUT, "fromMonth"),
        "DUPLICATE",
        "This person already has exactly this period at this unit for this insurance.",
    )
    if person is not None and unit is not None and salary is not None and start <= end:
        fact = PeriodFact(
            None,
            unit.id,
            data.insurance_type,
            start,
            end,
            salary,
            coefficient,
            region_of(unit.province_scope),
        )
        report(problems, rules_records.check_period(fact, await load_history(session, person)))
    if problems or person is None or unit is None or salary is None:
        return Invalid(problems.items)
    try:
        inserted = await session.execute(
            insert(period_t).values(
                person_id=person.id,
                unit_id=unit.id,
                occupation=occupation,
                workplace=workplace,
                currency="VND",
                salary=salary,
                salary_coefficient=coefficient,
                **exact,
            )
        )
    except IntegrityError:
        await session.rollback()
        return Invalid([duplicate])
    period_id = inserted_id(inserted)
    await add_member(session, unit.id, person.id, person.social_insurance_code)
    # The statistics' rollup, in the same transaction (models/rollup.py).
    await rollup.period_recorded(session, person.id, period_id)
    await record_event(
        session,
        "CONTRIBUTION_RECORDED",
        "ContributionPeriod",
        period_id,
        person_id=person.id,
        province_code=person.province_scope,
        unit_id=unit.id,
    )
    await audit(
        session,
        viewer,
        "recordContributionPeriod",
        "ContributionPeriod",
        period_id,
        {
            "person": person.social_insurance_code,
            "unit": unit.code,
            "insuranceType": data.insurance_type,
            "from": to_year_month(start),
            "to": to_year_month(end),
        },
    )
    await session.commit()
    events_committed(context)
    return Saved(await one_row(session, periods_with_owner().where(period_t.c.id == period_id)))
