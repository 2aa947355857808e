from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import strawberry

from auth.guard import Guarded, Readers, allow
from auth.policy import relation_to_visit
from resolvers import visit as write
from resolvers.context import Context, Info
from schema.arguments import INPUT
from schema.enums import CareRoute, VisitType
from schema.errors import InvalidInput, NotAllowed, outcome_result
from schema.geo import HealthFacility
from schema.node import Node, global_id
from schema.revision import Revision, revisions_of

if TYPE_CHECKING:
    from schema.person import Person


@strawberry.type(description="A medical visit (sổ khám chữa bệnh): sensitive health data.")
class MedicalVisit(Guarded, Node):
    visit_type: VisitType = strawberry.field(description="Ngoại trú or nội trú.")
    admitted_at: datetime = strawberry.field(description="Ngày vào: when the visit began (Vietnam time).")
    discharged_at: datetime | None = strawberry.field(
        description="Ngày ra: when it ended; null while the patient is in."
    )
    diagnosis_code: str | None = strawberry.field(description="ICD-10.")
    diagnosis: str | None = strawberry.field(
        description="Chẩn đoán in words. Sensitive: the person, officers in scope and the hospital that recorded it."
    )
    total_cost: Decimal = strawberry.field(description="Tổng chi phí, in VND.")
    insurance_paid: Decimal = strawberry.field(
        description="The fund's share, computed by the server from the card's level, the route, the 15% "
        "base-salary rule and the facility's level."
    )
    patient_paid: Decimal = strawberry.field(description="insurancePaid + patientPaid == totalCost.")
    route: CareRoute = strawberry.field(description="Tuyến: primary, referred, out of route, emergency.")

    @strawberry.field(description="The patient.")
    async def person(self, info: Info) -> Annotated[Person, strawberry.lazy("schema.person")]:
        from schema.person import Person

        return Person.wrap(info.context, await info.context.loaders.persons_by_id.load(self._row.person_id))

    @strawberry.field(description="Cơ sở khám chữa bệnh: where the visit took place.")
    async def facility(self, info: Info) -> HealthFacility:
        allow(self._access, self._rel, self._row.person_id, "MedicalVisit.facility")
        return HealthFacility.from_row(
            await info.context.loaders.facilities_by_id.load(self._row.facility_id)
        )

    voided: bool = strawberry.field(
        description="Voided by an officer: kept with its revisions, counted nowhere (totals, rollup, statistics)."
    )

    @strawberry.field(description="Corrections and the void of this record, oldest first.")
    async def revisions(self, info: Info) -> list[Revision]:
        return await revisions_of(info, self, "MedicalVisit")

    _readers: ClassVar[Readers] = {
        "voided": ("MedicalVisit.voided", lambda r: r.voided),
        "id": ("MedicalVisit.id", lambda r: global_id("MedicalVisit", r.id)),
        "visit_type": ("MedicalVisit.visitType", lambda r: r.visit_type),
        "admitted_at": ("MedicalVisit.admittedAt", lambda r: r.admitted_at),
        "discharged_at": ("MedicalVisit.dischargedAt", lambda r: r.discharged_at),
        "diagnosis_code": ("MedicalVisit.diagnosisCode", lambda r: r.diagnosis_code),
        "diagnosis": ("MedicalVisit.diagnosis", lambda r: r.diagnosis),
        "total_cost": ("MedicalVisit.totalCost", lambda r: r.total_cost),
        "insurance_paid": ("MedicalVisit.insurancePaid", lambda r: r.insurance_paid),
        "patient_paid": ("MedicalVisit.patientPaid", lambda r: r.patient_paid),
        "route": ("MedicalVisit.route", lambda r: r.route),
    }

    @classmethod
    def wrapper(cls, context: Context) -> Any:
        viewer, access, make = context.viewer, context.access, cls.make
        return lambda row: make(
            row, relation_to_visit(viewer, row.person_id, row.owner_province, row.facility_id), access
        )


# ---------- data entry ----------


# ---------- medical visits ----------


@strawberry.input(description="A visit as in claims table XML1, recorded by the hospital that treated it.")
class RecordMedicalVisitInput:
    social_insurance_code: str = strawberry.field(
        description="The patient; their card must be valid on the admission date."
    )
    full_name: str = strawberry.field(
        description="The patient's name as presented (ID card); with the date of birth it must match the code."
    )
    date_of_birth: date = strawberry.field(description="The patient's date of birth as presented.")
    visit_type: VisitType = strawberry.field(description="Ngoại trú or nội trú.")
    admitted_at: datetime = strawberry.field(description="Without an offset: Vietnam time.")
    discharged_at: datetime | None = strawberry.field(
        default=None, description="Ngày ra, not before admittedAt; leave out while the patient is in."
    )
    diagnosis_code: str | None = strawberry.field(default=None, description="ICD-10, e.g. J18.9.")
    diagnosis: str | None = strawberry.field(default=None, description="Chẩn đoán in words.")
    total_cost: Decimal = strawberry.field(
        description="What the visit cost: the fund's share is computed from it."
    )
    route: CareRoute | None = strawberry.field(
        default=None,
        description="Tuyến (PRIMARY when not given): PRIMARY at the card's facility (or district/commune level of its province), "
        "REFERRED with referredFromFacilityCode, EMERGENCY, OUT_OF_ROUTE.",
    )
    referred_from_facility_code: str | None = strawberry.field(
        default=None, description="The facility that referred the patient (route REFERRED)."
    )
    insurance_paid: Decimal | None = strawberry.field(
        default=None,
        description="Optional: the server computes the fund's share (level, route, the 15% base-salary rule, "
        "commune level); a value given must be the same.",
    )
    patient_paid: Decimal | None = strawberry.field(
        default=None, description="Optional: totalCost − the fund's share."
    )
    facility_code: str | None = strawberry.field(
        default=None, description="The recording hospital's own facility code (the default)."
    )


@strawberry.type(description="The visit was recorded (an event announces it).")
class RecordMedicalVisitSuccess:
    medical_visit: MedicalVisit = strawberry.field(description="The visit as stored.")


RecordMedicalVisitResult = Annotated[
    RecordMedicalVisitSuccess | InvalidInput | NotAllowed,
    strawberry.union(
        "RecordMedicalVisitResult",
        description="What recordMedicalVisit answers: its success, or every problem of the input (InvalidInput), or NotAllowed when the viewer may not.",
    ),
]


@strawberry.type
class VisitMutation:
    @strawberry.mutation(description="Record a medical visit (partner hospitals, at their own facility).")
    async def record_medical_visit(
        self, info: Info, input: Annotated[RecordMedicalVisitInput, INPUT]
    ) -> RecordMedicalVisitResult:
        ctx = info.context
        outcome = await write.record_medical_visit(
            ctx,
            write.VisitData(
                social_insurance_code=input.social_insurance_code,
                full_name=input.full_name,
                date_of_birth=input.date_of_birth,
                visit_type=input.visit_type.value,
                admitted_at=input.admitted_at,
                discharged_at=input.discharged_at,
                diagnosis_code=input.diagnosis_code,
                diagnosis=input.diagnosis,
                total_cost=input.total_cost,
                insurance_paid=input.insurance_paid,
                patient_paid=input.patient_paid,
                facility_code=input.facility_code,
                route=input.route.value if input.route is not None else "PRIMARY",
                referred_from=input.referred_from_facility_code,
            ),
        )
        return outcome_result(
            outcome, lambda row: RecordMedicalVisitSuccess(medical_visit=MedicalVisit.wrapper(ctx)(row))
        )
