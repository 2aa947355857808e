"""Corrections and voids of entered records (periods, visits, benefits), by officers of the
person's province. Each is checked by the same rules as a new record (models/rules), and is one
transaction: the change, the `revision` row (each field before and after), the event, the audit
row and the statistics' rollup (of the periods, of the visits). A voided record is kept and counts nowhere.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth import scopes
from auth.viewer import Viewer
from models import rollup, visit_rollup
from models.rules import BHTN_START
from models.rules import records as rules_records
from models.tables import benefit_t, facility_t, office_t, period_t, person_t, revision_t, unit_t, visit_t
from models.types import VIETNAM_TZ, to_year_month, utcnow
from resolvers.benefit import BenefitData, benefit_rules
from resolvers.context import Context, require_viewer
from resolvers.errors import BadUserInput
from resolvers.events import audit, events_committed, inserted_id, record_event
from resolvers.loaders import benefits_with_owner, periods_with_owner, visits_with_owner
from resolvers.outcomes import Invalid, Problem, Problems, Refused
from resolvers.recording import (
    COEFFICIENT_MAX,
    INPUT,
    OCCUPATIONAL_ACCIDENT_START,
    aware,
    checked_money,
    current_month,
    load_history,
    not_future_date,
    office_by_code,
    officer_only,
    one_row,
    region_of,
    report,
)
from resolvers.registration import check_text
from resolvers.visit import check_route, computed_share, stated_shares, valid_card

UNSET: Any = object()  # a field the correction leaves as it is


@dataclass(frozen=True, slots=True)
class Corrected:
    """The record after the change (with owner_province), and its new revision row."""

    kind: str
    row: Any
    revision: Any


Outcome = Corrected | Invalid | Refused


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(VIETNAM_TZ).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def _changes(
    before: Any, after: dict[str, Any], names: dict[str, str], shown: dict[str, Any]
) -> list[list[Any]]:
    """[field (API name), before, after] for each column whose value changes."""
    out = []
    for column, value in after.items():
        old = getattr(before, column)
        if old != value:
            show = shown.get(column, _text)
            out.append([names[column], show(old), show(value)])
    return out


async def _target(context: Context, viewer: Viewer, node_id: str, kind: str, statement: Any) -> Any | Invalid:
    """The record by global id, among those the officer's province holds: else NOT_FOUND (the
    same whether it does not exist or is another province's)."""
    from schema.node import parse_global_id  # the id format is the schema's

    problem = Invalid([Problem((*INPUT, "id"), "NOT_FOUND", f"No {kind} with this id in your scope.")])
    try:
        _, pk = parse_global_id(node_id, kind, "id")
    except BadUserInput:
        return problem
    row = (await context.session.execute(statement(pk))).first()
    return row if row is not None else problem


async def _save(
    context: Context,
    viewer: Viewer,
    kind: str,
    row: Any,
    reason: str,
    changes: list[list[Any]],
    voided: bool,
    event: str,
    **event_keys: Any,
) -> Any:
    session = context.session
    inserted = await session.execute(
        insert(revision_t).values(
            subject_type=kind,
            subject_id=row.id,
            person_id=row.person_id,
            revised_at=utcnow(),
            revised_by=viewer.username,
            reason=reason,
            voided=voided,
            changes=json.dumps(changes, ensure_ascii=False),
        )
    )
    revision_id = inserted_id(inserted)
    await record_event(
        session, event, kind, row.id, person_id=row.person_id, province_code=row.owner_province, **event_keys
    )
    # The audit row says which record and which fields, not their values (health data, salaries).
    await audit(
        session,
        viewer,
        ("void" if voided else "correct") + kind,
        kind,
        row.id,
        {"revision": revision_id, "fields": [c[0] for c in changes], "reason": reason},
    )
    return (await session.execute(select(revision_t).where(revision_t.c.id == revision_id))).one()


def _common(problems: Problems, row: Any, reason: str) -> str | None:
    text = check_text(problems, (*INPUT, "reason"), reason, "The reason", 500, required=True)
    if row.voided:
        problems.add((*INPUT, "id"), "ALREADY_VOIDED", "This record is voided: it cannot change any more.")
    return text


async def _person(context: Context, person_id: int) -> Any:
    return (await context.session.execute(select(person_t).where(person_t.c.id == person_id))).one()


# ---------- contribution periods ----------


