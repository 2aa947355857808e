"""Analyst aggregates: contributions and headcounts, visits and costs, grouped in SQL."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import strawberry

from resolvers import statistics as resolve
from resolvers.context import Context, Info
from schema.arguments import ProvinceCode
from schema.enums import InsuranceType, VisitType, described


@described(
    PROVINCE="By the province of the unit (mã tỉnh).",
    YEAR="By calendar year of the months.",
    INSURANCE_TYPE="By insurance (BHXH, BHTN, BHTNLĐ-BNN, BHYT).",
    UNIT="By unit (đơn vị); staff only.",
)
@strawberry.enum(description="What contribution statistics can be grouped by.")
class ContributionDimension(Enum):
    PROVINCE = "PROVINCE"
    YEAR = "YEAR"
    INSURANCE_TYPE = "INSURANCE_TYPE"
    UNIT = "UNIT"


@described(
    FACILITY="By health facility (CSKCB).",
    PROVINCE="By the facility's province.",
    ICD_CHAPTER="By ICD-10 chapter of the diagnosis.",
    YEAR="By calendar year of admission.",
    VISIT_TYPE="Ngoại trú or nội trú.",
)
@strawberry.enum(description="What visit statistics can be grouped by.")
class VisitDimension(Enum):
    FACILITY = "FACILITY"
    PROVINCE = "PROVINCE"
    ICD_CHAPTER = "ICD_CHAPTER"
    YEAR = "YEAR"
    VISIT_TYPE = "VISIT_TYPE"


@strawberry.type(
    description="One group. Dimensions not grouped by are null. For analysts every measure of a group "
    "of fewer than 10 people is null, and of as many other groups as it takes for no total to reveal it."
)
class ContributionStatistic:
    province_code: str | None = strawberry.field(
        description="Mã tỉnh of the group (grouped by PROVINCE); null otherwise."
    )
    year: int | None = strawberry.field(description="The calendar year (grouped by YEAR); null otherwise.")
    insurance_type: InsuranceType | None = strawberry.field(
        description="The insurance (grouped by INSURANCE_TYPE); null otherwise."
    )
    unit_code: str | None = strawberry.field(description="Mã đơn vị (grouped by UNIT); null otherwise.")
    headcount: int | None = strawberry.field(description="Distinct people; null when suppressed (analysts).")
    person_months: int | None = strawberry.field(
        description="Contribution months, overlapping periods each counted; null when suppressed."
    )
    salary_months: Decimal | None = strawberry.field(
        description="Sum of salary × months, in VND; null when suppressed."
    )
    contributions: Decimal | None = strawberry.field(
        description="Estimated contributions: salary × months × the combined rate of the insurance type (2024 rates)."
    )


@strawberry.type(
    description="One group of medical visits. For analysts every measure of a group of fewer than 10 "
    "patients is null, and of as many other groups as it takes for no total to reveal it."
)
class VisitStatistic:
    facility_code: str | None = strawberry.field(
        description="Mã CSKCB (grouped by FACILITY); null otherwise."
    )
    province_code: str | None = strawberry.field(description="Mã tỉnh (grouped by PROVINCE); null otherwise.")
    icd_chapter: str | None = strawberry.field(description="ICD-10 chapter in Roman numerals (I..XXII).")
    year: int | None = strawberry.field(
        description="The calendar year of admission (grouped by YEAR); null otherwise."
    )
    visit_type: VisitType | None = strawberry.field(
        description="Ngoại trú or nội trú (grouped by VISIT_TYPE); null otherwise."
    )
    visits: int | None = strawberry.field(
        description="Lượt khám chữa bệnh: visits in the group; null when suppressed (analysts)."
    )
    patients: int | None = strawberry.field(
        description="Distinct patients; null when suppressed (analysts: fewer than 10, or to protect such a group)."
    )
    total_cost: Decimal | None = strawberry.field(description="Tổng chi phí, in VND; null when suppressed.")
    insurance_paid: Decimal | None = strawberry.field(
        description="Quỹ BHYT thanh toán, in VND; null when suppressed."
    )
    patient_paid: Decimal | None = strawberry.field(
        description="Người bệnh cùng chi trả, in VND; null when suppressed."
    )


async def contribution_statistics(
    context: Context,
    group_by: list[str],
    province_code: str | None,
    insurance_type: str | None,
    from_year: int | None,
    to_year: int | None,
) -> list[ContributionStatistic]:
    """The groups of contributionStatistics: what the field answers and the compiled path writes."""
    groups = await resolve.contributions(context, group_by, province_code, insurance_type, from_year, to_year)
    province, year, kind, unit = (
        _position(group_by, d) for d in ("PROVINCE", "YEAR", "INSURANCE_TYPE", "UNIT")
    )
    kinds: dict[Any, InsuranceType | None] = {k.value: k for k in InsuranceType} | {None: None}
    answer = []
    for values, headcount, person_months, salary_months, contributions in groups:
        cells = (*values, None)
        answer.append(
            ContributionStatistic(
                province_code=cells[province],
                year=cells[year],
                insurance_type=kinds[cells[kind]],
                unit_code=cells[unit],
                headcount=headcount,
                person_months=person_months,
                salary_months=salary_months,
                contributions=contributions,
            )
        )
    return answer


async def visit_statistics(
    context: Context,
    group_by: list[str],
    province_code: str | None,
    from_year: int | None,
    to_year: int | None,
) -> list[VisitStatistic]:
    """The groups of visitStatistics: what the field answers and the compiled path writes."""
    groups = await resolve.visits(context, group_by, province_code, from_year, to_year)
    facility, province, chapter, year, kind = (
        _position(group_by, d) for d in ("FACILITY", "PROVINCE", "ICD_CHAPTER", "YEAR", "VISIT_TYPE")
    )
    kinds: dict[Any, VisitType | None] = {k.value: k for k in VisitType} | {None: None}
    answer = []
    for values, visits, patients, total_cost, insurance_paid, patient_paid in groups:
        cells = (*values, None)
        answer.append(
            VisitStatistic(
                facility_code=cells[facility],
                province_code=cells[province],
                icd_chapter=cells[chapter],
                year=cells[year],
                visit_type=kinds[cells[kind]],
                visits=visits,
                patients=patients,
                total_cost=total_cost,
                insurance_paid=insurance_paid,
                patient_paid=patient_paid,
            )
        )
    return answer


def _position(group_by: list[str], dimension: str) -> int:
    """Where the dimension is in a group's values (the order of groupBy); one past the end (the
    None each group's values are padded with) if it is not grouped by."""
    return group_by.index(dimension) if dimension in group_by else len(group_by)


