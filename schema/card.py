from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import strawberry

from auth.guard import Guarded, Readers, allow
from auth.policy import relation_to_record
from resolvers import card as resolve
from resolvers.context import Context, Info
from resolvers.ecard import card_qr
from schema.arguments import INPUT
from schema.enums import CardStatus, CareRoute, VisitType
from schema.errors import InvalidInput, NotAllowed, outcome_result
from schema.geo import HealthFacility
from schema.node import Node, global_id

if TYPE_CHECKING:
    from schema.ecard import CardQr
    from schema.person import Person


@strawberry.type(description="Thẻ BHYT.")
class HealthInsuranceCard(Guarded, Node):
    number: str = strawberry.field(
        description="Mã thẻ BHYT: group, level, province, social-insurance code (15 characters)."
    )
    beneficiary_group: str = strawberry.field(description='Mã đối tượng, e.g. "DN".')
    benefit_level: int = strawberry.field(description="Mức hưởng 1..5.")
    valid_from: date = strawberry.field(description="Giá trị sử dụng từ ngày.")
    valid_to: date | None = strawberry.field(
        description="Giá trị sử dụng đến ngày; null for a card with no end date (since 2017)."
    )
    status: CardStatus = strawberry.field(description="Computed for today (Vietnam time).")
    five_years_continuous_from: date | None = strawberry.field(description="Thời điểm đủ 5 năm liên tục.")

    @strawberry.field(description="The insured person the card belongs to.")
    async def holder(self, info: Info) -> Annotated[Person, strawberry.lazy("schema.person")]:
        from schema.person import Person

        return Person.wrap(info.context, await info.context.loaders.persons_by_id.load(self._row.person_id))

    @strawberry.field(
        description="Thẻ BHYT điện tử: the card as a signed QR code, for the holder alone (VssID shows it at the "
        "counter, which verifies it offline with the published keys)."
    )
    async def qr(self, info: Info) -> Annotated[CardQr, strawberry.lazy("schema.ecard")] | None:
        from schema.ecard import CardQr

        allow(self._access, self._rel, self._row.person_id, "HealthInsuranceCard.qr")
        loaders = info.context.loaders
        holder = await loaders.persons_by_id.load(self._row.person_id)
        facility = await loaders.facilities_by_id.load(self._row.primary_care_facility_id)
        return CardQr.of(card_qr(info.context, self._row, holder, facility))

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


@strawberry.input(description="What the patient presents at the counter (kiểm tra thẻ).")
class CoverageCheckInput:
    card_number: str = strawberry.field(description="The 15-character card number or the 10-digit code.")
    full_name: str = strawberry.field(description="As on the patient's ID.")
    date_of_birth: date = strawberry.field(
        description="Ngày sinh as on the patient's ID; it must match the card's holder."
    )
    visit_type: VisitType = strawberry.field(
        description="Khám ngoại trú or điều trị nội trú: out of route, the fund pays differently for each."
    )
    referred: bool | None = strawberry.field(default=None, description="With a referral (giấy chuyển tuyến).")


@strawberry.type(
    description="What the counter needs, computed by the rules; nothing about the person beyond what was presented."
)
class Coverage:
    valid: bool = strawberry.field(
        description="The card matches what was presented and covers a visit here today."
    )
    reason: str | None = strawberry.field(description="Why not valid, or why the fund pays nothing.")
    benefit_level: int | None = strawberry.field(description="Mức hưởng 1..5.")
    fund_share: Decimal | None = strawberry.field(description="The share of the cost the fund pays, 0..1.")
    route: CareRoute | None = strawberry.field(
        description="Tuyến of a visit here: PRIMARY at the card's nơi đăng ký KCB ban đầu, REFERRED with a "
        "referral, otherwise OUT_OF_ROUTE; null when the card is not valid."
    )
    five_years_continuous: bool | None = strawberry.field(description="5 continuous years reached (today).")
    valid_to: date | None = strawberry.field(
        description="Giá trị sử dụng đến: the card's last valid day; null for a card without an end date."
    )

    @classmethod
    def of(cls, answer: resolve.CoverageAnswer) -> Coverage:
        return cls(
            valid=answer.valid,
            reason=answer.reason,
            benefit_level=answer.benefit_level,
            fund_share=answer.fund_share,
            route=CareRoute(answer.route) if answer.route is not None else None,
            five_years_continuous=answer.five_years_continuous,
            valid_to=answer.valid_to,
        )


@strawberry.type
class CardQuery:
    @strawberry.field(
        description="A card by its 15-character number or the 10-digit code printed since 2021; null if out of "
        "scope (a hospital: its own patients' cards only; at the counter, checkCoverage)."
    )
    async def health_insurance_card(
        self,
        info: Info,
        number: Annotated[
            str,
            strawberry.argument(
                description="Mã thẻ BHYT: 15 characters (2 letters, a digit, 2 digits, then the 10-digit mã số BHXH)."
            ),
        ],
    ) -> HealthInsuranceCard | None:
        row = await resolve.card_by_number(info.context, number)
        return HealthInsuranceCard.wrap(info.context, row) if row is not None else None

    @strawberry.field(
        description="The hospital counter's card check (partner hospitals): coverage from the card and the "
        "name and date of birth the patient presents; a mismatch and an unknown card get the same answer."
    )
    async def check_coverage(
        self,
        info: Info,
        input: Annotated[
            CoverageCheckInput,
            strawberry.argument(
                description="What the patient presents at the counter: the card, the name, the date of birth."
            ),
        ],
    ) -> Coverage:
        answer = await resolve.check_coverage(
            info.context,
            input.card_number,
            input.full_name,
            input.date_of_birth,
            input.visit_type.value,
            bool(input.referred),
        )
        return Coverage.of(answer)