@dataclass(frozen=True, slots=True)
class PeriodCorrection:
    id: str
    reason: str
    from_month: Any = UNSET
    to_month: Any = UNSET
    salary: Any = UNSET
    salary_coefficient: Any = UNSET
    occupation: Any = UNSET
    workplace: Any = UNSET


PERIOD_NAMES = {
    "from_month": "fromMonth",
    "to_month": "toMonth",
    "salary": "salary",
    "salary_coefficient": "salaryCoefficient",
    "occupation": "occupation",
    "workplace": "workplace",
    "voided": "voided",
}
PERIOD_SHOWN = {"from_month": to_year_month, "to_month": to_year_month}


def _period_statement(viewer: Viewer) -> Any:
    return lambda pk: periods_with_owner().where(period_t.c.id == pk, scopes.periods(viewer))


async def _period_written(context: Context, row: Any, values: dict[str, Any]) -> Any:
    session = context.session
    before = await rollup.periods_before_change(session, row.person_id)
    await session.execute(update(period_t).where(period_t.c.id == row.id).values(**values))
    await rollup.periods_changed(session, row.person_id, before)
    return await one_row(session, periods_with_owner().where(period_t.c.id == row.id))


async def correct_contribution_period(context: Context, data: PeriodCorrection) -> Outcome:
    viewer = require_viewer(context)
    refused = officer_only(viewer, "of the person's province correct contribution periods")
    if refused is not None:
        return refused
    found = await _target(context, viewer, data.id, "ContributionPeriod", _period_statement(viewer))
    if isinstance(found, Invalid):
        return found
    row, session, problems = found, context.session, Problems()
    reason = _common(problems, row, data.reason)
    values: dict[str, Any] = {}
    for name in ("from_month", "to_month", "salary", "salary_coefficient", "occupation", "workplace"):
        given = getattr(data, name)
        if given is not UNSET:
            values[name] = given
    salary_ok = True
    if "salary" in values:
        if values["salary"] is None:
            problems.add((*INPUT, "salary"), "REQUIRED", "The salary is required.")
            salary_ok = False
        else:
            salary_ok = (
                checked_money(problems, (*INPUT, "salary"), values["salary"], "The salary") is not None
            )
    coefficient = values.get("salary_coefficient")
    if coefficient is not None and (not coefficient.is_finite() or not 0 < coefficient <= COEFFICIENT_MAX):
        problems.add(
            (*INPUT, "salaryCoefficient"), "OUT_OF_RANGE", "A salary coefficient is above 0 and at most 20."
        )
        salary_ok = False  # the rules compare with coefficient x base salary: not with this one
    for name, label, limit in (("occupation", "The occupation", 200), ("workplace", "The workplace", 200)):
        if name in values:
            values[name] = check_text(
                problems, (*INPUT, PERIOD_NAMES[name]), values[name], label, limit, required=False
            )
    merged = {c: values.get(c, getattr(row, c)) for c in PERIOD_NAMES if c != "voided"}
    start, end = merged["from_month"], merged["to_month"]
    if start > end:
        problems.add((*INPUT, "toMonth"), "BEFORE_FROM", "toMonth cannot be before fromMonth.")
    if end > current_month():
        problems.add(
            (*INPUT, "toMonth"),
            "IN_THE_FUTURE",
            f"A period cannot reach past this month ({to_year_month(current_month())}).",
        )
    if row.insurance_type == "UNEMPLOYMENT" and start < BHTN_START:
        problems.add(
            (*INPUT, "fromMonth"), "BEFORE_BHTN", "Unemployment insurance (BHTN) exists from 2009-01."
        )
    if row.insurance_type == "OCCUPATIONAL_ACCIDENT" and start < OCCUPATIONAL_ACCIDENT_START:
        problems.add((*INPUT, "fromMonth"), "BEFORE_TNLD", "TNLĐ-BNN is recorded apart from 2016-07.")
    changes = _changes(row, values, PERIOD_NAMES, PERIOD_SHOWN)
    if not changes and not problems:
        problems.add(("input",), "NOTHING_TO_CHANGE", "Give at least one field with a new value.")
    if start <= end and salary_ok:  # the rules too, so that every problem comes at once
        unit = (
            await session.execute(select(unit_t.c.province_scope).where(unit_t.c.id == row.unit_id))
        ).one()
        fact = rules_records.PeriodFact(
            row.id,
            row.unit_id,
            row.insurance_type,
            start,
            end,
            merged["salary"],
            merged["salary_coefficient"],
            region_of(unit.province_scope),
        )
        report(
            problems,
            rules_records.check_period(
                fact, await load_history(session, await _person(context, row.person_id))
            ),
        )
    if problems or reason is None:
        return Invalid(problems.items)
    saved = await _period_written(context, row, values)
    revision = await _save(
        context,
        viewer,
        "ContributionPeriod",
        saved,
        reason,
        changes,
        False,
        "CONTRIBUTION_RECORDED",
        unit_id=row.unit_id,
    )
    await session.commit()
    events_committed(context)
    return Corrected("ContributionPeriod", saved, revision)


