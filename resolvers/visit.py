"""Medical visits (lượt KCB): recorded by the partner hospital that treated the patient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.viewer import Role
from models import visit_rollup
from models.rules import records as rules_records
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
    insurance_paid: Decimal | None = None
    patient_paid: Decimal | None = None
    discharged_at: datetime | None = None
    diagnosis_code: str | None = None
    diagnosis: str | None = None
    facility_code: str | None = None
    route: str = "PRIMARY"
    referred_from: str | None = None


async def valid_card(session: AsyncSession, person_id: int, day: date) -> Any | None:
    """The person's card valid on the day (unsuspended, in date)."""
    return (
        await session.execute(
            select(
                card_t.c.id,
                card_t.c.benefit_level,
                card_t.c.primary_care_facility_id,
                card_t.c.five_years_continuous_from,
                facility_t.c.province_code.label("facility_province"),
            )
            .join(facility_t, facility_t.c.id == card_t.c.primary_care_facility_id)
            .where(
                card_t.c.person_id == person_id,
                card_t.c.suspended.is_(False),
                card_t.c.valid_from <= day,
                (card_t.c.valid_to.is_(None)) | (card_t.c.valid_to >= day),
            )
            .order_by(card_t.c.valid_from.desc(), card_t.c.id.desc())
            .limit(1)
        )
    ).first()


async def check_route(
    session: AsyncSession, problems: Problems, facility: Any, card: Any, route: str, referred_from: str | None
) -> None:
    """PRIMARY is the card's facility, or district and commune level in its province (thông tuyến
    huyện, from 2016); REFERRED names the referring facility."""
    tier = rules_records.facility_tier(facility.code, facility.name)
    elsewhere = tier not in ("DISTRICT", "COMMUNE") or facility.province_code != card.facility_province
    if route == "PRIMARY" and card.primary_care_facility_id != facility.id and elsewhere:
        problems.add(
            (*INPUT, "route"),
            "NOT_PRIMARY_CARE",
            "This is not the card's place of primary care, nor a district or commune facility of its "
            "province: the route is REFERRED (with the referring facility), EMERGENCY or OUT_OF_ROUTE.",
        )
    if route == "REFERRED":
        code = (referred_from or "").strip().upper()
        if not code:
            problems.add(
                (*INPUT, "referredFromFacilityCode"),
                "REFERRAL_REQUIRED",
                "A referred visit names the facility that referred the patient (giấy chuyển tuyến).",
            )
        elif code == facility.code:
            problems.add(
                (*INPUT, "referredFromFacilityCode"), "SELF_REFERRAL", "A facility does not refer to itself."
            )
        elif (
            await session.execute(select(facility_t.c.id).where(facility_t.c.code == code))
        ).first() is None:
            problems.add(
                (*INPUT, "referredFromFacilityCode"),
                "NOT_FOUND",
                f"No health facility has the code {code!r}.",
            )


async def computed_share(
    session: AsyncSession,
    person_id: int,
    facility: Any,
    card: Any,
    route: str,
    visit_type: str,
    total: Decimal,
    admitted: datetime,
    own_id: int | None = None,
) -> rules_records.FundShare:
    day = admitted.astimezone(VIETNAM_TZ).date()
    copaid = Decimal(0)
    if card.five_years_continuous_from is not None and card.five_years_continuous_from <= day:
        statement = select(func.coalesce(func.sum(visit_t.c.patient_paid), 0)).where(
            visit_t.c.person_id == person_id,
            visit_t.c.year == day.year,
            visit_t.c.voided.is_(False),
            visit_t.c.route != "OUT_OF_ROUTE",
            visit_t.c.admitted_at < admitted,
        )
        if own_id is not None:
            statement = statement.where(visit_t.c.id != own_id)
        copaid = Decimal((await session.execute(statement)).scalar() or 0)
    return rules_records.fund_share(
        level=card.benefit_level,
        tier=rules_records.facility_tier(facility.code, facility.name),
        route=route,
        visit_type=visit_type,
        total=total,
        day=day,
        copaid_this_year=copaid,
        five_years_from=card.five_years_continuous_from,
    )


def stated_shares(
    problems: Problems,
    share: rules_records.FundShare,
    total: Decimal,
    fund: Decimal | None,
    patient: Decimal | None,
) -> tuple[Decimal, Decimal]:
    """The fund's part is the server's; a hospital that states one must state the same."""
    paid = rules_records.fund_paid(total, share)
    if fund is not None and fund != paid:
        problems.add(
            (*INPUT, "insurancePaid"),
            "FUND_SHARE_MISMATCH",
            f"The fund pays {paid:,.2f} VND of {total:,.2f} here ({share.why}); leave insurancePaid out "
            "and the server computes it.",
        )
    elif patient is not None and patient != total - paid:
        problems.add(
            (*INPUT, "patientPaid"),
            "NOT_ADDING_UP",
            f"The patient's share is totalCost − the fund's share: {total - paid:,.2f} VND ({share.why}).",
        )
    return paid, total - paid


