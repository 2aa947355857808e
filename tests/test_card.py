"""Cards at the hospital counter: a hospital learns coverage from what the patient presents, and
nobody's identity from a card number alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from models.types import VIETNAM_TZ
from tests.conftest import Api, codes
from tests.test_entry import VISIT, fields, issued, person_of, visit_input

CARD_CHECK = """query($n: String!) { healthInsuranceCard(number: $n) {
  number holder { fullName socialInsuranceCode gender } } }"""
COVERAGE = """query($input: CoverageCheckInput!) { checkCoverage(input: $input) {
  valid reason benefitLevel fundShare route fiveYearsContinuous validTo } }"""


def today() -> str:
    return datetime.now(VIETNAM_TZ).date().isoformat()


async def current_card(api: Api, person: Any, **changes: Any) -> dict[str, Any]:
    """A card valid today, its primary care at partner.hospital's facility (01929)."""
    later = (datetime.now(VIETNAM_TZ).date() + timedelta(days=365)).isoformat()
    return await issued(api, person, validFrom="2024-01-01", validTo=later, **changes)


async def test_health_insurance_card_hospital_resolves_no_stranger(api: Api) -> None:
    """A hospital typed a 15-character number, or a bare 10-digit code, and got the holder's name,
    code and gender, for people who had never been its patients."""
    person = await person_of(api)
    card = await current_card(api, person)
    for number in (card["number"], person.social_insurance_code):
        body = await api.post(CARD_CHECK, {"n": number}, as_="partner.hospital")
        assert "errors" not in body and body["data"]["healthInsuranceCard"] is None, (number, body)
    # Its own patients' cards it still finds (the golden person has visits there).
    mine = await api.data(CARD_CHECK, {"n": "HC4010113099841"}, as_="partner.hospital")
    assert mine["healthInsuranceCard"]["holder"]["socialInsuranceCode"] == "0113099841"
    # And staff as before.
    staff = await api.data(CARD_CHECK, {"n": card["number"]}, as_="officer.hanoi")
    assert staff["healthInsuranceCard"]["holder"]["fullName"] == person.full_name


async def test_record_medical_visit_needs_the_presented_name_and_date_of_birth(api: Api) -> None:
    """Recording a visit for anyone made that person the hospital's "patient", and their records
    its to read: the visit needs who the patient says they are, and a mismatch is NOT_FOUND,
    the same as an unknown code."""
    person = await person_of(api)
    await current_card(api, person)
    recent = (datetime.now(VIETNAM_TZ) - timedelta(days=1)).replace(microsecond=0).isoformat()
    stranger = visit_input(person, admittedAt=recent, dischargedAt=None)
    del stranger["input"]["fullName"], stranger["input"]["dateOfBirth"]
    body = await api.post(VISIT, stranger, as_="partner.hospital")
    assert set(codes(body)) == {"BAD_USER_INPUT"} and len(body["errors"]) == 2  # both are required
    for wrong in ({"fullName": "Nguyễn Văn Khác"}, {"dateOfBirth": "1990-05-18"}):
        result = (
            await api.data(
                VISIT,
                visit_input(person, admittedAt=recent, dischargedAt=None, **wrong),
                as_="partner.hospital",
            )
        )["recordMedicalVisit"]
        assert fields(result) == {"socialInsuranceCode": "NOT_FOUND"}, result
    body = await api.post(CARD_CHECK, {"n": person.social_insurance_code}, as_="partner.hospital")
    assert body["data"]["healthInsuranceCard"] is None
    # Name written otherwise (case, spaces, no diacritics) still matches.
    presented = visit_input(person, admittedAt=recent, dischargedAt=None, fullName="  do van nhap ")
    result = (await api.data(VISIT, presented, as_="partner.hospital"))["recordMedicalVisit"]
    assert result["__typename"] == "RecordMedicalVisitSuccess", result


async def test_check_coverage_answers_from_what_the_patient_presents(api: Api) -> None:
    person = await person_of(api)
    card = await current_card(api, person)
    presented = {
        "cardNumber": card["number"],
        "fullName": person.full_name,
        "dateOfBirth": person.date_of_birth.isoformat(),
        "visitType": "OUTPATIENT",
    }
    coverage = (await api.data(COVERAGE, {"input": presented}, as_="partner.hospital"))["checkCoverage"]
    assert coverage["valid"] is True and coverage["route"] == "PRIMARY"
    assert coverage["benefitLevel"] == card["benefitLevel"]
    assert coverage["validTo"] == card["validTo"]
    # By the 10-digit code printed since 2021, too.
    by_code = {**presented, "cardNumber": person.social_insurance_code}
    assert (await api.data(COVERAGE, {"input": by_code}, as_="partner.hospital"))["checkCoverage"] == coverage


