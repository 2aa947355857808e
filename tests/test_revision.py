"""Corrections and voids of periods, visits and benefits: who may, the same rules as new records,
one transaction with the revision, the event and the audit row; a voided record counts nowhere."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from models.tables import benefit_t, period_t, revision_t, visit_t
from schema.node import global_id
from tests.conftest import Api, Factory
from tests.test_entry import (
    BENEFIT,
    ISSUE,
    VISIT,
    audits_of,
    benefit_input,
    card_input,
    events_of,
    fields,
    insured_person,
    one,
    visit_input,
)
from tests.test_statistics import recomputed_rollup, stored_rollup

RESULT = """__typename
  ... on CorrectionSuccess { record { id ... on ContributionPeriod { salary fromMonth voided }
      ... on MedicalVisit { totalCost insurancePaid patientPaid voided }
      ... on Benefit { amount voided } }
    revision { revisedAt revisedBy reason voided changes { field before after } } }
  ... on InvalidInput { errors { field code message } }
  ... on NotAllowed { message }"""
CORRECT_PERIOD = f"mutation($input: CorrectContributionPeriodInput!) {{ correctContributionPeriod(input: $input) {{ {RESULT} }} }}"
VOID_PERIOD = f"mutation($input: VoidRecordInput!) {{ voidContributionPeriod(input: $input) {{ {RESULT} }} }}"
CORRECT_VISIT = (
    f"mutation($input: CorrectMedicalVisitInput!) {{ correctMedicalVisit(input: $input) {{ {RESULT} }} }}"
)
VOID_VISIT = f"mutation($input: VoidRecordInput!) {{ voidMedicalVisit(input: $input) {{ {RESULT} }} }}"
CORRECT_BENEFIT = f"mutation($input: CorrectBenefitInput!) {{ correctBenefit(input: $input) {{ {RESULT} }} }}"
VOID_BENEFIT = f"mutation($input: VoidRecordInput!) {{ voidBenefit(input: $input) {{ {RESULT} }} }}"
PARTICIPATION = """query($c: String!) { person(socialInsuranceCode: $c) {
  participation(insuranceType: SOCIAL) { totalMonths } } }"""


async def period_of(api: Api, person: Any) -> Any:
    return await one(api, select(period_t).where(period_t.c.person_id == person.id).order_by(period_t.c.id))


async def revisions_count(api: Api) -> int:
    return int((await one(api, select(func.count()).select_from(revision_t)))[0])


async def test_correct_contribution_period_success_revision_event_and_audit(
    api: Api, factory: Factory
) -> None:
    person = await insured_person(api)
    period = await period_of(api, person)
    node = global_id("ContributionPeriod", period.id)
    variables = {"input": {"id": node, "reason": "Bảng lương sai", "salary": "12000000"}}
    result = (await api.data(CORRECT_PERIOD, variables, as_="officer.hanoi"))["correctContributionPeriod"]
    assert result["__typename"] == "CorrectionSuccess", result
    assert result["record"]["salary"] == "12000000.00"
    revision = result["revision"]
    assert revision["revisedBy"] == "officer.hanoi" and revision["reason"] == "Bảng lương sai"
    assert revision["revisedAt"].endswith("+07:00") and revision["voided"] is False
    assert revision["changes"] == [{"field": "salary", "before": "10000000.00", "after": "12000000.00"}]
    assert [a.action for a in await audits_of(api, "ContributionPeriod", period.id)] == [
        "recordContributionPeriod",
        "correctContributionPeriod",
    ]
    assert len(await events_of(api, "ContributionPeriod", period.id)) == 2
    # The citizen sees their own history.
    username = await factory.citizen(person=person)
    mine = await api.data(
        "{ viewer { person { contributionPeriods(first: 5) { nodes { salary revisions { reason changes { field before after } } } } } } }",
        as_=username,
    )
    nodes = mine["viewer"]["person"]["contributionPeriods"]["nodes"]
    assert {
        "salary": "12000000.00",
        "revisions": [{"reason": "Bảng lương sai", "changes": revision["changes"]}],
    } in nodes


async def test_correct_contribution_period_rules_apply_nothing_stored(api: Api) -> None:
    person = await insured_person(api)
    period = await period_of(api, person)
    before = await revisions_count(api)
    variables = {
        "input": {
            "id": global_id("ContributionPeriod", period.id),
            "reason": " ",
            "fromMonth": "1999-01",
            "salary": "1",
        }
    }
    result = (await api.data(CORRECT_PERIOD, variables, as_="officer.hanoi"))["correctContributionPeriod"]
    assert fields(result) == {"reason": "REQUIRED", "fromMonth": "UNDER_WORKING_AGE"} | {
        "salary": "SALARY_BELOW_FLOOR"
    }
    assert await revisions_count(api) == before
    assert (await period_of(api, person)).from_month == 202301


async def test_correct_contribution_period_out_of_scope_or_not_officer(api: Api) -> None:
    person = await insured_person(api)
    node = global_id("ContributionPeriod", (await period_of(api, person)).id)
    variables = {"input": {"id": node, "reason": "x", "salary": "11000000"}}
    hidden = (await api.data(CORRECT_PERIOD, variables, as_="officer.hcm"))["correctContributionPeriod"]
    assert fields(hidden) == {"id": "NOT_FOUND"}
    for username in ("analyst", "partner.hospital", "admin"):
        refused = (await api.data(CORRECT_PERIOD, variables, as_=username))["correctContributionPeriod"]
        assert refused["__typename"] == "NotAllowed", username


async def test_void_contribution_period_stops_counting_everywhere(api: Api) -> None:
    person = await insured_person(api)
    period = await period_of(api, person)
    code = person.social_insurance_code
    counted = await api.data(PARTICIPATION, {"c": code}, as_="officer.hanoi")
    assert counted["person"]["participation"]["totalMonths"] == 13
    node = global_id("ContributionPeriod", period.id)
    result = (
        await api.data(VOID_PERIOD, {"input": {"id": node, "reason": "Ghi nhầm người"}}, as_="officer.hanoi")
    )["voidContributionPeriod"]
    assert result["__typename"] == "CorrectionSuccess", result
    assert result["record"]["voided"] is True and result["revision"]["voided"] is True
    after = await api.data(PARTICIPATION, {"c": code}, as_="officer.hanoi")
    assert after["person"]["participation"]["totalMonths"] == 0
    async with api.app.state.runtime.engine.connect() as conn:
        assert await stored_rollup(conn) == await conn.run_sync(recomputed_rollup)
    again = (await api.data(VOID_PERIOD, {"input": {"id": node, "reason": "x"}}, as_="officer.hanoi"))[
        "voidContributionPeriod"
    ]
    assert fields(again) == {"id": "ALREADY_VOIDED"}


async def test_correct_contribution_period_moves_the_rollup(api: Api) -> None:
    person = await insured_person(api)
    period = await period_of(api, person)
    variables = {
        "input": {
            "id": global_id("ContributionPeriod", period.id),
            "reason": "Sai tháng",
            "toMonth": "2024-06",
        }
    }
    result = (await api.data(CORRECT_PERIOD, variables, as_="officer.hanoi"))["correctContributionPeriod"]
    assert result["__typename"] == "CorrectionSuccess", result
    assert result["revision"]["changes"] == [{"field": "toMonth", "before": "2024-01", "after": "2024-06"}]
    async with api.app.state.runtime.engine.connect() as conn:
        assert await stored_rollup(conn) == await conn.run_sync(recomputed_rollup)


async def test_correct_medical_visit_fund_share_recomputed_and_void(api: Api) -> None:
    person = await insured_person(api)
    card = (await api.data(ISSUE, await card_input(api, person, beneficiaryGroup="GD"), as_="officer.hanoi"))[
        "issueCard"
    ]
    assert card["__typename"] == "IssueCardSuccess", card
    recorded = (
        await api.data(
            VISIT, visit_input(person, insurancePaid=None, patientPaid=None), as_="partner.hospital"
        )
    )["recordMedicalVisit"]
    assert recorded["__typename"] == "RecordMedicalVisitSuccess", recorded
    node = recorded["medicalVisit"]["id"]
    # Costs less than 15% of the 2019 base salary now: the fund pays all of it.
    variables = {"input": {"id": node, "reason": "Nhập sai chi phí", "totalCost": "200000"}}
    result = (await api.data(CORRECT_VISIT, variables, as_="officer.hanoi"))["correctMedicalVisit"]
    assert result["__typename"] == "CorrectionSuccess", result
    assert (result["record"]["insurancePaid"], result["record"]["patientPaid"]) == ("200000.00", "0.00")
    assert {c["field"] for c in result["revision"]["changes"]} == {
        "totalCost",
        "insurancePaid",
        "patientPaid",
    }
    hidden = (await api.data(CORRECT_VISIT, variables, as_="officer.hcm"))["correctMedicalVisit"]
    assert fields(hidden) == {"id": "NOT_FOUND"}
    voided = (await api.data(VOID_VISIT, {"input": {"id": node, "reason": "Trùng"}}, as_="officer.hanoi"))[
        "voidMedicalVisit"
    ]
    assert voided["__typename"] == "CorrectionSuccess" and voided["record"]["voided"] is True
    stored = await one(api, select(visit_t).where(visit_t.c.person_id == person.id))
    assert stored.voided is True
    # A voided visit is no duplicate: the same visit may be recorded again.
    again = (
        await api.data(
            VISIT, visit_input(person, insurancePaid=None, patientPaid=None), as_="partner.hospital"
        )
    )["recordMedicalVisit"]
    assert again["__typename"] == "RecordMedicalVisitSuccess", again


async def test_correct_benefit_rules_apply_and_void(api: Api) -> None:
    person = await insured_person(api)
    recorded = (await api.data(BENEFIT, benefit_input(person), as_="officer.hanoi"))["recordBenefit"]
    assert recorded["__typename"] == "RecordBenefitSuccess", recorded
    node = recorded["benefit"]["id"]
    too_much = {"input": {"id": node, "reason": "Tính lại", "amount": "500000000"}}
    result = (await api.data(CORRECT_BENEFIT, too_much, as_="officer.hanoi"))["correctBenefit"]
    assert fields(result) == {"amount": "AMOUNT_ABOVE_REGIME"}
    lower = {"input": {"id": node, "reason": "Tính lại", "amount": "2000000"}}
    result = (await api.data(CORRECT_BENEFIT, lower, as_="officer.hanoi"))["correctBenefit"]
    assert result["__typename"] == "CorrectionSuccess", result
    assert result["revision"]["changes"] == [
        {"field": "amount", "before": "2500000.00", "after": "2000000.00"}
    ]
    same = (await api.data(CORRECT_BENEFIT, lower, as_="officer.hanoi"))["correctBenefit"]
    assert fields(same) == {"input": "NOTHING_TO_CHANGE"}
    voided = (
        await api.data(VOID_BENEFIT, {"input": {"id": node, "reason": "Hủy quyết định"}}, as_="officer.hanoi")
    )["voidBenefit"]
    assert voided["__typename"] == "CorrectionSuccess" and voided["record"]["voided"] is True
    stored = await one(api, select(benefit_t).where(benefit_t.c.person_id == person.id))
    assert stored.voided is True and stored.amount == 2000000


async def test_revisions_statements_independent_of_rows(api: Api) -> None:
    query = """query($n: Int) { persons(first: $n) { nodes { contributionPeriods(first: 5) {
      nodes { voided revisions { reason changes { field } } } } benefits(first: 3) { nodes { revisions { reason } } } } } }"""
    counts = {await api.statements(query, {"n": n}, as_="officer.hanoi") for n in (5, 50)}
    assert len(counts) == 1, counts