async def _void(
    context: Context,
    node_id: str,
    reason: str,
    kind: str,
    who: str,
    statement: Callable[[Viewer], Any],
    write: Callable[[Context, Any], Awaitable[Any]],
    event: str,
    **facts: Callable[[Any], Any],
) -> Outcome:
    """Voids a record: the same checks, one transaction with its revision, event and audit row.
    `write` marks the row voided (and keeps what depends on it, the rollup, in step)."""
    viewer = require_viewer(context)
    refused = officer_only(viewer, who)
    if refused is not None:
        return refused
    found = await _target(context, viewer, node_id, kind, statement(viewer))
    if isinstance(found, Invalid):
        return found
    problems = Problems()
    text = _common(problems, found, reason)
    if problems or text is None:
        return Invalid(problems.items)
    saved = await write(context, found)
    revision = await _save(
        context,
        viewer,
        kind,
        saved,
        text,
        [["voided", "false", "true"]],
        True,
        event,
        **{name: fact(found) for name, fact in facts.items()},
    )
    await context.session.commit()
    events_committed(context)
    return Corrected(kind, saved, revision)


async def write_visit(session: AsyncSession, row: Any, values: dict[str, Any]) -> Any:
    """Writes a visit's new version (a correction, a void, anything that changes what it counts
    for: its type, year, diagnosis or money) and keeps the visit rollup in step, in the caller's
    transaction; returns the visit as `visits_with_owner` reads it. Every change of a stored visit
    goes through here, so `visitStatistics` always equals the visits."""
    before = await visit_rollup.visits_before_change(session, row.person_id)
    await session.execute(update(visit_t).where(visit_t.c.id == row.id).values(**values))
    await visit_rollup.visits_changed(session, row.person_id, before)
    return await one_row(session, visits_with_owner().where(visit_t.c.id == row.id))


async def _visit_voided(context: Context, row: Any) -> Any:
    return await write_visit(context.session, row, {"voided": True})


async def _benefit_voided(context: Context, row: Any) -> Any:
    await context.session.execute(update(benefit_t).where(benefit_t.c.id == row.id).values(voided=True))
    return await one_row(context.session, benefits_with_owner().where(benefit_t.c.id == row.id))


async def void_contribution_period(context: Context, node_id: str, reason: str) -> Outcome:
    return await _void(
        context,
        node_id,
        reason,
        "ContributionPeriod",
        "of the person's province void contribution periods",
        _period_statement,
        lambda c, row: _period_written(c, row, {"voided": True}),
        "CONTRIBUTION_RECORDED",
        unit_id=lambda row: row.unit_id,
    )


# ---------- medical visits ----------


@dataclass(frozen=True, slots=True)
class VisitCorrection:
    id: str
    reason: str
    visit_type: Any = UNSET
    admitted_at: Any = UNSET
    discharged_at: Any = UNSET
    diagnosis_code: Any = UNSET
    diagnosis: Any = UNSET
    total_cost: Any = UNSET
    route: Any = UNSET
    referred_from: Any = UNSET


VISIT_NAMES = {
    "visit_type": "visitType",
    "admitted_at": "admittedAt",
    "discharged_at": "dischargedAt",
    "diagnosis_code": "diagnosisCode",
    "diagnosis": "diagnosis",
    "total_cost": "totalCost",
    "insurance_paid": "insurancePaid",
    "patient_paid": "patientPaid",
    "route": "route",
    "referred_from": "referredFromFacilityCode",
    "card_id": "card",
    "year": "year",
    "voided": "voided",
}


def _visit_statement(viewer: Viewer) -> Any:
    return lambda pk: visits_with_owner().where(visit_t.c.id == pk, scopes.visits(viewer))


