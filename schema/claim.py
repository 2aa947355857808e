"""Claims (hồ sơ đề nghị thanh toán BHYT): the types, the `claims` list and the mutations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import strawberry

from auth.guard import Guarded, Readers, allow
from auth.policy import relation_to_claim
from resolvers import claim as write
from resolvers.context import Context, Info
from resolvers.outcomes import Invalid, Refused
from resolvers.recording import Saved
from resolvers.visit import VisitData
from schema.arguments import INPUT, After, First
from schema.enums import CareRoute, VisitType, described
from schema.errors import NotAllowed
from schema.geo import HealthFacility
from schema.node import Node, global_id
from schema.pagination import Connection, connection

if TYPE_CHECKING:
    from schema.person import Person
    from schema.visit import MedicalVisit


@described(
    SUBMITTED="Gửi: submitted by the hospital, waiting for review.",
    UNDER_REVIEW="Đang giám định: officers of the facility's province review its lines.",
    ACCEPTED="Chấp nhận: every line accepted.",
    PARTLY_ACCEPTED="Chấp nhận một phần: some lines refused (xuất toán), the others accepted.",
    REFUSED="Từ chối: every line refused; the fund pays nothing.",
)
@strawberry.enum(
    description="Where a claim is: SUBMITTED → UNDER_REVIEW → ACCEPTED | PARTLY_ACCEPTED | REFUSED."
)
class ClaimState(Enum):
    SUBMITTED = "SUBMITTED"
    UNDER_REVIEW = "UNDER_REVIEW"
    ACCEPTED = "ACCEPTED"
    PARTLY_ACCEPTED = "PARTLY_ACCEPTED"
    REFUSED = "REFUSED"


@described(DRUG="Thuốc (claims table XML2).", SERVICE="Dịch vụ kỹ thuật, xét nghiệm, giường (XML3).")
@strawberry.enum(description="What a claim line is: a drug or a medical service of the catalogue.")
class ClaimLineKind(Enum):
    DRUG = "DRUG"
    SERVICE = "SERVICE"


@described(
    PENDING="Not reviewed yet.",
    ACCEPTED="Accepted: the fund pays its share.",
    REFUSED="Refused, with a reason: the fund pays nothing of it.",
)
@strawberry.enum(description="A line's review.")
class ClaimLineState(Enum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REFUSED = "REFUSED"


@described(
    NOT_IN_BENEFIT_LIST="Ngoài danh mục: not in the list the fund pays for.",
    PRICE_ABOVE_APPROVED="Giá vượt: above the approved price or the tender price.",
    QUANTITY_NOT_JUSTIFIED="Số lượng không hợp lý: more than the treatment needs.",
    NOT_INDICATED="Chỉ định không phù hợp: does not fit the diagnosis.",
    DUPLICATE_LINE="Trùng: claimed twice (in this claim or another).",
    MISSING_RECORDS="Thiếu hồ sơ: the medical records do not show it.",
    OTHER="Another reason, said in the note (required).",
)
@strawberry.enum(description="Why a line is refused (lý do xuất toán).")
class ClaimRefusalReason(Enum):
    NOT_IN_BENEFIT_LIST = "NOT_IN_BENEFIT_LIST"
    PRICE_ABOVE_APPROVED = "PRICE_ABOVE_APPROVED"
    QUANTITY_NOT_JUSTIFIED = "QUANTITY_NOT_JUSTIFIED"
    NOT_INDICATED = "NOT_INDICATED"
    DUPLICATE_LINE = "DUPLICATE_LINE"
    MISSING_RECORDS = "MISSING_RECORDS"
    OTHER = "OTHER"


assert {r.value for r in ClaimRefusalReason} == write.REFUSAL_REASONS


@described(
    REQUIRED="A value is needed.",
    FORMAT="Not in the expected format (a code, a number).",
    TOO_LONG="A text over its length.",
    TOO_LARGE="A number beyond any record.",
    NEGATIVE="A price or an amount below 0.",
    PRECISION="More than 2 decimal places.",
    NOT_POSITIVE="A quantity of 0 or less.",
    NOT_FOUND="No such patient, claim, line or visit in the viewer's scope (a visit of another facility reads "
    "the same as none).",
    IN_THE_FUTURE="A date after now.",
    BEFORE_ADMISSION="Discharged before admitted.",
    NO_VALID_CARD="The patient had no valid card on the admission date.",
    NOT_PRIMARY_CARE="The route is not PRIMARY at this facility for this card.",
    REFERRAL_REQUIRED="A REFERRED visit names the referring facility.",
    SELF_REFERRAL="A facility does not refer to itself.",
    DUPLICATE_VISIT="The visit is recorded already.",
    DUPLICATE_CLAIM="The same claim (patient, facility, admission, lines) is submitted already.",
    OTHER_FACILITY="A visit of another facility: a hospital claims its own.",
    UNKNOWN_DRUG="No drug has this code in the catalogue.",
    UNKNOWN_SERVICE="No medical service has this code in the catalogue.",
    TOO_MANY_LINES="More lines than one claim holds.",
    ABOVE_PRICE_CAP="A unit price above the item's cap in the catalogue (giá tối đa): the line is refused, "
    "not paid up to the cap.",
    NOT_ADDING_UP="A stated total is not what the lines add up to.",
    NOT_SUBMITTED="The claim is not waiting for review (under review or decided already).",
    NOT_UNDER_REVIEW="The claim is not under review (not taken yet, or decided already).",
    LINES_PENDING="A decision needs every line accepted or refused first.",
    REASON_ON_ACCEPTED="A refusal reason given for an accepted line.",
    VISIT_VOIDED="The claim's visit was voided: it cannot be claimed, and nothing is left to decide.",
    VISIT_OF_ANOTHER_PATIENT="The recorded visit named is another patient's than the one presented.",
    VISIT_CLAIMED="The recorded visit named has a claim already: one claim a visit.",
    VISIT_MISMATCH="A fact of the claim (admission, type, discharge, diagnosis, route) differs from the "
    "recorded visit's.",
)
@strawberry.enum(description="The codes of the claims' input errors: stable, for programs.")
class ClaimErrorCode(Enum):
    REQUIRED = "REQUIRED"
    FORMAT = "FORMAT"
    TOO_LONG = "TOO_LONG"
    TOO_LARGE = "TOO_LARGE"
    NEGATIVE = "NEGATIVE"
    PRECISION = "PRECISION"
    NOT_POSITIVE = "NOT_POSITIVE"
    NOT_FOUND = "NOT_FOUND"
    IN_THE_FUTURE = "IN_THE_FUTURE"
    BEFORE_ADMISSION = "BEFORE_ADMISSION"
    NO_VALID_CARD = "NO_VALID_CARD"
    NOT_PRIMARY_CARE = "NOT_PRIMARY_CARE"
    REFERRAL_REQUIRED = "REFERRAL_REQUIRED"
    SELF_REFERRAL = "SELF_REFERRAL"
    DUPLICATE_VISIT = "DUPLICATE_VISIT"
    DUPLICATE_CLAIM = "DUPLICATE_CLAIM"
    OTHER_FACILITY = "OTHER_FACILITY"
    UNKNOWN_DRUG = "UNKNOWN_DRUG"
    UNKNOWN_SERVICE = "UNKNOWN_SERVICE"
    TOO_MANY_LINES = "TOO_MANY_LINES"
    ABOVE_PRICE_CAP = "ABOVE_PRICE_CAP"
    NOT_ADDING_UP = "NOT_ADDING_UP"
    NOT_SUBMITTED = "NOT_SUBMITTED"
    NOT_UNDER_REVIEW = "NOT_UNDER_REVIEW"
    LINES_PENDING = "LINES_PENDING"
    REASON_ON_ACCEPTED = "REASON_ON_ACCEPTED"
    VISIT_VOIDED = "VISIT_VOIDED"
    VISIT_OF_ANOTHER_PATIENT = "VISIT_OF_ANOTHER_PATIENT"
    VISIT_CLAIMED = "VISIT_CLAIMED"
    VISIT_MISMATCH = "VISIT_MISMATCH"


@strawberry.type(
    description="A drug or service line of a claim (XML2/XML3), with the shares the server computed."
)
class ClaimLine(Guarded):
    number: int = strawberry.field(description="STT: 1, 2, ... in the order submitted.")
    kind: ClaimLineKind = strawberry.field(description="A drug or a service.")
    code: str = strawberry.field(description="Mã thuốc / mã dịch vụ, as in the catalogue.")
    name: str = strawberry.field(description="Its name in the catalogue.")
    unit: str = strawberry.field(description="Đơn vị tính: viên, lọ, lần, ngày ...")
    quantity: Decimal = strawberry.field(description="Số lượng (2 decimal places at most).")
    unit_price: Decimal = strawberry.field(description="Đơn giá, in VND.")
    amount: Decimal = strawberry.field(description="Thành tiền: quantity × unitPrice, in VND.")
    insurance_paid: Decimal = strawberry.field(
        description="The fund's share of the line, by the claim's share (fundShareRate)."
    )
    patient_paid: Decimal = strawberry.field(description="amount − insurancePaid.")
    state: ClaimLineState = strawberry.field(description="Its review.")
    refusal_reason: ClaimRefusalReason | None = strawberry.field(
        description="Why it was refused; null otherwise."
    )
    refusal_note: str | None = strawberry.field(description="The reviewer's note, if any.")

    _readers: ClassVar[Readers] = {
        "number": ("ClaimLine.number", lambda r: r.number),
        "kind": ("ClaimLine.kind", lambda r: r.kind),
        "code": ("ClaimLine.code", lambda r: r.code),
        "name": ("ClaimLine.name", lambda r: r.name),
        "unit": ("ClaimLine.unit", lambda r: r.unit),
        "quantity": ("ClaimLine.quantity", lambda r: r.quantity),
        "unit_price": ("ClaimLine.unitPrice", lambda r: r.unit_price),
        "amount": ("ClaimLine.amount", lambda r: r.amount),
        "insurance_paid": ("ClaimLine.insurancePaid", lambda r: r.fund_share),
        "patient_paid": ("ClaimLine.patientPaid", lambda r: r.patient_share),
        "state": ("ClaimLine.state", lambda r: r.state),
        "refusal_reason": ("ClaimLine.refusalReason", lambda r: r.refusal_reason),
        "refusal_note": ("ClaimLine.refusalNote", lambda r: r.refusal_note),
    }


@strawberry.type(
    description="Hồ sơ đề nghị thanh toán: a hospital's claim for one visit (XML1) with its lines (XML2/XML3). "
    "Health data: its hospital, the officers of the facility's province, the patient."
)
class Claim(Guarded, Node):
    state: ClaimState = strawberry.field(description="Where the claim is.")
    visit_type: VisitType = strawberry.field(description="Ngoại trú or nội trú (the visit's).")
    admitted_at: datetime = strawberry.field(description="Ngày vào (Vietnam time).")
    discharged_at: datetime | None = strawberry.field(description="Ngày ra; null while the patient is in.")
    diagnosis_code: str | None = strawberry.field(description="ICD-10 of the main diagnosis.")
    route: CareRoute = strawberry.field(description="Tuyến of the visit.")
    benefit_level: int = strawberry.field(description="Mức hưởng of the card on the admission date (1-5).")
    fund_share_rate: Decimal = strawberry.field(
        description="The share of each line the fund pays (0 to 1), by the rules: level, route, facility level, "
        "the 15% of the base salary and commune level (on the accepted cost once decided)."
    )
    fund_share_reason: str = strawberry.field(description="Why that share, in words.")
    total_cost: Decimal = strawberry.field(
        description="What the lines claim: the sum of their amounts, in VND."
    )
    insurance_paid: Decimal = strawberry.field(description="The fund's share of the lines claimed.")
    patient_paid: Decimal = strawberry.field(description="The patient's share of the lines claimed.")
    accepted_total_cost: Decimal | None = strawberry.field(
        description="The sum of the accepted lines; null until decided."
    )
    accepted_insurance_paid: Decimal | None = strawberry.field(
        description="What the fund pays: its share of the accepted lines; null until decided. The visit's "
        "insurancePaid becomes this."
    )
    accepted_patient_paid: Decimal | None = strawberry.field(
        description="The patient's share of the accepted lines; null until decided."
    )
    submitted_at: datetime = strawberry.field(description="When the hospital submitted it.")
    review_started_at: datetime | None = strawberry.field(description="When its review began.")
    decided_at: datetime | None = strawberry.field(description="When it was decided.")
    decision_note: str | None = strawberry.field(description="The officer's note on the decision.")

    @strawberry.field(description="The hospital that submitted it (cơ sở KCB).")
    async def facility(self, info: Info) -> HealthFacility:
        allow(self._access, self._rel, self._row.person_id, "Claim.facility")
        return HealthFacility.from_row(
            await info.context.loaders.facilities_by_id.load(self._row.facility_id)
        )

    @strawberry.field(description="The patient, under the person's own policy.")
    async def patient(self, info: Info) -> Annotated[Person, strawberry.lazy("schema.person")]:
        from schema.person import Person

        allow(self._access, self._rel, self._row.person_id, "Claim.patient")
        return Person.wrap(info.context, await info.context.loaders.persons_by_id.load(self._row.person_id))

    @strawberry.field(
        description="The visit the claim is for, under the visit's own scope: null for a viewer who may see the "
        "claim but not the visit (an officer of the facility's province reviewing a patient of another)."
    )
    async def medical_visit(
        self, info: Info
    ) -> Annotated[MedicalVisit, strawberry.lazy("schema.visit")] | None:
        from schema.visit import MedicalVisit

        allow(self._access, self._rel, self._row.person_id, "Claim.medicalVisit")
        row = await info.context.loaders.visits_by_id.load(self._row.visit_id)
        return MedicalVisit.wrapper(info.context)(row) if row is not None else None

    @strawberry.field(description="Its drug and service lines, in order.")
    async def lines(self, info: Info) -> list[ClaimLine]:
        allow(self._access, self._rel, self._row.person_id, "Claim.lines")
        rows = await info.context.loaders.claim_lines_by_claim.load(self._row.id)
        relation, access, make = self._rel, self._access, ClaimLine.make
        return [make(row, relation, access) for row in rows]

    _readers: ClassVar[Readers] = {
        "id": ("Claim.id", lambda r: global_id("Claim", r.id)),
        "state": ("Claim.state", lambda r: r.state),
        "visit_type": ("Claim.visitType", lambda r: r.visit_type),
        "admitted_at": ("Claim.admittedAt", lambda r: r.admitted_at),
        "discharged_at": ("Claim.dischargedAt", lambda r: r.discharged_at),
        "diagnosis_code": ("Claim.diagnosisCode", lambda r: r.diagnosis_code),
        "route": ("Claim.route", lambda r: r.route),
        "benefit_level": ("Claim.benefitLevel", lambda r: r.benefit_level),
        "fund_share_rate": (
            "Claim.fundShareRate",
            lambda r: (Decimal(r.share_basis_points) / 10000).quantize(Decimal("0.0001")),
        ),
        "fund_share_reason": ("Claim.fundShareReason", lambda r: r.share_reason),
        "total_cost": ("Claim.totalCost", lambda r: r.claimed_total),
        "insurance_paid": ("Claim.insurancePaid", lambda r: r.claimed_fund),
        "patient_paid": ("Claim.patientPaid", lambda r: r.claimed_patient),
        "accepted_total_cost": ("Claim.acceptedTotalCost", lambda r: r.accepted_total),
        "accepted_insurance_paid": ("Claim.acceptedInsurancePaid", lambda r: r.accepted_fund),
        "accepted_patient_paid": ("Claim.acceptedPatientPaid", lambda r: r.accepted_patient),
        "submitted_at": ("Claim.submittedAt", lambda r: r.submitted_at),
        "review_started_at": ("Claim.reviewStartedAt", lambda r: r.review_started_at),
        "decided_at": ("Claim.decidedAt", lambda r: r.decided_at),
        "decision_note": ("Claim.decisionNote", lambda r: r.decision_note),
    }

    @classmethod
    def wrapper(cls, context: Context) -> Any:
        viewer, access, make = context.viewer, context.access, cls.make
        return lambda row: make(
            row, relation_to_claim(viewer, row.person_id, row.province_code, row.facility_id), access
        )


# ---------- reading ----------


@strawberry.type
class ClaimQuery:
    @strawberry.field(
        description="Claims in the viewer's scope, newest first: a hospital its own, officers their province's "
        "(the facility's), the patient theirs; analysts none (health data)."
    )
    async def claims(
        self,
        info: Info,
        state: Annotated[
            ClaimState | None, strawberry.argument(description="Only claims in this state; all if left out.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Claim]:
        slice_ = await write.claims(info.context, state.value if state else None, first, after)
        return connection(slice_, Claim.wrapper(info.context))


# ---------- mutations ----------


@strawberry.type(description="One bad input field of a claim: its path in the input, a code, a message.")
class ClaimFieldError:
    field: list[str] = strawberry.field(description='The path in the input, e.g. ["lines", "3", "code"].')
    code: ClaimErrorCode = strawberry.field(description="Stable, for programs.")
    message: str = strawberry.field(description="For people: what is wrong and what is expected.")


@strawberry.type(description="Bad input of a claim mutation: every problem at once, nothing stored.")
class InvalidClaimInput:
    errors: list[ClaimFieldError] = strawberry.field(description="Every problem of the input, at once.")


@strawberry.type(
    description="The claim after the change (an event announces it to its hospital and province)."
)
class ClaimSuccess:
    claim: Claim = strawberry.field(description="The claim as stored.")


ClaimResult = Annotated[
    ClaimSuccess | InvalidClaimInput | NotAllowed,
    strawberry.union(
        "ClaimResult",
        description="What a claim mutation answers: its success, every problem of the input "
        "(InvalidClaimInput), or NotAllowed when the viewer may not.",
    ),
]


def _result(info: Info, outcome: Saved | Invalid | Refused) -> ClaimSuccess | InvalidClaimInput | NotAllowed:
    if isinstance(outcome, Invalid):
        return InvalidClaimInput(
            errors=[
                ClaimFieldError(field=list(p.field), code=ClaimErrorCode(p.code), message=p.message)
                for p in outcome.problems
            ]
        )
    if isinstance(outcome, Refused):
        return NotAllowed(message=outcome.message)
    return ClaimSuccess(claim=Claim.wrapper(info.context)(outcome.row))


@strawberry.input(
    description="A drug or service line (XML2/XML3): the server computes its amount and shares."
)
class ClaimLineInput:
    kind: ClaimLineKind = strawberry.field(description="A drug or a service.")
    code: str = strawberry.field(description="Its code in the catalogue (mã thuốc, mã dịch vụ).")
    quantity: Decimal = strawberry.field(description="Above 0, 2 decimal places at most.")
    unit_price: Decimal = strawberry.field(
        description="Đơn giá in VND: 0 or more, 2 decimal places at most, at most the item's cap (giá tối đa)."
    )


@strawberry.input(
    description="A claim: the visit (XML1, at the submitting hospital) and its lines. The visit is recorded "
    "with the claim, or, with medicalVisitId, is one the hospital recorded earlier; its cost becomes the lines' sum."
)
class SubmitClaimInput:
    social_insurance_code: str = strawberry.field(
        description="The patient; their card must be valid on the admission date."
    )
    full_name: str = strawberry.field(description="The patient's name as presented (ID card).")
    date_of_birth: date = strawberry.field(description="The patient's date of birth as presented.")
    visit_type: VisitType = strawberry.field(description="Ngoại trú or nội trú.")
    admitted_at: datetime = strawberry.field(description="Without an offset: Vietnam time.")
    discharged_at: datetime | None = strawberry.field(
        default=None, description="Ngày ra, not before admittedAt."
    )
    diagnosis_code: str | None = strawberry.field(default=None, description="ICD-10, e.g. J18.9.")
    diagnosis: str | None = strawberry.field(default=None, description="Chẩn đoán in words.")
    route: CareRoute | None = strawberry.field(
        default=None, description="Tuyến (PRIMARY when not given), as for recordMedicalVisit."
    )
    referred_from_facility_code: str | None = strawberry.field(
        default=None, description="The facility that referred the patient (route REFERRED)."
    )
    facility_code: str | None = strawberry.field(
        default=None,
        description="The submitting hospital's own facility code (the default); another is refused.",
    )
    lines: list[ClaimLineInput] = strawberry.field(description="At least one line, at most 500.")
    medical_visit_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A visit this hospital recorded earlier (recordMedicalVisit) that the claim is for: no second "
        "visit is recorded. It must be the presented patient's, not voided and not claimed yet; admittedAt and "
        "visitType must be its own, and the other facts, when given, too. Its money becomes the lines' sum (a "
        "revision of the visit).",
    )
    total_cost: Decimal | None = strawberry.field(
        default=None, description="Optional: if given, it must be the sum of quantity × unitPrice."
    )
    insurance_paid: Decimal | None = strawberry.field(
        default=None, description="Optional: if given, it must be the fund's share the server computes."
    )
    patient_paid: Decimal | None = strawberry.field(
        default=None, description="Optional: if given, it must be totalCost − the fund's share."
    )


@strawberry.input(description="Which claim.")
class ClaimIdInput:
    claim_id: strawberry.ID = strawberry.field(description="The claim's global id.")


@strawberry.input(description="The review of one line of a claim under review.")
class ReviewClaimLineInput:
    claim_id: strawberry.ID = strawberry.field(description="The claim's global id.")
    line: int = strawberry.field(description="The line's number (ClaimLine.number).")
    accepted: bool = strawberry.field(description="true: accepted; false: refused (with a reason).")
    reason: ClaimRefusalReason | None = strawberry.field(
        default=None, description="Why it is refused: required when refused, none when accepted."
    )
    note: str | None = strawberry.field(
        default=None, description="Free text (500 characters); required for OTHER."
    )


@strawberry.input(description="The decision on a claim under review whose lines are all reviewed.")
class DecideClaimInput:
    claim_id: strawberry.ID = strawberry.field(description="The claim's global id.")
    note: str | None = strawberry.field(default=None, description="The officer's note (500 characters).")


@strawberry.type
class ClaimMutation:
    @strawberry.mutation(
        description="Submit a claim for a visit at the hospital's own facility (partner hospitals): the server "
        "computes each line's fund and patient shares; the same claim twice is refused."
    )
    async def submit_claim(self, info: Info, input: Annotated[SubmitClaimInput, INPUT]) -> ClaimResult:
        visit = VisitData(
            social_insurance_code=input.social_insurance_code,
            full_name=input.full_name,
            date_of_birth=input.date_of_birth,
            visit_type=input.visit_type.value,
            admitted_at=input.admitted_at,
            discharged_at=input.discharged_at,
            diagnosis_code=input.diagnosis_code,
            diagnosis=input.diagnosis,
            total_cost=Decimal(0),  # the lines' sum
            facility_code=input.facility_code,
            route=input.route.value if input.route is not None else "PRIMARY",
            referred_from=input.referred_from_facility_code,
        )
        data = write.ClaimData(
            visit=visit,
            lines=[
                write.LineData(kind=x.kind.value, code=x.code, quantity=x.quantity, unit_price=x.unit_price)
                for x in input.lines
            ],
            total_cost=input.total_cost,
            insurance_paid=input.insurance_paid,
            patient_paid=input.patient_paid,
            visit_id=str(input.medical_visit_id) if input.medical_visit_id is not None else None,
            route_stated=input.route is not None,
        )
        return _result(info, await write.submit_claim(info.context, data))

    @strawberry.mutation(
        description="Take a submitted claim under review (officers of the facility's province)."
    )
    async def start_claim_review(self, info: Info, input: Annotated[ClaimIdInput, INPUT]) -> ClaimResult:
        return _result(info, await write.start_claim_review(info.context, str(input.claim_id)))

    @strawberry.mutation(
        description="Accept or refuse one line of a claim under review (officers of the facility's province); "
        "a line may be reviewed again until the decision."
    )
    async def review_claim_line(
        self, info: Info, input: Annotated[ReviewClaimLineInput, INPUT]
    ) -> ClaimResult:
        data = write.LineReview(
            claim_id=str(input.claim_id),
            line=input.line,
            accepted=input.accepted,
            reason=input.reason.value if input.reason is not None else None,
            note=input.note,
        )
        return _result(info, await write.review_claim_line(info.context, data))

    @strawberry.mutation(
        description="Decide a claim under review whose lines are all reviewed: ACCEPTED, PARTLY_ACCEPTED or "
        "REFUSED by its lines; the visit's insurancePaid and patientPaid become the accepted totals (a revision)."
    )
    async def decide_claim(self, info: Info, input: Annotated[DecideClaimInput, INPUT]) -> ClaimResult:
        return _result(info, await write.decide_claim(info.context, str(input.claim_id), input.note))
