"""Claims: a hospital submits a visit with its lines, officers of the facility's province review and
decide; the rules of the shares, every bad input, duplicates, each role's view, the events'
audience, statement counts and the transports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from auth.scopes import scope_key
from auth.viewer import Role, Viewer
from models.tables import (
    account_t,
    audit_t,
    card_t,
    claim_line_t,
    claim_t,
    event_t,
    facility_t,
    revision_t,
    visit_t,
)
from resolvers.pagination import Cursors
from schema.event import EVENT_ORDER
from schema.node import global_id, parse_global_id
from tests.conftest import Api, Factory, codes
from tests.test_registration import make_person
from tests.transports import TRANSPORTS, Ways
from tests.wsclient import connect

HOSPITAL = "01929"  # partner.hospital's facility: central level, Hà Nội
CLAIM_FIELDS = """id state visitType admittedAt route benefitLevel fundShareRate fundShareReason
  totalCost insurancePaid patientPaid acceptedTotalCost acceptedInsurancePaid acceptedPatientPaid
  submittedAt reviewStartedAt decidedAt decisionNote facility { code }
  lines { number kind code name unit quantity unitPrice amount insurancePaid patientPaid state refusalReason refusalNote }"""
RESULT = (
    """ __typename ... on ClaimSuccess { claim { """
    + CLAIM_FIELDS
    + """ } }
  ... on InvalidClaimInput { errors { field code message } }
  ... on NotAllowed { message } """
)
SUBMIT = "mutation($input: SubmitClaimInput!) { submitClaim(input: $input) {" + RESULT + "} }"
START = "mutation($input: ClaimIdInput!) { startClaimReview(input: $input) {" + RESULT + "} }"
REVIEW = "mutation($input: ReviewClaimLineInput!) { reviewClaimLine(input: $input) {" + RESULT + "} }"
DECIDE = "mutation($input: DecideClaimInput!) { decideClaim(input: $input) {" + RESULT + "} }"
CLAIMS = """query($state: ClaimState, $first: Int, $after: String) { claims(state: $state, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } nodes { id state totalCost } } }"""
NODE = "query($id: ID!) { node(id: $id) { ... on Claim { id state totalCost } } }"
ADMITTED = "2025-03-10T08:00:00+07:00"
# The base salary from 2024-07 is 2,340,000 VND: 15% of it is 351,000.
LINES = [
    {"kind": "SERVICE", "code": "02.1896", "quantity": "1", "unitPrice": "42100"},
    {"kind": "SERVICE", "code": "23.0020.1494", "quantity": "1", "unitPrice": "46200"},
    {"kind": "DRUG", "code": "40.158", "quantity": "21", "unitPrice": "1250.50"},
    {"kind": "DRUG", "code": "40.1008", "quantity": "4", "unitPrice": "185000"},
]


def pk(node_id: str) -> int:
    return parse_global_id(node_id)[1]


async def rows(api: Api, statement: Any) -> list[Any]:
    async with api.app.state.runtime.sessionmaker() as session:
        return list((await session.execute(statement)).all())


async def scalar(api: Api, statement: Any) -> Any:
    async with api.app.state.runtime.sessionmaker() as session:
        return await session.scalar(statement)


async def patient(
    api: Api,
    province: str = "01",
    *,
    group: str = "GD",
    level: int = 4,
    valid_from: date = date(2024, 1, 1),
    valid_to: date | None = None,
    suspended: bool = False,
) -> Any:
    """A new person with a card of `group` whose primary-care facility is partner.hospital's."""
    person = await make_person(api, province, "Trần Văn Khám")
    facility = await scalar(api, select(facility_t.c.id).where(facility_t.c.code == HOSPITAL))
    async with api.app.state.runtime.sessionmaker() as session:
        await session.execute(
            insert(card_t).values(
                number=f"{group}{level}{province}{person.social_insurance_code}",
                social_insurance_code=person.social_insurance_code,
                person_id=person.id,
                beneficiary_group=group,
                benefit_level=level,
                province_code=province,
                valid_from=valid_from,
                valid_to=valid_to,
                suspended=suspended,
                primary_care_facility_id=facility,
            )
        )
        await session.commit()
    return person


def claim_input(person: Any, lines: list[dict[str, Any]] | None = None, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "socialInsuranceCode": person.social_insurance_code,
        "fullName": person.full_name,
        "dateOfBirth": person.date_of_birth.isoformat(),
        "visitType": "INPATIENT",
        "admittedAt": ADMITTED,
        "dischargedAt": "2025-03-13T10:00:00+07:00",
        "diagnosisCode": "J18.9",
        "diagnosis": "Viêm phổi",
        "lines": LINES if lines is None else lines,
    }
    values.update(changes)
    return {"input": values}


async def submitted(api: Api, person: Any, **changes: Any) -> dict[str, Any]:
    result = (await api.data(SUBMIT, claim_input(person, **changes), as_="partner.hospital"))["submitClaim"]
    assert result["__typename"] == "ClaimSuccess", result
    claim: dict[str, Any] = result["claim"]
    return claim


def errors(result: dict[str, Any]) -> dict[str, str]:
    assert result["__typename"] == "InvalidClaimInput", result
    return {"/".join(e["field"][1:]): e["code"] for e in result["errors"]}


async def step(api: Api, query: str, values: dict[str, Any], as_: str = "officer.hanoi") -> dict[str, Any]:
    result: dict[str, Any] = next(iter((await api.data(query, {"input": values}, as_=as_)).values()))
    return result


async def counted(api: Api) -> tuple[int, int, int]:
    return (
        await scalar(api, select(func.count()).select_from(claim_t)),
        await scalar(api, select(func.count()).select_from(claim_line_t)),
        await scalar(api, select(func.count()).select_from(visit_t)),
    )


# ---------- submitting: the rules of the shares ----------


