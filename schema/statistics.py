"""Analyst aggregates: contributions and headcounts, visits and costs, grouped in SQL."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

import strawberry

from resolvers import statistics as resolve
from resolvers.context import Info
from schema.enums import InsuranceType, VisitType


@strawberry.enum(description="What contribution statistics can be grouped by.")
class ContributionDimension(Enum):
    PROVINCE = "PROVINCE"
    YEAR = "YEAR"
    INSURANCE_TYPE = "INSURANCE_TYPE"
    UNIT = "UNIT"


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
    province_code: str | None
    year: int | None
    insurance_type: InsuranceType | None
    unit_code: str | None
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
    facility_code: str | None
    province_code: str | None
    icd_chapter: str | None = strawberry.field(description="ICD-10 chapter in Roman numerals (I..XXII).")
    year: int | None
    visit_type: VisitType | None
    visits: int | None
    patients: int | None
    total_cost: Decimal | None
    insurance_paid: Decimal | None
    patient_paid: Decimal | None


@strawberry.type
class StatisticsQuery:
    @strawberry.field(
        description="Contribution headcounts and totals (ANALYST, ADMIN; OFFICER: own province)."
    )
    async def contribution_statistics(
        self,
        info: Info,
        group_by: list[ContributionDimension],
        province_code: str | None = None,
        insurance_type: InsuranceType | None = None,
        from_year: int | None = None,
        to_year: int | None = None,
    ) -> list[ContributionStatistic]:
        groups = await resolve.contributions(
            info.context,
            [d.value for d in group_by],
            province_code,
            insurance_type.value if insurance_type else None,
            from_year,
            to_year,
        )
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

    @strawberry.field(description="Visit counts and costs (ANALYST, ADMIN; OFFICER: own province).")
    async def visit_statistics(
        self,
        info: Info,
        group_by: list[VisitDimension],
        province_code: str | None = None,
        from_year: int | None = None,
        to_year: int | None = None,
    ) -> list[VisitStatistic]:
        groups = await resolve.visits(
            info.context, [d.value for d in group_by], province_code, from_year, to_year
        )
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
