from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from auth.guard import AccessRecorder, Sealer, allow
from auth.policy import Relation, relation_to_visit
from resolvers.context import Context, Info
from schema.enums import VisitType
from schema.geo import HealthFacility
from schema.node import Node, global_id

if TYPE_CHECKING:
    from schema.person import Person

VISIT_TYPES = {t.value: t for t in VisitType}


@strawberry.type(description="A medical visit (sổ khám chữa bệnh): sensitive health data.")
class MedicalVisit(Node):
    _row: strawberry.Private[Any]
    _rel: strawberry.Private[Relation]
    _access: strawberry.Private[AccessRecorder]
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

    @classmethod
    def wrapper(cls, context: Context) -> Any:
        viewer, access = context.viewer, context.access

        def wrap(row: Any) -> MedicalVisit:
            relation = relation_to_visit(viewer, row.person_id, row.owner_province, row.facility_id)
            seal = Sealer(access, relation, row.person_id)
            fields: dict[str, Any] = {
                "id": global_id("MedicalVisit", row.id),
                "visit_type": seal("MedicalVisit.visitType", VISIT_TYPES[row.visit_type]),
                "admitted_at": seal("MedicalVisit.admittedAt", row.admitted_at),
                "discharged_at": seal("MedicalVisit.dischargedAt", row.discharged_at),
                "diagnosis_code": seal("MedicalVisit.diagnosisCode", row.diagnosis_code),
                "diagnosis": seal("MedicalVisit.diagnosis", row.diagnosis),
                "total_cost": seal("MedicalVisit.totalCost", row.total_cost),
                "insurance_paid": seal("MedicalVisit.insurancePaid", row.insurance_paid),
                "patient_paid": seal("MedicalVisit.patientPaid", row.patient_paid),
            }
            return cls(_row=row, _rel=relation, _access=access, **fields)

        return wrap