async def test_submit_claim_success_shares_per_line_and_totals(api: Api) -> None:
    person = await patient(api)
    claim = await submitted(api, person)
    assert claim["state"] == "SUBMITTED" and claim["facility"] == {"code": HOSPITAL}
    # Level 4 at a central hospital, in route, above 15% of the base salary: 80%.
    assert (claim["benefitLevel"], claim["fundShareRate"]) == (4, "0.8000")
    amounts = [line["amount"] for line in claim["lines"]]
    assert amounts == ["42100.00", "46200.00", "26260.50", "740000.00"]
    assert [line["insurancePaid"] for line in claim["lines"]] == [
        "33680.00",
        "36960.00",
        "21008.40",
        "592000.00",
    ]
    assert [line["patientPaid"] for line in claim["lines"]] == ["8420.00", "9240.00", "5252.10", "148000.00"]
    assert (claim["totalCost"], claim["insurancePaid"], claim["patientPaid"]) == (
        "854560.50",
        "683648.40",
        "170912.10",
    )
    assert claim["lines"][2]["name"].startswith("Amoxicilin") and claim["lines"][2]["unit"] == "viên"
    assert all(line["state"] == "PENDING" for line in claim["lines"])
    assert claim["acceptedTotalCost"] is None and claim["decidedAt"] is None
    # The visit is recorded with the claim, at the claimed amounts.
    stored = (await rows(api, select(claim_t).where(claim_t.c.id == pk(claim["id"]))))[0]
    visit = (await rows(api, select(visit_t).where(visit_t.c.id == stored.visit_id)))[0]
    assert (visit.total_cost, visit.insurance_paid, visit.patient_paid) == (
        Decimal("854560.50"),
        Decimal("683648.40"),
        Decimal("170912.10"),
    )
    assert stored.province_code == "01" and visit.person_id == person.id
    events = await rows(
        api, select(event_t).where(event_t.c.id > 0, event_t.c.subject_type.in_(("Claim", "MedicalVisit")))
    )
    mine = [(e.type, e.province_code) for e in events if e.subject_id in (stored.id, visit.id)]
    assert ("CLAIM_SUBMITTED", "01") in mine and ("MEDICAL_VISIT_RECORDED", "01") in mine
    audits = await rows(
        api, select(audit_t).where(audit_t.c.subject_type == "Claim", audit_t.c.subject_id == stored.id)
    )
    assert [a.action for a in audits] == ["submitClaim"]
    assert "Viêm phổi" not in (audits[0].detail or "") and "40.158" not in (audits[0].detail or "")


async def test_submit_claim_under_fifteen_percent_of_base_salary_fund_pays_all(api: Api) -> None:
    person = await patient(api)
    claim = await submitted(api, person, lines=LINES[:3], visitType="OUTPATIENT", dischargedAt=None)
    assert claim["totalCost"] == "114560.50"
    assert claim["fundShareRate"] == "1.0000" and "15%" in claim["fundShareReason"]
    assert (claim["insurancePaid"], claim["patientPaid"]) == ("114560.50", "0.00")


async def test_submit_claim_benefit_level_three_pays_ninety_five_percent(api: Api) -> None:
    person = await patient(api, group="CN", level=3)
    claim = await submitted(api, person)
    assert claim["fundShareRate"] == "0.9500"
    assert claim["lines"][3]["insurancePaid"] == "703000.00"


async def test_submit_claim_out_of_route_outpatient_at_central_level_fund_pays_nothing(api: Api) -> None:
    person = await patient(api)
    claim = await submitted(api, person, route="OUT_OF_ROUTE", visitType="OUTPATIENT", dischargedAt=None)
    assert claim["route"] == "OUT_OF_ROUTE" and claim["fundShareRate"] == "0.0000"
    assert (claim["insurancePaid"], claim["patientPaid"]) == ("0.00", claim["totalCost"])


async def test_submit_claim_stated_totals_that_add_up_accepted(api: Api) -> None:
    person = await patient(api)
    claim = await submitted(
        api, person, totalCost="854560.50", insurancePaid="683648.40", patientPaid="170912.10"
    )
    assert claim["insurancePaid"] == "683648.40"


# ---------- submitting: bad input, nothing stored ----------


async def test_submit_claim_bad_input_each_specific_and_nothing_stored(api: Api) -> None:
    person = await patient(api)
    before = await counted(api)
    bad = [
        {"kind": "DRUG", "code": "40.99999", "quantity": "1", "unitPrice": "1000"},
        {"kind": "SERVICE", "code": "40.158", "quantity": "1", "unitPrice": "1000"},  # a drug's code
        {"kind": "DRUG", "code": "40.17", "quantity": "0", "unitPrice": "1000"},
        {"kind": "DRUG", "code": "40.17", "quantity": "-2", "unitPrice": "1000"},
        {"kind": "DRUG", "code": "40.17", "quantity": "1", "unitPrice": "-5"},
        {"kind": "DRUG", "code": "40.17", "quantity": "1.001", "unitPrice": "5"},
    ]
    result = (await api.data(SUBMIT, claim_input(person, bad, facilityCode="79024"), as_="partner.hospital"))[
        "submitClaim"
    ]
    assert errors(result) == {
        "facilityCode": "OTHER_FACILITY",
        "lines/0/code": "UNKNOWN_DRUG",
        "lines/1/code": "UNKNOWN_SERVICE",
        "lines/2/quantity": "NOT_POSITIVE",
        "lines/3/quantity": "NOT_POSITIVE",
        "lines/4/unitPrice": "NEGATIVE",
        "lines/5/quantity": "PRECISION",
    }
    not_adding_up = (
        await api.data(
            SUBMIT,
            claim_input(person, totalCost="854560.00", insurancePaid="683648.40", patientPaid="1.00"),
            as_="partner.hospital",
        )
    )["submitClaim"]
    assert errors(not_adding_up) == {"totalCost": "NOT_ADDING_UP", "patientPaid": "NOT_ADDING_UP"}
    fund = (await api.data(SUBMIT, claim_input(person, insurancePaid="854560.50"), as_="partner.hospital"))[
        "submitClaim"
    ]
    assert errors(fund) == {"insurancePaid": "NOT_ADDING_UP"}
    none = (await api.data(SUBMIT, claim_input(person, []), as_="partner.hospital"))["submitClaim"]
    assert errors(none) == {"lines": "REQUIRED"}
    too_many = (await api.data(SUBMIT, claim_input(person, LINES[:1] * 501), as_="partner.hospital"))[
        "submitClaim"
    ]
    assert errors(too_many) == {"lines": "TOO_MANY_LINES"}
    assert await counted(api) == before


