from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import strawberry

from auth.guard import Guarded, Readers, allow
from auth.policy import relation_to_visit
from resolvers.context import Context, Info
from schema.enums import VisitType
from schema.geo import HealthFacility
from schema.node import Node, global_id

if TYPE_CHECKING:
    from schema.person import Person


@strawberry.type(description="A medical visit (sổ khám chữa bệnh): sensitive health data.")
class MedicalVisit(Guarded, Node):
    visit_type: VisitType
    admitted_at: datetime
    discharged_at: datetime | None
    diagnosis_code: str | None = strawberry.field(description="ICD-10.")
    diagnosis: str | None
    total_cost: Decimal
    insurance_paid: Decimal
    patient_paid: Decimal = strawberry.field(description="insurancePaid + patientPaid == totalCost.")

    @strawberry.field
    async def person(self, info: Info) -> Annotated[Person, strawberry.lazy("schema.person")]:
        from schema.person import Person

        return Person.wrap(info.context, await info.context.loaders.persons_by_id.load(self._row.person_id))

    @strawberry.field
    async def facility(self, info: Info) -> HealthFacility:
        allow(self._access, self._rel, self._row.person_id, "MedicalVisit.facility")
        return HealthFacility.from_row(
            await info.context.loaders.facilities_by_id.load(self._row.facility_id)
        )

    _readers: ClassVar[Readers] = {
        "id": ("MedicalVisit.id", lambda r: global_id("MedicalVisit", r.id)),
        "visit_type": ("MedicalVisit.visitType", lambda r: r.visit_type),
        "admitted_at": ("MedicalVisit.admittedAt", lambda r: r.admitted_at),
        "discharged_at": ("MedicalVisit.dischargedAt", lambda r: r.discharged_at),
        "diagnosis_code": ("MedicalVisit.diagnosisCode", lambda r: r.diagnosis_code),
        "diagnosis": ("MedicalVisit.diagnosis", lambda r: r.diagnosis),
        "total_cost": ("MedicalVisit.totalCost", lambda r: r.total_cost),
        "insurance_paid": ("MedicalVisit.insurancePaid", lambda r: r.insurance_paid),
        "patient_paid": ("MedicalVisit.patientPaid", lambda r: r.patient_paid),
    }

    @classmethod
    def wrapper(cls, context: Context) -> Any:
        viewer, access, make = context.viewer, context.access, cls.make
        return lambda row: make(
            row, relation_to_visit(viewer, row.person_id, row.owner_province, row.facility_id), access
        )