@strawberry.type
class StatisticsQuery:
    @strawberry.field(
        description="Contribution headcounts and totals (ANALYST, ADMIN; OFFICER: own province)."
    )
    async def contribution_statistics(
        self,
        info: Info,
        group_by: Annotated[
            list[ContributionDimension],
            strawberry.argument(description="The dimensions of the groups, in this order (at least one)."),
        ],
        province_code: ProvinceCode = None,
        insurance_type: Annotated[
            InsuranceType | None, strawberry.argument(description="Only this insurance; all if left out.")
        ] = None,
        from_year: Annotated[
            int | None, strawberry.argument(description="From this calendar year, included.")
        ] = None,
        to_year: Annotated[
            int | None, strawberry.argument(description="Up to this calendar year, included.")
        ] = None,
    ) -> list[ContributionStatistic]:
        return await contribution_statistics(
            info.context,
            [d.value for d in group_by],
            province_code,
            insurance_type.value if insurance_type else None,
            from_year,
            to_year,
        )

    @strawberry.field(description="Visit counts and costs (ANALYST, ADMIN; OFFICER: own province).")
    async def visit_statistics(
        self,
        info: Info,
        group_by: Annotated[
            list[VisitDimension],
            strawberry.argument(description="The dimensions of the groups, in this order (at least one)."),
        ],
        province_code: ProvinceCode = None,
        from_year: Annotated[
            int | None, strawberry.argument(description="From this calendar year of admission, included.")
        ] = None,
        to_year: Annotated[int | None, strawberry.argument(description="Up to this year, included.")] = None,
    ) -> list[VisitStatistic]:
        return await visit_statistics(
            info.context, [d.value for d in group_by], province_code, from_year, to_year
        )