async def test_submit_claim_card_not_valid_on_admission_date_invalid(api: Api) -> None:
    expired = await patient(api, valid_from=date(2023, 1, 1), valid_to=date(2024, 12, 31))
    suspended = await patient(api, suspended=True)
    before = await counted(api)
    for person in (expired, suspended):
        result = (await api.data(SUBMIT, claim_input(person), as_="partner.hospital"))["submitClaim"]
        assert errors(result) == {"socialInsuranceCode": "NO_VALID_CARD"}
    wrong_name = (
        await api.data(SUBMIT, claim_input(expired, fullName="Người Khác"), as_="partner.hospital")
    )["submitClaim"]
    assert errors(wrong_name) == {"socialInsuranceCode": "NOT_FOUND"}
    assert await counted(api) == before


async def test_submit_claim_duplicate_refused_in_any_line_order(api: Api) -> None:
    person = await patient(api)
    await submitted(api, person)
    before = await counted(api)
    again = (await api.data(SUBMIT, claim_input(person, list(reversed(LINES))), as_="partner.hospital"))[
        "submitClaim"
    ]
    assert errors(again) == {"lines": "DUPLICATE_CLAIM"}
    assert await counted(api) == before
    # Another admission of the same patient is another claim.
    other = await submitted(api, person, admittedAt="2025-04-01T08:00:00+07:00", dischargedAt=None)
    assert other["state"] == "SUBMITTED"


async def test_submit_claim_duplicate_fingerprint_unique_in_sql(api: Api) -> None:
    """The guarantee does not rest on the check before the insert: the database refuses it too."""
    from datetime import timedelta

    from sqlalchemy.exc import IntegrityError

    person = await patient(api)
    claim = await submitted(api, person)
    stored = (await rows(api, select(claim_t).where(claim_t.c.id == pk(claim["id"]))))[0]
    visit = (await rows(api, select(visit_t).where(visit_t.c.id == stored.visit_id)))[0]
    async with api.app.state.runtime.sessionmaker() as session:
        copied = {c: getattr(visit, c) for c in (x.name for x in visit_t.c) if c != "id"}
        copied["admitted_at"] = visit.admitted_at + timedelta(days=30)
        copied["discharged_at"] = None
        fresh = (await session.execute(insert(visit_t).values(**copied).returning(visit_t.c.id))).scalar_one()
        values = {c: getattr(stored, c) for c in (x.name for x in claim_t.c) if c not in ("id", "visit_id")}
        with pytest.raises(IntegrityError, match="fingerprint"):
            await session.execute(insert(claim_t).values(**values, visit_id=fresh))
        await session.rollback()


async def test_submit_claim_same_claim_at_once_stored_once(api: Api) -> None:
    """Two requests with the same claim at the same moment: both pass the check before either
    writes; the unique fingerprint stores one, the other is told it is a duplicate."""
    import asyncio

    person = await patient(api)
    before = await counted(api)
    variables = claim_input(person, LINES[:2])
    answers = await asyncio.gather(*(api.data(SUBMIT, variables, as_="partner.hospital") for _ in range(2)))
    kinds = sorted(a["submitClaim"]["__typename"] for a in answers)
    assert kinds == ["ClaimSuccess", "InvalidClaimInput"], answers
    refused = next(a["submitClaim"] for a in answers if a["submitClaim"]["__typename"] != "ClaimSuccess")
    # Checked before the other committed, or refused by the fingerprint's unique index: the same answer.
    assert errors(refused) == {"lines": "DUPLICATE_CLAIM"}
    after = await counted(api)
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (1, 2, 1)


async def test_submit_claim_only_hospitals(api: Api) -> None:
    person = await patient(api)
    for who in ("officer.hanoi", "partner.employer", "admin", "analyst", "0113099841"):
        result = (await api.data(SUBMIT, claim_input(person), as_=who))["submitClaim"]
        assert result["__typename"] == "NotAllowed", (who, result)
    anonymous = await api.post(SUBMIT, claim_input(person))
    assert codes(anonymous) == ["UNAUTHENTICATED"]


# ---------- reviewing and deciding ----------


async def test_decide_claim_partly_accepted_visit_takes_accepted_totals_with_revision(api: Api) -> None:
    person = await patient(api)
    claim = await submitted(api, person)
    claim_id = claim["id"]
    started = await step(api, START, {"claimId": claim_id})
    assert started["claim"]["state"] == "UNDER_REVIEW" and started["claim"]["reviewStartedAt"]
    for line in (1, 2, 3):
        accepted = await step(api, REVIEW, {"claimId": claim_id, "line": line, "accepted": True})
        assert accepted["__typename"] == "ClaimSuccess", accepted
    refused = await step(
        api,
        REVIEW,
        {
            "claimId": claim_id,
            "line": 4,
            "accepted": False,
            "reason": "QUANTITY_NOT_JUSTIFIED",
            "note": "2 chai là đủ",
        },
    )
    line4 = refused["claim"]["lines"][3]
    assert (line4["state"], line4["refusalReason"], line4["refusalNote"]) == (
        "REFUSED",
        "QUANTITY_NOT_JUSTIFIED",
        "2 chai là đủ",
    )
    decided = (await step(api, DECIDE, {"claimId": claim_id, "note": "Xuất toán dòng 4"}))["claim"]
    assert decided["state"] == "PARTLY_ACCEPTED" and decided["decisionNote"] == "Xuất toán dòng 4"
    # What remains (114,560.50) is under 15% of the base salary: the fund pays all of it.
    assert (
        decided["acceptedTotalCost"],
        decided["acceptedInsurancePaid"],
        decided["acceptedPatientPaid"],
    ) == (
        "114560.50",
        "114560.50",
        "0.00",
    )
    assert decided["fundShareRate"] == "1.0000"
    assert decided["totalCost"] == "854560.50"  # what was claimed stays
    stored = (await rows(api, select(claim_t).where(claim_t.c.id == pk(claim_id))))[0]
    visit = (await rows(api, select(visit_t).where(visit_t.c.id == stored.visit_id)))[0]
    assert (visit.total_cost, visit.insurance_paid, visit.patient_paid) == (
        Decimal("114560.50"),
        Decimal("114560.50"),
        Decimal("0.00"),
    )
    revisions = await rows(
        api,
        select(revision_t).where(
            revision_t.c.subject_type == "MedicalVisit", revision_t.c.subject_id == visit.id
        ),
    )
    assert len(revisions) == 1 and revisions[0].revised_by == "officer.hanoi"
    assert "partly accepted" in revisions[0].reason and "insurancePaid" in revisions[0].changes
    kinds = [
        e.type
        for e in await rows(
            api,
            select(event_t)
            .where(event_t.c.subject_type == "Claim", event_t.c.subject_id == stored.id)
            .order_by(event_t.c.id),
        )
    ]
    assert kinds == ["CLAIM_SUBMITTED", "CLAIM_REVIEW_STARTED"] + ["CLAIM_LINE_REVIEWED"] * 4 + [
        "CLAIM_DECIDED"
    ]