async def test_check_coverage_mismatch_discloses_nothing(api: Api) -> None:
    """A wrong name or date of birth, or an unknown card, get the same answer: not valid, and
    nothing about the card or its holder."""
    person = await person_of(api)
    card = await current_card(api, person)
    base = {
        "cardNumber": card["number"],
        "fullName": person.full_name,
        "dateOfBirth": person.date_of_birth.isoformat(),
        "visitType": "INPATIENT",
    }
    answers = []
    for changes in (
        {"fullName": "Nguyễn Văn Khác"},
        {"dateOfBirth": "1990-05-18"},
        {"cardNumber": "HC4019999999998"},
        {"cardNumber": "9999999998"},
    ):
        answer = (await api.data(COVERAGE, {"input": {**base, **changes}}, as_="partner.hospital"))[
            "checkCoverage"
        ]
        answers.append(answer)
    assert all(a == answers[0] for a in answers), answers
    assert answers[0]["valid"] is False
    assert {k for k, v in answers[0].items() if v is not None} == {"valid", "reason"}


async def test_check_coverage_for_hospitals_only(api: Api) -> None:
    variables = {
        "input": {
            "cardNumber": "HC4010113099841",
            "fullName": "Nguyễn Thành Biên",
            "dateOfBirth": "1985-01-01",
            "visitType": "OUTPATIENT",
        }
    }
    for username in ("partner.employer", "analyst", "0113099841"):
        assert codes(await api.post(COVERAGE, variables, as_=username)) == ["FORBIDDEN"], username
    assert codes(await api.post(COVERAGE, variables)) == ["UNAUTHENTICATED"]


async def test_check_coverage_guessing_dates_of_birth_rate_limited(api: Api) -> None:
    """Trying dates of birth for a card (or for a visit) is a run of mismatches: past the budget
    every check is refused, a right guess too, until the hour moves on."""
    from sqlalchemy import delete, func, insert, select

    from models.tables import account_t, rate_event_t
    from models.types import utcnow
    from resolvers.card import PRESENTED_BUCKET, PRESENTED_MISSES

    person = await person_of(api)
    card = await current_card(api, person)
    right = {
        "cardNumber": card["number"],
        "fullName": person.full_name,
        "dateOfBirth": person.date_of_birth.isoformat(),
        "visitType": "OUTPATIENT",
    }
    runtime = api.app.state.runtime
    async with runtime.sessionmaker() as session:
        facility = await session.scalar(
            select(account_t.c.facility_id).where(account_t.c.username == "partner.hospital")
        )
        client = f"facility:{facility}"
        counted = select(func.count()).where(
            rate_event_t.c.bucket == PRESENTED_BUCKET, rate_event_t.c.client == client
        )
        before = await session.scalar(counted)
    wrong = {**right, "dateOfBirth": "1990-05-18"}
    assert (await api.data(COVERAGE, {"input": wrong}, as_="partner.hospital"))["checkCoverage"][
        "valid"
    ] is False
    async with runtime.sessionmaker() as session:
        assert await session.scalar(counted) == before + 1
        now = utcnow()
        await session.execute(
            insert(rate_event_t),
            [{"bucket": PRESENTED_BUCKET, "client": client, "at": now}] * PRESENTED_MISSES,
        )
        await session.commit()
    try:
        body = await api.post(COVERAGE, {"input": right}, as_="partner.hospital")
        assert codes(body) == ["RATE_LIMITED"], body
        recent = (datetime.now(VIETNAM_TZ) - timedelta(days=1)).replace(microsecond=0).isoformat()
        body = await api.post(
            VISIT, visit_input(person, admittedAt=recent, dischargedAt=None), as_="partner.hospital"
        )
        assert codes(body) == ["RATE_LIMITED"], body
    finally:
        async with runtime.sessionmaker() as session:
            await session.execute(
                delete(rate_event_t).where(
                    rate_event_t.c.bucket == PRESENTED_BUCKET, rate_event_t.c.client == client
                )
            )
            await session.commit()
    assert (await api.data(COVERAGE, {"input": right}, as_="partner.hospital"))["checkCoverage"][
        "valid"
    ] is True


async def test_check_coverage_statement_count_one_read_and_the_access_log(api: Api) -> None:
    """At the counter: the card, its holder, the facility's contract and its mismatch budget in
    one statement, then the access-log row (the session is cached)."""
    person = await person_of(api)
    card = await current_card(api, person)
    presented = {
        "cardNumber": card["number"],
        "fullName": person.full_name,
        "dateOfBirth": person.date_of_birth.isoformat(),
        "visitType": "INPATIENT",
    }
    assert await api.statements(COVERAGE, {"input": presented}, as_="partner.hospital") <= 2
