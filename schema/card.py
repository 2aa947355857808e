from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from auth.guard import AccessRecorder, read
from auth.policy import Relation, relation_to_record
from resolvers import card as resolve
from resolvers.context import Context, Info
from schema.enums import CardStatus
from schema.geo import HealthFacility
from schema.node import Node, global_id

if TYPE_CHECKING:
    from schema.person import Person


@strawberry.type(description="Thẻ BHYT.")
class HealthInsuranceCard(Node):
    _row: strawberry.Private[Any]
    _rel: strawberry.Private[Relation]
    _access: strawberry.Private[AccessRecorder]

    def _read(self, field: str, value: Any) -> Any:
        return read(self._access, self._rel, self._row.person_id, field, value)

    @strawberry.field
    def id(self) -> strawberry.ID:
        return global_id("HealthInsuranceCard", self._row.id)

    @strawberry.field(
        description="Mã thẻ BHYT: group, level, province, social-insurance code (15 characters)."
    )
    def number(self) -> str:
        return self._read("HealthInsuranceCard.number", self._row.number)  # type: ignore[no-any-return]

    @strawberry.field
    async def holder(self, info: Info) -> Annotated[Person, strawberry.lazy("schema.person")]:
        from schema.person import Person

        return Person.wrap(info.context, await info.context.loaders.persons_by_id.load(self._row.person_id))

    @strawberry.field(description='Mã đối tượng, e.g. "DN".')
    def beneficiary_group(self) -> str:
        return self._read("HealthInsuranceCard.beneficiaryGroup", self._row.beneficiary_group)  # type: ignore[no-any-return]

    @strawberry.field(description="Mức hưởng 1..5.")
    def benefit_level(self) -> int:
        return self._read("HealthInsuranceCard.benefitLevel", self._row.benefit_level)  # type: ignore[no-any-return]

    @strawberry.field
    def valid_from(self) -> date:
        return self._read("HealthInsuranceCard.validFrom", self._row.valid_from)  # type: ignore[no-any-return]

    @strawberry.field
    def valid_to(self) -> date | None:
        return self._read("HealthInsuranceCard.validTo", self._row.valid_to)  # type: ignore[no-any-return]

    @strawberry.field(description="Computed for today (Vietnam time).")
    def status(self) -> CardStatus:
        return self._read("HealthInsuranceCard.status", CardStatus(resolve.card_status(self._row)))  # type: ignore[no-any-return]

    @strawberry.field(description="Nơi đăng ký KCB ban đầu.")
    async def primary_care_facility(self, info: Info) -> HealthFacility:
        self._read("HealthInsuranceCard.primaryCareFacility", None)
        row = await info.context.loaders.facilities_by_id.load(self._row.primary_care_facility_id)
        return HealthFacility.from_row(row)

    @strawberry.field(description="Thời điểm đủ 5 năm liên tục.")
    def five_years_continuous_from(self) -> date | None:
        return self._read("HealthInsuranceCard.fiveYearsContinuousFrom", self._row.five_years_continuous_from)  # type: ignore[no-any-return]

    @classmethod
    def wrap(cls, context: Context, row: Any) -> HealthInsuranceCard:
        relation = relation_to_record(context.viewer, row.person_id, row.owner_province)
        return cls(_row=row, _rel=relation, _access=context.access)


@strawberry.type
class CardQuery:
    @strawberry.field(
        description="A card by its 15-character number or the 10-digit code printed since 2021; null if out of scope."
    )
    async def health_insurance_card(self, info: Info, number: str) -> HealthInsuranceCard | None:
        row = await resolve.card_by_number(info.context, number)
        return HealthInsuranceCard.wrap(info.context, row) if row is not None else None