async def test_decide_claim_accepted_keeps_the_share(api: Api) -> None:
    person = await patient(api)
    claim = await submitted(api, person)
    await step(api, START, {"claimId": claim["id"]})
    for line in (1, 2, 3, 4):
        await step(api, REVIEW, {"claimId": claim["id"], "line": line, "accepted": True})
    decided = (await step(api, DECIDE, {"claimId": claim["id"]}))["claim"]
    assert decided["state"] == "ACCEPTED" and decided["fundShareRate"] == "0.8000"
    assert decided["acceptedInsurancePaid"] == decided["insurancePaid"] == "683648.40"
    # Nothing of the visit changes: no revision.
    stored = (await rows(api, select(claim_t).where(claim_t.c.id == pk(claim["id"]))))[0]
    assert not await rows(
        api,
        select(revision_t).where(
            revision_t.c.subject_type == "MedicalVisit", revision_t.c.subject_id == stored.visit_id
        ),
    )


async def test_decide_claim_refused_fund_pays_nothing(api: Api) -> None:
    person = await patient(api)
    claim = await submitted(api, person, lines=LINES[:2])
    await step(api, START, {"claimId": claim["id"]})
    for line in (1, 2):
        await step(
            api,
            REVIEW,
            {"claimId": claim["id"], "line": line, "accepted": False, "reason": "MISSING_RECORDS"},
        )
    decided = (await step(api, DECIDE, {"claimId": claim["id"]}))["claim"]
    assert decided["state"] == "REFUSED"
    assert (decided["acceptedTotalCost"], decided["acceptedInsurancePaid"]) == ("0.00", "0.00")
    stored = (await rows(api, select(claim_t).where(claim_t.c.id == pk(claim["id"]))))[0]
    visit = (await rows(api, select(visit_t).where(visit_t.c.id == stored.visit_id)))[0]
    assert (visit.total_cost, visit.insurance_paid, visit.patient_paid) == (
        Decimal(0),
        Decimal(0),
        Decimal(0),
    )


async def test_decide_claim_not_under_review_invalid(api: Api) -> None:
    person = await patient(api)
    claim = await submitted(api, person, lines=LINES[:1])
    early = await step(api, DECIDE, {"claimId": claim["id"]})
    assert errors(early) == {"claimId": "NOT_UNDER_REVIEW"}
    review_early = await step(api, REVIEW, {"claimId": claim["id"], "line": 1, "accepted": True})
    assert errors(review_early) == {"claimId": "NOT_UNDER_REVIEW"}
    await step(api, START, {"claimId": claim["id"]})
    twice = await step(api, START, {"claimId": claim["id"]})
    assert errors(twice) == {"claimId": "NOT_SUBMITTED"}
    pending = await step(api, DECIDE, {"claimId": claim["id"]})
    assert errors(pending) == {"claimId": "LINES_PENDING"} and "lines 1" in pending["errors"][0]["message"]
    await step(api, REVIEW, {"claimId": claim["id"], "line": 1, "accepted": True})
    assert (await step(api, DECIDE, {"claimId": claim["id"]}))["claim"]["state"] == "ACCEPTED"
    again = await step(api, DECIDE, {"claimId": claim["id"]})
    assert errors(again) == {"claimId": "NOT_UNDER_REVIEW"}
    late = await step(api, REVIEW, {"claimId": claim["id"], "line": 1, "accepted": False, "reason": "OTHER"})
    assert errors(late) == {"claimId": "NOT_UNDER_REVIEW"}
    restart = await step(api, START, {"claimId": claim["id"]})
    assert errors(restart) == {"claimId": "NOT_SUBMITTED"}


async def test_decide_claim_of_a_voided_visit_invalid(api: Api) -> None:
    person = await patient(api)
    claim = await submitted(api, person, lines=LINES[:1])
    await step(api, START, {"claimId": claim["id"]})
    await step(api, REVIEW, {"claimId": claim["id"], "line": 1, "accepted": True})
    stored = (await rows(api, select(claim_t).where(claim_t.c.id == pk(claim["id"]))))[0]
    void = """mutation($input: VoidRecordInput!) { voidMedicalVisit(input: $input) { __typename } }"""
    voided = await api.data(
        void,
        {"input": {"id": global_id("MedicalVisit", stored.visit_id), "reason": "Ghi trùng"}},
        as_="officer.hanoi",
    )
    assert voided["voidMedicalVisit"]["__typename"] == "CorrectionSuccess", voided
    assert errors(await step(api, DECIDE, {"claimId": claim["id"]})) == {"claimId": "VISIT_VOIDED"}
    still = (await rows(api, select(claim_t.c.state).where(claim_t.c.id == stored.id)))[0]
    assert still.state == "UNDER_REVIEW"


