"""Analyst aggregates: contributions and headcounts, visits and costs, grouped in SQL."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Annotated

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
    return [
        ContributionStatistic(
            province_code=g.values.get("PROVINCE"),
            year=g.values.get("YEAR"),
            insurance_type=InsuranceType(g.values["INSURANCE_TYPE"])
            if "INSURANCE_TYPE" in g.values
            else None,
            unit_code=g.values.get("UNIT"),
            headcount=g.headcount,
            person_months=g.person_months,
            salary_months=g.salary_months,
            contributions=g.contributions,
        )
        for g in groups
    ]


async def visit_statistics(
    context: Context,
    group_by: list[str],
    province_code: str | None,
    from_year: int | None,
    to_year: int | None,
) -> list[VisitStatistic]:
    """The groups of visitStatistics: what the field answers and the compiled path writes."""
    groups = await resolve.visits(context, group_by, province_code, from_year, to_year)
    return [
        VisitStatistic(
            facility_code=g.values.get("FACILITY"),
            province_code=g.values.get("PROVINCE"),
            icd_chapter=g.values.get("ICD_CHAPTER"),
            year=g.values.get("YEAR"),
            visit_type=VisitType(g.values["VISIT_TYPE"]) if "VISIT_TYPE" in g.values else None,
            visits=g.visits,
            patients=g.patients,
            total_cost=g.total_cost,
            insurance_paid=g.insurance_paid,
            patient_paid=g.patient_paid,
        )
        for g in groups
    ]


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
