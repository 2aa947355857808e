from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import strawberry

from auth.guard import Guarded, Readers
from auth.policy import relation_to_period
from models.types import month_index
from resolvers.context import Context, Info
from schema.enums import InsuranceType
from schema.node import Node, global_id
from schema.scalars import YearMonth

if TYPE_CHECKING:
    from schema.person import Person
    from schema.unit import Unit


@strawberry.type(description="Quá trình tham gia: a span of contribution months at a unit.")
class ContributionPeriod(Guarded, Node):
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

    _readers: ClassVar[Readers] = {
        "id": ("ContributionPeriod.id", lambda r: global_id("ContributionPeriod", r.id)),
        "insurance_type": ("ContributionPeriod.insuranceType", lambda r: r.insurance_type),
        "from_month": ("ContributionPeriod.fromMonth", lambda r: r.from_month),
        "to_month": ("ContributionPeriod.toMonth", lambda r: r.to_month),
        "months": (
            "ContributionPeriod.months",
            lambda r: month_index(r.to_month) - month_index(r.from_month) + 1,
        ),
        "occupation": ("ContributionPeriod.occupation", lambda r: r.occupation),
        "workplace": ("ContributionPeriod.workplace", lambda r: r.workplace),
        "currency": ("ContributionPeriod.currency", lambda r: r.currency),
        "salary": ("ContributionPeriod.salary", lambda r: r.salary),
        "salary_coefficient": ("ContributionPeriod.salaryCoefficient", lambda r: r.salary_coefficient),
    }

    @classmethod
    def wrapper(cls, context: Context) -> Any:
        viewer, access, make = context.viewer, context.access, cls.make
        return lambda row: make(
            row, relation_to_period(viewer, row.person_id, row.owner_province, row.unit_id), access
        )
