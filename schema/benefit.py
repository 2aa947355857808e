from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from auth.guard import AccessRecorder, read
from auth.policy import Relation, relation_to_record
from resolvers.context import Context, Info
from schema.enums import BenefitRegime
from schema.geo import Office
from schema.node import Node, global_id

if TYPE_CHECKING:
    from schema.person import Person


@strawberry.type(description="Thông tin hưởng: a benefit decision.")
class Benefit(Node):
    _row: strawberry.Private[Any]
    _rel: strawberry.Private[Relation]
    _access: strawberry.Private[AccessRecorder]

    def _read(self, field: str, value: Any) -> Any:
        return read(self._access, self._rel, self._row.person_id, field, value)

    @strawberry.field
    def id(self) -> strawberry.ID:
        return global_id("Benefit", self._row.id)

    @strawberry.field
    async def person(self, info: Info) -> Annotated[Person, strawberry.lazy("schema.person")]:
        from schema.person import Person

        return Person.wrap(info.context, await info.context.loaders.persons_by_id.load(self._row.person_id))

    @strawberry.field
    def regime(self) -> BenefitRegime:
        return self._read("Benefit.regime", BenefitRegime(self._row.regime))  # type: ignore[no-any-return]

    @strawberry.field
    def decision_number(self) -> str | None:
        return self._read("Benefit.decisionNumber", self._row.decision_number)  # type: ignore[no-any-return]

    @strawberry.field
    def decided_on(self) -> date:
        return self._read("Benefit.decidedOn", self._row.decided_on)  # type: ignore[no-any-return]

    @strawberry.field
    def period_from(self) -> date | None:
        return self._read("Benefit.periodFrom", self._row.period_from)  # type: ignore[no-any-return]

    @strawberry.field
    def period_to(self) -> date | None:
        return self._read("Benefit.periodTo", self._row.period_to)  # type: ignore[no-any-return]

    @strawberry.field(description="In VND.")
    def amount(self) -> Decimal | None:
        return self._read("Benefit.amount", self._row.amount)  # type: ignore[no-any-return]

    @strawberry.field
    async def paying_office(self, info: Info) -> Office | None:
        self._read("Benefit.payingOffice", None)
        if self._row.paying_office_id is None:
            return None
        return Office.from_row(await info.context.loaders.offices_by_id.load(self._row.paying_office_id))

    @classmethod
    def wrapper(cls, context: Context) -> Any:
        viewer, access = context.viewer, context.access

        def wrap(row: Any) -> Benefit:
            return cls(
                _row=row, _rel=relation_to_record(viewer, row.person_id, row.owner_province), _access=access
            )

        return wrap