async def correct_medical_visit(context: Context, data: VisitCorrection) -> Outcome:
    viewer = require_viewer(context)
    refused = officer_only(viewer, "of the patient's province correct medical visits")
    if refused is not None:
        return refused
    found = await _target(context, viewer, data.id, "MedicalVisit", _visit_statement(viewer))
    if isinstance(found, Invalid):
        return found
    row, session, problems = found, context.session, Problems()
    reason = _common(problems, row, data.reason)
    values: dict[str, Any] = {}
    for name in ("visit_type", "admitted_at", "discharged_at", "diagnosis", "route"):
        given = getattr(data, name)
        if given is not UNSET:
            values[name] = aware(given) if isinstance(given, datetime) else given
    if data.diagnosis_code is not UNSET:
        values["diagnosis_code"] = (data.diagnosis_code or "").strip().upper() or None
    if data.referred_from is not UNSET:
        values["referred_from"] = (data.referred_from or "").strip().upper() or None
    if data.total_cost is not UNSET:
        values["total_cost"] = checked_money(
            problems, (*INPUT, "totalCost"), data.total_cost, "The total cost"
        )
    if "diagnosis" in values:
        values["diagnosis"] = check_text(
            problems, (*INPUT, "diagnosis"), values["diagnosis"], "The diagnosis", 300, required=False
        )
    merged = {
        c: values.get(c, getattr(row, c))
        for c in ("visit_type", "admitted_at", "discharged_at", "total_cost", "route", "referred_from")
    }
    admitted = aware(merged["admitted_at"])
    if merged["discharged_at"] is not None and aware(merged["discharged_at"]) < admitted:
        problems.add(
            (*INPUT, "dischargedAt"), "BEFORE_ADMISSION", "dischargedAt cannot be before admittedAt."
        )
    if admitted > datetime.now(VIETNAM_TZ):
        problems.add((*INPUT, "admittedAt"), "IN_THE_FUTURE", "admittedAt cannot be in the future.")
    if merged["route"] != "REFERRED":
        merged["referred_from"] = None
        if row.referred_from is not None:
            values["referred_from"] = None
    facility = (
        await session.execute(
            select(facility_t.c.id, facility_t.c.code, facility_t.c.name, facility_t.c.province_code).where(
                facility_t.c.id == row.facility_id
            )
        )
    ).one()
    if merged["total_cost"] is not None:  # the rules even beside other problems: all at once
        day = admitted.astimezone(VIETNAM_TZ).date()
        card = await valid_card(session, row.person_id, day)
        if card is None:
            problems.add(
                (*INPUT, "admittedAt"),
                "NO_VALID_CARD",
                f"The patient had no valid card on {day.isoformat()}.",
            )
        else:
            await check_route(session, problems, facility, card, merged["route"], merged["referred_from"])
            share = await computed_share(
                session,
                row.person_id,
                facility,
                card,
                merged["route"],
                merged["visit_type"],
                merged["total_cost"],
                admitted,
                own_id=row.id,
            )
            fund, patient = stated_shares(problems, share, merged["total_cost"], None, None)
            values.update(insurance_paid=fund, patient_paid=patient, card_id=card.id, year=day.year)
    changes = visit_changes(row, values)
    if not changes and not problems:
        problems.add(("input",), "NOTHING_TO_CHANGE", "Give at least one field with a new value.")
    if problems or reason is None:
        return Invalid(problems.items)
    corrected = await visit_changed(context, viewer, row, values, changes, reason)
    await session.commit()
    events_committed(context)
    return corrected


def visit_changes(row: Any, values: dict[str, Any]) -> list[list[Any]]:
    """The revision's [field, before, after] of a visit change (the card and year follow the rest)."""
    return [c for c in _changes(row, values, VISIT_NAMES, {}) if c[0] not in ("card", "year")]


async def visit_changed(
    context: Context, viewer: Viewer, row: Any, values: dict[str, Any], changes: list[list[Any]], reason: str
) -> Corrected:
    """Writes a checked change of a visit with its revision and event, in the caller's
    transaction: every change of a visit's columns after it was recorded goes through here (a
    correction, a claim's decision), so its history and what depends on it stay right."""
    saved = await write_visit(context.session, row, values)
    revision = await _save(
        context,
        viewer,
        "MedicalVisit",
        saved,
        reason,
        changes,
        False,
        "MEDICAL_VISIT_RECORDED",
        facility_id=row.facility_id,
    )
    return Corrected("MedicalVisit", saved, revision)


async def void_medical_visit(context: Context, node_id: str, reason: str) -> Outcome:
    return await _void(
        context,
        node_id,
        reason,
        "MedicalVisit",
        "of the patient's province void medical visits",
        _visit_statement,
        _visit_voided,
        "MEDICAL_VISIT_RECORDED",
        facility_id=lambda row: row.facility_id,
    )


