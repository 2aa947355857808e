from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import strawberry

from auth.guard import Guarded, Readers
from auth.policy import relation_to_period
from models.types import month_index
from resolvers import contribution as write
from resolvers.context import Context, Info
from schema.arguments import INPUT
from schema.enums import InsuranceType
from schema.errors import InvalidInput, NotAllowed, outcome_result
from schema.node import Node, global_id
from schema.revision import Revision, revisions_of
from schema.scalars import YearMonth

if TYPE_CHECKING:
    from schema.person import Person
    from schema.unit import Unit


@strawberry.type(description="Quá trình tham gia: a span of contribution months at a unit.")
class ContributionPeriod(Guarded, Node):
    insurance_type: InsuranceType = strawberry.field(description="Which insurance the months were paid for.")
    from_month: YearMonth = strawberry.field(description="Từ tháng (YYYY-MM).")
    to_month: YearMonth = strawberry.field(description="Inclusive.")
    months: int = strawberry.field(description="Số tháng: months in the span, both ends included.")
    occupation: str | None = strawberry.field(description="Nghề nghiệp, chức vụ.")
    workplace: str | None = strawberry.field(description="Nơi làm việc.")
    currency: str = strawberry.field(description="ISO 4217 code of the amounts (VND).")
    salary: Decimal | None = strawberry.field(description="Tiền lương đóng, in VND.")
    salary_coefficient: Decimal | None = strawberry.field(description="Hệ số lương.")

    @strawberry.field(description="The insured person.")
    async def person(self, info: Info) -> Annotated[Person, strawberry.lazy("schema.person")]:
        from schema.person import Person

        return Person.wrap(info.context, await info.context.loaders.persons_by_id.load(self._row.person_id))

    @strawberry.field(description="Đơn vị: the employer the months were paid through.")
    async def unit(self, info: Info) -> Annotated[Unit, strawberry.lazy("schema.unit")]:
        from schema.unit import Unit

        return Unit.wrap(info.context, await info.context.loaders.units_by_id.load(self._row.unit_id))

    voided: bool = strawberry.field(
        description="Voided by an officer: kept with its revisions, counted nowhere (totals, rollup, statistics)."
    )

    @strawberry.field(description="Corrections and the void of this record, oldest first.")
    async def revisions(self, info: Info) -> list[Revision]:
        return await revisions_of(info, self, "ContributionPeriod")

    _readers: ClassVar[Readers] = {
        "voided": ("ContributionPeriod.voided", lambda r: r.voided),
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


# ---------- data entry ----------


# ---------- contribution periods ----------


@strawberry.input(description="A span of contribution months at a unit (quá trình đóng).")
class RecordContributionPeriodInput:
    social_insurance_code: str = strawberry.field(description="Mã số BHXH of the person (10 digits).")
    unit_code: str = strawberry.field(description="Mã đơn vị the months were paid through.")
    insurance_type: InsuranceType = strawberry.field(description="Which insurance.")
    from_month: YearMonth = strawberry.field(description="Từ tháng (YYYY-MM).")
    to_month: YearMonth = strawberry.field(description="Inclusive; not after the current month.")
    salary: Decimal = strawberry.field(
        description="Tiền lương đóng, VND: between the legal floor and 20 x the base salary of fromMonth."
    )
    salary_coefficient: Decimal | None = strawberry.field(
        default=None, description="Hệ số lương: given for state-sector salaries (coefficient x base salary)."
    )
    occupation: str | None = strawberry.field(default=None, description="Nghề nghiệp, chức vụ.")
    workplace: str | None = strawberry.field(default=None, description="Nơi làm việc.")


@strawberry.type(description="The period was recorded (an event announces it).")
class RecordContributionPeriodSuccess:
    contribution_period: ContributionPeriod = strawberry.field(description="The period as stored.")


RecordContributionPeriodResult = Annotated[
    RecordContributionPeriodSuccess | InvalidInput | NotAllowed,
    strawberry.union(
        "RecordContributionPeriodResult",
        description="What recordContributionPeriod answers: its success, or every problem of the input (InvalidInput), or NotAllowed when the viewer may not.",
    ),
]


@strawberry.type
class ContributionMutation:
    @strawberry.mutation(description="Record a contribution period (officers of the person's province).")
    async def record_contribution_period(
        self, info: Info, input: Annotated[RecordContributionPeriodInput, INPUT]
    ) -> RecordContributionPeriodResult:
        ctx = info.context
        outcome = await write.record_contribution_period(
            ctx,
            write.PeriodData(
                social_insurance_code=input.social_insurance_code,
                unit_code=input.unit_code,
                insurance_type=input.insurance_type.value,
                from_month=int(input.from_month),
                to_month=int(input.to_month),
                salary=input.salary,
                salary_coefficient=input.salary_coefficient,
                occupation=input.occupation,
                workplace=input.workplace,
            ),
        )
        return outcome_result(
            outcome,
            lambda row: RecordContributionPeriodSuccess(
                contribution_period=ContributionPeriod.wrapper(ctx)(row)
            ),
        )
