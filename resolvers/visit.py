"""Medical visits (lượt KCB): recorded by the partner hospital that treated the patient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import insert, select

from auth.viewer import Role
from models.tables import (
    card_t,
    facility_t,
    visit_t,
)
from models.types import VIETNAM_TZ
from resolvers.card import presented, presented_budget, presented_miss
from resolvers.context import Context, require_viewer
from resolvers.events import audit, events_committed, inserted_id, record_event
from resolvers.loaders import visits_with_owner
from resolvers.outcomes import Invalid, Problems, Refused
from resolvers.recording import (
    ICD10,
    INPUT,
    Outcome,
    Saved,
    aware,
    checked_money,
    one_row,
    person_in_scope,
)
from resolvers.registration import check_text

# ---------- medical visits ----------


@dataclass(frozen=True, slots=True)
class VisitData:
    social_insurance_code: str
    # Who the patient says they are (ID card): the visit is recorded for that person only.
    full_name: str
    date_of_birth: date
    visit_type: str
    admitted_at: datetime
    total_cost: Decimal
    insurance_paid: Decimal
    patient_paid: Decimal
    discharged_at: datetime | None = None
    diagnosis_code: str | None = None
    diagnosis: str | None = None
    facility_code: str | None = None


async def record_medical_visit(context: Context, data: VisitData) -> Outcome:
    viewer = require_viewer(context)
    if viewer.role is not Role.PARTNER or viewer.facility_id is None:
        return Refused("Only partner hospitals record medical visits, for their own facility.")
    session = context.session
    facility = (
        await session.execute(
            select(facility_t.c.id, facility_t.c.code).where(facility_t.c.id == viewer.facility_id)
        )
    ).one()
    if data.facility_code is not None and data.facility_code.strip().upper() != facility.code:
        return Refused(f"A hospital records visits at its own facility ({facility.code}) only.")
    problems = Problems()
    await presented_budget(session, facility.id)
    person = await person_in_scope(
        session, None, problems, (*INPUT, "socialInsuranceCode"), data.social_insurance_code
    )
    if person is None or not presented(person, data.full_name, data.date_of_birth):
        await presented_miss(session, facility.id)
    if person is not None and not presented(person, data.full_name, data.date_of_birth):
        # A visit makes its patient the hospital's: only for who the patient presented, and the
        # same answer as an unknown code, so it is no way to test names or dates of birth either.
        problems.add(
            (*INPUT, "socialInsuranceCode"),
            "NOT_FOUND",
            f"No insured person with the code {data.social_insurance_code.strip()} in your scope.",
        )
        person = None
    admitted = aware(data.admitted_at)
    discharged = aware(data.discharged_at) if data.discharged_at is not None else None
    now = datetime.now(VIETNAM_TZ)
    if admitted > now:
        problems.add((*INPUT, "admittedAt"), "IN_THE_FUTURE", "admittedAt cannot be in the future.")
    if discharged is not None:
        if discharged < admitted:
            problems.add(
                (*INPUT, "dischargedAt"), "BEFORE_ADMISSION", "dischargedAt cannot be before admittedAt."
            )
        elif discharged > now:
            problems.add((*INPUT, "dischargedAt"), "IN_THE_FUTURE", "dischargedAt cannot be in the future.")
    diagnosis_code = (data.diagnosis_code or "").strip().upper() or None
    if diagnosis_code is not None and (len(diagnosis_code) > 8 or not ICD10.match(diagnosis_code)):
        problems.add((*INPUT, "diagnosisCode"), "FORMAT", 'An ICD-10 code such as "J18.9" or "A09".')
    diagnosis = check_text(
        problems, (*INPUT, "diagnosis"), data.diagnosis, "The diagnosis", 300, required=False
    )
    total = checked_money(problems, (*INPUT, "totalCost"), data.total_cost, "The total cost")
    fund = checked_money(problems, (*INPUT, "insurancePaid"), data.insurance_paid, "The insurance share")
    patient = checked_money(problems, (*INPUT, "patientPaid"), data.patient_paid, "The patient's share")
    if total is not None and fund is not None and patient is not None and fund + patient != total:
        problems.add(
            (*INPUT, "patientPaid"),
            "NOT_ADDING_UP",
            f"insurancePaid + patientPaid must equal totalCost ({fund} + {patient} ≠ {total}).",
        )
    card = None
    if person is not None:
        day = admitted.astimezone(VIETNAM_TZ).date()
        card = (
            await session.execute(
                select(card_t.c.id)
                .where(
                    card_t.c.person_id == person.id,
                    card_t.c.suspended.is_(False),
                    card_t.c.valid_from <= day,
                    (card_t.c.valid_to.is_(None)) | (card_t.c.valid_to >= day),
                )
                .order_by(card_t.c.valid_from.desc(), card_t.c.id.desc())
                .limit(1)
            )
        ).first()
        if card is None:
            problems.add(
                (*INPUT, "socialInsuranceCode"),
                "NO_VALID_CARD",
                f"This person had no valid (unsuspended, in-date) health-insurance card on {day.isoformat()}.",
            )
    if problems or person is None or card is None or total is None or fund is None or patient is None:
        return Invalid(problems.items)
    inserted = await session.execute(
        insert(visit_t).values(
            person_id=person.id,
            facility_id=facility.id,
            card_id=card.id,
            visit_type=data.visit_type,
            admitted_at=admitted,
            discharged_at=discharged,
            year=admitted.astimezone(VIETNAM_TZ).year,
            diagnosis_code=diagnosis_code,
            diagnosis=diagnosis,
            total_cost=total,
            insurance_paid=fund,
            patient_paid=patient,
        )
    )
    visit_id = inserted_id(inserted)
    await record_event(
        session,
        "MEDICAL_VISIT_RECORDED",
        "MedicalVisit",
        visit_id,
        person_id=person.id,
        province_code=person.province_scope,
        facility_id=facility.id,
    )
    # No health data in the audit trail: which visit, not what it says.
    await audit(
        session,
        viewer,
        "recordMedicalVisit",
        "MedicalVisit",
        visit_id,
        {"facility": facility.code, "personId": person.id},
    )
    await session.commit()
    events_committed(context)
    return Saved(await one_row(session, visits_with_owner().where(visit_t.c.id == visit_id)))
