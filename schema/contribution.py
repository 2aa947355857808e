from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from auth.guard import AccessRecorder, Sealer
from auth.policy import Relation, relation_to_period
from models.types import month_index
from resolvers.context import Context, Info
from schema.enums import InsuranceType
from schema.node import Node, global_id
from schema.scalars import YearMonth

if TYPE_CHECKING:
    from schema.person import Person
    from schema.unit import Unit

INSURANCE_TYPES = {t.value: t for t in InsuranceType}


@strawberry.type(description="Quá trình tham gia: a span of contribution months at a unit.")
class ContributionPeriod(Node):
    _row: strawberry.Private[Any]
    _rel: strawberry.Private[Relation]
    _access: strawberry.Private[AccessRecorder]
    insurance_type: InsuranceType
    from_month: YearMonth
    to_month: YearMonth = strawberry.field(description="Inclusive.")
    months: int
    occupation: str | None = strawberry.field(description="Nghề nghiệp, chức vụ.")
    workplace: str | None = strawberry.field(description="Nơi làm việc.")
    currency: str
    salary: Decimal | None = strawberry.field(description="Tiền lương đóng, in VND.")
    salary_coefficient: Decimal | None = strawberry.field(description="Hệ số lương.")

    @strawberry.field
    async def person(self, info: Info) -> Annotated[Person, strawberry.lazy("schema.person")]:
        from schema.person import Person

        return Person.wrap(info.context, await info.context.loaders.persons_by_id.load(self._row.person_id))

    @strawberry.field
    async def unit(self, info: Info) -> Annotated[Unit, strawberry.lazy("schema.unit")]:
        from schema.unit import Unit

        return Unit.wrap(info.context, await info.context.loaders.units_by_id.load(self._row.unit_id))

    @classmethod
    def wrapper(cls, context: Context) -> Any:
        viewer, access = context.viewer, context.access

        def wrap(row: Any) -> ContributionPeriod:
            relation = relation_to_period(viewer, row.person_id, row.owner_province, row.unit_id)
            seal = Sealer(access, relation, row.person_id)
            fields: dict[str, Any] = {
                "id": global_id("ContributionPeriod", row.id),
                "insurance_type": seal(
                    "ContributionPeriod.insuranceType", INSURANCE_TYPES[row.insurance_type]
                ),
                "from_month": seal("ContributionPeriod.fromMonth", row.from_month),
                "to_month": seal("ContributionPeriod.toMonth", row.to_month),
                "months": seal(
                    "ContributionPeriod.months", month_index(row.to_month) - month_index(row.from_month) + 1
                ),
                "occupation": seal("ContributionPeriod.occupation", row.occupation),
                "workplace": seal("ContributionPeriod.workplace", row.workplace),
                "currency": seal("ContributionPeriod.currency", row.currency),
                "salary": seal("ContributionPeriod.salary", row.salary),
                "salary_coefficient": seal("ContributionPeriod.salaryCoefficient", row.salary_coefficient),
            }
            return cls(_row=row, _rel=relation, _access=access, **fields)

        return wrap
