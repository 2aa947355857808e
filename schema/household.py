"""Household BHYT (BHYT hộ gia đình): households, members, quotes, payments, delegated access."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, ClassVar

import strawberry

from auth.guard import Guarded, Readers, allow
from auth.policy import Relation, relation_to_member
from resolvers import household as resolve
from resolvers.context import Context, Info
from resolvers.outcomes import Invalid, Problem, Refused
from resolvers.recording import Saved
from schema.arguments import INPUT
from schema.card import HealthInsuranceCard
from schema.errors import NotAllowed
from schema.node import Node, global_id


@strawberry.enum(description="What is wrong with a household input: stable codes, for programs.")
class HouseholdErrorCode(Enum):
    FORMAT = strawberry.enum_value("FORMAT", description="Not of the expected shape (a code, a number).")
    REQUIRED = strawberry.enum_value("REQUIRED", description="A value is required.")
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND",
        description="No such person, household or facility in your scope (out of scope reads the same).",
    )
    DUPLICATE_MEMBER = strawberry.enum_value("DUPLICATE_MEMBER", description="A person is listed twice.")
    HEAD_NOT_MEMBER = strawberry.enum_value(
        "HEAD_NOT_MEMBER", description="The head is not among the members listed."
    )
    ALREADY_IN_HOUSEHOLD = strawberry.enum_value(
        "ALREADY_IN_HOUSEHOLD", description="The person is a member of a household already (one each)."
    )
    NO_WARD = strawberry.enum_value(
        "NO_WARD",
        description="The head's address names no ward or commune: a household is managed where it lives.",
    )
    MONTHS_NOT_POSITIVE = strawberry.enum_value(
        "MONTHS_NOT_POSITIVE", description="Months must be 1 or more."
    )
    MONTHS_TOO_MANY = strawberry.enum_value(
        "MONTHS_TOO_MANY", description="More months than may be paid at a time (12)."
    )
    MONTHS_NOT_A_PERIOD = strawberry.enum_value(
        "MONTHS_NOT_A_PERIOD", description="Household BHYT is paid for 3, 6 or 12 months at a time."
    )
    NEGATIVE = strawberry.enum_value("NEGATIVE", description="An amount cannot be negative.")
    PRECISION = strawberry.enum_value("PRECISION", description="An amount has at most 2 decimal places.")
    TOO_LARGE = strawberry.enum_value("TOO_LARGE", description="An amount is too large.")
    AMOUNT_MISMATCH = strawberry.enum_value(
        "AMOUNT_MISMATCH",
        description="The amount paid is not what the scale says is due (the message says it).",
    )
    NOTHING_DUE = strawberry.enum_value(
        "NOTHING_DUE", description="Every member holds a card of another group for these months."
    )
    PRIMARY_CARE_FACILITY_REQUIRED = strawberry.enum_value(
        "PRIMARY_CARE_FACILITY_REQUIRED", description="A member's first card needs a place of primary care."
    )
    NO_HEALTH_INSURANCE_CONTRACT = strawberry.enum_value(
        "NO_HEALTH_INSURANCE_CONTRACT", description="The facility cannot be a place of primary care."
    )
    CARD_RULE = strawberry.enum_value(
        "CARD_RULE",
        description="A member's card would break a rule of the cards (one valid card at a time, the highest "
        "level: a child under 6 is TE, a pensioner HT); the message says which.",
    )
    NOT_A_MEMBER = strawberry.enum_value(
        "NOT_A_MEMBER",
        description="Not a member of the household with this code: you (your own delegation), or the person "
        "named (removeHouseholdMember).",
    )
    HEAD_ITSELF = strawberry.enum_value(
        "HEAD_ITSELF", description="The head's own card is the head's already."
    )
    MINOR = strawberry.enum_value(
        "MINOR", description="Only a member of 18 or older revokes the head's view of their card."
    )
    ALREADY_REVOKED = strawberry.enum_value("ALREADY_REVOKED", description="Revoked already.")
    NOT_REVOKED = strawberry.enum_value(
        "NOT_REVOKED", description="The head sees the card already: there is no revocation to undo."
    )
    HEAD_NOT_REMOVABLE = strawberry.enum_value(
        "HEAD_NOT_REMOVABLE", description="The head is not removed from their own household."
    )
    CONCURRENT_CHANGE = strawberry.enum_value(
        "CONCURRENT_CHANGE", description="Someone changed the same household meanwhile: send it again."
    )


_CODES = {member.value for member in HouseholdErrorCode}


@strawberry.type(description="One bad input field of a household mutation.")
class HouseholdFieldError:
    field: list[str] = strawberry.field(
        description='The path in the input, e.g. ["input", "members", "2", "validFrom"] (a member by position).'
    )
    code: HouseholdErrorCode = strawberry.field(description="Stable, for programs.")
    message: str = strawberry.field(description="For people: what is wrong and what is expected.")


@strawberry.type(description="Bad input to a household mutation: every problem at once; nothing was stored.")
class HouseholdInvalidInput:
    errors: list[HouseholdFieldError] = strawberry.field(description="Every problem of the input, at once.")

    @classmethod
    def of(cls, problems: list[Problem]) -> HouseholdInvalidInput:
        return cls(
            errors=[
                HouseholdFieldError(
                    field=list(p.field),
                    # The card rules' own codes (CARD_OVERLAP, LOWER_LEVEL_GROUP ...) are one code here.
                    code=HouseholdErrorCode(p.code if p.code in _CODES else "CARD_RULE"),
                    message=p.message,
                )
                for p in problems
            ]
        )


@strawberry.type(description="A member of a household: each field guarded as that member's own data.")
class HouseholdMember(Guarded):
    position: int = strawberry.field(description="The order in which members joined; the head is 1.")
    is_head: bool = strawberry.field(description="Chủ hộ: the head of the household.")
    delegated: bool = strawberry.field(
        description="The head sees this member's card (delegated access); false once the member revoked it."
    )
    # Nullable: a member who may not read another member's identity gets an error on that field
    # alone, and the rest of the list (their own row) stays readable.
    social_insurance_code: str | None = strawberry.field(description="Mã số BHXH of the member.")
    full_name: str | None = strawberry.field(description="Họ và tên of the member.")

    @strawberry.field(
        description="The member's card in force: for the member, officers in scope, and the head while delegated "
        "(each such read is in the member's access log); null when none."
    )
    async def card(self, info: Info) -> HealthInsuranceCard | None:
        allow(self._access, self._rel, self._row.person_id, "HouseholdMember.card")
        loaders = info.context.loaders
        if self._rel is Relation.HOUSEHOLD_HEAD:
            row = await loaders.delegated_cards_by_person.load(self._row.person_id)
            return (
                HealthInsuranceCard.make(row, Relation.HOUSEHOLD_HEAD, self._access)
                if row is not None
                else None
            )
        row = await loaders.cards_by_person.load(self._row.person_id)
        return HealthInsuranceCard.wrap(info.context, row) if row is not None else None

    _readers: ClassVar[Readers] = {
        "position": ("HouseholdMember.position", lambda r: r.position),
        "is_head": ("HouseholdMember.isHead", lambda r: r.person_id == r.head_person_id),
        "delegated": ("HouseholdMember.delegated", lambda r: r.delegation_revoked_at is None),
        "social_insurance_code": ("HouseholdMember.socialInsuranceCode", lambda r: r.social_insurance_code),
        "full_name": ("HouseholdMember.fullName", lambda r: r.full_name),
    }

    @classmethod
    def wrap(cls, context: Context, row: Any) -> HouseholdMember:
        relation = relation_to_member(
            context.viewer,
            row.person_id,
            row.owner_province,
            row.head_person_id,
            row.delegation_revoked_at is not None,
        )
        return cls.make(row, relation, context.access)


@strawberry.type(
    description="One member's share of a household payment, each field guarded as that member's data (as in "
    "Household.members)."
)
class HouseholdPaymentLine(Guarded):
    rank: int = strawberry.field(
        description="The member's place in the scale when paid: 1 pays 100%, 2 70%, 3 60%, 4 50%, 5 and later 40%."
    )
    amount: Decimal = strawberry.field(description="VND: the member's share of the payment.")
    # Nullable: a field the viewer may not read is null with its own error, the line stays.
    social_insurance_code: str | None = strawberry.field(description="Mã số BHXH of the member paid for.")
    full_name: str | None = strawberry.field(description="Họ và tên of the member paid for.")
    valid_from: date | None = strawberry.field(
        description="The household card it paid for is valid from (card data: the member, officers, the head "
        "while delegated; each such read is in the member's access log)."
    )
    valid_to: date | None = strawberry.field(description="... and to this day.")

    _readers: ClassVar[Readers] = {
        "rank": ("HouseholdPaymentLine.rank", lambda r: r.rank),
        "amount": ("HouseholdPaymentLine.amount", lambda r: r.amount),
        "social_insurance_code": (
            "HouseholdPaymentLine.socialInsuranceCode",
            lambda r: r.social_insurance_code,
        ),
        "full_name": ("HouseholdPaymentLine.fullName", lambda r: r.full_name),
        "valid_from": ("HouseholdPaymentLine.validFrom", lambda r: r.valid_from),
        "valid_to": ("HouseholdPaymentLine.validTo", lambda r: r.valid_to),
    }

    @classmethod
    def wrap(cls, context: Context, row: Any) -> HouseholdPaymentLine:
        # A member who left is no longer delegated: the head reads nothing of them (as of a
        # member who revoked the delegation); officers and the agent read as before.
        relation = relation_to_member(
            context.viewer,
            row.person_id,
            row.owner_province,
            row.head_person_id,
            row.member_id is None or row.delegation_revoked_at is not None,
        )
        return cls.make(row, relation, context.access)


@strawberry.type(description="A payment a collection agent recorded for a household.")
class HouseholdPayment:
    paid_on: date = strawberry.field(description="The day the money was paid (Vietnam time).")
    months: int = strawberry.field(description="The months paid for: 3, 6 or 12.")
    amount: Decimal = strawberry.field(description="VND, what the scale said was due.")
    agent_code: str = strawberry.field(description="The collection agent (đại lý thu) that received it.")
    _row: strawberry.Private[Any]

    @strawberry.field(
        description="Each charged member's share, in the scale's order (members covered elsewhere paid nothing "
        "and have no line)."
    )
    async def lines(self, info: Info) -> list[HouseholdPaymentLine]:
        rows = await info.context.loaders.payment_lines_by_payment.load(self._row.id)
        return [HouseholdPaymentLine.wrap(info.context, row) for row in rows]

    @classmethod
    def from_row(cls, row: Any) -> HouseholdPayment:
        return cls(
            paid_on=row.paid_on, months=row.months, amount=row.amount, agent_code=row.agent_code, _row=row
        )


@strawberry.type(
    description="Hộ gia đình tham gia BHYT: for its members, officers of its province, the collection agent of "
    "its ward and ADMIN."
)
class Household(Node):
    code: str = strawberry.field(description="Mã hộ: GD, the 5-digit ward and 5 digits.")
    province_code: str = strawberry.field(description="The managing province (2004 scheme).")
    ward_code: str = strawberry.field(description="The ward or commune it lives in (the agents' catchment).")
    _row: strawberry.Private[Any]

    @strawberry.field(description="The members, the head first, in the order they joined.")
    async def members(self, info: Info) -> list[HouseholdMember]:
        rows = await info.context.loaders.members_by_household.load(self._row.id)
        return [HouseholdMember.wrap(info.context, row) for row in rows]

    @strawberry.field(description="The payments recorded for it, newest first.")
    async def payments(self, info: Info) -> list[HouseholdPayment]:
        rows = await info.context.loaders.payments_by_household.load(self._row.id)
        return [HouseholdPayment.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: Any) -> Household:
        return cls(
            id=global_id("Household", row.id),
            code=row.code,
            province_code=row.province_scope,
            ward_code=row.ward_code,
            _row=row,
        )


@strawberry.type(description="One member's part of a quote.")
class HouseholdQuoteLine:
    member: HouseholdMember = strawberry.field(description="The member (guarded as in Household.members).")
    rank: int | None = strawberry.field(
        description="The member's place in the scale (1 pays 100%, 2 70%, 3 60%, 4 50%, 5 and later 40%); null "
        "when not charged."
    )
    covered_elsewhere: bool = strawberry.field(
        description="Holds a card of another group (employee, state-paid, student ...) for these months: not "
        "charged and not counted in the order."
    )
    share: Decimal = strawberry.field(
        description="Of the first member's amount: 1, 0.7, 0.6, 0.5 or 0.4; 0 when not charged."
    )
    monthly_amount: Decimal = strawberry.field(description="VND a month.")
    amount: Decimal = strawberry.field(description="VND for the months quoted.")
    valid_from: date | None = strawberry.field(
        description="The household card would be valid from (after the card in force, or 30 days after a first "
        "payment or a break of 3 months or more)."
    )
    valid_to: date | None = strawberry.field(description="... and to this day.")


@strawberry.type(
    description="What a household pays for a number of months, computed by the rules of the law."
)
class HouseholdQuote:
    household_code: str = strawberry.field(description="The household.")
    months: int = strawberry.field(description="The months quoted.")
    paid_on: date = strawberry.field(description="The day of payment quoted for: today.")
    base_salary: int = strawberry.field(description="Lương cơ sở in force that day, VND.")
    total: Decimal = strawberry.field(description="VND due: what recordHouseholdPayment must receive.")
    lines: list[HouseholdQuoteLine] = strawberry.field(description="Each member's part, in order.")

    @classmethod
    def of(cls, context: Context, quote: resolve.Quote) -> HouseholdQuote:
        return cls(
            household_code=quote.household.code,
            months=quote.months,
            paid_on=quote.paid_on,
            base_salary=quote.base_salary,
            total=quote.total,
            lines=[
                HouseholdQuoteLine(
                    member=HouseholdMember.wrap(context, line.member),
                    rank=line.rank,
                    covered_elsewhere=line.rank is None,
                    share=line.share,
                    monthly_amount=line.monthly,
                    amount=line.amount,
                    valid_from=line.window.valid_from if line.window is not None else None,
                    valid_to=line.window.valid_to if line.window is not None else None,
                )
                for line in quote.lines
            ],
        )


HouseholdCode = Annotated[
    str, strawberry.argument(description="Mã hộ: GD, the 5-digit ward and 5 digits (e.g. GD0976300001).")
]


@strawberry.input(description="What a household quote is for.")
class HouseholdQuoteInput:
    household_code: str = strawberry.field(description="Mã hộ.")
    months: int = strawberry.field(description="3, 6 or 12.")


@strawberry.type
class HouseholdQuery:
    @strawberry.field(
        description="A household by its code, in the viewer's scope (its members, officers of its province, the "
        "agent of its ward, ADMIN); null otherwise."
    )
    async def household(self, info: Info, code: HouseholdCode) -> Household | None:
        row = await resolve.household_by_code(info.context, code)
        return Household.from_row(row) if row is not None else None

    @strawberry.field(description="The signed-in citizen's household; null when in none.")
    async def my_household(self, info: Info) -> Household | None:
        row = await resolve.my_household(info.context)
        return Household.from_row(row) if row is not None else None

    @strawberry.field(
        description="What a household pays for 3, 6 or 12 months from today: 4.5% of the base salary a month for "
        "the first member, 70/60/50% of that for the 2nd/3rd/4th, 40% from the 5th; members holding a card "
        "of another group are not charged. Null when the household is not in the viewer's scope."
    )
    async def quote_household_contribution(
        self,
        info: Info,
        input: Annotated[
            HouseholdQuoteInput, strawberry.argument(description="The household and the months.")
        ],
    ) -> HouseholdQuote | None:
        quote = await resolve.quote(info.context, input.household_code, input.months)
        return HouseholdQuote.of(info.context, quote) if quote is not None else None


# ---------- mutations ----------


@strawberry.input(description="A new household: its head and every member (the head among them).")
class CreateHouseholdInput:
    head_social_insurance_code: str = strawberry.field(description="Chủ hộ: mã số BHXH (10 digits).")
    member_social_insurance_codes: list[str] = strawberry.field(
        description="Every member's mã số BHXH, the head's included; each in no other household."
    )


@strawberry.input(description="A new member of a household.")
class AddHouseholdMemberInput:
    household_code: str = strawberry.field(description="Mã hộ.")
    social_insurance_code: str = strawberry.field(
        description="The member's mã số BHXH; in no other household."
    )


@strawberry.input(description="Money a collection agent received for a household.")
class RecordHouseholdPaymentInput:
    household_code: str = strawberry.field(description="Mã hộ, of the agent's catchment.")
    months: int = strawberry.field(description="3, 6 or 12.")
    amount_paid: Decimal = strawberry.field(
        description="VND received: it must be the total of quoteHouseholdContribution."
    )
    primary_care_facility_code: str | None = strawberry.field(
        default=None,
        description="Nơi đăng ký KCB ban đầu of members' first cards (else the facility of their latest card).",
    )


@strawberry.input(description="A member withdraws the head's view of their card.")
class RevokeHouseholdDelegationInput:
    household_code: str = strawberry.field(description="Mã hộ of the member's household.")


@strawberry.input(description="The member who revoked the head's view of their card gives it back.")
class RestoreHouseholdDelegationInput:
    household_code: str = strawberry.field(description="Mã hộ of the member's household.")


@strawberry.input(description="A member who leaves a household.")
class RemoveHouseholdMemberInput:
    household_code: str = strawberry.field(description="Mã hộ.")
    social_insurance_code: str = strawberry.field(
        description="The leaving member's mã số BHXH (not the head's)."
    )


@strawberry.type(description="The household was created.")
class CreateHouseholdSuccess:
    household: Household = strawberry.field(description="The new household.")


@strawberry.type(description="The member was added.")
class AddHouseholdMemberSuccess:
    household: Household = strawberry.field(description="The household, with the new member last.")


@strawberry.type(description="The payment was recorded and the members' cards issued or extended.")
class RecordHouseholdPaymentSuccess:
    household: Household = strawberry.field(description="The household.")
    payment: HouseholdPayment = strawberry.field(description="The payment recorded.")


@strawberry.type(description="The head no longer sees your card, from now on.")
class RevokeHouseholdDelegationSuccess:
    household: Household = strawberry.field(description="Your household.")


@strawberry.type(description="The head sees your card again, from now on (each read in your access log).")
class RestoreHouseholdDelegationSuccess:
    household: Household = strawberry.field(description="Your household.")


@strawberry.type(
    description="The member left the household; the cards it paid for stay valid to their paid end."
)
class RemoveHouseholdMemberSuccess:
    household: Household = strawberry.field(description="The household, without the member.")


def _union(name: str, what: str) -> Any:
    return strawberry.union(
        name,
        description=f"What {what} answers: its success, or every problem of the input (HouseholdInvalidInput), "
        "or NotAllowed when the viewer may not.",
    )


CreateHouseholdResult = Annotated[
    CreateHouseholdSuccess | HouseholdInvalidInput | NotAllowed,
    _union("CreateHouseholdResult", "createHousehold"),
]
AddHouseholdMemberResult = Annotated[
    AddHouseholdMemberSuccess | HouseholdInvalidInput | NotAllowed,
    _union("AddHouseholdMemberResult", "addHouseholdMember"),
]
RecordHouseholdPaymentResult = Annotated[
    RecordHouseholdPaymentSuccess | HouseholdInvalidInput | NotAllowed,
    _union("RecordHouseholdPaymentResult", "recordHouseholdPayment"),
]
RevokeHouseholdDelegationResult = Annotated[
    RevokeHouseholdDelegationSuccess | HouseholdInvalidInput | NotAllowed,
    _union("RevokeHouseholdDelegationResult", "revokeHouseholdDelegation"),
]


RestoreHouseholdDelegationResult = Annotated[
    RestoreHouseholdDelegationSuccess | HouseholdInvalidInput | NotAllowed,
    _union("RestoreHouseholdDelegationResult", "restoreHouseholdDelegation"),
]
RemoveHouseholdMemberResult = Annotated[
    RemoveHouseholdMemberSuccess | HouseholdInvalidInput | NotAllowed,
    _union("RemoveHouseholdMemberResult", "removeHouseholdMember"),
]


def _result(outcome: Saved | Invalid | Refused, success: Callable[[Any], Any]) -> Any:
    if isinstance(outcome, Invalid):
        return HouseholdInvalidInput.of(outcome.problems)
    if isinstance(outcome, Refused):
        return NotAllowed(message=outcome.message)
    return success(outcome.row)


@strawberry.type
class HouseholdMutation:
    @strawberry.mutation(
        description="Create a household (officers of the head's province, or the collection agent of the head's ward)."
    )
    async def create_household(
        self, info: Info, input: Annotated[CreateHouseholdInput, INPUT]
    ) -> CreateHouseholdResult:
        outcome = await resolve.create_household(
            info.context, input.head_social_insurance_code, input.member_social_insurance_codes
        )
        return _result(outcome, lambda row: CreateHouseholdSuccess(household=Household.from_row(row)))

    @strawberry.mutation(
        description="Add a member to a household (officers in scope, the household's agent)."
    )
    async def add_household_member(
        self, info: Info, input: Annotated[AddHouseholdMemberInput, INPUT]
    ) -> AddHouseholdMemberResult:
        outcome = await resolve.add_household_member(
            info.context, input.household_code, input.social_insurance_code
        )
        return _result(outcome, lambda row: AddHouseholdMemberSuccess(household=Household.from_row(row)))

    @strawberry.mutation(
        description="Record what a household paid (collection agents, for households of their catchment): the "
        "amount must be the quote's; each charged member's household card is issued or extended for the months."
    )
    async def record_household_payment(
        self, info: Info, input: Annotated[RecordHouseholdPaymentInput, INPUT]
    ) -> RecordHouseholdPaymentResult:
        ctx = info.context
        outcome = await resolve.record_payment(
            ctx, input.household_code, input.months, input.amount_paid, input.primary_care_facility_code
        )
        if isinstance(outcome, Saved):
            saved: resolve.PaymentSaved = outcome.row
            payment = await resolve.payment_row(ctx, saved.payment_id)
            return RecordHouseholdPaymentSuccess(
                household=Household.from_row(saved.household), payment=HouseholdPayment.from_row(payment)
            )
        return _result(outcome, lambda row: row)

    @strawberry.mutation(
        description="Withdraw the head's view of your card (members of 18 or older, for themselves), at once."
    )
    async def revoke_household_delegation(
        self, info: Info, input: Annotated[RevokeHouseholdDelegationInput, INPUT]
    ) -> RevokeHouseholdDelegationResult:
        outcome = await resolve.revoke_delegation(info.context, input.household_code)
        return _result(
            outcome, lambda row: RevokeHouseholdDelegationSuccess(household=Household.from_row(row))
        )

    @strawberry.mutation(
        description="Give the head the view of your card back (the member who revoked it, for themself), at once."
    )
    async def restore_household_delegation(
        self, info: Info, input: Annotated[RestoreHouseholdDelegationInput, INPUT]
    ) -> RestoreHouseholdDelegationResult:
        outcome = await resolve.restore_delegation(info.context, input.household_code)
        return _result(
            outcome, lambda row: RestoreHouseholdDelegationSuccess(household=Household.from_row(row))
        )

    @strawberry.mutation(
        description="Remove a member who leaves the household (its head, or officers of its province); not the "
        "head. The member's household cards stay valid to their paid end; the next quote no longer counts them."
    )
    async def remove_household_member(
        self, info: Info, input: Annotated[RemoveHouseholdMemberInput, INPUT]
    ) -> RemoveHouseholdMemberResult:
        outcome = await resolve.remove_member(info.context, input.household_code, input.social_insurance_code)
        return _result(outcome, lambda row: RemoveHouseholdMemberSuccess(household=Household.from_row(row)))
