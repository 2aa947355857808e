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
    revised_at: datetime
    revised_by: str = strawberry.field(description="The officer's username.")
    reason: str
    voided: bool = strawberry.field(description="True for the revision that voided the record.")
    changes: list[FieldChange]


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
    id: strawberry.ID
    reason: str = strawberry.field(description="Why the record is corrected (kept with the revision).")
    from_month: YearMonth | None = strawberry.UNSET
    to_month: YearMonth | None = strawberry.UNSET
    salary: Decimal | None = strawberry.UNSET
    salary_coefficient: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="Null removes it (an enterprise salary)."
    )
    occupation: str | None = strawberry.UNSET
    workplace: str | None = strawberry.UNSET


@strawberry.input(description="A correction of a medical visit; the fund's share is computed again.")
class CorrectMedicalVisitInput:
    id: strawberry.ID
    reason: str = strawberry.field(description="Why the record is corrected (kept with the revision).")
    visit_type: VisitType | None = strawberry.UNSET
    admitted_at: datetime | None = strawberry.UNSET
    discharged_at: datetime | None = strawberry.UNSET
    diagnosis_code: str | None = strawberry.UNSET
    diagnosis: str | None = strawberry.UNSET
    total_cost: Decimal | None = strawberry.UNSET
    route: CareRoute | None = strawberry.UNSET
    referred_from_facility_code: str | None = strawberry.UNSET


@strawberry.input(description="A correction of a benefit decision: the fields to change, and why.")
class CorrectBenefitInput:
    id: strawberry.ID
    reason: str = strawberry.field(description="Why the record is corrected (kept with the revision).")
    decision_number: str | None = strawberry.UNSET
    decided_on: date | None = strawberry.UNSET
    period_from: date | None = strawberry.UNSET
    period_to: date | None = strawberry.UNSET
    amount: Decimal | None = strawberry.UNSET
    paying_office_code: str | None = strawberry.UNSET


@strawberry.input(description="Voids a record: it stays, with its revisions, and counts nowhere.")
class VoidRecordInput:
    id: strawberry.ID
    reason: str


@strawberry.type(description="The record after the change, and the revision that says what changed.")
class CorrectionSuccess:
    record: Node
    revision: Revision


CorrectionResult = Annotated[
    CorrectionSuccess | InvalidInput | NotAllowed, strawberry.union("CorrectionResult")
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
        self, info: Info, input: CorrectContributionPeriodInput
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
    async def void_contribution_period(self, info: Info, input: VoidRecordInput) -> CorrectionResult:
        return _result(info, await write.void_contribution_period(info.context, str(input.id), input.reason))

    @strawberry.mutation(description="Correct a medical visit (officers of the patient's province).")
    async def correct_medical_visit(self, info: Info, input: CorrectMedicalVisitInput) -> CorrectionResult:
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
    async def void_medical_visit(self, info: Info, input: VoidRecordInput) -> CorrectionResult:
        return _result(info, await write.void_medical_visit(info.context, str(input.id), input.reason))

    @strawberry.mutation(description="Correct a benefit decision (officers of the person's province).")
    async def correct_benefit(self, info: Info, input: CorrectBenefitInput) -> CorrectionResult:
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
    async def void_benefit(self, info: Info, input: VoidRecordInput) -> CorrectionResult:
        return _result(info, await write.void_benefit(info.context, str(input.id), input.reason))