async def own_facility(context: Context) -> Any | Refused:
    """The partner hospital's own facility: hospitals record (and claim) visits there only."""
    viewer = require_viewer(context)
    if viewer.role is not Role.PARTNER or viewer.facility_id is None:
        return Refused("Only partner hospitals record medical visits, for their own facility.")
    return (
        await context.session.execute(
            select(facility_t.c.id, facility_t.c.code, facility_t.c.name, facility_t.c.province_code).where(
                facility_t.c.id == viewer.facility_id
            )
        )
    ).one()


@dataclass(frozen=True, slots=True)
class CheckedVisit:
    """A visit that passed every check: its patient, the card valid on admission, the columns to
    insert (the money apart), and the fund's share of `total` by the rules."""

    person: Any
    card: Any
    values: dict[str, Any]
    share: rules_records.FundShare


async def check_visit(
    context: Context, facility: Any, data: VisitData, problems: Problems, total: Decimal | None
) -> CheckedVisit | None:
    """Every check of a visit (XML1) at `facility` costing `total` (None: already reported bad):
    the patient as presented, dates, diagnosis, the card valid on the admission date, the route,
    a duplicate. Problems go to `problems`; None when the visit cannot be stored."""
    session = context.session
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
    if person is None:
        return None
    day = admitted.astimezone(VIETNAM_TZ).date()
    card = await valid_card(session, person.id, day)
    share = None
    if card is None:
        problems.add(
            (*INPUT, "socialInsuranceCode"),
            "NO_VALID_CARD",
            f"This person had no valid (unsuspended, in-date) health-insurance card on {day.isoformat()}.",
        )
    else:
        await check_route(session, problems, facility, card, data.route, data.referred_from)
        if total is not None:
            share = await computed_share(
                session, person.id, facility, card, data.route, data.visit_type, total, admitted
            )
    same = await session.execute(
        select(visit_t.c.id).where(
            visit_t.c.person_id == person.id,
            visit_t.c.facility_id == facility.id,
            visit_t.c.admitted_at == admitted,
            visit_t.c.visit_type == data.visit_type,
            visit_t.c.total_cost == total,
            visit_t.c.voided.is_(False),
        )
    )
    if total is not None and same.first() is not None:
        problems.add(
            (*INPUT, "admittedAt"),
            "DUPLICATE_VISIT",
            "This visit is recorded already (same patient, facility, admission, type and cost).",
        )
    if card is None or share is None:
        return None
    values = dict(
        person_id=person.id,
        facility_id=facility.id,
        card_id=card.id,
        visit_type=data.visit_type,
        admitted_at=admitted,
        discharged_at=discharged,
        year=admitted.astimezone(VIETNAM_TZ).year,
        diagnosis_code=diagnosis_code,
        diagnosis=diagnosis,
        route=data.route,
        referred_from=(data.referred_from or "").strip().upper() or None
        if data.route == "REFERRED"
        else None,
    )
    return CheckedVisit(person, card, values, share)


async def insert_visit(session: AsyncSession, visit: CheckedVisit, money: dict[str, Decimal]) -> int:
    """Writes a checked visit with its money (total_cost, insurance_paid, patient_paid) and its
    event: what recordMedicalVisit and submitClaim share."""
    inserted = await session.execute(insert(visit_t).values(**visit.values, **money))
    visit_id = inserted_id(inserted)
    await record_event(
        session,
        "MEDICAL_VISIT_RECORDED",
        "MedicalVisit",
        visit_id,
        person_id=visit.person.id,
        province_code=visit.person.province_scope,
        facility_id=visit.values["facility_id"],
    )
    return visit_id


async def record_medical_visit(context: Context, data: VisitData) -> Outcome:
    viewer = require_viewer(context)
    facility = await own_facility(context)
    if isinstance(facility, Refused):
        return facility
    if data.facility_code is not None and data.facility_code.strip().upper() != facility.code:
        return Refused(f"A hospital records visits at its own facility ({facility.code}) only.")
    session = context.session
    problems = Problems()
    total = checked_money(problems, (*INPUT, "totalCost"), data.total_cost, "The total cost")
    fund = checked_money(
        problems, (*INPUT, "insurancePaid"), data.insurance_paid, "The insurance share", required=False
    )
    patient = checked_money(
        problems, (*INPUT, "patientPaid"), data.patient_paid, "The patient's share", required=False
    )
    visit = await check_visit(context, facility, data, problems, total)
    paid = stated_shares(problems, visit.share, total, fund, patient) if visit and total is not None else None
    if problems or visit is None or paid is None or total is None:
        return Invalid(problems.items)
    before = await visit_rollup.visits_before_change(session, visit.person.id)
    visit_id = await insert_visit(
        session, visit, {"total_cost": total, "insurance_paid": paid[0], "patient_paid": paid[1]}
    )
    await visit_rollup.visits_changed(session, visit.person.id, before)
    # No health data in the audit trail: which visit, not what it says.
    await audit(
        session,
        viewer,
        "recordMedicalVisit",
        "MedicalVisit",
        visit_id,
        {"facility": facility.code, "personId": visit.person.id},
    )
    await session.commit()
    events_committed(context)
    return Saved(await one_row(session, visits_with_owner().where(visit_t.c.id == visit_id)))
