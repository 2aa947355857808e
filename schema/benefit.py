from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import strawberry

from auth.guard import Guarded, Readers, allow
from auth.policy import relation_to_record
from resolvers import benefit as write
from resolvers.context import Context, Info
from schema.enums import BenefitRegime
from schema.errors import InvalidInput, NotAllowed, outcome_result
from schema.geo import Office
from schema.node import Node, global_id
from schema.revision import Revision, revisions_of

if TYPE_CHECKING:
    from schema.person import Person


@strawberry.type(description="Thông tin hưởng: a benefit decision.")
class Benefit(Guarded, Node):
    regime: BenefitRegime
    decision_number: str | None
    decided_on: date
    period_from: date | None
    period_to: date | None
    amount: Decimal | None = strawberry.field(description="In VND.")

    @strawberry.field
    async def person(self, info: Info) -> Annotated[Person, strawberry.lazy("schema.person")]:
        from schema.person import Person

        return Person.wrap(info.context, await info.context.loaders.persons_by_id.load(self._row.person_id))

    @strawberry.field
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
    social_insurance_code: str
    regime: BenefitRegime
    decision_number: str | None = None
    decided_on: date = strawberry.field(description="Not after today.")
    period_from: date | None = None
    period_to: date | None = None
    amount: Decimal | None = strawberry.field(default=None, description="VND, not negative.")
    paying_office_code: str | None = strawberry.field(default=None, description="Office.code.")


@strawberry.type
class RecordBenefitSuccess:
    benefit: Benefit


RecordBenefitResult = Annotated[
    RecordBenefitSuccess | InvalidInput | NotAllowed, strawberry.union("RecordBenefitResult")
]


@strawberry.type
class BenefitMutation:
    @strawberry.mutation(description="Record a benefit decision (officers of the person's province).")
    async def record_benefit(self, info: Info, input: RecordBenefitInput) -> RecordBenefitResult:
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
