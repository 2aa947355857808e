"""Data entry by officers and partner hospitals. Each mutation answers XSuccess | InvalidInput | NotAllowed,
and returns the record as the viewer may see it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import strawberry

from resolvers import entry as resolve
from resolvers.context import Context, Info
from resolvers.outcomes import Invalid, Refused
from schema.benefit import Benefit
from schema.card import HealthInsuranceCard
from schema.contribution import ContributionPeriod
from schema.enums import BenefitRegime, InsuranceType, VisitType
from schema.errors import InvalidInput, NotAllowed
from schema.registration import AddressInput
from schema.scalars import YearMonth
from schema.unit import Unit
from schema.visit import MedicalVisit

S = TypeVar("S")


def _result(outcome: resolve.Outcome, success: Callable[[Any], S]) -> S | InvalidInput | NotAllowed:
    if isinstance(outcome, Invalid):
        return InvalidInput.of(outcome)
    if isinstance(outcome, Refused):
        return NotAllowed(message=outcome.message)
    return success(outcome.row)


# ---------- units ----------


@strawberry.input(description="A new unit (đơn vị): officers in their province, administrators anywhere.")
class CreateUnitInput:
    code: str = strawberry.field(
        description='Mã đơn vị: the 2-digit province code and 1-14 letters or digits ("01A0001").'
    )
    name: str
    tax_code: str | None = strawberry.field(default=None, description="Mã số thuế: 10 digits, or 10-3.")
    address: AddressInput


@strawberry.input(description="Changes to a unit: absent fields stay as they are.")
class UpdateUnitInput:
    code: str = strawberry.field(description="The unit to change (its code does not change).")
    name: str | None = None
    tax_code: str | None = strawberry.field(default=None, description='"" removes the tax code.')
    address: AddressInput | None = None


@strawberry.type
class CreateUnitSuccess:
    unit: Unit


@strawberry.type
class UpdateUnitSuccess:
    unit: Unit


CreateUnitResult = Annotated[
    CreateUnitSuccess | InvalidInput | NotAllowed, strawberry.union("CreateUnitResult")
]
UpdateUnitResult = Annotated[
    UpdateUnitSuccess | InvalidInput | NotAllowed, strawberry.union("UpdateUnitResult")
]


# ---------- contribution periods ----------


@strawberry.input(description="A span of contribution months at a unit (quá trình đóng).")
class RecordContributionPeriodInput:
    social_insurance_code: str
    unit_code: str
    insurance_type: InsuranceType
    from_month: YearMonth
    to_month: YearMonth = strawberry.field(description="Inclusive; not after the current month.")
    salary: Decimal = strawberry.field(
        description="Tiền lương đóng, VND: between the legal floor and 20 x the base salary of fromMonth."
    )
    salary_coefficient: Decimal | None = strawberry.field(
        default=None, description="Hệ số lương: given for state-sector salaries (coefficient x base salary)."
    )
    occupation: str | None = None
    workplace: str | None = None


@strawberry.type
class RecordContributionPeriodSuccess:
    contribution_period: ContributionPeriod


RecordContributionPeriodResult = Annotated[
    RecordContributionPeriodSuccess | InvalidInput | NotAllowed,
    strawberry.union("RecordContributionPeriodResult"),
]


# ---------- cards ----------


@strawberry.input(description="Issue a BHYT card; its number and benefit level follow from the group.")
class IssueCardInput:
    social_insurance_code: str
    beneficiary_group: str = strawberry.field(description='Mã đối tượng, e.g. "DN".')
    valid_from: date
    valid_to: date | None = strawberry.field(default=None, description="Cards since 2017 may have none.")
    primary_care_facility_code: str = strawberry.field(
        description="Nơi đăng ký KCB ban đầu: a facility with a health-insurance contract."
    )
    five_years_continuous_from: date | None = None


@strawberry.input(description="New validity dates for a card.")
class RenewCardInput:
    card_number: str = strawberry.field(description="The 15-character card number.")
    valid_from: date | None = strawberry.field(default=None, description="Absent: unchanged.")
    valid_to: date = strawberry.field(description="Today or later.")


@strawberry.input
class SuspendCardInput:
    card_number: str
    reason: str = strawberry.field(description="Kept in the audit trail; at most 500 characters.")


@strawberry.type
class IssueCardSuccess:
    card: HealthInsuranceCard


@strawberry.type
class RenewCardSuccess:
    card: HealthInsuranceCard


@strawberry.type
class SuspendCardSuccess:
    card: HealthInsuranceCard


IssueCardResult = Annotated[IssueCardSuccess | InvalidInput | NotAllowed, strawberry.union("IssueCardResult")]
RenewCardResult = Annotated[RenewCardSuccess | InvalidInput | NotAllowed, strawberry.union("RenewCardResult")]
SuspendCardResult = Annotated[
    SuspendCardSuccess | InvalidInput | NotAllowed, strawberry.union("SuspendCardResult")
]


# ---------- medical visits ----------


@strawberry.input(description="A visit as in claims table XML1, recorded by the hospital that treated it.")
class RecordMedicalVisitInput:
    social_insurance_code: str = strawberry.field(
        description="The patient; their card must be valid on the admission date."
    )
    visit_type: VisitType
    admitted_at: datetime = strawberry.field(description="Without an offset: Vietnam time.")
    discharged_at: datetime | None = None
    diagnosis_code: str | None = strawberry.field(default=None, description="ICD-10, e.g. J18.9.")
    diagnosis: str | None = None
    total_cost: Decimal
    insurance_paid: Decimal
    patient_paid: Decimal = strawberry.field(description="insurancePaid + patientPaid == totalCost.")
    facility_code: str | None = strawberry.field(
        default=None, description="The recording hospital's own facility code (the default)."
    )


@strawberry.type
class RecordMedicalVisitSuccess:
    medical_visit: MedicalVisit


RecordMedicalVisitResult = Annotated[
    RecordMedicalVisitSuccess | InvalidInput | NotAllowed, strawberry.union("RecordMedicalVisitResult")
]


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


def _unit(context: Context) -> Callable[[Any], Unit]:
    return lambda row: Unit.wrap(context, row)


def _card(context: Context) -> Callable[[Any], HealthInsuranceCard]:
    return lambda row: HealthInsuranceCard.wrap(context, row)


@strawberry.type
class EntryMutation:
    @strawberry.mutation(description="Create a unit (officers in their province, administrators).")
    async def create_unit(self, info: Info, input: CreateUnitInput) -> CreateUnitResult:
        ctx = info.context
        outcome = await resolve.create_unit(
            ctx,
            resolve.UnitData(
                code=input.code, name=input.name, tax_code=input.tax_code, address=input.address.value()
            ),
        )
        return _result(outcome, lambda row: CreateUnitSuccess(unit=_unit(ctx)(row)))

    @strawberry.mutation(description="Change a unit's name, tax code or address.")
    async def update_unit(self, info: Info, input: UpdateUnitInput) -> UpdateUnitResult:
        ctx = info.context
        outcome = await resolve.update_unit(
            ctx,
            input.code,
            resolve.UnitData(
                name=input.name,
                tax_code=input.tax_code,
                address=input.address.value() if input.address is not None else None,
            ),
        )
        return _result(outcome, lambda row: UpdateUnitSuccess(unit=_unit(ctx)(row)))

    @strawberry.mutation(description="Record a contribution period (officers of the person's province).")
    async def record_contribution_period(
        self, info: Info, input: RecordContributionPeriodInput
    ) -> RecordContributionPeriodResult:
        ctx = info.context
        outcome = await resolve.record_contribution_period(
            ctx,
            resolve.PeriodData(
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
        return _result(
            outcome,
            lambda row: RecordContributionPeriodSuccess(
                contribution_period=ContributionPeriod.wrapper(ctx)(row)
            ),
        )

    @strawberry.mutation(description="Issue a health-insurance card (officers of the holder's province).")
    async def issue_card(self, info: Info, input: IssueCardInput) -> IssueCardResult:
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
        return _result(outcome, lambda row: IssueCardSuccess(card=_card(ctx)(row)))

    @strawberry.mutation(description="Give a card new validity dates.")
    async def renew_card(self, info: Info, input: RenewCardInput) -> RenewCardResult:
        ctx = info.context
        outcome = await resolve.renew_card(ctx, input.card_number, input.valid_from, input.valid_to)
        return _result(outcome, lambda row: RenewCardSuccess(card=_card(ctx)(row)))

    @strawberry.mutation(description="Suspend a card: it is no longer valid for visits.")
    async def suspend_card(self, info: Info, input: SuspendCardInput) -> SuspendCardResult:
        ctx = info.context
        outcome = await resolve.suspend_card(ctx, input.card_number, input.reason)
        return _result(outcome, lambda row: SuspendCardSuccess(card=_card(ctx)(row)))

    @strawberry.mutation(description="Record a medical visit (partner hospitals, at their own facility).")
    async def record_medical_visit(
        self, info: Info, input: RecordMedicalVisitInput
    ) -> RecordMedicalVisitResult:
        ctx = info.context
        outcome = await resolve.record_medical_visit(
            ctx,
            resolve.VisitData(
                social_insurance_code=input.social_insurance_code,
                visit_type=input.visit_type.value,
                admitted_at=input.admitted_at,
                discharged_at=input.discharged_at,
                diagnosis_code=input.diagnosis_code,
                diagnosis=input.diagnosis,
                total_cost=input.total_cost,
                insurance_paid=input.insurance_paid,
                patient_paid=input.patient_paid,
                facility_code=input.facility_code,
            ),
        )
        return _result(
            outcome, lambda row: RecordMedicalVisitSuccess(medical_visit=MedicalVisit.wrapper(ctx)(row))
        )

    @strawberry.mutation(description="Record a benefit decision (officers of the person's province).")
    async def record_benefit(self, info: Info, input: RecordBenefitInput) -> RecordBenefitResult:
        ctx = info.context
        outcome = await resolve.record_benefit(
            ctx,
            resolve.BenefitData(
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
        return _result(outcome, lambda row: RecordBenefitSuccess(benefit=Benefit.wrapper(ctx)(row)))