async def test_review_claim_line_bad_input_each_specific_and_nothing_stored(api: Api) -> None:
    person = await patient(api)
    claim = await submitted(api, person, lines=LINES[:2])
    await step(api, START, {"claimId": claim["id"]})
    cases: list[tuple[dict[str, Any], dict[str, str]]] = [
        ({"line": 1, "accepted": False}, {"reason": "REQUIRED"}),
        ({"line": 1, "accepted": False, "reason": "OTHER"}, {"note": "REQUIRED"}),
        ({"line": 1, "accepted": True, "reason": "NOT_INDICATED"}, {"reason": "REASON_ON_ACCEPTED"}),
        ({"line": 3, "accepted": True}, {"line": "NOT_FOUND"}),
        ({"line": 1, "accepted": True, "note": "x" * 501}, {"note": "TOO_LONG"}),
    ]
    for values, expected in cases:
        assert errors(await step(api, REVIEW, {"claimId": claim["id"], **values})) == expected, values
    states = await rows(api, select(claim_line_t.c.state).where(claim_line_t.c.claim_id == pk(claim["id"])))
    assert {s.state for s in states} == {"PENDING"}
    # A line may be reviewed again until the decision.
    await step(
        api, REVIEW, {"claimId": claim["id"], "line": 1, "accepted": False, "reason": "DUPLICATE_LINE"}
    )
    again = await step(api, REVIEW, {"claimId": claim["id"], "line": 1, "accepted": True})
    assert (
        again["claim"]["lines"][0]["state"] == "ACCEPTED"
        and again["claim"]["lines"][0]["refusalReason"] is None
    )


async def test_review_claim_outside_province_not_found(api: Api) -> None:
    person = await patient(api)
    claim = await submitted(api, person, lines=LINES[:1])
    for query, values in (
        (START, {"claimId": claim["id"]}),
        (REVIEW, {"claimId": claim["id"], "line": 1, "accepted": True}),
        (DECIDE, {"claimId": claim["id"]}),
    ):
        assert errors(await step(api, query, values, as_="officer.hcm")) == {"claimId": "NOT_FOUND"}
        for who in ("partner.hospital", "analyst", "admin", "0113099841"):
            assert (await step(api, query, values, as_=who))["__typename"] == "NotAllowed", who
    forged = await step(api, START, {"claimId": global_id("Claim", 10**9)})
    assert errors(forged) == {"claimId": "NOT_FOUND"}
    garbage = await step(api, START, {"claimId": "not-an-id"})
    assert errors(garbage) == {"claimId": "NOT_FOUND"}
    stored = (await rows(api, select(claim_t.c.state).where(claim_t.c.id == pk(claim["id"]))))[0]
    assert stored.state == "SUBMITTED"


# ---------- each role's view ----------


async def other_hospital(api: Api) -> str:
    """A partner account of another facility of Hà Nội."""
    async with api.app.state.runtime.sessionmaker() as session:
        facility = await session.scalar(
            select(facility_t.c.id)
            .where(facility_t.c.code != HOSPITAL, facility_t.c.province_code == "01")
            .limit(1)
        )
    return await Factory(api.app).partner("Partner-Pass-2026", facility_id=facility)


async def test_claims_each_role_sees_what_privacy_allows(api: Api, factory: Factory) -> None:
    person = await patient(api)
    claim = await submitted(api, person, lines=LINES[:2])
    own = await factory.citizen(person=person)
    stranger = await factory.citizen()
    other = await other_hospital(api)
    seen = {
        who: [n["id"] for n in (await api.data(CLAIMS, {"first": 100}, as_=who))["claims"]["nodes"]]
        for who in ("partner.hospital", "officer.hanoi", own)
    }
    assert all(claim["id"] in ids for ids in seen.values()), seen
    assert seen[own] == [claim["id"]]  # the patient: their own claims only
    for who in ("officer.hcm", other, stranger, "analyst", "admin", "partner.employer"):
        listed = (await api.data(CLAIMS, {"first": 100}, as_=who))["claims"]
        assert claim["id"] not in [n["id"] for n in listed["nodes"]], who
        assert (await api.data(NODE, {"id": claim["id"]}, as_=who))["node"] is None, who
    for who in ("partner.hospital", "officer.hanoi", own):
        assert (await api.data(NODE, {"id": claim["id"]}, as_=who))["node"]["id"] == claim["id"], who
    # The patient sees everything of their own claim (privacy.md: their own health data).
    mine = (await api.data("query { claims { nodes { lines { code insurancePaid } } } }", as_=own))["claims"]
    assert [x["code"] for x in mine["nodes"][0]["lines"]] == ["02.1896", "23.0020.1494"]
    assert codes(await api.post(CLAIMS)) == ["UNAUTHENTICATED"]


async def test_claims_admin_with_audited_reason_sees_and_is_logged(api: Api) -> None:
    person = await patient(api)
    claim = await submitted(api, person, lines=LINES[:1])
    token = await api.token("admin")
    response = await api.client.post(
        "/graphql",
        json={"query": NODE, "variables": {"id": claim["id"]}},
        headers={"Authorization": f"Bearer {token}", "X-Ansinh-Access-Reason": "Ticket 4712: claim dispute"},
    )
    assert response.json()["data"]["node"]["id"] == claim["id"]


async def test_claim_medical_visit_link_under_the_visits_scope(api: Api) -> None:
    """A patient of Hồ Chí Minh treated in Hà Nội: Hà Nội's officers review the claim, but the visit
    (and the person) are Hồ Chí Minh's records."""
    person = await patient(api, "79")
    claim = await submitted(api, person, lines=LINES[:1])
    query = """query($id: ID!) { node(id: $id) { ... on Claim { state medicalVisit { id totalCost } } } }"""
    reviewer = (await api.data(query, {"id": claim["id"]}, as_="officer.hanoi"))["node"]
    assert reviewer == {"state": "SUBMITTED", "medicalVisit": None}
    hospital = (await api.data(query, {"id": claim["id"]}, as_="partner.hospital"))["node"]
    assert hospital["medicalVisit"]["totalCost"] == "42100.00"
    assert (await api.data(query, {"id": claim["id"]}, as_="officer.hcm"))["node"] is None


