from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import strawberry

from auth.guard import Guarded, Readers, allow
from auth.policy import relation_to_record
from resolvers import card as resolve
from resolvers.context import Context, Info
from schema.enums import CardStatus
from schema.geo import HealthFacility
from schema.node import Node, global_id

if TYPE_CHECKING:
    from schema.person import Person


@strawberry.type(description="Thẻ BHYT.")
class HealthInsuranceCard(Guarded, Node):
    number: str = strawberry.field(
        description="Mã thẻ BHYT: group, level, province, social-insurance code (15 characters)."
    )
    beneficiary_group: str = strawberry.field(description='Mã đối tượng, e.g. "DN".')
    benefit_level: int = strawberry.field(description="Mức hưởng 1..5.")
    valid_from: date
    valid_to: date | None
    status: CardStatus = strawberry.field(description="Computed for today (Vietnam time).")
    five_years_continuous_from: date | None = strawberry.field(description="Thời điểm đủ 5 năm liên tục.")

    @strawberry.field
    async def holder(self, info: Info) -> Annotated[Person, strawberry.lazy("schema.person")]:
        from schema.person import Person

        return Person.wrap(info.context, await info.context.loaders.persons_by_id.load(self._row.person_id))

    @strawberry.field(description="Nơi đăng ký KCB ban đầu.")
    async def primary_care_facility(self, info: Info) -> HealthFacility:
        allow(self._access, self._rel, self._row.person_id, "HealthInsuranceCard.primaryCareFacility")
        row = await info.context.loaders.facilities_by_id.load(self._row.primary_care_facility_id)
        return HealthFacility.from_row(row)

    _readers: ClassVar[Readers] = {
        "id": ("HealthInsuranceCard.id", lambda r: global_id("HealthInsuranceCard", r.id)),
        "number": ("HealthInsuranceCard.number", lambda r: r.number),
        "beneficiary_group": ("HealthInsuranceCard.beneficiaryGroup", lambda r: r.beneficiary_group),
        "benefit_level": ("HealthInsuranceCard.benefitLevel", lambda r: r.benefit_level),
        "valid_from": ("HealthInsuranceCard.validFrom", lambda r: r.valid_from),
        "valid_to": ("HealthInsuranceCard.validTo", lambda r: r.valid_to),
        "status": ("HealthInsuranceCard.status", resolve.card_status),
        "five_years_continuous_from": (
            "HealthInsuranceCard.fiveYearsContinuousFrom",
            lambda r: r.five_years_continuous_from,
        ),
    }

    @classmethod
    def wrap(cls, context: Context, row: Any) -> HealthInsuranceCard:
        return cls.make(
            row, relation_to_record(context.viewer, row.person_id, row.owner_province), context.access
        )


@strawberry.type
class CardQuery:
    @strawberry.field(
        description="A card by its 15-character number or the 10-digit code printed since 2021; null if out of scope."
    )
    async def health_insurance_card(self, info: Info, number: str) -> HealthInsuranceCard | None:
        row = await resolve.card_by_number(info.context, number)
        return HealthInsuranceCard.wrap(info.context, row) if row is not None else None
