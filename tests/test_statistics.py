"""Analyst aggregates: computed in SQL, scoped for officers, small groups suppressed for analysts."""

from __future__ import annotations

from tests.conftest import Api, codes

CONTRIBUTIONS = """query($g: [ContributionDimension!]!, $p: String, $t: InsuranceType, $from: Int, $to: Int) {
  contributionStatistics(groupBy: $g, provinceCode: $p, insuranceType: $t, fromYear: $from, toYear: $to) {
    provinceCode year insuranceType unitCode headcount personMonths salaryMonths contributions } }"""
VISITS = """query($g: [VisitDimension!]!, $p: String) { visitStatistics(groupBy: $g, provinceCode: $p) {
  facilityCode provinceCode icdChapter year visitType visits patients totalCost insurancePaid patientPaid } }"""


async def test_contribution_statistics_golden_unit_by_year_counts_his_months(api: Api) -> None:
    rows = (
        await api.data(
            CONTRIBUTIONS,
            {"g": ["UNIT", "YEAR"], "p": "01", "t": "SOCIAL", "from": 2020, "to": 2020},
            as_="admin",
        )
    )["contributionStatistics"]
    centre = next(r for r in rows if r["unitCode"] == "01T0001" and r["year"] == 2020)
    # The golden person's 2020-02..2020-09 at the IT centre is in there, 8 months at 5,453,400.
    assert centre["personMonths"] >= 8
    assert float(centre["salaryMonths"]) >= 8 * 5453400
    assert float(centre["contributions"]) == round(float(centre["salaryMonths"]) * 0.25, 2)


async def test_contribution_statistics_person_months_match_participation(api: Api) -> None:
    """Grouping by year loses nothing: the years add up to the periods' months."""
    by_year = (
        await api.data(CONTRIBUTIONS, {"g": ["YEAR"], "t": "HEALTH", "from": 1995, "to": 2026}, as_="admin")
    )["contributionStatistics"]
    total = (
        await api.data(
            CONTRIBUTIONS, {"g": ["INSURANCE_TYPE"], "t": "HEALTH", "from": 1995, "to": 2026}, as_="admin"
        )
    )["contributionStatistics"]
    assert sum(r["personMonths"] for r in by_year) == total[0]["personMonths"] > 0


async def test_contribution_statistics_analyst_small_groups_suppressed(api: Api) -> None:
    rows = (await api.data(CONTRIBUTIONS, {"g": ["UNIT"], "from": 2020, "to": 2020}, as_="analyst"))[
        "contributionStatistics"
    ]
    assert rows
    assert all(r["headcount"] is None or r["headcount"] >= 5 for r in rows)
    assert any(r["headcount"] is None for r in rows)


async def test_contribution_statistics_officer_own_province_only(api: Api) -> None:
    rows = (await api.data(CONTRIBUTIONS, {"g": ["PROVINCE"]}, as_="officer.hanoi"))["contributionStatistics"]
    assert [r["provinceCode"] for r in rows] == ["01"]
    other = await api.post(CONTRIBUTIONS, {"g": ["PROVINCE"], "p": "79"}, as_="officer.hanoi")
    assert codes(other) == ["FORBIDDEN"]


async def test_contribution_statistics_citizen_forbidden_anonymous_unauthenticated(api: Api) -> None:
    assert codes(await api.post(CONTRIBUTIONS, {"g": ["YEAR"]}, as_="0113099841")) == ["FORBIDDEN"]
    assert codes(await api.post(CONTRIBUTIONS, {"g": ["YEAR"]})) == ["UNAUTHENTICATED"]


async def test_contribution_statistics_bad_input_clear_errors(api: Api) -> None:
    too_long = await api.post(CONTRIBUTIONS, {"g": ["YEAR"], "from": 1995, "to": 2100}, as_="analyst")
    assert codes(too_long) == ["BAD_USER_INPUT"] and "At most 40 years" in too_long["errors"][0]["message"]
    unknown = await api.post(CONTRIBUTIONS, {"g": ["COLOUR"]}, as_="analyst")
    assert codes(unknown) == ["BAD_USER_INPUT"]
    empty = await api.post(CONTRIBUTIONS, {"g": []}, as_="analyst")
    assert codes(empty) == ["BAD_USER_INPUT"]


async def test_visit_statistics_by_chapter_money_adds_up(api: Api) -> None:
    rows = (await api.data(VISITS, {"g": ["ICD_CHAPTER", "VISIT_TYPE"]}, as_="admin"))["visitStatistics"]
    assert rows and all(r["icdChapter"] for r in rows)
    for r in rows:
        assert float(r["insurancePaid"]) + float(r["patientPaid"]) == float(r["totalCost"])
    assert {"X", "XI", "IX"} & {r["icdChapter"] for r in rows}


async def test_visit_statistics_statement_count_constant(api: Api) -> None:
    few = await api.statements(VISITS, {"g": ["YEAR"]}, as_="admin")
    many = await api.statements(VISITS, {"g": ["FACILITY", "YEAR", "ICD_CHAPTER"]}, as_="admin")
    assert few == many <= 4  # the session, two SET LOCAL (PostgreSQL), the aggregate