async def test_claims_state_filter_and_pages(api: Api) -> None:
    person = await patient(api)
    for day in ("2025-06-01", "2025-06-02", "2025-06-03"):
        await submitted(api, person, lines=LINES[:1], admittedAt=f"{day}T08:00:00+07:00", dischargedAt=None)
    under = await submitted(
        api, person, lines=LINES[:1], admittedAt="2025-06-04T08:00:00+07:00", dischargedAt=None
    )
    await step(api, START, {"claimId": under["id"]})
    filtered = (await api.data(CLAIMS, {"state": "UNDER_REVIEW", "first": 100}, as_="partner.hospital"))[
        "claims"
    ]
    assert under["id"] in [n["id"] for n in filtered["nodes"]]
    assert {n["state"] for n in filtered["nodes"]} == {"UNDER_REVIEW"}
    seen: list[str] = []
    after = None
    while True:
        page = (await api.data(CLAIMS, {"first": 2, "after": after}, as_="partner.hospital"))["claims"]
        seen += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalCount"]
    # A cursor is bound to its viewer's scope.
    foreign = await api.post(CLAIMS, {"first": 2, "after": after}, as_="officer.hanoi")
    assert after is not None and codes(foreign) == ["BAD_USER_INPUT"]


# ---------- the events' audience ----------


EVENTS = """subscription($after: String, $types: [EventType!]) { events(after: $after, types: $types) {
  type subjectId node { ... on Claim { state } } } }"""
CLAIM_EVENTS = ["CLAIM_SUBMITTED", "CLAIM_REVIEW_STARTED", "CLAIM_LINE_REVIEWED", "CLAIM_DECIDED"]


async def test_claim_events_reach_the_hospital_and_the_province_only(api: Api, live_server: str) -> None:
    facility = await scalar(api, select(facility_t.c.id).where(facility_t.c.code == HOSPITAL))
    marker = await scalar(api, select(func.max(event_t.c.id)))
    person = await patient(api)
    claim = await submitted(api, person, lines=LINES[:1])
    await step(api, START, {"claimId": claim["id"]})
    await step(api, REVIEW, {"claimId": claim["id"], "line": 1, "accepted": True})
    await step(api, DECIDE, {"claimId": claim["id"]})
    secret = api.app.state.runtime.settings.secret_key

    def after(viewer: Viewer) -> str:
        return Cursors.make(secret, scope_key(viewer)).seal(EVENT_ORDER, (marker,))

    audience = {
        "partner.hospital": Viewer(account_id=0, username="", role=Role.PARTNER, facility_id=facility),
        "officer.hanoi": Viewer(account_id=0, username="", role=Role.OFFICER, province_code="01"),
    }
    for who, viewer in audience.items():
        async with connect(live_server, await api.token(who)) as ws:
            await ws.subscribe(EVENTS, {"types": CLAIM_EVENTS, "after": after(viewer)})
            got = [(await ws.receive())["payload"]["data"]["events"] for _ in range(4)]
            assert [e["type"] for e in got] == CLAIM_EVENTS, who
            assert {e["subjectId"] for e in got} == {claim["id"]} and got[-1]["node"] == {"state": "ACCEPTED"}
    other = await other_hospital(api)
    other_facility = await scalar(api, select(account_t.c.facility_id).where(account_t.c.username == other))
    bystanders = {
        "officer.hcm": Viewer(account_id=0, username="", role=Role.OFFICER, province_code="79"),
        other: Viewer(account_id=0, username="", role=Role.PARTNER, facility_id=other_facility),
    }
    for who, viewer in bystanders.items():
        async with connect(live_server, await api.token(who)) as ws:
            await ws.subscribe(EVENTS, {"types": CLAIM_EVENTS, "after": after(viewer)})
            with pytest.raises(TimeoutError):
                await ws.receive(within=0.5)
    # Those who never see a claim's event are told so rather than served silence.
    for who in ("analyst", "admin", "0113099841"):
        async with connect(live_server, await api.token(who)) as ws:
            await ws.subscribe(EVENTS, {"types": ["CLAIM_SUBMITTED"]})
            message = await ws.receive()
            assert message["type"] == "error", (who, message)
            assert message["payload"][0]["extensions"]["code"] == "FORBIDDEN"


# ---------- statements: the shape of a request, not its rows ----------


@pytest.mark.parametrize(
    ("viewer", "ceiling"),
    # session, page, count, lines, facilities
    [("partner.hospital", 5), ("officer.hanoi", 5)],
)
async def test_claims_list_statements_independent_of_page_size(api: Api, viewer: str, ceiling: int) -> None:
    person = await patient(api)
    for day in range(1, 8):
        await submitted(
            api,
            person,
            lines=LINES[: 1 + day % 4],
            admittedAt=f"2025-07-{day:02d}T08:00:00+07:00",
            dischargedAt=None,
        )
    query = """query($n: Int) { claims(first: $n) { totalCount pageInfo { endCursor }
      nodes { id state totalCost facility { code } lines { number code name amount insurancePaid } } } }"""
    small = await api.statements(query, {"n": 2}, as_=viewer)
    large = await api.statements(query, {"n": 50}, as_=viewer)
    largest = await api.statements(query, {"n": 100}, as_=viewer)
    assert large <= small and largest <= small, (small, large, largest)
    assert small <= ceiling, small


# ---------- every transport ----------


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_submit_claim_and_claims_same_on_every_transport(ways: Ways, api: Api, transport: str) -> None:
    person = await patient(api)
    result = await ways.post(
        transport,
        SUBMIT,
        claim_input(person, lines=LINES[:2], admittedAt="2025-08-01T08:00:00+07:00", dischargedAt=None),
        as_="partner.hospital",
    )
    claim = result["data"]["submitClaim"]["claim"]
    assert (claim["totalCost"], claim["insurancePaid"]) == ("88300.00", "88300.00")
    bad = await ways.post(transport, SUBMIT, claim_input(person, LINES[:0]), as_="partner.hospital")
    assert errors(bad["data"]["submitClaim"]) == {"lines": "REQUIRED"}
    for who, sees in (
        ("partner.hospital", True),
        ("officer.hanoi", True),
        ("officer.hcm", False),
        ("analyst", False),
    ):
        body = await ways.post(transport, NODE, {"id": claim["id"]}, as_=who)
        assert (body["data"]["node"] is not None) is sees, (transport, who)