# ---------- benefits ----------


@dataclass(frozen=True, slots=True)
class BenefitCorrection:
    id: str
    reason: str
    decision_number: Any = UNSET
    decided_on: Any = UNSET
    period_from: Any = UNSET
    period_to: Any = UNSET
    amount: Any = UNSET
    paying_office_code: Any = UNSET


BENEFIT_NAMES = {
    "decision_number": "decisionNumber",
    "decided_on": "decidedOn",
    "period_from": "periodFrom",
    "period_to": "periodTo",
    "amount": "amount",
    "paying_office_id": "payingOffice",
    "voided": "voided",
}


def _benefit_statement(viewer: Viewer) -> Any:
    return lambda pk: benefits_with_owner().where(
        benefit_t.c.id == pk, scopes.benefits(viewer, benefit_t.c.person_id)
    )


async def correct_benefit(context: Context, data: BenefitCorrection) -> Outcome:
    viewer = require_viewer(context)
    refused = officer_only(viewer, "of the person's province correct benefit decisions")
    if refused is not None:
        return refused
    found = await _target(context, viewer, data.id, "Benefit", _benefit_statement(viewer))
    if isinstance(found, Invalid):
        return found
    row, session, problems = found, context.session, Problems()
    reason = _common(problems, row, data.reason)
    values: dict[str, Any] = {}
    for name in ("decided_on", "period_from", "period_to"):
        if getattr(data, name) is not UNSET:
            values[name] = getattr(data, name)
    if data.decision_number is not UNSET:
        values["decision_number"] = check_text(
            problems,
            (*INPUT, "decisionNumber"),
            data.decision_number,
            "The decision number",
            40,
            required=False,
        )
    if data.amount is not UNSET:
        values["amount"] = checked_money(
            problems, (*INPUT, "amount"), data.amount, "The amount", required=False
        )
    if data.paying_office_code is not UNSET:
        values["paying_office_id"] = await office_by_code(
            session, problems, (*INPUT, "payingOfficeCode"), data.paying_office_code
        )
    if values.get("decided_on") is not None:
        not_future_date(problems, (*INPUT, "decidedOn"), values["decided_on"], "The decision date")
    merged = {c: values.get(c, getattr(row, c)) for c in BENEFIT_NAMES if c != "voided"}
    if merged["decided_on"] is None:
        problems.add((*INPUT, "decidedOn"), "REQUIRED", "The decision date is required.")
    elif (
        merged["period_from"] is not None
        and merged["period_to"] is not None
        and merged["period_to"] < merged["period_from"]
    ):
        problems.add((*INPUT, "periodTo"), "BEFORE_FROM", "periodTo cannot be before periodFrom.")
    elif not problems:
        benefit = BenefitData(
            social_insurance_code="",
            regime=row.regime,
            decided_on=merged["decided_on"],
            decision_number=merged["decision_number"],
            period_from=merged["period_from"],
            period_to=merged["period_to"],
            amount=merged["amount"],
        )
        person = await _person(context, row.person_id)
        await benefit_rules(
            context, problems, person, benefit, merged["amount"], merged["decision_number"], own_id=row.id
        )
    offices = {
        i: c
        for i, c in (
            await session.execute(
                select(office_t.c.id, office_t.c.code).where(
                    office_t.c.id.in_([row.paying_office_id or 0, values.get("paying_office_id") or 0])
                )
            )
        ).all()
    }
    changes = _changes(row, values, BENEFIT_NAMES, {"paying_office_id": lambda v: offices.get(v)})
    if not changes and not problems:
        problems.add(("input",), "NOTHING_TO_CHANGE", "Give at least one field with a new value.")
    if problems or reason is None:
        return Invalid(problems.items)
    await session.execute(update(benefit_t).where(benefit_t.c.id == row.id).values(**values))
    saved = await one_row(session, benefits_with_owner().where(benefit_t.c.id == row.id))
    revision = await _save(context, viewer, "Benefit", saved, reason, changes, False, "BENEFIT_DECIDED")
    await session.commit()
    events_committed(context)
    return Corrected("Benefit", saved, revision)


async def void_benefit(context: Context, node_id: str, reason: str) -> Outcome:
    return await _void(
        context,
        node_id,
        reason,
        "Benefit",
        "of the person's province void benefit decisions",
        _benefit_statement,
        _benefit_voided,
        "BENEFIT_DECIDED",
    )
