"""Claims (hồ sơ đề nghị thanh toán): a partner hospital submits a visit (XML1) with its drug and
service lines (XML2/XML3); officers of the facility's province review it line by line and decide.

The server computes each line's fund and patient shares by the rules of a visit (models/rules,
through resolvers/visit.py); the claim's totals are SQL sums over its lines. A decision writes the
accepted totals to the visit through the path every change of a visit takes (resolvers/revision.py
visit_changed): its revision, its event and what depends on it. Each step is one transaction with
its event (to the hospital and the province's officers) and its audit row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, bindparam, case, func, insert, select, type_coerce, update
from sqlalchemy.exc import IntegrityError

from auth import scopes
from auth.viewer import Viewer
from models import visit_rollup
from models.rules import records as rules_records
from models.tables import catalogue_t, claim_line_t, claim_t, facility_t, visit_t
from models.types import CENT, VIETNAM_TZ, Money, utcnow
from resolvers.context import Context, require_viewer
from resolvers.errors import BadUserInput
from resolvers.events import audit, events_committed, inserted_id, record_event
from resolvers.loaders import visits_with_owner
from resolvers.outcomes import Invalid, Problem, Problems, Refused
from resolvers.pagination import Ordering, page
from resolvers.recording import INPUT, MONEY_MAX, Saved, aware, checked_money, officer_only, one_row
from resolvers.registration import check_text
from resolvers.revision import visit_changed, visit_changes
from resolvers.slices import Slice, fetch_page, where_all
from resolvers.visit import CheckedVisit, VisitData, check_visit, computed_share, insert_visit, own_facility

Outcome = Saved | Invalid | Refused
# What one claim may hold: XML2/XML3 of a long inpatient stay run to a few hundred lines.
CLAIM_MAX_LINES = 500
QUANTITY_MAX = Decimal("1000000")  # a million units of one item in one visit: beyond any record
REFUSAL_REASONS = frozenset(
    {
        "NOT_IN_BENEFIT_LIST",
        "PRICE_ABOVE_APPROVED",
        "QUANTITY_NOT_JUSTIFIED",
        "NOT_INDICATED",
        "DUPLICATE_LINE",
        "MISSING_RECORDS",
        "OTHER",
    }
)

CLAIM_ORDER = Ordering(
    "claims", (claim_t.c.submitted_at, claim_t.c.id), descending=True, kinds=("datetime", "int")
)


def claims_select() -> Select[Any]:
    """A claim with the facts of its visit (XML1) that the claim shows."""
    return select(
        claim_t,
        visit_t.c.visit_type,
        visit_t.c.admitted_at,
        visit_t.c.discharged_at,
        visit_t.c.diagnosis_code,
        visit_t.c.route,
    ).join(visit_t, visit_t.c.id == claim_t.c.visit_id)


def lines_select(claim_ids: Sequence[int]) -> Select[Any]:
    """The lines of these claims in their order, with their catalogue names and the patient."""
    return (
        select(claim_line_t, catalogue_t.c.name, catalogue_t.c.unit, claim_t.c.person_id)
        .join(catalogue_t, catalogue_t.c.id == claim_line_t.c.item_id)
        .join(claim_t, claim_t.c.id == claim_line_t.c.claim_id)
        .where(claim_line_t.c.claim_id.in_(claim_ids))
        .order_by(claim_line_t.c.claim_id, claim_line_t.c.number)
    )


# ---------- reading ----------


async def claims(context: Context, state: str | None, first: int | None, after: str | None) -> Slice:
    viewer = require_viewer(context)
    page_ = page(first, after, CLAIM_ORDER, context.cursors)
    statement = where_all(
        claims_select(), scopes.claims(viewer), claim_t.c.state == state if state is not None else None
    )
    return await fetch_page(context.session, statement, CLAIM_ORDER, page_)


# ---------- submitting ----------


@dataclass(frozen=True, slots=True)
class LineData:
    kind: str
    code: str
    quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class ClaimData:
    visit: VisitData
    lines: list[LineData] = field(default_factory=list)
    # What the hospital states (optional): each must be what the lines add up to.
    total_cost: Decimal | None = None
    insurance_paid: Decimal | None = None
    patient_paid: Decimal | None = None
    # A visit the hospital recorded earlier (recordMedicalVisit): the claim is for it, and no
    # second visit is recorded. Its global id, as the hospital was given it.
    visit_id: str | None = None
    # Whether the hospital stated the route (the input's default is PRIMARY): a stated route of a
    # recorded visit must be the visit's.
    route_stated: bool = False


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    item_id: int
    kind: str
    code: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


def _quantity(problems: Problems, path: tuple[str, ...], value: Decimal) -> Decimal | None:
    if not value.is_finite():
        problems.add(path, "FORMAT", "The quantity must be a number.")
    elif value <= 0:
        problems.add(path, "NOT_POSITIVE", "A line's quantity is above 0: leave out what was not given.")
    elif value.as_tuple().exponent < -2:  # type: ignore[operator]
        problems.add(path, "PRECISION", "A quantity has at most 2 decimal places.")
    elif value > QUANTITY_MAX:
        problems.add(path, "TOO_LARGE", f"A line's quantity is at most {QUANTITY_MAX:,}.")
    else:
        return value
    return None


async def _lines(context: Context, problems: Problems, given: list[LineData]) -> list[_Line] | None:
    """The lines, each checked and found in the catalogue (one statement for all)."""
    if not given:
        problems.add((*INPUT, "lines"), "REQUIRED", "A claim has at least one drug or service line.")
        return None
    if len(given) > CLAIM_MAX_LINES:
        problems.add(
            (*INPUT, "lines"),
            "TOO_MANY_LINES",
            f"A claim has at most {CLAIM_MAX_LINES} lines (got {len(given)}).",
        )
        return None
    # Catalogue codes are upper case: one IN over the codes, the kind told apart here.
    codes = sorted({line.code.strip().upper()[:30] for line in given})
    found = {
        (row.kind, row.code): row
        for row in (
            await context.session.execute(
                select(
                    catalogue_t.c.id, catalogue_t.c.kind, catalogue_t.c.code, catalogue_t.c.max_unit_price
                ).where(catalogue_t.c.code.in_(codes))
            )
        ).all()
    }
    out: list[_Line] = []
    for index, line in enumerate(given):
        path = (*INPUT, "lines", str(index))
        code = line.code.strip().upper()
        item = found.get((line.kind, code))
        if item is None:
            what = "drug" if line.kind == "DRUG" else "service"
            problems.add(
                (*path, "code"),
                f"UNKNOWN_{line.kind}",
                f"No {what} has the code {line.code.strip()[:30]!r} in the catalogue.",
            )
        quantity = _quantity(problems, (*path, "quantity"), line.quantity)
        price = checked_money(problems, (*path, "unitPrice"), line.unit_price, "The unit price")
        if item is None or quantity is None or price is None:
            continue
        if item.max_unit_price is not None and price > item.max_unit_price:
            # Refused, not paid up to the cap: facts.md gives no rule by which the fund pays part
            # of a line, and level 2's "100% with caps" is about the benefit, not the price. The
            # cap is the price the fund accepts (a service's approved price, a drug's tender
            # price), so a line above it is a wrong claim for the hospital to correct, and not a
            # difference to charge the patient.
            problems.add(
                (*path, "unitPrice"),
                "ABOVE_PRICE_CAP",
                f"The unit price of {code} is at most {item.max_unit_price:,.2f} VND (giá tối đa), "
                f"not {price:,.2f}.",
            )
            continue
        amount = (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP)
        if amount > MONEY_MAX:
            problems.add((*path, "unitPrice"), "TOO_LARGE", "quantity × unitPrice is too large.")
            continue
        out.append(_Line(index + 1, item.id, line.kind, code, quantity, price, amount))
    return out if len(out) == len(given) else None


def fingerprint(person_id: int, facility_id: int, admitted: Any, lines: Sequence[_Line]) -> str:
    """What makes two claims the same: patient, facility, admission and lines (in any order)."""
    parts = [str(person_id), str(facility_id), admitted.astimezone(VIETNAM_TZ).isoformat()]
    parts += sorted(f"{x.kind}:{x.code}:{x.quantity:.2f}:{x.unit_price:.2f}" for x in lines)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _shares(line: _Line, share: rules_records.FundShare) -> tuple[Decimal, Decimal]:
    fund = rules_records.fund_paid(line.amount, share)
    return fund, line.amount - fund


def _stated(problems: Problems, data: ClaimData, lines: list[_Line], share: rules_records.FundShare) -> None:
    """The totals a hospital states are what the lines add up to (the server's shares)."""
    total = sum((x.amount for x in lines), Decimal(0))
    fund = sum((_shares(x, share)[0] for x in lines), Decimal(0))
    for name, given, right, what in (
        ("totalCost", data.total_cost, total, "the sum of the lines' quantity × unit price"),
        ("insurancePaid", data.insurance_paid, fund, f"the fund's share of each line ({share.why})"),
        ("patientPaid", data.patient_paid, total - fund, "the lines' cost less the fund's share"),
    ):
        if given is not None and given != right:
            problems.add(
                (*INPUT, name),
                "NOT_ADDING_UP",
                f"{name} is {what}: {right:,.2f} VND, not {given:,.2f}; leave it out and the server computes it.",
            )


def _totals(claim_id: int, *, accepted: bool) -> dict[str, Any]:
    """The claim's totals as SQL sums over its lines (accepted lines only, for the decision)."""

    def total(column: Any) -> Any:
        statement = select(func.coalesce(func.sum(column), 0)).where(claim_line_t.c.claim_id == claim_id)
        if accepted:
            statement = statement.where(claim_line_t.c.state == "ACCEPTED")
        return statement.scalar_subquery()

    prefix = "accepted" if accepted else "claimed"
    return {
        f"{prefix}_total": total(claim_line_t.c.amount),
        f"{prefix}_fund": total(claim_line_t.c.fund_share),
        f"{prefix}_patient": total(claim_line_t.c.patient_share),
    }


async def _event(context: Context, kind: str, claim: Any) -> None:
    # The claim's audience: its hospital and the officers of the facility's province.
    await record_event(
        context.session,
        kind,
        "Claim",
        claim.id,
        person_id=claim.person_id,
        province_code=claim.province_code,
        facility_id=claim.facility_id,
    )


async def _saved(context: Context, claim_id: int) -> Saved:
    return Saved(await one_row(context.session, claims_select().where(claim_t.c.id == claim_id)))


async def _recorded_visit(context: Context, facility: Any, problems: Problems, node_id: str) -> Any | None:
    """The recorded visit a claim is for, locked for this transaction (two claims for one visit
    at once: the second waits, then finds the first). A visit of another facility reads as one
    that does not exist (privacy.md: a lookup by id never reveals what is outside the scope)."""
    from schema.node import parse_global_id  # the id format is the schema's

    path = (*INPUT, "medicalVisitId")
    try:
        _, pk = parse_global_id(node_id, "MedicalVisit", "medicalVisitId")
    except BadUserInput:
        pk = None
    row = None
    if pk is not None:
        row = (
            await context.session.execute(
                visits_with_owner()
                .where(visit_t.c.id == pk, visit_t.c.facility_id == facility.id)
                .with_for_update(of=visit_t)
            )
        ).first()
    if row is None:
        problems.add(path, "NOT_FOUND", "No medical visit with this id among your facility's.")
        return None
    if row.voided:
        problems.add(path, "VISIT_VOIDED", "This visit was voided by an officer: it cannot be claimed.")
        return None
    claimed = await context.session.scalar(select(claim_t.c.id).where(claim_t.c.visit_id == row.id))
    if claimed is not None:
        problems.add(
            path, "VISIT_CLAIMED", "This visit has a claim already: one claim a visit (see its claim)."
        )
        return None
    return row


def _as_recorded(problems: Problems, data: ClaimData, row: Any) -> VisitData:
    """The claim states the recorded visit's facts: what it gives must be what was recorded, and
    what it leaves out is the visit's. VISIT_MISMATCH for each that differs."""
    given = data.visit

    def mismatch(name: str, what: str) -> None:
        problems.add((*INPUT, name), "VISIT_MISMATCH", f"The recorded visit has another {what}.")

    if aware(given.admitted_at) != row.admitted_at:
        mismatch("admittedAt", "admission (ngày vào)")
    if given.visit_type != row.visit_type:
        mismatch("visitType", "visit type")
    if given.discharged_at is not None and aware(given.discharged_at) != row.discharged_at:
        mismatch("dischargedAt", "discharge (ngày ra)")
    code = (given.diagnosis_code or "").strip().upper() or None
    if code is not None and code != row.diagnosis_code:
        mismatch("diagnosisCode", "main diagnosis")
    if data.route_stated and given.route != row.route:
        mismatch("route", "route (tuyến)")
    return replace(
        given,
        discharged_at=row.discharged_at,
        diagnosis_code=row.diagnosis_code,
        diagnosis=row.diagnosis,
        route=row.route,
        referred_from=row.referred_from,
    )


async def _claimed_visit(
    context: Context, facility: Any, problems: Problems, data: ClaimData, total: Decimal | None
) -> tuple[CheckedVisit | None, Any | None]:
    """The claim's visit, checked as recordMedicalVisit checks one (the patient as presented, the
    card on the admission date, the route), and the recorded visit it is for, if it names one."""
    recorded = None
    visit_data = data.visit
    if data.visit_id is not None:
        recorded = await _recorded_visit(context, facility, problems, data.visit_id)
        if recorded is not None:
            visit_data = _as_recorded(problems, data, recorded)
    visit = await check_visit(context, facility, visit_data, problems, total)
    if recorded is not None:
        # The recorded visit is this claim's visit, not a duplicate of it.
        problems.items[:] = [p for p in problems.items if p.code != "DUPLICATE_VISIT"]
        if visit is not None and visit.person.id != recorded.person_id:
            problems.add(
                (*INPUT, "medicalVisitId"),
                "VISIT_OF_ANOTHER_PATIENT",
                "This visit was recorded for another patient than the one presented.",
            )
    return visit, recorded


DUPLICATE = Problem(
    (*INPUT, "lines"),
    "DUPLICATE_CLAIM",
    "This claim is submitted already (same patient, facility, admission and lines).",
)


async def submit_claim(context: Context, data: ClaimData) -> Outcome:
    viewer = require_viewer(context)
    facility = await own_facility(context)
    if isinstance(facility, Refused):
        return Refused("Only partner hospitals submit claims, for visits at their own facility.")
    session, problems = context.session, Problems()
    stated_code = (data.visit.facility_code or "").strip().upper()
    if stated_code and stated_code != facility.code:
        problems.add(
            (*INPUT, "facilityCode"),
            "OTHER_FACILITY",
            f"A hospital claims the visits at its own facility ({facility.code}) only.",
        )
    for name, value, label in (
        ("totalCost", data.total_cost, "The total cost"),
        ("insurancePaid", data.insurance_paid, "The insurance share"),
        ("patientPaid", data.patient_paid, "The patient's share"),
    ):
        checked_money(problems, (*INPUT, name), value, label, required=False)
    lines = await _lines(context, problems, data.lines)
    total = sum((x.amount for x in lines), Decimal(0)) if lines is not None else None
    visit, recorded = await _claimed_visit(context, facility, problems, data, total)
    if visit is None or lines is None:
        return Invalid(problems.items)
    _stated(problems, data, lines, visit.share)
    print_ = fingerprint(visit.person.id, facility.id, visit.values["admitted_at"], lines)
    taken = await session.execute(select(claim_t.c.id).where(claim_t.c.fingerprint == print_))
    if taken.first() is not None:
        # The same claim again: that, not its visit's duplicate, is what to say.
        problems.items[:] = [p for p in problems.items if p.code != "DUPLICATE_VISIT"]
        problems.items.append(DUPLICATE)
    if problems:
        return Invalid(problems.items)
    # The visit's money is the claim's, written below from the lines' sums.
    zero = Decimal(0)
    if recorded is None:
        # visitStatistics' rollup follows the visit once its money is the claim's (below).
        before = await visit_rollup.visits_before_change(session, visit.person.id)
        visit_id = await insert_visit(
            session, visit, {"total_cost": zero, "insurance_paid": zero, "patient_paid": zero}
        )
    else:
        visit_id = recorded.id
    try:
        inserted = await session.execute(
            insert(claim_t).values(
                visit_id=visit_id,
                person_id=visit.person.id,
                facility_id=facility.id,
                province_code=facility.province_code,
                state="SUBMITTED",
                fingerprint=print_,
                submitted_at=utcnow(),
                share_basis_points=int((visit.share.share * 10000).to_integral_value(ROUND_HALF_UP)),
                share_reason=visit.share.why[:200],
                benefit_level=visit.card.benefit_level,
                claimed_total=zero,
                claimed_fund=zero,
                claimed_patient=zero,
            )
        )
    except IntegrityError:
        # Submitted at the same moment by another request: the unique fingerprint (or, for a
        # recorded visit, its unique claim) decided.
        await session.rollback()
        if recorded is not None and await session.scalar(
            select(claim_t.c.id).where(claim_t.c.visit_id == recorded.id)
        ):
            return Invalid(
                [Problem((*INPUT, "medicalVisitId"), "VISIT_CLAIMED", "This visit has a claim already.")]
            )
        return Invalid([DUPLICATE])
    claim_id = inserted_id(inserted)
    rows = []
    for line in lines:
        fund, patient = _shares(line, visit.share)
        rows.append(
            {
                "claim_id": claim_id,
                "number": line.number,
                "item_id": line.item_id,
                "kind": line.kind,
                "code": line.code,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "amount": line.amount,
                "fund_share": fund,
                "patient_share": patient,
                "state": "PENDING",
            }
        )
    await session.execute(insert(claim_line_t), rows)
    await session.execute(
        update(claim_t).where(claim_t.c.id == claim_id).values(**_totals(claim_id, accepted=False))
    )
    claimed = select(claim_t).where(claim_t.c.id == claim_id)
    if recorded is None:
        await session.execute(
            update(visit_t)
            .where(visit_t.c.id == visit_id)
            .values(
                total_cost=claimed.with_only_columns(claim_t.c.claimed_total).scalar_subquery(),
                insurance_paid=claimed.with_only_columns(claim_t.c.claimed_fund).scalar_subquery(),
                patient_paid=claimed.with_only_columns(claim_t.c.claimed_patient).scalar_subquery(),
            )
        )
        await visit_rollup.visits_changed(session, visit.person.id, before)
    saved = await _saved(context, claim_id)
    if recorded is not None:
        # A visit recorded earlier changes like any stored visit: its revision, its event and the
        # rollup (resolvers/revision.py), its money now the claim's.
        values = {
            "total_cost": saved.row.claimed_total,
            "insurance_paid": saved.row.claimed_fund,
            "patient_paid": saved.row.claimed_patient,
        }
        changes = visit_changes(recorded, values)
        if changes:
            await visit_changed(context, viewer, recorded, values, changes, "Claim submitted for this visit")
    await _event(context, "CLAIM_SUBMITTED", saved.row)
    # No health data in the audit trail: which claim, not what it holds.
    await audit(
        session,
        viewer,
        "submitClaim",
        "Claim",
        claim_id,
        {"facility": facility.code, "visit": visit_id, "lines": len(lines), "recorded": recorded is not None},
    )
    await session.commit()
    events_committed(context)
    return saved


# ---------- reviewing ----------


async def _claim_for_review(context: Context, viewer: Viewer, node_id: str) -> Any | Invalid:
    """The claim by global id among the viewer's province's, locked for this transaction (its
    state changes one step at a time); else NOT_FOUND, the same whether it does not exist or is
    another province's."""
    from schema.node import parse_global_id  # the id format is the schema's

    missing = Invalid(
        [Problem((*INPUT, "claimId"), "NOT_FOUND", "No claim with this id among your province's claims.")]
    )
    try:
        _, pk = parse_global_id(node_id, "Claim", "claimId")
    except BadUserInput:
        return missing
    row = (
        await context.session.execute(
            claims_select().where(claim_t.c.id == pk, scopes.claims(viewer)).with_for_update(of=claim_t)
        )
    ).first()
    return row if row is not None else missing


def _not_in_state(row: Any, wanted: str) -> Invalid | None:
    if row.state == wanted:
        return None
    now = {
        "SUBMITTED": "is submitted and not under review yet (startClaimReview)",
        "UNDER_REVIEW": "is under review already",
    }.get(row.state, f"is decided already ({row.state})")
    code = "NOT_UNDER_REVIEW" if wanted == "UNDER_REVIEW" else "NOT_SUBMITTED"
    return Invalid([Problem((*INPUT, "claimId"), code, f"This claim {now}.")])


async def _claim_in_state(
    context: Context, node_id: str, wanted: str, doing: str
) -> tuple[Viewer, Any] | Outcome:
    """What every review step checks first: an officer, the claim in their province (locked), in
    the state the step starts from; the viewer and the claim, or the outcome that refuses."""
    viewer = require_viewer(context)
    refused = officer_only(viewer, f"of the facility's province {doing}")
    if refused is not None:
        return refused
    found = await _claim_for_review(context, viewer, node_id)
    if isinstance(found, Invalid):
        return found
    wrong = _not_in_state(found, wanted)
    if wrong is not None:
        return wrong
    return viewer, found


async def start_claim_review(context: Context, node_id: str) -> Outcome:
    checked = await _claim_in_state(context, node_id, "SUBMITTED", "review claims")
    if not isinstance(checked, tuple):
        return checked
    viewer, found = checked
    session = context.session
    await session.execute(
        update(claim_t)
        .where(claim_t.c.id == found.id)
        .values(state="UNDER_REVIEW", review_started_at=utcnow())
    )
    await _event(context, "CLAIM_REVIEW_STARTED", found)
    await audit(session, viewer, "startClaimReview", "Claim", found.id, None)
    saved = await _saved(context, found.id)
    await session.commit()
    events_committed(context)
    return saved


@dataclass(frozen=True, slots=True)
class LineReview:
    claim_id: str
    line: int
    accepted: bool
    reason: str | None = None
    note: str | None = None


async def review_claim_line(context: Context, data: LineReview) -> Outcome:
    checked = await _claim_in_state(context, data.claim_id, "UNDER_REVIEW", "review claims")
    if not isinstance(checked, tuple):
        return checked
    viewer, found = checked
    session, problems = context.session, Problems()
    line = (
        await session.execute(
            select(claim_line_t.c.id).where(
                claim_line_t.c.claim_id == found.id, claim_line_t.c.number == data.line
            )
        )
    ).first()
    if line is None:
        problems.add((*INPUT, "line"), "NOT_FOUND", f"This claim has no line {data.line}.")
    note = check_text(problems, (*INPUT, "note"), data.note, "The note", 500, required=False)
    if data.accepted and data.reason is not None:
        problems.add((*INPUT, "reason"), "REASON_ON_ACCEPTED", "A reason is given for a refused line only.")
    if not data.accepted and data.reason is None:
        problems.add((*INPUT, "reason"), "REQUIRED", "A refused line has a reason (the code, and a note).")
    if data.reason == "OTHER" and note is None:
        problems.add((*INPUT, "note"), "REQUIRED", "Reason OTHER: say in the note why the line is refused.")
    if problems or line is None:
        return Invalid(problems.items)
    await session.execute(
        update(claim_line_t)
        .where(claim_line_t.c.id == line.id)
        .values(
            state="ACCEPTED" if data.accepted else "REFUSED",
            refusal_reason=None if data.accepted else data.reason,
            refusal_note=note,
        )
    )
    await _event(context, "CLAIM_LINE_REVIEWED", found)
    await audit(
        session,
        viewer,
        "reviewClaimLine",
        "Claim",
        found.id,
        {"line": data.line, "accepted": data.accepted, "reason": data.reason},
    )
    saved = await _saved(context, found.id)
    await session.commit()
    events_committed(context)
    return saved


async def _card_of(context: Context, card_id: int) -> Any:
    """The visit's card as the rules read it (the card of the admission, even if suspended since)."""
    from models.tables import card_t

    return (
        await context.session.execute(
            select(
                card_t.c.id,
                card_t.c.benefit_level,
                card_t.c.primary_care_facility_id,
                card_t.c.five_years_continuous_from,
            ).where(card_t.c.id == card_id)
        )
    ).one()


async def decide_claim(context: Context, node_id: str, note: str | None) -> Outcome:
    checked = await _claim_in_state(context, node_id, "UNDER_REVIEW", "decide claims")
    if not isinstance(checked, tuple):
        return checked
    viewer, found = checked
    session, problems = context.session, Problems()
    text = check_text(problems, (*INPUT, "note"), note, "The note", 500, required=False)
    counts = (
        await session.execute(
            select(
                func.count().label("lines"),
                func.coalesce(func.sum(case((claim_line_t.c.state == "ACCEPTED", 1), else_=0)), 0).label(
                    "accepted"
                ),
                func.coalesce(func.sum(case((claim_line_t.c.state == "PENDING", 1), else_=0)), 0).label(
                    "pending"
                ),
                type_coerce(
                    func.coalesce(
                        func.sum(case((claim_line_t.c.state == "ACCEPTED", claim_line_t.c.amount), else_=0)),
                        0,
                    ),
                    Money(),
                ).label("accepted_cost"),
            ).where(claim_line_t.c.claim_id == found.id)
        )
    ).one()
    if counts.pending:
        pending = (
            await session.execute(
                select(claim_line_t.c.number)
                .where(claim_line_t.c.claim_id == found.id, claim_line_t.c.state == "PENDING")
                .order_by(claim_line_t.c.number)
                .limit(10)
            )
        ).scalars()
        problems.add(
            (*INPUT, "claimId"),
            "LINES_PENDING",
            f"Accept or refuse every line first: {counts.pending} not reviewed (lines "
            + ", ".join(str(n) for n in pending)
            + (" …" if counts.pending > 10 else "")
            + ").",
        )
    visit = await one_row(session, visits_with_owner().where(visit_t.c.id == found.visit_id))
    if visit.voided:
        # A voided visit counts nowhere and changes no more (resolvers/revision.py).
        problems.add(
            (*INPUT, "claimId"),
            "VISIT_VOIDED",
            "The visit of this claim was voided by an officer: there is nothing left to pay.",
        )
    if problems:
        return Invalid(problems.items)
    state = (
        "ACCEPTED"
        if counts.accepted == counts.lines
        else "REFUSED"
        if counts.accepted == 0
        else "PARTLY_ACCEPTED"
    )
    # The rules apply to the cost the fund accepts (the 15% of the base salary, the year's
    # co-payment): a refusal can change the share of the lines that remain.
    accepted_cost = counts.accepted_cost
    if state != "REFUSED":
        facility = (
            await session.execute(
                select(facility_t.c.id, facility_t.c.code, facility_t.c.name).where(
                    facility_t.c.id == found.facility_id
                )
            )
        ).one()
        share = await computed_share(
            session,
            found.person_id,
            facility,
            await _card_of(context, visit.card_id),
            found.route,
            found.visit_type,
            accepted_cost,
            found.admitted_at,
            own_id=visit.id,
        )
        basis = int((share.share * 10000).to_integral_value(ROUND_HALF_UP))
        if basis != found.share_basis_points:
            accepted = (
                await session.execute(
                    select(claim_line_t.c.id, claim_line_t.c.amount).where(
                        claim_line_t.c.claim_id == found.id, claim_line_t.c.state == "ACCEPTED"
                    )
                )
            ).all()
            shares = []
            for row in accepted:
                fund = rules_records.fund_paid(row.amount, share)
                shares.append({"line_id": row.id, "fund": fund, "patient": row.amount - fund})
            await session.execute(
                update(claim_line_t)
                .where(claim_line_t.c.id == bindparam("line_id"))
                .values(fund_share=bindparam("fund"), patient_share=bindparam("patient")),
                shares,
            )
            await session.execute(
                update(claim_t)
                .where(claim_t.c.id == found.id)
                .values(share_basis_points=basis, share_reason=share.why[:200])
            )
    await session.execute(
        update(claim_t)
        .where(claim_t.c.id == found.id)
        .values(state=state, decided_at=utcnow(), decision_note=text, **_totals(found.id, accepted=True))
    )
    saved = await _saved(context, found.id)
    claim = saved.row
    # The visit now says what the fund accepted: a refused line is neither the fund's nor the
    # patient's (unconfirmed: the law leaves amounts refused at review to the facility).
    values = {
        "total_cost": claim.accepted_total,
        "insurance_paid": claim.accepted_fund,
        "patient_paid": claim.accepted_patient,
    }
    changes = visit_changes(visit, values)
    if changes:
        await visit_changed(
            context,
            viewer,
            visit,
            values,
            changes,
            f"Claim decided: {state.replace('_', ' ').lower()}" + (f" ({text})" if text else ""),
        )
    await _event(context, "CLAIM_DECIDED", claim)
    await audit(session, viewer, "decideClaim", "Claim", found.id, {"state": state})
    await session.commit()
    events_committed(context)
    return saved