async def test_submit_and_decide_claim_visit_rollup_equals_the_visits(api: Api) -> None:
    """Attack: a claim's visit is written with no money, then given the claim's totals, then the
    accepted totals on decision; visitStatistics' rollup must follow each step, not the first."""
    from tests.test_statistics import visit_rollup_errors

    person = await patient(api)
    claim = await submitted(api, person)
    assert await visit_rollup_errors(api) == []
    await step(api, START, {"claimId": claim["id"]})
    for line in (1, 2, 3, 4):
        await step(
            api,
            REVIEW,
            {
                "claimId": claim["id"],
                "line": line,
                "accepted": line != 4,
                "reason": None if line != 4 else "QUANTITY_NOT_JUSTIFIED",
            },
        )
    decided = (await step(api, DECIDE, {"claimId": claim["id"]}))["claim"]
    assert decided["state"] == "PARTLY_ACCEPTED", decided
    assert await visit_rollup_errors(api) == []


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_review_and_decide_claim_same_on_every_transport(ways: Ways, api: Api, transport: str) -> None:
    """The review steps answer, refuse and store alike on HTTP and both WebSocket protocols."""
    person = await patient(api)
    claim = await submitted(
        api, person, lines=LINES[:2], admittedAt="2025-08-02T08:00:00+07:00", dischargedAt=None
    )
    claim_id = claim["id"]
    # A hospital does not review its own claim, on any way in; nothing changes.
    refused = await ways.post(transport, START, {"input": {"claimId": claim_id}}, as_="partner.hospital")
    assert refused["data"]["startClaimReview"]["__typename"] == "NotAllowed", (transport, refused)
    foreign = await ways.post(transport, START, {"input": {"claimId": claim_id}}, as_="officer.hcm")
    assert errors(foreign["data"]["startClaimReview"]) == {"claimId": "NOT_FOUND"}
    started = await ways.post(transport, START, {"input": {"claimId": claim_id}}, as_="officer.hanoi")
    assert started["data"]["startClaimReview"]["claim"]["state"] == "UNDER_REVIEW", (transport, started)
    early = await ways.post(transport, DECIDE, {"input": {"claimId": claim_id}}, as_="officer.hanoi")
    assert errors(early["data"]["decideClaim"]) == {"claimId": "LINES_PENDING"}
    reviews = (
        {"claimId": claim_id, "line": 1, "accepted": True},
        {"claimId": claim_id, "line": 2, "accepted": False, "reason": "MISSING_RECORDS"},
    )
    for values in reviews:
        body = await ways.post(transport, REVIEW, {"input": values}, as_="officer.hanoi")
        assert body["data"]["reviewClaimLine"]["__typename"] == "ClaimSuccess", (transport, body)
    bad = await ways.post(
        transport, REVIEW, {"input": {"claimId": claim_id, "line": 1, "accepted": False}}, as_="officer.hanoi"
    )
    assert errors(bad["data"]["reviewClaimLine"]) == {"reason": "REQUIRED"}
    denied = await ways.post(transport, DECIDE, {"input": {"claimId": claim_id}}, as_="analyst")
    assert denied["data"]["decideClaim"]["__typename"] == "NotAllowed", (transport, denied)
    decided = await ways.post(transport, DECIDE, {"input": {"claimId": claim_id}}, as_="officer.hanoi")
    final = decided["data"]["decideClaim"]["claim"]
    assert final["state"] == "PARTLY_ACCEPTED", (transport, decided)
    assert (final["acceptedTotalCost"], final["acceptedInsurancePaid"]) == ("42100.00", "42100.00")
    assert [line["state"] for line in final["lines"]] == ["ACCEPTED", "REFUSED"]
    stored = (await rows(api, select(claim_t.c.state).where(claim_t.c.id == pk(claim_id))))[0]
    assert stored.state == "PARTLY_ACCEPTED"


# ---------- a claim for a visit recorded earlier ----------

RECORD_VISIT = """mutation($input: RecordMedicalVisitInput!) { recordMedicalVisit(input: $input) { __typename
  ... on RecordMedicalVisitSuccess { medicalVisit { id totalCost } } } }"""


async def recorded_visit(api: Api, person: Any, admitted: str = ADMITTED, cost: str = "900000") -> str:
    """A visit partner.hospital recorded before it claims it."""
    values = {
        "socialInsuranceCode": person.social_insurance_code,
        "fullName": person.full_name,
        "dateOfBirth": person.date_of_birth.isoformat(),
        "visitType": "INPATIENT",
        "admittedAt": admitted,
        "dischargedAt": "2025-03-13T10:00:00+07:00",
        "diagnosisCode": "J18.9",
        "totalCost": cost,
    }
    result = (await api.data(RECORD_VISIT, {"input": values}, as_="partner.hospital"))["recordMedicalVisit"]
    assert result["__typename"] == "RecordMedicalVisitSuccess", result
    return str(result["medicalVisit"]["id"])


async def test_submit_claim_for_recorded_visit_links_it_without_a_second_visit(api: Api) -> None:
    person = await patient(api)
    visit_id = await recorded_visit(api, person)
    before = await counted(api)
    # Only what identifies the visit: the rest of XML1 is the recorded visit's.
    claim = await submitted(api, person, medicalVisitId=visit_id, dischargedAt=None, diagnosisCode=None)
    after = await counted(api)
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (1, 4, 0)
    stored = (await rows(api, select(claim_t).where(claim_t.c.id == pk(claim["id"]))))[0]
    assert stored.visit_id == pk(visit_id)
    visit = (await rows(api, select(visit_t).where(visit_t.c.id == stored.visit_id)))[0]
    # The visit's money is now the claim's, through a revision.
    assert (visit.total_cost, visit.insurance_paid, visit.patient_paid) == (
        Decimal("854560.50"),
        Decimal("683648.40"),
        Decimal("170912.10"),
    )
    assert claim["totalCost"] == "854560.50" and claim["fundShareRate"] == "0.8000"
    revisions = await rows(
        api,
        select(revision_t).where(
            revision_t.c.subject_type == "MedicalVisit", revision_t.c.subject_id == visit.id
        ),
    )
    assert len(revisions) == 1 and "Claim submitted" in revisions[0].reason
    from tests.test_statistics import visit_rollup_errors

    assert await visit_rollup_errors(api) == []


