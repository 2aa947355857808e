"""Corrections of entered records, as their readers may see them."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import strawberry

from auth.guard import Guarded, allow
from auth.policy import DECISIONS, MASKERS, Decision
from resolvers import revision as write
from resolvers.context import Info
from resolvers.outcomes import Invalid, Problem, Refused
from schema.arguments import INPUT
from schema.enums import CareRoute, VisitType
from schema.errors import InvalidInput, NotAllowed
from schema.node import Node
from schema.scalars import YearMonth


@strawberry.type(description="One field of a correction: its value before and after, as the API shows it.")
class FieldChange:
    field: str = strawberry.field(description="The record's field, as named in the API (e.g. salary).")
    before: str | None = strawberry.field(description="Null when it was empty, or is not yours to see.")
    after: str | None = strawberry.field(description="Null when it is empty, or is not yours to see.")


@strawberry.type(
    description="A correction of an entered record: who, when, why, and each field's value before and "
    "after (values shown under the record's own field policy)."
)
class Revision:
    revised_at: datetime = strawberry.field(
        description="When the correction or void was made (Vietnam time)."
    )
    revised_by: str = strawberry.field(description="The officer's username.")
    reason: str = strawberry.field(
        description="Lý do điều chỉnh: why the officer corrected or voided the record."
    )
    voided: bool = strawberry.field(description="True for the revision that voided the record.")
    changes: list[FieldChange] = strawberry.field(
        description="Each field changed, with its value before and after; empty for a void."
    )


def _shown(type_name: str, field: str, value: str | None, source: Guarded) -> str | None:
    """A changed value under the policy of the field it was: allowed, masked or hidden."""
    if value is None:
        return None
    decisions = DECISIONS.get(f"{type_name}.{field}")
    decision = decisions[source._rel] if decisions is not None else Decision.FORBID
    if decision is Decision.ALLOW:
        return value
    if decision is Decision.MASK and (masker := MASKERS.get(f"{type_name}.{field}")) is not None:
        return str(masker(value))
    return None


def revision_from_row(r: Any, source: Guarded, type_name: str) -> Revision:
    return Revision(
        revised_at=r.revised_at,
        revised_by=r.revised_by,
        reason=r.reason,
        voided=r.voided,
        changes=[
            FieldChange(
                field=f, before=_shown(type_name, f, b, source), after=_shown(type_name, f, a, source)
            )
            for f, b, a in json.loads(r.changes)
        ],
    )


async def revisions_of(info: Info, source: Guarded, type_name: str) -> list[Revision]:
    row: Any = source._row
    allow(source._access, source._rel, row.person_id, f"{type_name}.revisions")
    rows = await info.context.loaders.revisions_by_subject.load((type_name, row.id))
    return [revision_from_row(r, source, type_name) for r in rows]


# ---------- corrections and voids (officers of the person's province) ----------


def _given(value: Any) -> Any:
    return write.UNSET if value is strawberry.UNSET else value


@strawberry.input(description="A correction of a contribution period: the fields to change, and why.")
class CorrectContributionPeriodInput:
    id: strawberry.ID = strawberry.field(description="ContributionPeriod.id (a global id).")
    reason: str = strawberry.field(description="Why the record is corrected (kept with the revision).")
    from_month: YearMonth | None = strawberry.field(
        default=strawberry.UNSET,
        description="Từ tháng: the first month paid. Left out: unchanged; it cannot be removed.",
    )
    to_month: YearMonth | None = strawberry.field(
        default=strawberry.UNSET,
        description="Đến tháng: the last month paid, not before fromMonth. Left out: unchanged; it cannot be removed.",
    )
    salary: Decimal | None = strawberry.field(
        default=strawberry.UNSET,
        description="Mức lương đóng: the monthly salary contributions are based on, in VND. Left out: unchanged.",
    )
    salary_coefficient: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="Null removes it (an enterprise salary)."
    )
    occupation: str | None = strawberry.field(
        default=strawberry.UNSET, description="Chức vụ, nghề nghiệp. Left out: unchanged; null removes it."
    )
    workplace: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Nơi làm việc, as written. Left out: unchanged; null removes it.",
    )


@strawberry.input(description="A correction of a medical visit; the fund's share is computed again.")
class CorrectMedicalVisitInput:
    id: strawberry.ID = strawberry.field(description="MedicalVisit.id (a global id).")
    reason: str = strawberry.field(description="Why the record is corrected (kept with the revision).")
    visit_type: VisitType | None = strawberry.field(
        default=strawberry.UNSET,
        description="Ngoại trú or nội trú. Left out: unchanged; it cannot be removed.",
    )
    admitted_at: datetime | None = strawberry.field(
        default=strawberry.UNSET,
        description="Ngày vào, without an offset: Vietnam time. Left out: unchanged; it cannot be removed.",
    )
    discharged_at: datetime | None = strawberry.field(
        default=strawberry.UNSET,
        description="Ngày ra, not before admittedAt. Left out: unchanged; null: the patient is still in.",
    )
    diagnosis_code: str | None = strawberry.field(
        default=strawberry.UNSET, description="ICD-10, e.g. J18.9. Left out: unchanged; null removes it."
    )
    diagnosis: str | None = strawberry.field(
        default=strawberry.UNSET, description="Chẩn đoán in words. Left out: unchanged; null removes it."
    )
    total_cost: Decimal | None = strawberry.field(
        default=strawberry.UNSET,
        description="Tổng chi phí in VND, not negative; the fund's share follows. Left out: unchanged.",
    )
    route: CareRoute | None = strawberry.field(
        default=strawberry.UNSET,
        description="Tuyến; the fund's share follows. Left out: unchanged; it cannot be removed.",
    )
    referred_from_facility_code: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Mã CSKCB of the facility that referred the patient (route REFERRED only; other routes "
        "clear it). Left out: unchanged.",
    )


@strawberry.input(description="A correction of a benefit decision: the fields to change, and why.")
class CorrectBenefitInput:
    id: strawberry.ID = strawberry.field(description="Benefit.id (a global id).")
    reason: str = strawberry.field(description="Why the record is corrected (kept with the revision).")
    decision_number: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Số quyết định hưởng: the decision's number. Left out: unchanged.",
    )
    decided_on: date | None = strawberry.field(
        default=strawberry.UNSET,
        description="Ngày ký quyết định: the date of the decision. Left out: unchanged.",
    )
    period_from: date | None = strawberry.field(
        default=strawberry.UNSET,
        description="Hưởng từ ngày: the first day the benefit covers. Left out: unchanged.",
    )
    period_to: date | None = strawberry.field(
        default=strawberry.UNSET,
        description="Hưởng đến ngày: the last day covered, not before periodFrom. Left out: unchanged.",
    )
    amount: Decimal | None = strawberry.field(
        default=strawberry.UNSET,
        description="Số tiền hưởng: the amount decided, in VND (private). Left out: unchanged.",
    )
    paying_office_code: str | None = strawberry.field(
        default=strawberry.UNSET,
        description='Office.code of the BHXH office that pays (e.g. "01"). Left out: unchanged.',
    )


@strawberry.input(description="Voids a record: it stays, with its revisions, and counts nowhere.")
class VoidRecordInput:
    id: strawberry.ID = strawberry.field(
        description="The record's global id: a ContributionPeriod, MedicalVisit or Benefit, as the mutation says."
    )
    reason: str = strawberry.field(
        description="Why the record is voided (kept with the revision); at most 500 characters."
    )


@strawberry.type(description="The record after the change, and the revision that says what changed.")
class CorrectionSuccess:
    record: Node = strawberry.field(
        description="The record as it is now (ContributionPeriod, MedicalVisit or Benefit), under its own field policy."
    )
    revision: Revision = strawberry.field(
        description="The revision just written: who, when, why, what changed."
    )


CorrectionResult = Annotated[
    CorrectionSuccess | InvalidInput | NotAllowed,
    strawberry.union(
        "CorrectionResult",
        description="What a correction or void answers: its success, or every problem of the input "
        "(InvalidInput), or NotAllowed when the viewer may not (officers of the person's province only).",
    ),
]


def _result(info: Info, outcome: write.Outcome) -> Any:
    from schema.benefit import Benefit
    from schema.contribution import ContributionPeriod
    from schema.visit import MedicalVisit

    if isinstance(outcome, Invalid):
        return InvalidInput.of(outcome)
    if isinstance(outcome, Refused):
        return NotAllowed(message=outcome.message)
    kinds: dict[str, Any] = {
        "ContributionPeriod": ContributionPeriod,
        "MedicalVisit": MedicalVisit,
        "Benefit": Benefit,
    }
    record = kinds[outcome.kind].wrapper(info.context)(outcome.row)
    return CorrectionSuccess(
        record=record, revision=revision_from_row(outcome.revision, record, outcome.kind)
    )


def _value(enum_value: Any) -> Any:
    return enum_value.value if isinstance(enum_value, Enum) else enum_value


@strawberry.type
class RevisionMutation:
    @strawberry.mutation(description="Correct a contribution period (officers of the person's province).")
    async def correct_contribution_period(
        self, info: Info, input: Annotated[CorrectContributionPeriodInput, INPUT]
    ) -> CorrectionResult:
        data = write.PeriodCorrection(
            id=str(input.id),
            reason=input.reason,
            from_month=_given(input.from_month),
            to_month=_given(input.to_month),
            salary=_given(input.salary),
            salary_coefficient=_given(input.salary_coefficient),
            occupation=_given(input.occupation),
            workplace=_given(input.workplace),
        )
        if data.from_month is None or data.to_month is None:
            return InvalidInput.of(
                Invalid(
                    [
                        Problem(
                            ("input", "fromMonth" if data.from_month is None else "toMonth"),
                            "REQUIRED",
                            "A period has both months.",
                        )
                    ]
                )
            )
        return _result(info, await write.correct_contribution_period(info.context, data))

    @strawberry.mutation(description="Void a contribution period: it stays, and counts nowhere.")
    async def void_contribution_period(
        self, info: Info, input: Annotated[VoidRecordInput, INPUT]
    ) -> CorrectionResult:
        return _result(info, await write.void_contribution_period(info.context, str(input.id), input.reason))

    @strawberry.mutation(description="Correct a medical visit (officers of the patient's province).")
    async def correct_medical_visit(
        self, info: Info, input: Annotated[CorrectMedicalVisitInput, INPUT]
    ) -> CorrectionResult:
        data = write.VisitCorrection(
            id=str(input.id),
            reason=input.reason,
            visit_type=_value(_given(input.visit_type)),
            admitted_at=_given(input.admitted_at),
            discharged_at=_given(input.discharged_at),
            diagnosis_code=_given(input.diagnosis_code),
            diagnosis=_given(input.diagnosis),
            total_cost=_given(input.total_cost),
            route=_value(_given(input.route)),
            referred_from=_given(input.referred_from_facility_code),
        )
        for name, label in (
            ("visit_type", "visitType"),
            ("admitted_at", "admittedAt"),
            ("total_cost", "totalCost"),
            ("route", "route"),
        ):
            if getattr(data, name) is None:
                return InvalidInput.of(
                    Invalid([Problem(("input", label), "REQUIRED", f"{label} cannot be removed.")])
                )
        return _result(info, await write.correct_medical_visit(info.context, data))

    @strawberry.mutation(description="Void a medical visit: it stays, and counts nowhere.")
    async def void_medical_visit(
        self, info: Info, input: Annotated[VoidRecordInput, INPUT]
    ) -> CorrectionResult:
        return _result(info, await write.void_medical_visit(info.context, str(input.id), input.reason))

    @strawberry.mutation(description="Correct a benefit decision (officers of the person's province).")
    async def correct_benefit(
        self, info: Info, input: Annotated[CorrectBenefitInput, INPUT]
    ) -> CorrectionResult:
        data = write.BenefitCorrection(
            id=str(input.id),
            reason=input.reason,
            decision_number=_given(input.decision_number),
            decided_on=_given(input.decided_on),
            period_from=_given(input.period_from),
            period_to=_given(input.period_to),
            amount=_given(input.amount),
            paying_office_code=_given(input.paying_office_code),
        )
        return _result(info, await write.correct_benefit(info.context, data))

    @strawberry.mutation(description="Void a benefit decision: it stays, and counts nowhere.")
    async def void_benefit(self, info: Info, input: Annotated[VoidRecordInput, INPUT]) -> CorrectionResult:
        return _result(info, await write.void_benefit(info.context, str(input.id), input.reason))
