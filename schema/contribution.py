from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from auth.guard import AccessRecorder, read
from auth.policy import Relation, relation_to_period
from models.types import month_index
from resolvers.context import Context, Info
from schema.enums import InsuranceType
from schema.node import Node, global_id
from schema.scalars import YearMonth

if TYPE_CHECKING:
    from schema.person import Person
    from schema.unit import Unit


@strawberry.type(description="Quá trình tham gia: a span of contribution months at a unit.")
class ContributionPeriod(Node):
    _row: strawberry.Private[Any]
    _rel: strawberry.Private[Relation]
    _access: strawberry.Private[AccessRecorder]

    def _read(self, field: str, value: Any) -> Any:
        return read(self._access, self._rel, self._row.person_id, field, value)

    @strawberry.field
    def id(self) -> strawberry.ID:
        return global_id("ContributionPeriod", self._row.id)

    @strawberry.field
    async def person(self, info: Info) -> Annotated[Person, strawberry.lazy("schema.person")]:
        from schema.person import Person

        return Person.wrap(info.context, await info.context.loaders.persons_by_id.load(self._row.person_id))

    @strawberry.field
    async def unit(self, info: Info) -> Annotated[Unit, strawberry.lazy("schema.unit")]:
        from schema.unit import Unit

        return Unit.wrap(info.context, await info.context.loaders.units_by_id.load(self._row.unit_id))

    @strawberry.field
    def insurance_type(self) -> InsuranceType:
        return self._read("ContributionPeriod.insuranceType", InsuranceType(self._row.insurance_type))  # type: ignore[no-any-return]

    @strawberry.field
    def from_month(self) -> YearMonth:
        return self._read("ContributionPeriod.fromMonth", self._row.from_month)  # type: ignore[no-any-return]

    @strawberry.field(description="Inclusive.")
    def to_month(self) -> YearMonth:
        return self._read("ContributionPeriod.toMonth", self._row.to_month)  # type: ignore[no-any-return]

    @strawberry.field
    def months(self) -> int:
        row = self._row
        return self._read(  # type: ignore[no-any-return]
            "ContributionPeriod.months", month_index(row.to_month) - month_index(row.from_month) + 1
        )

    @strawberry.field(description="Nghề nghiệp, chức vụ.")
    def occupation(self) -> str | None:
        return self._read("ContributionPeriod.occupation", self._row.occupation)  # type: ignore[no-any-return]

    @strawberry.field(description="Nơi làm việc.")
    def workplace(self) -> str | None:
        return self._read("ContributionPeriod.workplace", self._row.workplace)  # type: ignore[no-any-return]

    @strawberry.field
    def currency(self) -> str:
        return self._read("ContributionPeriod.currency", self._row.currency)  # type: ignore[no-any-return]

    @strawberry.field(description="Tiền lương đóng, in VND.")
    def salary(self) -> Decimal | None:
        return self._read("ContributionPeriod.salary", self._row.salary)  # type: ignore[no-any-return]

    @strawberry.field(description="Hệ số lương.")
    def salary_coefficient(self) -> Decimal | None:
        return self._read("ContributionPeriod.salaryCoefficient", self._row.salary_coefficient)  # type: ignore[no-any-return]

    @classmethod
    def wrapper(cls, context: Context) -> Any:
        viewer, access = context.viewer, context.access

        def wrap(row: Any) -> ContributionPeriod:
            relation = relation_to_period(viewer, row.person_id, row.owner_province, row.unit_id)
            return cls(_row=row, _rel=relation, _access=access)

        return wrap
