from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from auth.guard import AccessRecorder, read
from auth.policy import Relation, relation_to_visit
from resolvers.context import Context, Info
from schema.enums import VisitType
from schema.geo import HealthFacility
from schema.node import Node, global_id

if TYPE_CHECKING:
    from schema.person import Person


@strawberry.type(description="A medical visit (sổ khám chữa bệnh): sensitive health data.")
class MedicalVisit(Node):
    _row: strawberry.Private[Any]
    _rel: strawberry.Private[Relation]
    _access: strawberry.Private[AccessRecorder]

    def _read(self, field: str, value: Any) -> Any:
        return read(self._access, self._rel, self._row.person_id, field, value)

    @strawberry.field
    def id(self) -> strawberry.ID:
        return global_id("MedicalVisit", self._row.id)

    @strawberry.field
    async def person(self, info: Info) -> Annotated[Person, strawberry.lazy("schema.person")]:
        from schema.person import Person

        return Person.wrap(info.context, await info.context.loaders.persons_by_id.load(self._row.person_id))

    @strawberry.field
    async def facility(self, info: Info) -> HealthFacility:
        self._read("MedicalVisit.facility", None)
        return HealthFacility.from_row(
            await info.context.loaders.facilities_by_id.load(self._row.facility_id)
        )

    @strawberry.field
    def visit_type(self) -> VisitType:
        return self._read("MedicalVisit.visitType", VisitType(self._row.visit_type))  # type: ignore[no-any-return]

    @strawberry.field
    def admitted_at(self) -> datetime:
        return self._read("MedicalVisit.admittedAt", self._row.admitted_at)  # type: ignore[no-any-return]

    @strawberry.field
    def discharged_at(self) -> datetime | None:
        return self._read("MedicalVisit.dischargedAt", self._row.discharged_at)  # type: ignore[no-any-return]

    @strawberry.field(description="ICD-10.")
    def diagnosis_code(self) -> str | None:
        return self._read("MedicalVisit.diagnosisCode", self._row.diagnosis_code)  # type: ignore[no-any-return]

    @strawberry.field
    def diagnosis(self) -> str | None:
        return self._read("MedicalVisit.diagnosis", self._row.diagnosis)  # type: ignore[no-any-return]

    @strawberry.field
    def total_cost(self) -> Decimal:
        return self._read("MedicalVisit.totalCost", self._row.total_cost)  # type: ignore[no-any-return]

    @strawberry.field
    def insurance_paid(self) -> Decimal:
        return self._read("MedicalVisit.insurancePaid", self._row.insurance_paid)  # type: ignore[no-any-return]

    @strawberry.field(description="insurancePaid + patientPaid == totalCost.")
    def patient_paid(self) -> Decimal:
        return self._read("MedicalVisit.patientPaid", self._row.patient_paid)  # type: ignore[no-any-return]

    @classmethod
    def wrapper(cls, context: Context) -> Any:
        viewer, access = context.viewer, context.access

        def wrap(row: Any) -> MedicalVisit:
            relation = relation_to_visit(viewer, row.person_id, row.owner_province, row.facility_id)
            return cls(_row=row, _rel=relation, _access=access)

        return wrap
