"""Data entry: units, contribution periods, cards, medical visits, benefits — who may, what is checked,
and that each change writes its event and audit rows."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from models.tables import (
    admin_unit_t,
    audit_t,
    card_t,
    event_t,
    facility_t,
    unit_member_t,
    unit_t,
    visit_t,
)
from models.types import VIETNAM_TZ
from schema.node import parse_global_id
from tests.conftest import Api, codes
from tests.test_registration import make_person

FAILURES = """
  ... on InvalidInput { errors { field code message } }
  ... on NotAllowed { message }"""
CREATE_UNIT = (
    """mutation($input: CreateUnitInput!) { createUnit(input: $input) { __typename
  ... on CreateUnitSuccess { unit { id code name taxCode province { code }
    address { district { code } ward { code } street } } }"""
    + FAILURES
    + "} }"
)
UPDATE_UNIT = (
    """mutation($input: UpdateUnitInput!) { updateUnit(input: $input) { __typename
  ... on UpdateUnitSuccess { unit { code name taxCode address { province { code } district { code } ward { code } } } }"""
    + FAILURES
    + "} }"
)
PERIOD = (
    """mutation($input: RecordContributionPeriodInput!) { recordContributionPeriod(input: $input) { __typename
  ... on RecordContributionPeriodSuccess { contributionPeriod { id insuranceType fromMonth toMonth months salary
    salaryCoefficient currency person { socialInsuranceCode } unit { code } } }"""
    + FAILURES
    + "} }"
)
CARD_FIELDS = "card { id number beneficiaryGroup benefitLevel validFrom validTo status holder { socialInsuranceCode } primaryCareFacility { code } }"
ISSUE = (
    "mutation($input: IssueCardInput!) { issueCard(input: $input) { __typename ... on IssueCardSuccess { "
    + CARD_FIELDS
    + " }"
    + FAILURES
    + "} }"
)
RENEW = (
    "mutation($input: RenewCardInput!) { renewCard(input: $input) { __typename ... on RenewCardSuccess { "
    + CARD_FIELDS
    + " }"
    + FAILURES
    + "} }"
)
SUSPEND = (
    "mutation($input: SuspendCardInput!) { suspendCard(input: $input) { __typename ... on SuspendCardSuccess { "
    + CARD_FIELDS
    + " }"
    + FAILURES
    + "} }"
)
VISIT = (
    """mutation($input: RecordMedicalVisitInput!) { recordMedicalVisit(input: $input) { __typename
  ... on RecordMedicalVisitSuccess { medicalVisit { id visitType admittedAt dischargedAt diagnosisCode diagnosis
    totalCost insurancePaid patientPaid facility { code } person { socialInsuranceCode } } }"""
    + FAILURES
    + "} }"
)
BENEFIT = (
    """mutation($input: RecordBenefitInput!) { recordBenefit(input: $input) { __typename
  ... on RecordBenefitSuccess { benefit { id regime decisionNumber decidedOn periodFrom periodTo amount
    payingOffice { code } person { socialInsuranceCode } } }"""
    + FAILURES
    + "} }"
)
HOSPITAL_FACILITY = "01929"  # partner.hospital's


def today() -> Any:
    return datetime.now(VIETNAM_TZ).date()


def fields(result: dict[str, Any]) -> dict[str, str]:
    assert result["__typename"] == "InvalidInput", result
    return {e["field"][-1]: e["code"] for e in result["errors"]}


def pk(node_id: str) -> int:
    return parse_global_id(node_id)[1]


async def one(api: Api, statement: Any) -> Any:
    async with api.app.state.runtime.sessionmaker() as session:
        return (await session.execute(statement)).first()


async def all_rows(api: Api, statement: Any) -> list[Any]:
    async with api.app.state.runtime.sessionmaker() as session:
        return list((await session.execute(statement)).all())


async def person_of(api: Api, province: str = "01") -> Any:
    """A new person of the province, for this test only."""
    return await make_person(api, province, "Đỗ Văn Nhập")


async def hanoi_unit(api: Api) -> Any:
    return await one(
        api, select(unit_t).where(unit_t.c.province_scope == "01").order_by(unit_t.c.id).limit(1)
    )


async def own_unit(api: Api) -> Any:
    """A new unit of Hà Nội, for this test only (its roster is the test's)."""
    created = (await api.data(CREATE_UNIT, await unit_input(api), as_="officer.hanoi"))["createUnit"]
    assert created["__typename"] == "CreateUnitSuccess", created
    return await one(api, select(unit_t).where(unit_t.c.code == created["unit"]["code"]))


async def hanoi_ward(api: Api, skip: int = 0) -> Any:
    return await one(
        api,
        select(admin_unit_t.c.code, admin_unit_t.c.parent_code)
        .where(
            admin_unit_t.c.scheme == "2004",
            admin_unit_t.c.level == "WARD",
            admin_unit_t.c.province_code == "01",
        )
        .order_by(admin_unit_t.c.code)
        .offset(skip)
        .limit(1),
    )


async def events_of(api: Api, subject_type: str, subject_id: int) -> list[Any]:
    return await all_rows(
        api,
        select(event_t)
        .where(event_t.c.subject_type == subject_type, event_t.c.subject_id == subject_id)
        .order_by(event_t.c.id),
    )


async def audits_of(api: Api, subject_type: str, subject_id: int) -> list[Any]:
    return await all_rows(
        api,
        select(audit_t)
        .where(audit_t.c.subject_type == subject_type, audit_t.c.subject_id == subject_id)
        .order_by(audit_t.c.id),
    )


def new_unit_code(province: str = "01") -> str:
    return f"{province}E{secrets.token_hex(3).upper()}"


# ---------- units ----------


async def unit_input(api: Api, **changes: Any) -> dict[str, Any]:
    ward = await hanoi_ward(api)
    values = {
        "code": new_unit_code(),
        "name": "Công ty  TNHH Thử Nghiệm",
        "taxCode": "0101234567",
        "address": {
            "provinceCode": "01",
            "districtCode": ward.parent_code,
            "wardCode": ward.code,
            "street": "12 Phố Huế",
        },
    }
    values.update(changes)
    return {"input": values}


async def test_create_unit_success_officer_in_province(api: Api) -> None:
    variables = await unit_input(api)
    result = (await api.data(CREATE_UNIT, variables, as_="officer.hanoi"))["createUnit"]
    assert result["__typename"] == "CreateUnitSuccess", result
    unit = result["unit"]
    assert unit["code"] == variables["input"]["code"]
    assert unit["name"] == "Công ty TNHH Thử Nghiệm"  # single spaces
    assert unit["province"] == {"code": "01"} and unit["address"]["street"] == "12 Phố Huế"
    stored = await one(api, select(unit_t).where(unit_t.c.code == unit["code"]))
    assert stored.search_name == "cong ty tnhh thu nghiem" and stored.province_scope == "01"
    assert [a.action for a in await audits_of(api, "Unit", stored.id)] == ["createUnit"]


async def test_create_unit_admin_any_province(api: Api) -> None:
    ward = await one(
        api,
        select(admin_unit_t.c.code, admin_unit_t.c.parent_code)
        .where(
            admin_unit_t.c.scheme == "2004",
            admin_unit_t.c.level == "WARD",
            admin_unit_t.c.province_code == "79",
        )
        .limit(1),
    )
    variables = await unit_input(
        api,
        code=new_unit_code("79"),
        address={"provinceCode": "79", "districtCode": ward.parent_code, "wardCode": ward.code},
    )
    result = (await api.data(CREATE_UNIT, variables, as_="admin"))["createUnit"]
    assert result["__typename"] == "CreateUnitSuccess", result
    assert result["unit"]["province"] == {"code": "79"}


async def test_create_unit_officer_of_other_province_not_allowed(api: Api) -> None:
    result = (await api.data(CREATE_UNIT, await unit_input(api), as_="officer.hcm"))["createUnit"]
    assert result["__typename"] == "NotAllowed"


@pytest.mark.parametrize("username", ["analyst", "partner.employer", "partner.hospital", "0113099841"])
async def test_create_unit_other_roles_not_allowed(api: Api, username: str) -> None:
    result = (await api.data(CREATE_UNIT, await unit_input(api), as_=username))["createUnit"]
    assert result["__typename"] == "NotAllowed"


async def test_create_unit_anonymous_unauthenticated(api: Api) -> None:
    assert codes(await api.post(CREATE_UNIT, await unit_input(api))) == ["UNAUTHENTICATED"]


async def test_create_unit_invalid_input_reports_every_problem(api: Api) -> None:
    variables = await unit_input(
        api,
        code="x",
        name=" ",
        taxCode="12345",
        address={"provinceCode": "01", "districtCode": "001", "wardCode": "99999"},
    )
    result = (await api.data(CREATE_UNIT, variables, as_="officer.hanoi"))["createUnit"]
    assert fields(result) == {
        "code": "FORMAT",
        "name": "REQUIRED",
        "taxCode": "FORMAT",
        "wardCode": "NOT_FOUND",
    }


async def test_create_unit_duplicate_code_or_wrong_province_prefix_invalid(api: Api) -> None:
    existing = await hanoi_unit(api)
    result = (await api.data(CREATE_UNIT, await unit_input(api, code=existing.code), as_="officer.hanoi"))[
        "createUnit"
    ]
    assert fields(result) == {"code": "DUPLICATE"}
    prefix = (
        await api.data(CREATE_UNIT, await unit_input(api, code=new_unit_code("79")), as_="officer.hanoi")
    )["createUnit"]
    assert fields(prefix) == {"code": "PROVINCE_MISMATCH"}


async def test_update_unit_success_changes_name_tax_code_and_address(api: Api) -> None:
    created = (await api.data(CREATE_UNIT, await unit_input(api), as_="officer.hanoi"))["createUnit"]["unit"]
    ward = await hanoi_ward(api, skip=3)
    variables = {
        "input": {
            "code": created["code"],
            "name": "Công ty Đổi Tên",
            "taxCode": "",
            "address": {"provinceCode": "01", "wardCode": ward.code},
        }
    }
    result = (await api.data(UPDATE_UNIT, variables, as_="officer.hanoi"))["updateUnit"]
    assert result["__typename"] == "UpdateUnitSuccess", result
    assert result["unit"]["name"] == "Công ty Đổi Tên" and result["unit"]["taxCode"] is None
    assert result["unit"]["address"] == {
        "province": {"code": "01"},
        "district": None,
        "ward": {"code": ward.code},
    }
    stored = await one(api, select(unit_t).where(unit_t.c.code == created["code"]))
    assert (stored.address_scheme, stored.province_scope, stored.search_name) == (
        "2025",
        "01",
        "cong ty doi ten",
    )
    assert [a.action for a in await audits_of(api, "Unit", stored.id)] == ["createUnit", "updateUnit"]


async def test_update_unit_out_of_scope_not_found_and_nothing_to_change_invalid(api: Api) -> None:
    existing = await hanoi_unit(api)
    hidden = (
        await api.data(UPDATE_UNIT, {"input": {"code": existing.code, "name": "X"}}, as_="officer.hcm")
    )["updateUnit"]
    assert fields(hidden) == {"code": "NOT_FOUND"}
    empty = (await api.data(UPDATE_UNIT, {"input": {"code": existing.code}}, as_="officer.hanoi"))[
        "updateUnit"
    ]
    assert fields(empty) == {"input": "NOTHING_TO_CHANGE"}


# ---------- contribution periods ----------


def period_input(person: Any, unit_code: str, **changes: Any) -> dict[str, Any]:
    values = {
        "socialInsuranceCode": person.social_insurance_code,
        "unitCode": unit_code,
        "insuranceType": "SOCIAL",
        "fromMonth": "2024-01",
        "toMonth": "2024-06",
        "salary": "10000000",
        "occupation": "Kỹ sư",
    }
    values.update(changes)
    return {"input": values}


async def test_record_contribution_period_success_adds_roster_event_and_audit(api: Api) -> None:
    person = await person_of(api)
    unit = (await api.data(CREATE_UNIT, await unit_input(api), as_="officer.hanoi"))["createUnit"]["unit"]
    result = (await api.data(PERIOD, period_input(person, unit["code"]), as_="officer.hanoi"))[
        "recordContributionPeriod"
    ]
    assert result["__typename"] == "RecordContributionPeriodSuccess", result
    period = result["contributionPeriod"]
    assert period["fromMonth"] == "2024-01" and period["toMonth"] == "2024-06" and period["months"] == 6
    assert period["salary"] == "10000000.00" and period["currency"] == "VND"
    assert period["person"] == {"socialInsuranceCode": person.social_insurance_code}
    assert period["unit"] == {"code": unit["code"]}
    employees = await api.data(
        "query($c: String!) { unit(code: $c) { employees(first: 10) { nodes { socialInsuranceCode } } } }",
        {"c": unit["code"]},
        as_="officer.hanoi",
    )
    assert employees["unit"]["employees"]["nodes"] == [{"socialInsuranceCode": person.social_insurance_code}]
    period_id = pk(period["id"])
    unit_id = pk(unit["id"])
    events = await events_of(api, "ContributionPeriod", period_id)
    assert [(e.type, e.person_id, e.province_code, e.unit_id) for e in events] == [
        ("CONTRIBUTION_RECORDED", person.id, "01", unit_id)
    ]
    assert [a.action for a in await audits_of(api, "ContributionPeriod", period_id)] == [
        "recordContributionPeriod"
    ]
    # A second period at the same unit keeps one roster row.
    again = (
        await api.data(
            PERIOD,
            period_input(person, unit["code"], fromMonth="2024-07", toMonth="2024-08"),
            as_="officer.hanoi",
        )
    )["recordContributionPeriod"]
    assert again["__typename"] == "RecordContributionPeriodSuccess"
    roster = await all_rows(api, select(unit_member_t).where(unit_member_t.c.unit_id == unit_id))
    assert [(r.person_id, r.social_insurance_code) for r in roster] == [
        (person.id, person.social_insurance_code)
    ]


async def test_record_contribution_period_state_sector_salary_with_coefficient(api: Api) -> None:
    person = await person_of(api)
    unit = await own_unit(api)
    # 2.34 x 2,340,000 = 5,475,600 (state scale: the floor is the base salary, not the regional minimum).
    variables = period_input(
        person, unit.code, fromMonth="2024-08", toMonth="2024-09", salary="5475600", salaryCoefficient="2.34"
    )
    result = (await api.data(PERIOD, variables, as_="officer.hanoi"))["recordContributionPeriod"]
    assert result["__typename"] == "RecordContributionPeriodSuccess", result
    assert result["contributionPeriod"]["salaryCoefficient"] == "2.34"


async def test_record_contribution_period_invalid_months_reported_together(api: Api) -> None:
    person = await person_of(api)
    unit = await own_unit(api)
    next_month = (today().replace(day=1) + timedelta(days=32)).strftime("%Y-%m")
    reversed_ = period_input(person, unit.code, fromMonth="2024-05", toMonth="2024-04")
    assert fields((await api.data(PERIOD, reversed_, as_="officer.hanoi"))["recordContributionPeriod"]) == {
        "toMonth": "BEFORE_FROM"
    }
    future = period_input(person, unit.code, fromMonth="2024-05", toMonth=next_month)
    assert fields((await api.data(PERIOD, future, as_="officer.hanoi"))["recordContributionPeriod"]) == {
        "toMonth": "IN_THE_FUTURE"
    }
    bhtn = period_input(
        person,
        unit.code,
        insuranceType="UNEMPLOYMENT",
        fromMonth="2008-06",
        toMonth="2009-06",
        salary="2000000",
    )
    assert fields((await api.data(PERIOD, bhtn, as_="officer.hanoi"))["recordContributionPeriod"]) == {
        "fromMonth": "BEFORE_BHTN"
    }
    body = await api.post(PERIOD, period_input(person, unit.code, fromMonth="2024-13"), as_="officer.hanoi")
    assert codes(body) == ["BAD_USER_INPUT"]  # not a month: the YearMonth scalar refuses it


async def test_record_contribution_period_salary_outside_legal_bounds_invalid(api: Api) -> None:
    person = await person_of(api)
    unit = await own_unit(api)
    # Region I in 2024-01: at least 4,680,000; at most 20 x 1,800,000 = 36,000,000.
    for salary in ["4000000", "36000001", "-1"]:
        result = (
            await api.data(PERIOD, period_input(person, unit.code, salary=salary), as_="officer.hanoi")
        )["recordContributionPeriod"]
        expected = {"4000000": "SALARY_BELOW_FLOOR", "36000001": "SALARY_ABOVE_CAP", "-1": "NEGATIVE"}
        assert fields(result) == {"salary": expected[salary]}, salary
    cents = (
        await api.data(PERIOD, period_input(person, unit.code, salary="10000000.001"), as_="officer.hanoi")
    )["recordContributionPeriod"]
    assert fields(cents) == {"salary": "PRECISION"}


async def test_record_contribution_period_exact_duplicate_invalid(api: Api) -> None:
    person = await person_of(api)
    unit = await own_unit(api)
    variables = period_input(person, unit.code, fromMonth="2023-01", toMonth="2023-03")
    first = (await api.data(PERIOD, variables, as_="officer.hanoi"))["recordContributionPeriod"]
    assert first["__typename"] == "RecordContributionPeriodSuccess", first
    second = (await api.data(PERIOD, variables, as_="officer.hanoi"))["recordContributionPeriod"]
    assert fields(second) == {"fromMonth": "DUPLICATE"}


async def test_record_contribution_period_person_of_other_province_not_found(api: Api) -> None:
    person = await person_of(api, "79")
    unit = await own_unit(api)
    result = (await api.data(PERIOD, period_input(person, unit.code), as_="officer.hanoi"))[
        "recordContributionPeriod"
    ]
    assert fields(result) == {"socialInsuranceCode": "NOT_FOUND"}
    missing = (await api.data(PERIOD, period_input(person, "01ZZZZZZ"), as_="officer.hcm"))[
        "recordContributionPeriod"
    ]
    assert fields(missing) == {"unitCode": "NOT_FOUND"}


@pytest.mark.parametrize("username", ["admin", "analyst", "partner.employer", "0113099841"])
async def test_record_contribution_period_not_an_officer_not_allowed(api: Api, username: str) -> None:
    person = await person_of(api)
    unit = await own_unit(api)
    result = (await api.data(PERIOD, period_input(person, unit.code), as_=username))[
        "recordContributionPeriod"
    ]
    assert result["__typename"] == "NotAllowed"


# ---------- cards ----------

GROUPS = ["PV", "TY", "HG", "LS", "TQ", "TA"]  # level 4, rare in the generated data


async def card_input(api: Api, person: Any, **changes: Any) -> dict[str, Any]:
    held = {
        r.beneficiary_group
        for r in await all_rows(
            api, select(card_t.c.beneficiary_group).where(card_t.c.person_id == person.id)
        )
    }
    values = {
        "socialInsuranceCode": person.social_insurance_code,
        "beneficiaryGroup": next(g for g in GROUPS if g not in held),
        "validFrom": "2018-01-01",
        "validTo": "2019-12-31",
        "primaryCareFacilityCode": HOSPITAL_FACILITY,
    }
    values.update(changes)
    return {"input": values}


async def issued(api: Api, person: Any, **changes: Any) -> dict[str, Any]:
    result = (await api.data(ISSUE, await card_input(api, person, **changes), as_="officer.hanoi"))[
        "issueCard"
    ]
    assert result["__typename"] == "IssueCardSuccess", result
    card: dict[str, Any] = result["card"]
    return card


async def test_issue_card_success_number_and_level_derived(api: Api) -> None:
    person = await person_of(api)
    card = await issued(api, person, beneficiaryGroup="cn")
    assert card["number"] == f"CN301{person.social_insurance_code}"
    assert card["benefitLevel"] == 3 and card["beneficiaryGroup"] == "CN"
    assert card["status"] == "EXPIRED" and card["holder"] == {
        "socialInsuranceCode": person.social_insurance_code
    }
    assert card["primaryCareFacility"] == {"code": HOSPITAL_FACILITY}
    card_id = pk(card["id"])
    events = await events_of(api, "HealthInsuranceCard", card_id)
    assert [(e.type, e.person_id, e.province_code) for e in events] == [("CARD_ISSUED", person.id, "01")]
    assert events[0].facility_id is not None
    assert [a.action for a in await audits_of(api, "HealthInsuranceCard", card_id)] == ["issueCard"]


async def test_issue_card_invalid_input_reports_every_problem(api: Api) -> None:
    person = await person_of(api)
    closed = await one(
        api, select(facility_t.c.code).where(facility_t.c.accepts_health_insurance.is_(False)).limit(1)
    )
    variables = await card_input(
        api,
        person,
        beneficiaryGroup="ZZ",
        validFrom="2020-01-02",
        validTo="2020-01-01",
        primaryCareFacilityCode=closed.code,
    )
    result = (await api.data(ISSUE, variables, as_="officer.hanoi"))["issueCard"]
    assert fields(result) == {
        "beneficiaryGroup": "UNKNOWN_GROUP",
        "validTo": "BEFORE_FROM",
        "primaryCareFacilityCode": "NO_HEALTH_INSURANCE_CONTRACT",
    }
    missing = (
        await api.data(
            ISSUE, await card_input(api, person, primaryCareFacilityCode="00000"), as_="officer.hanoi"
        )
    )["issueCard"]
    assert fields(missing) == {"primaryCareFacilityCode": "NOT_FOUND"}


async def test_issue_card_same_number_twice_invalid(api: Api) -> None:
    person = await person_of(api)
    card = await issued(api, person)
    again = (
        await api.data(
            ISSUE,
            await card_input(api, person, beneficiaryGroup=card["beneficiaryGroup"]),
            as_="officer.hanoi",
        )
    )["issueCard"]
    assert fields(again) == {"beneficiaryGroup": "CARD_EXISTS"}


@pytest.mark.parametrize("username", ["officer.hcm"])
async def test_issue_card_officer_of_other_province_not_found(api: Api, username: str) -> None:
    person = await person_of(api)
    result = (await api.data(ISSUE, await card_input(api, person), as_=username))["issueCard"]
    assert fields(result) == {"socialInsuranceCode": "NOT_FOUND"}


@pytest.mark.parametrize("username", ["admin", "partner.hospital", "analyst"])
async def test_issue_card_not_an_officer_not_allowed(api: Api, username: str) -> None:
    person = await person_of(api)
    result = (await api.data(ISSUE, await card_input(api, person), as_=username))["issueCard"]
    assert result["__typename"] == "NotAllowed"


async def test_renew_card_success_new_dates_and_event(api: Api) -> None:
    person = await person_of(api)
    card = await issued(api, person)
    valid_to = (today() + timedelta(days=365)).isoformat()
    result = (
        await api.data(
            RENEW, {"input": {"cardNumber": card["number"], "validTo": valid_to}}, as_="officer.hanoi"
        )
    )["renewCard"]
    assert result["__typename"] == "RenewCardSuccess", result
    assert result["card"]["validFrom"] == "2018-01-01" and result["card"]["validTo"] == valid_to
    assert result["card"]["status"] == "ACTIVE"
    events = await events_of(api, "HealthInsuranceCard", pk(card["id"]))
    assert [e.type for e in events] == ["CARD_ISSUED", "CARD_UPDATED"]
    past = (
        await api.data(
            RENEW, {"input": {"cardNumber": card["number"], "validTo": "2020-01-01"}}, as_="officer.hanoi"
        )
    )["renewCard"]
    assert fields(past) == {"validTo": "IN_THE_PAST"}
    hidden = (
        await api.data(
            RENEW, {"input": {"cardNumber": card["number"], "validTo": valid_to}}, as_="officer.hcm"
        )
    )["renewCard"]
    assert fields(hidden) == {"cardNumber": "NOT_FOUND"}


async def test_suspend_card_success_then_visits_refused_and_twice_invalid(api: Api) -> None:
    person = await person_of(api)
    card = await issued(api, person, validFrom="2017-01-01", validTo="2017-12-31")
    result = (
        await api.data(
            SUSPEND, {"input": {"cardNumber": card["number"], "reason": "Trùng thẻ"}}, as_="officer.hanoi"
        )
    )["suspendCard"]
    assert result["__typename"] == "SuspendCardSuccess", result
    assert result["card"]["status"] == "SUSPENDED"
    events = await events_of(api, "HealthInsuranceCard", pk(card["id"]))
    assert [e.type for e in events] == ["CARD_ISSUED", "CARD_UPDATED"]
    audits = await audits_of(api, "HealthInsuranceCard", pk(card["id"]))
    assert audits[-1].action == "suspendCard" and "Trùng thẻ" in (audits[-1].detail or "")
    again = (
        await api.data(SUSPEND, {"input": {"cardNumber": card["number"], "reason": "x"}}, as_="officer.hanoi")
    )["suspendCard"]
    assert fields(again) == {"cardNumber": "ALREADY_SUSPENDED"}
    visit = (
        await api.data(
            VISIT, visit_input(person, admittedAt="2017-06-01T08:00:00+07:00"), as_="partner.hospital"
        )
    )["recordMedicalVisit"]
    assert fields(visit) == {"socialInsuranceCode": "NO_VALID_CARD"}


# ---------- medical visits ----------


def visit_input(person: Any, **changes: Any) -> dict[str, Any]:
    values = {
        "socialInsuranceCode": person.social_insurance_code,
        # What the patient presents at the counter: the visit is recorded for that person only.
        "fullName": person.full_name,
        "dateOfBirth": person.date_of_birth.isoformat(),
        "visitType": "INPATIENT",
        "admittedAt": "2019-03-04T08:00:00+07:00",
        "dischargedAt": "2019-03-08T10:30:00+07:00",
        "diagnosisCode": "j18.9",
        "diagnosis": "Viêm phổi",
        "totalCost": "1500000.50",
        "insurancePaid": "1200000.40",
        "patientPaid": "300000.10",
    }
    values.update(changes)
    return {"input": values}


async def test_record_medical_visit_success_hospital_sees_it_and_event(api: Api) -> None:
    person = await person_of(api, "79")  # a hospital treats patients from anywhere
    # The card is issued by the patient's own province.
    card = (await api.data(ISSUE, await card_input(api, person), as_="officer.hcm"))["issueCard"]["card"]
    assert card["number"].startswith(card["beneficiaryGroup"] + "479")
    result = (
        await api.data(
            VISIT, visit_input(person, admittedAt="2019-03-04T00:30:00+07:00"), as_="partner.hospital"
        )
    )["recordMedicalVisit"]
    assert result["__typename"] == "RecordMedicalVisitSuccess", result
    visit = result["medicalVisit"]
    assert visit["diagnosisCode"] == "J18.9" and visit["facility"] == {"code": HOSPITAL_FACILITY}
    assert (visit["totalCost"], visit["insurancePaid"], visit["patientPaid"]) == (
        "1500000.50",
        "1200000.40",
        "300000.10",
    )
    assert visit["person"] == {"socialInsuranceCode": person.social_insurance_code}
    assert visit["admittedAt"].startswith("2019-03-04T00:30:00")
    visit_id = pk(visit["id"])
    stored = await one(api, select(visit_t).where(visit_t.c.id == visit_id))
    assert stored.year == 2019 and stored.card_id == pk(card["id"])  # admission year in Vietnam time
    events = await events_of(api, "MedicalVisit", visit_id)
    assert [(e.type, e.person_id, e.province_code, e.facility_id) for e in events] == [
        ("MEDICAL_VISIT_RECORDED", person.id, "79", stored.facility_id)
    ]
    audits = await audits_of(api, "MedicalVisit", visit_id)
    assert [a.actor_username for a in audits] == ["partner.hospital"]
    assert "Viêm phổi" not in (audits[0].detail or "")  # no health data in the audit trail


async def test_record_medical_visit_year_is_vietnam_year(api: Api) -> None:
    person = await person_of(api)
    await issued(api, person, validFrom="2015-01-01", validTo="2016-12-31")
    # 2015-12-31T18:00Z is already 2016-01-01 in Vietnam.
    variables = visit_input(
        person, admittedAt="2015-12-31T18:00:00Z", dischargedAt=None, visitType="OUTPATIENT"
    )
    result = (await api.data(VISIT, variables, as_="partner.hospital"))["recordMedicalVisit"]
    assert result["__typename"] == "RecordMedicalVisitSuccess", result
    stored = await one(api, select(visit_t).where(visit_t.c.id == pk(result["medicalVisit"]["id"])))
    assert stored.year == 2016


async def test_record_medical_visit_invalid_input_reports_every_problem(api: Api) -> None:
    person = await person_of(api)
    await issued(api, person, validFrom="2019-01-01", validTo="2019-12-31")
    variables = visit_input(
        person,
        dischargedAt="2019-03-01T08:00:00+07:00",
        diagnosisCode="pneumonia",
        totalCost="100",
        insurancePaid="80",
        patientPaid="30",
    )
    result = (await api.data(VISIT, variables, as_="partner.hospital"))["recordMedicalVisit"]
    # 100 VND is below 15% of the base salary: the fund pays it all, not the 80 stated.
    assert fields(result) == {
        "dischargedAt": "BEFORE_ADMISSION",
        "diagnosisCode": "FORMAT",
        "insurancePaid": "FUND_SHARE_MISMATCH",
    }
    future = (datetime.now(VIETNAM_TZ) + timedelta(days=2)).isoformat()
    negative = visit_input(
        person, admittedAt=future, dischargedAt=None, totalCost="10", insurancePaid="20", patientPaid="-10"
    )
    result = (await api.data(VISIT, negative, as_="partner.hospital"))["recordMedicalVisit"]
    # The card ended in 2019: it is not valid on that day either.
    assert fields(result) == {
        "admittedAt": "IN_THE_FUTURE",
        "patientPaid": "NEGATIVE",
        "socialInsuranceCode": "NO_VALID_CARD",
    }


async def test_record_medical_visit_without_valid_card_invalid(api: Api) -> None:
    person = await person_of(api)
    result = (
        await api.data(
            VISIT,
            visit_input(person, admittedAt="2010-05-05T09:00:00+07:00", dischargedAt=None),
            as_="partner.hospital",
        )
    )["recordMedicalVisit"]
    assert fields(result) == {"socialInsuranceCode": "NO_VALID_CARD"}
    unknown = (
        await api.data(VISIT, visit_input(person, socialInsuranceCode="9999999998"), as_="partner.hospital")
    )["recordMedicalVisit"]
    assert fields(unknown) == {"socialInsuranceCode": "NOT_FOUND"}


async def test_record_medical_visit_other_facility_or_role_not_allowed(api: Api) -> None:
    person = await person_of(api)
    other = (await api.data(VISIT, visit_input(person, facilityCode="79001"), as_="partner.hospital"))[
        "recordMedicalVisit"
    ]
    assert other["__typename"] == "NotAllowed" and HOSPITAL_FACILITY in other["message"]
    for username in ["officer.hanoi", "admin", "partner.employer", "0113099841"]:
        refused = (await api.data(VISIT, visit_input(person), as_=username))["recordMedicalVisit"]
        assert refused["__typename"] == "NotAllowed", username
    assert codes(await api.post(VISIT, visit_input(person))) == ["UNAUTHENTICATED"]


# ---------- benefits ----------


def benefit_input(person: Any, **changes: Any) -> dict[str, Any]:
    values = {
        "socialInsuranceCode": person.social_insurance_code,
        "regime": "SICKNESS",
        "decisionNumber": f"{secrets.randbelow(10**6)}/QĐ-BHXH",
        "decidedOn": "2024-03-01",
        "periodFrom": "2024-02-01",
        "periodTo": "2024-02-10",
        "amount": "2500000",
        "payingOfficeCode": "01",
    }
    values.update(changes)
    return {"input": values}


async def insured_person(api: Api, salary: str = "10000000") -> Any:
    """A person of Hà Nội with BHXH from 2023-01 to 2024-01 at a new unit."""
    person = await person_of(api)
    unit = await own_unit(api)
    variables = period_input(person, unit.code, fromMonth="2023-01", toMonth="2024-01", salary=salary)
    recorded = (await api.data(PERIOD, variables, as_="officer.hanoi"))["recordContributionPeriod"]
    assert recorded["__typename"] == "RecordContributionPeriodSuccess", recorded
    return person


async def test_record_benefit_success_event_and_audit(api: Api) -> None:
    person = await insured_person(api)
    variables = benefit_input(person)
    result = (await api.data(BENEFIT, variables, as_="officer.hanoi"))["recordBenefit"]
    assert result["__typename"] == "RecordBenefitSuccess", result
    benefit = result["benefit"]
    assert benefit["regime"] == "SICKNESS" and benefit["amount"] == "2500000.00"
    assert benefit["payingOffice"] == {"code": "01"}
    assert benefit["decisionNumber"] == variables["input"]["decisionNumber"]
    benefit_id = pk(benefit["id"])
    events = await events_of(api, "Benefit", benefit_id)
    assert [(e.type, e.person_id, e.province_code) for e in events] == [("BENEFIT_DECIDED", person.id, "01")]
    assert [a.action for a in await audits_of(api, "Benefit", benefit_id)] == ["recordBenefit"]


async def test_record_benefit_invalid_input_reports_every_problem(api: Api) -> None:
    person = await person_of(api)
    variables = benefit_input(
        person,
        decidedOn=(today() + timedelta(days=1)).isoformat(),
        periodFrom="2024-02-10",
        periodTo="2024-02-01",
        amount="-5",
        payingOfficeCode="XX",
    )
    result = (await api.data(BENEFIT, variables, as_="officer.hanoi"))["recordBenefit"]
    assert fields(result) == {
        "decidedOn": "IN_THE_FUTURE",
        "periodTo": "BEFORE_FROM",
        "amount": "NEGATIVE",
        "payingOfficeCode": "NOT_FOUND",
    }


@pytest.mark.parametrize("username", ["analyst", "admin", "partner.hospital", "0113099841"])
async def test_record_benefit_not_an_officer_not_allowed(api: Api, username: str) -> None:
    person = await person_of(api)
    result = (await api.data(BENEFIT, benefit_input(person), as_=username))["recordBenefit"]
    assert result["__typename"] == "NotAllowed"


async def test_record_benefit_person_of_other_province_not_found(api: Api) -> None:
    person = await person_of(api)
    result = (await api.data(BENEFIT, benefit_input(person), as_="officer.hcm"))["recordBenefit"]
    assert fields(result) == {"socialInsuranceCode": "NOT_FOUND"}