async def test_submit_claim_for_recorded_visit_refused_each_specific_nothing_stored(api: Api) -> None:
    person, stranger = await patient(api), await patient(api)
    visit_id = await recorded_visit(api, person)
    claimed_id = await recorded_visit(api, person, admitted="2025-03-01T08:00:00+07:00")
    await submitted(api, person, medicalVisitId=claimed_id, admittedAt="2025-03-01T08:00:00+07:00")
    voided_id = await recorded_visit(api, person, admitted="2025-02-01T08:00:00+07:00")
    void = """mutation($input: VoidRecordInput!) { voidMedicalVisit(input: $input) { __typename } }"""
    await api.data(void, {"input": {"id": voided_id, "reason": "Ghi trùng"}}, as_="officer.hanoi")
    # A visit of another facility of Hà Nội, recorded there.
    other = await other_hospital(api)
    values = claim_input(person)["input"]
    foreign = await api.data(
        RECORD_VISIT,
        {
            "input": {k: values[k] for k in ("socialInsuranceCode", "fullName", "dateOfBirth", "visitType")}
            | {"admittedAt": "2025-01-05T08:00:00+07:00", "totalCost": "100000", "route": "OUT_OF_ROUTE"}
        },
        as_=other,
    )
    foreign_id = foreign["recordMedicalVisit"]["medicalVisit"]["id"]
    before = await counted(api)
    versions = await scalar(api, select(func.count()).select_from(revision_t))
    cases: list[tuple[Any, dict[str, Any], dict[str, str]]] = [
        (
            person,
            {"medicalVisitId": foreign_id, "admittedAt": "2025-01-05T08:00:00+07:00"},
            {"medicalVisitId": "NOT_FOUND"},
        ),
        (person, {"medicalVisitId": global_id("MedicalVisit", 10**9)}, {"medicalVisitId": "NOT_FOUND"}),
        (person, {"medicalVisitId": "not-an-id"}, {"medicalVisitId": "NOT_FOUND"}),
        (stranger, {"medicalVisitId": visit_id}, {"medicalVisitId": "VISIT_OF_ANOTHER_PATIENT"}),
        (
            person,
            {"medicalVisitId": voided_id, "admittedAt": "2025-02-01T08:00:00+07:00"},
            {"medicalVisitId": "VISIT_VOIDED"},
        ),
        (
            person,
            {"medicalVisitId": claimed_id, "admittedAt": "2025-03-01T08:00:00+07:00", "lines": LINES[:1]},
            {"medicalVisitId": "VISIT_CLAIMED"},
        ),
        (
            person,
            {
                "medicalVisitId": visit_id,
                "admittedAt": "2025-03-10T09:00:00+07:00",
                "visitType": "OUTPATIENT",
                "diagnosisCode": "A09",
                "route": "EMERGENCY",
            },
            {
                "admittedAt": "VISIT_MISMATCH",
                "visitType": "VISIT_MISMATCH",
                "diagnosisCode": "VISIT_MISMATCH",
                "route": "VISIT_MISMATCH",
            },
        ),
    ]
    for who, changes, expected in cases:
        result = (await api.data(SUBMIT, claim_input(who, **changes), as_="partner.hospital"))["submitClaim"]
        assert errors(result) == expected, (changes, result)
    assert await counted(api) == before
    assert await scalar(api, select(func.count()).select_from(revision_t)) == versions
    untouched = (await rows(api, select(visit_t.c.total_cost).where(visit_t.c.id == pk(visit_id))))[0]
    assert untouched.total_cost == Decimal("900000.00")


async def test_submit_claim_for_recorded_visit_twice_at_once_stored_once(api: Api) -> None:
    """Two claims (other lines, so other fingerprints) for one recorded visit at the same moment:
    the visit has one claim, the other is told VISIT_CLAIMED, whichever check caught it."""
    import asyncio

    person = await patient(api)
    visit_id = await recorded_visit(api, person)
    before = await counted(api)
    answers = await asyncio.gather(
        *(
            api.data(SUBMIT, claim_input(person, lines, medicalVisitId=visit_id), as_="partner.hospital")
            for lines in (LINES[:1], LINES[1:2])
        )
    )
    kinds = sorted(a["submitClaim"]["__typename"] for a in answers)
    assert kinds == ["ClaimSuccess", "InvalidClaimInput"], answers
    refused = next(a["submitClaim"] for a in answers if a["submitClaim"]["__typename"] != "ClaimSuccess")
    assert errors(refused) == {"medicalVisitId": "VISIT_CLAIMED"}
    after = await counted(api)
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (1, 1, 0)


# ---------- the catalogue's price caps ----------


async def test_submit_claim_unit_price_above_cap_refused_nothing_stored(api: Api) -> None:
    person = await patient(api)
    before = await counted(api)
    lines = [
        {"kind": "SERVICE", "code": "02.1896", "quantity": "1", "unitPrice": "50600.01"},  # cap 50,600
        {"kind": "DRUG", "code": "40.158", "quantity": "2", "unitPrice": "2500"},  # at the cap: accepted
        {"kind": "DRUG", "code": "40.17", "quantity": "1", "unitPrice": "9000"},  # cap 2,000
    ]
    result = (await api.data(SUBMIT, claim_input(person, lines), as_="partner.hospital"))["submitClaim"]
    assert errors(result) == {"lines/0/unitPrice": "ABOVE_PRICE_CAP", "lines/2/unitPrice": "ABOVE_PRICE_CAP"}
    assert "50,600.00" in result["errors"][0]["message"]
    assert await counted(api) == before
    # At the cap, and an item without a cap at any price: accepted.
    capped = [lines[1], {"kind": "DRUG", "code": "40.1008", "quantity": "1", "unitPrice": "990000"}]
    claim = await submitted(api, person, lines=capped)
    assert [line["unitPrice"] for line in claim["lines"]] == ["2500.00", "990000.00"]


async def test_catalogue_price_caps_migrated_for_every_reference_row(api: Api) -> None:
    from models.claim import CATALOGUE, PRICE_CAPS
    from models.tables import catalogue_t

    stored = {
        (r.kind, r.code): r.max_unit_price
        for r in await rows(api, select(catalogue_t.c.kind, catalogue_t.c.code, catalogue_t.c.max_unit_price))
    }
    assert {row[:2]: PRICE_CAPS.get(row[:2]) for row in CATALOGUE} == {
        k: stored[k] for k in (r[:2] for r in CATALOGUE)
    }
