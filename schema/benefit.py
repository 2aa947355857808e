from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import strawberry

from auth.guard import Guarded, Readers, allow
from auth.policy import relation_to_record
from resolvers import benefit as write
from resolvers.context import Context, Info
from schema.arguments import INPUT
from schema.enums import BenefitRegime
from schema.errors import InvalidInput, NotAllowed, outcome_result
from schema.geo import Office
from schema.node import Node, global_id
from schema.revision import Revision, revisions_of

if TYPE_CHECKING:
    from schema.person import Person


@strawberry.type(description="Thông tin hưởng: a benefit decision.")
class Benefit(Guarded, Node):
    regime: BenefitRegime = strawberry.field(description="Chế độ: sickness, maternity, pension ...")
    decision_number: str | None = strawberry.field(description="Số quyết định hưởng; null if none was given.")
    decided_on: date = strawberry.field(description="Ngày quyết định.")
    period_from: date | None = strawberry.field(description="Hưởng từ ngày; null for a one-time payment.")
    period_to: date | None = strawberry.field(
        description="Hưởng đến ngày; null if open-ended (a pension) or one-time."
    )
    amount: Decimal | None = strawberry.field(description="In VND.")

    @strawberry.field(description="The beneficiary.")
    async def person(self, info: Info) -> Annotated[Person, strawberry.lazy("schema.person")]:
        from schema.person import Person

        return Person.wrap(info.context, await info.context.loaders.persons_by_id.load(self._row.person_id))

    @strawberry.field(description="Cơ quan BHXH chi trả: the office that pays; null if not recorded.")
    async def paying_office(self, info: Info) -> Office | None:
        allow(self._access, self._rel, self._row.person_id, "Benefit.payingOffice")
        if self._row.paying_office_id is None:
            return None
        return Office.from_row(await info.context.loaders.offices_by_id.load(self._row.paying_office_id))

    voided: bool = strawberry.field(
        description="Voided by an officer: kept with its revisions, counted nowhere (totals, rollup, statistics)."
    )

    @strawberry.field(description="Corrections and the void of this record, oldest first.")
    async def revisions(self, info: Info) -> list[Revision]:
        return await revisions_of(info, self, "Benefit")

    _readers: ClassVar[Readers] = {
        "voided": ("Benefit.voided", lambda r: r.voided),
        "id": ("Benefit.id", lambda r: global_id("Benefit", r.id)),
        "regime": ("Benefit.regime", lambda r: r.regime),
        "decision_number": ("Benefit.decisionNumber", lambda r: r.decision_number),
        "decided_on": ("Benefit.decidedOn", lambda r: r.decided_on),
        "period_from": ("Benefit.periodFrom", lambda r: r.period_from),
        "period_to": ("Benefit.periodTo", lambda r: r.period_to),
        "amount": ("Benefit.amount", lambda r: r.amount),
    }

    @classmethod
    def wrapper(cls, context: Context) -> Any:
        viewer, access, make = context.viewer, context.access, cls.make
        return lambda row: make(row, relation_to_record(viewer, row.person_id, row.owner_province), access)


# ---------- data entry ----------


# ---------- benefits ----------


@strawberry.input(description="A benefit decision (thông tin hưởng).")
class RecordBenefitInput:
    social_insurance_code: str = strawberry.field(description="Mã số BHXH of the beneficiary (10 digits).")
    regime: BenefitRegime = strawberry.field(description="Chế độ.")
    decision_number: str | None = strawberry.field(default=None, description="Số quyết định, if any.")
    decided_on: date = strawberry.field(description="Not after today.")
    period_from: date | None = strawberry.field(default=None, description="Hưởng từ ngày.")
    period_to: date | None = strawberry.field(
        default=None, description="Hưởng đến ngày, not before periodFrom."
    )
    amount: Decimal | None = strawberry.field(default=None, description="VND, not negative.")
    paying_office_code: str | None = strawberry.field(default=None, description="Office.code.")


@strawberry.type(description="The decision was recorded.")
class RecordBenefitSuccess:
    benefit: Benefit = strawberry.field(description="The benefit as stored.")


RecordBenefitResult = Annotated[
    RecordBenefitSuccess | InvalidInput | NotAllowed,
    strawberry.union(
        "RecordBenefitResult",
        description="What recordBenefit answers: its success, or every problem of the input (InvalidInput), or NotAllowed when the viewer may not.",
    ),
]


@strawberry.type
class BenefitMutation:
    @strawberry.mutation(description="Record a benefit decision (officers of the person's province).")
    async def record_benefit(
        self, info: Info, input: Annotated[RecordBenefitInput, INPUT]
    ) -> RecordBenefitResult:
        ctx = info.context
        outcome = await write.record_benefit(
            ctx,
            write.BenefitData(
                social_insurance_code=input.social_insurance_code,
                regime=input.regime.value,
                decision_number=input.decision_number,
                decided_on=input.decided_on,
                period_from=input.period_from,
                period_to=input.period_to,
                amount=input.amount,
                paying_office_code=input.paying_office_code,
            ),
        )
        return outcome_result(outcome, lambda row: RecordBenefitSuccess(benefit=Benefit.wrapper(ctx)(row)))