# ---------- data entry ----------


# ---------- cards ----------


@strawberry.input(description="Issue a BHYT card; its number and benefit level follow from the group.")
class IssueCardInput:
    social_insurance_code: str = strawberry.field(description="Mã số BHXH of the person (10 digits).")
    beneficiary_group: str = strawberry.field(description='Mã đối tượng, e.g. "DN".')
    valid_from: date = strawberry.field(description="Giá trị sử dụng từ ngày.")
    valid_to: date | None = strawberry.field(default=None, description="Cards since 2017 may have none.")
    primary_care_facility_code: str = strawberry.field(
        description="Nơi đăng ký KCB ban đầu: a facility with a health-insurance contract."
    )
    five_years_continuous_from: date | None = strawberry.field(
        default=None, description="Thời điểm đủ 5 năm liên tục, if reached (it raises what the fund pays)."
    )


@strawberry.input(description="New validity dates for a card.")
class RenewCardInput:
    card_number: str = strawberry.field(description="The 15-character card number.")
    valid_from: date | None = strawberry.field(default=None, description="Absent: unchanged.")
    valid_to: date = strawberry.field(description="Today or later.")


@strawberry.input(description="Suspend a card (tạm khóa thẻ).")
class SuspendCardInput:
    card_number: str = strawberry.field(description="The 15-character card number.")
    reason: str = strawberry.field(description="Kept in the audit trail; at most 500 characters.")


@strawberry.type(description="The card was issued.")
class IssueCardSuccess:
    card: HealthInsuranceCard = strawberry.field(description="The new card.")


@strawberry.type(description="The card's validity was changed.")
class RenewCardSuccess:
    card: HealthInsuranceCard = strawberry.field(description="The card as renewed.")


@strawberry.type(description="The card was suspended.")
class SuspendCardSuccess:
    card: HealthInsuranceCard = strawberry.field(description="The card, now SUSPENDED.")


IssueCardResult = Annotated[
    IssueCardSuccess | InvalidInput | NotAllowed,
    strawberry.union(
        "IssueCardResult",
        description="What issueCard answers: its success, or every problem of the input (InvalidInput), or NotAllowed when the viewer may not.",
    ),
]
RenewCardResult = Annotated[
    RenewCardSuccess | InvalidInput | NotAllowed,
    strawberry.union(
        "RenewCardResult",
        description="What renewCard answers: its success, or every problem of the input (InvalidInput), or NotAllowed when the viewer may not.",
    ),
]
SuspendCardResult = Annotated[
    SuspendCardSuccess | InvalidInput | NotAllowed,
    strawberry.union(
        "SuspendCardResult",
        description="What suspendCard answers: its success, or every problem of the input (InvalidInput), or NotAllowed when the viewer may not.",
    ),
]


def _card(context: Context) -> Callable[[Any], HealthInsuranceCard]:
    return lambda row: HealthInsuranceCard.wrap(context, row)


@strawberry.type
class CardMutation:
    @strawberry.mutation(description="Issue a health-insurance card (officers of the holder's province).")
    async def issue_card(self, info: Info, input: Annotated[IssueCardInput, INPUT]) -> IssueCardResult:
        ctx = info.context
        outcome = await resolve.issue_card(
            ctx,
            resolve.CardData(
                social_insurance_code=input.social_insurance_code,
                beneficiary_group=input.beneficiary_group,
                valid_from=input.valid_from,
                valid_to=input.valid_to,
                primary_care_facility_code=input.primary_care_facility_code,
                five_years_continuous_from=input.five_years_continuous_from,
            ),
        )
        return outcome_result(outcome, lambda row: IssueCardSuccess(card=_card(ctx)(row)))

    @strawberry.mutation(description="Give a card new validity dates.")
    async def renew_card(self, info: Info, input: Annotated[RenewCardInput, INPUT]) -> RenewCardResult:
        ctx = info.context
        outcome = await resolve.renew_card(ctx, input.card_number, input.valid_from, input.valid_to)
        return outcome_result(outcome, lambda row: RenewCardSuccess(card=_card(ctx)(row)))

    @strawberry.mutation(description="Suspend a card: it is no longer valid for visits.")
    async def suspend_card(self, info: Info, input: Annotated[SuspendCardInput, INPUT]) -> SuspendCardResult:
        ctx = info.context
        outcome = await resolve.suspend_card(ctx, input.card_number, input.reason)
        return outcome_result(outcome, lambda row: SuspendCardSuccess(card=_card(ctx)(row)))
