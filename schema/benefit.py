from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from auth.guard import AccessRecorder, Sealer, allow
from auth.policy import Relation, relation_to_record
from resolvers.context import Context, Info
from schema.enums import BenefitRegime
from schema.geo import Office
from schema.node import Node, global_id

if TYPE_CHECKING:
    from schema.person import Person

REGIMES = {r.value: r for r in BenefitRegime}


@strawberry.type(description="Thông tin hưởng: a benefit decision.")
class Benefit(Node):
    _row: strawberry.Private[Any]
    _rel: strawberry.Private[Relation]
    _access: strawberry.Private[AccessRecorder]
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

    @classmethod
    def wrapper(cls, context: Context) -> Any:
        viewer, access = context.viewer, context.access

        def wrap(row: Any) -> Benefit:
            relation = relation_to_record(viewer, row.person_id, row.owner_province)
            seal = Sealer(access, relation, row.person_id)
            fields: dict[str, Any] = {
                "id": global_id("Benefit", row.id),
                "regime": seal("Benefit.regime", REGIMES[row.regime]),
                "decision_number": seal("Benefit.decisionNumber", row.decision_number),
                "decided_on": seal("Benefit.decidedOn", row.decided_on),
                "period_from": seal("Benefit.periodFrom", row.period_from),
                "period_to": seal("Benefit.periodTo", row.period_to),
                "amount": seal("Benefit.amount", row.amount),
            }
            return cls(_row=row, _rel=relation, _access=access, **fields)

        return wrap
