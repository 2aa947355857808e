"""Tờ khai mẫu 01: submission (checks, photos, idempotency) and the officers' decision."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import secrets
import tempfile
import unicodedata
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select

from models.tables import account_t, admin_unit_t, audit_t, event_t, person_t, registration_t
from models.text import fold
from models.types import VIETNAM_TZ
from schema.node import global_id, parse_global_id
from server import create_app
from settings import Settings
from tests.conftest import Api, codes, messages

SUBMIT = """mutation($input: SubmitRegistrationInput!) { submitRegistration(input: $input) {
  __typename
  ... on SubmitRegistrationSuccess { registration {
    id referenceNumber status applicantName socialInsuranceCode phone email startDate channel
    submissionMethod idDocument { type number }
    contactAddress { province { code } district { code } ward { code } street }
    receivingOffice { code } } }
  ... on InvalidInput { errors { field code message } }
} }"""
APPROVE = """mutation($input: ApproveRegistrationInput!) { approveRegistration(input: $input) {
  __typename
  ... on DecideRegistrationSuccess { registration { id status decidedAt phone }
    account { username role mustChangePassword person { socialInsuranceCode } } }
  ... on InvalidInput { errors { field code message } }
  ... on NotAllowed { message }
} }"""
REJECT = """mutation($input: RejectRegistrationInput!) { rejectRegistration(input: $input) {
  __typename
  ... on DecideRegistrationSuccess { registration { id status rejectionReason decidedAt } account { username } }
  ... on InvalidInput { errors { field code message } }
  ... on NotAllowed { message }
} }"""
LOGIN = """mutation($input: LoginInput!) { login(input: $input) {
  __typename ... on LoginSuccess { account { username mustChangePassword } } } }"""

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def today() -> Any:
    return datetime.now(VIETNAM_TZ).date()


async def make_person(api: Api, province: str = "01", name: str = "Phạm Thị Ngọc Ánh") -> Any:
    """A new insured person of the province, made for one test: no account, no form, no records."""
    async with api.app.state.runtime.sessionmaker() as session:
        while True:
            code = f"{province}9{secrets.randbelow(10**7):07d}"
            taken = await session.execute(
                select(person_t.c.id).where(person_t.c.social_insurance_code == code)
            )
            if taken.first() is None:
                break
        await session.execute(
            insert(person_t).values(
                social_insurance_code=code,
                full_name=name,
                search_name=fold(name),
                gender="FEMALE",
                date_of_birth=date(1990, 5, 17),
                province_scope=province,
                address_scheme="2004",
                province_code=province,
            )
        )
        await session.commit()
        return (await session.execute(select(person_t).where(person_t.c.social_insurance_code == code))).one()


async def fresh_person(api: Api) -> Any:
    """A person of Hà Nội (officer.hanoi's scope) with no account and no form yet."""
    return await make_person(api, "01")


async def hanoi_address(api: Api) -> dict[str, str]:
    """A 2004-scheme ward of Hà Nội with its district."""
    async with api.app.state.runtime.sessionmaker() as session:
        ward = (
            await session.execute(
                select(admin_unit_t.c.code, admin_unit_t.c.parent_code)
                .where(
                    admin_unit_t.c.scheme == "2004",
                    admin_unit_t.c.level == "WARD",
                    admin_unit_t.c.province_code == "01",
                )
                .order_by(admin_unit_t.c.code)
                .limit(1)
            )
        ).one()
    return {"provinceCode": "01", "districtCode": ward.parent_code, "wardCode": ward.code, "street": "Số 1"}


def form(person: Any, address: dict[str, Any], **changes: Any) -> dict[str, Any]:
    values = {
        "applicantName": person.full_name,
        "socialInsuranceCode": person.social_insurance_code,
        "idDocumentType": "CCCD",
        "idDocumentNumber": "001089000123",
        "contactAddress": address,
        "contactPerson": None,
        "email": "nguoi.nop@example.vn",
        "phone": "0983847986",
        "startDate": today().isoformat(),
        "channel": "PORTAL",
        "receivingOfficeCode": "01",
        "submissionMethod": "AT_OFFICE",
    }
    values.update(changes)
    return {"input": values}


async def submit(api: Api, variables: dict[str, Any], as_: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = (await api.data(SUBMIT, variables, as_=as_))["submitRegistration"]
    return result


async def pending(api: Api, **changes: Any) -> tuple[Any, dict[str, Any]]:
    """A new pending form for a fresh person (receiving office 01: officer.hanoi decides)."""
    person = await fresh_person(api)
    result = await submit(api, form(person, await hanoi_address(api), **changes))
    assert result["__typename"] == "SubmitRegistrationSuccess", result
    return person, result["registration"]


def fields(result: dict[str, Any]) -> dict[str, str]:
    assert result["__typename"] == "InvalidInput", result
    return {e["field"][-1]: e["code"] for e in result["errors"]}


async def rows(api: Api, table: Any, *conditions: Any) -> list[Any]:
    async with api.app.state.runtime.sessionmaker() as session:
        return list((await session.execute(select(table).where(*conditions).order_by(table.c.id))).all())


def pk(node_id: str) -> int:
    return parse_global_id(node_id)[1]


# ---------- submission ----------


async def test_submit_registration_success_returns_pending_form_with_reference(api: Api) -> None:
    person, registration = await pending(
        api, phone="+84 983 847 986", idDocumentType="PASSPORT", idDocumentNumber="c1234567"
    )
    year = today().year
    assert registration["referenceNumber"].startswith(f"01-{year}-")
    assert len(registration["referenceNumber"]) == len("01-2026-000123")
    assert registration["status"] == "PENDING"
    assert registration["socialInsuranceCode"] == person.social_insurance_code
    assert registration["phone"] == "0983847986"  # normalised
    assert registration["idDocument"] == {"type": "PASSPORT", "number": "C1234567"}
    assert registration["contactAddress"]["district"] is not None
    assert registration["receivingOffice"] == {"code": "01"}
    stored = (await rows(api, registration_t, registration_t.c.id == pk(registration["id"])))[0]
    assert stored.address_scheme == "2004" and stored.province_scope == "01"


async def test_submit_registration_invalid_input_reports_every_problem(api: Api) -> None:
    person = await fresh_person(api)
    variables = form(
        person,
        {"provinceCode": "1", "wardCode": "abc"},
        socialInsuranceCode="12345",
        idDocumentType="CMND",
        idDocumentNumber="12345678",
        email="not-an-email",
        phone="0123456789",
        startDate=(today() - timedelta(days=1)).isoformat(),
        receivingOfficeCode="ZZ",
        applicantName="   ",
    )
    result = await submit(api, variables)
    assert fields(result) == {
        "applicantName": "REQUIRED",
        "socialInsuranceCode": "FORMAT",
        "idDocumentNumber": "FORMAT",
        "provinceCode": "FORMAT",
        "wardCode": "FORMAT",
        "email": "FORMAT",
        "phone": "FORMAT",
        "startDate": "IN_THE_PAST",
        "receivingOfficeCode": "NOT_FOUND",
    }
    paths = {tuple(e["field"]) for e in result["errors"]}
    assert ("input", "contactAddress", "wardCode") in paths and ("input", "phone") in paths


async def test_submit_registration_id_document_formats_checked(api: Api) -> None:
    person = await fresh_person(api)
    address = await hanoi_address(api)
    for kind, number in [
        ("CMND", "0123456789"),
        ("CCCD", "12345678901"),
        ("PASSPORT", "12345678"),
        ("PASSPORT", "AB123456"),
    ]:
        result = await submit(api, form(person, address, idDocumentType=kind, idDocumentNumber=number))
        assert fields(result) == {"idDocumentNumber": "FORMAT"}, (kind, number)
    ok = await submit(api, form(person, address, idDocumentType="CMND", idDocumentNumber="012345678"))
    assert ok["__typename"] == "SubmitRegistrationSuccess"


async def test_submit_registration_name_without_diacritics_no_match(api: Api) -> None:
    person = await fresh_person(api)
    plain = fold(person.full_name)
    assert plain != person.full_name.casefold()
    result = await submit(api, form(person, await hanoi_address(api), applicantName=plain))
    assert fields(result) == {"socialInsuranceCode": "NO_MATCH"}


async def test_submit_registration_decomposed_name_other_case_and_spacing_accepted(api: Api) -> None:
    person = await fresh_person(api)
    decomposed = "  " + unicodedata.normalize("NFD", person.full_name.upper()).replace(" ", "   ") + " "
    assert decomposed != person.full_name
    result = await submit(api, form(person, await hanoi_address(api), applicantName=decomposed))
    assert result["__typename"] == "SubmitRegistrationSuccess"
    assert unicodedata.is_normalized("NFC", result["registration"]["applicantName"])


async def test_submit_registration_unknown_code_same_answer_as_wrong_name(api: Api) -> None:
    person = await fresh_person(api)
    address = await hanoi_address(api)
    unknown = await submit(api, form(person, address, socialInsuranceCode="9999999999"))
    wrong_name = await submit(api, form(person, address, applicantName="Trần Văn Không Có"))
    assert unknown["errors"] == wrong_name["errors"]
    assert fields(unknown) == {"socialInsuranceCode": "NO_MATCH"}


async def test_submit_registration_account_exists_refused(api: Api) -> None:
    golden = type("P", (), {"full_name": "Nguyễn Thành Biên", "social_insurance_code": "0113099841"})
    result = await submit(api, form(golden, await hanoi_address(api)))
    assert fields(result) == {"socialInsuranceCode": "ACCOUNT_EXISTS"}
    assert "already has an account" in result["errors"][0]["message"]


async def test_submit_registration_second_pending_form_refused(api: Api) -> None:
    person, _ = await pending(api)
    again = await submit(api, form(person, await hanoi_address(api)))
    assert fields(again) == {"socialInsuranceCode": "PENDING_EXISTS"}


async def test_submit_registration_address_2025_shape_stored_without_district(api: Api) -> None:
    person = await fresh_person(api)
    address = await hanoi_address(api)
    two_level = {"provinceCode": "01", "wardCode": address["wardCode"], "street": "Ngõ 5"}
    result = await submit(api, form(person, two_level))
    assert result["__typename"] == "SubmitRegistrationSuccess", result
    assert result["registration"]["contactAddress"]["district"] is None
    stored = (await rows(api, registration_t, registration_t.c.id == pk(result["registration"]["id"])))[0]
    assert (stored.address_scheme, stored.district_code, stored.ward_code) == (
        "2025",
        None,
        address["wardCode"],
    )


async def test_submit_registration_address_parts_that_do_not_belong_together_invalid(api: Api) -> None:
    person = await fresh_person(api)
    address = await hanoi_address(api)
    # A Hà Nội district under Hồ Chí Minh City, and a ward under a district it is not in.
    wrong_province = {**address, "provinceCode": "79"}
    assert fields(await submit(api, form(person, wrong_province))) == {"districtCode": "MISMATCH"}
    wrong_district = {**address, "provinceCode": "79", "districtCode": "760"}
    assert fields(await submit(api, form(person, wrong_district))) == {"wardCode": "MISMATCH"}
    unknown = {"provinceCode": "01", "districtCode": "999", "wardCode": "99999"}
    assert fields(await submit(api, form(person, unknown))) == {
        "districtCode": "NOT_FOUND",
        "wardCode": "NOT_FOUND",
    }
    # Without a district the address is of the 2025 shape: a 2025 province and one of its communes.
    saigon_ward = {"provinceCode": "79", "wardCode": address["wardCode"]}
    assert fields(await submit(api, form(person, saigon_ward))) == {"wardCode": "MISMATCH"}


async def test_submit_registration_same_client_mutation_id_returns_same_form(api: Api) -> None:
    person = await fresh_person(api)
    variables = form(person, await hanoi_address(api), clientMutationId="retry-me-1")
    first = await submit(api, variables)
    second = await submit(api, variables)
    assert first["__typename"] == second["__typename"] == "SubmitRegistrationSuccess"
    assert first["registration"]["id"] == second["registration"]["id"]
    stored = await rows(
        api, registration_t, registration_t.c.social_insurance_code == person.social_insurance_code
    )
    assert len(stored) == 1
    other = await fresh_person(api)
    reused = await submit(api, form(other, await hanoi_address(api), clientMutationId="retry-me-1"))
    assert fields(reused) == {"clientMutationId": "ALREADY_USED"}


async def test_submit_registration_reused_client_mutation_id_other_input_gets_no_private_data(
    api: Api,
) -> None:
    """Issue 13, finding 5: the key of a victim's form, sent with the victim's code and name (both
    findable) but the attacker's own phone, e-mail, address and ID number, answered Success with the
    victim's phone, e-mail, ID document and address. A key is bound to its whole input."""
    person = await fresh_person(api)
    address = await hanoi_address(api)
    victim = form(person, address, clientMutationId="victim-key-1", phone="0912000111")
    first = await submit(api, victim)
    assert first["__typename"] == "SubmitRegistrationSuccess"
    changes: list[dict[str, Any]] = [
        {"phone": "0987000222"},
        {"email": "attacker@example.vn"},
        {"idDocumentNumber": "001089000999"},
        {"contactAddress": {**address, "street": "Somewhere else"}},
        {"startDate": (today() + timedelta(days=3)).isoformat()},
        {"phone": "0987000222", "email": None, "idDocumentNumber": "001089000999"},
    ]
    for change in changes:
        reused = await submit(api, {"input": {**victim["input"], **change}})
        assert fields(reused) == {"clientMutationId": "ALREADY_USED"}, change
        assert "0912000111" not in json.dumps(reused) and "001089000123" not in json.dumps(reused)
    again = await submit(api, victim)
    assert again["__typename"] == "SubmitRegistrationSuccess"
    assert again["registration"]["id"] == first["registration"]["id"]
    stored = await rows(api, registration_t, registration_t.c.client_mutation_id == "victim-key-1")
    assert len(stored) == 1 and stored[0].phone == "0912000111"


async def test_submit_registration_concurrent_same_client_mutation_id_creates_one(api: Api) -> None:
    person = await fresh_person(api)
    variables = form(person, await hanoi_address(api), clientMutationId="race-me-1")
    results = await asyncio.gather(*(submit(api, variables) for _ in range(3)))
    assert {r["__typename"] for r in results} == {"SubmitRegistrationSuccess"}
    assert len({r["registration"]["id"] for r in results}) == 1
    stored = await rows(
        api, registration_t, registration_t.c.social_insurance_code == person.social_insurance_code
    )
    assert len(stored) == 1


async def test_submit_registration_writes_event_and_audit(api: Api) -> None:
    person, registration = await pending(api)
    registration_id = pk(registration["id"])
    events = await rows(
        api, event_t, event_t.c.subject_type == "Registration", event_t.c.subject_id == registration_id
    )
    assert [(e.type, e.person_id, e.province_code) for e in events] == [
        ("REGISTRATION_SUBMITTED", person.id, "01")
    ]
    audits = await rows(
        api, audit_t, audit_t.c.subject_type == "Registration", audit_t.c.subject_id == registration_id
    )
    assert [a.action for a in audits] == ["submitRegistration"]
    assert audits[0].actor_account_id is None


# ---------- photos (multipart) ----------


@pytest.fixture(scope="module")
async def upload_app(seeded: Settings) -> AsyncIterator[tuple[Any, Path]]:
    """The same database, with photos stored in a temporary folder."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(dataclasses.replace(seeded, upload_dir=folder))
        yield app, Path(folder)
        await app.state.runtime.engine.dispose()


async def multipart(
    app: Any,
    variables: dict[str, Any],
    files: dict[str, tuple[str, bytes, str]],
    headers: dict[str, str],
    status: int = 200,
) -> dict[str, Any]:
    """A request by the GraphQL multipart request spec: operations, map, then the files."""
    paths = {str(i): [f"variables.input.{name}"] for i, name in enumerate(files)}
    for name in files:
        variables["input"][name] = None
    parts = {str(i): files[name] for i, name in enumerate(files)}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        response = await client.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": SUBMIT, "variables": variables}),
                "map": json.dumps(paths),
            },
            files=parts,
            headers=headers,
        )
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_submit_registration_photos_stored_by_content_hash(
    api: Api, upload_app: tuple[Any, Path]
) -> None:
    app, folder = upload_app
    person = await fresh_person(api)
    variables = form(person, await hanoi_address(api))
    files = {
        "portrait": ("anh.png", PNG, "application/octet-stream"),  # the name and type do not matter
        "idFront": ("truoc.jpg", JPEG, "image/jpeg"),
        "idBack": ("sau.bin", JPEG + b"back", "image/jpeg"),
    }
    body = await multipart(app, variables, files, {"Apollo-Require-Preflight": "true"})
    result = body["data"]["submitRegistration"]
    assert result["__typename"] == "SubmitRegistrationSuccess", body
    stored = (await rows(api, registration_t, registration_t.c.id == pk(result["registration"]["id"])))[0]
    for column, content in [
        ("portrait_sha256", PNG),
        ("id_front_sha256", JPEG),
        ("id_back_sha256", JPEG + b"back"),
    ]:
        digest = hashlib.sha256(content).hexdigest()
        assert getattr(stored, column) == digest
        assert (folder / digest[:2] / digest[2:4] / digest).read_bytes() == content


async def test_submit_registration_upload_without_preflight_header_forbidden(
    api: Api, upload_app: tuple[Any, Path]
) -> None:
    app, _ = upload_app
    person = await fresh_person(api)
    body = await multipart(
        app, form(person, await hanoi_address(api)), {"portrait": ("a.jpg", JPEG, "image/jpeg")}, {}, 403
    )
    assert codes(body) == ["FORBIDDEN"]
    assert "Apollo-Require-Preflight" in body["errors"][0]["message"]
    assert not await rows(
        api, registration_t, registration_t.c.social_insurance_code == person.social_insurance_code
    )


async def test_submit_registration_upload_not_an_image_or_too_large_invalid(
    api: Api, upload_app: tuple[Any, Path]
) -> None:
    app, _ = upload_app
    person = await fresh_person(api)
    files = {
        "portrait": ("anh.jpg", b"GIF89a not a jpeg at all", "image/jpeg"),
        "idFront": ("big.jpg", JPEG + b"\x00" * (5 * 1024 * 1024), "image/jpeg"),
        "idBack": ("empty.png", b"", "image/png"),
    }
    body = await multipart(
        app, form(person, await hanoi_address(api)), files, {"X-Apollo-Operation-Name": "submitRegistration"}
    )
    assert fields(body["data"]["submitRegistration"]) == {
        "portrait": "FILE_TYPE",
        "idFront": "FILE_TOO_LARGE",
        "idBack": "FILE_EMPTY",
    }


# ---------- approval ----------


async def test_approve_registration_success_creates_account_and_sends_password(
    api: Api, message_log: Path
) -> None:
    person, registration = await pending(api)
    result = (
        await api.data(
            APPROVE,
            {"input": {"registrationId": registration["id"], "documentVerified": True}},
            as_="officer.hanoi",
        )
    )["approveRegistration"]
    assert result["__typename"] == "DecideRegistrationSuccess", result
    assert result["registration"]["status"] == "APPROVED" and result["registration"]["decidedAt"]
    assert result["registration"]["phone"] == "0983847986"  # an officer in scope sees the form
    assert result["account"] == {
        "username": person.social_insurance_code,
        "role": "CITIZEN",
        "mustChangePassword": True,
        "person": {"socialInsuranceCode": person.social_insurance_code},
    }
    await api.app.state.runtime.outbox.deliver_due()
    sent = [
        m
        for m in messages(message_log, "account_created")
        if m["params"]["username"] == person.social_insurance_code
    ]
    assert sorted((m["channel"], m["to"]) for m in sent) == [
        ("email", "nguoi.nop@example.vn"),
        ("sms", "0983847986"),
    ]
    password = sent[0]["params"]["password"]
    assert len(password) == 12 and sent[1]["params"]["password"] == password
    login = await api.data(
        LOGIN,
        {"input": {"username": person.social_insurance_code, "password": password, "deviceId": "new-phone"}},
    )
    assert login["login"]["account"] == {"username": person.social_insurance_code, "mustChangePassword": True}
    registration_id = pk(registration["id"])
    events = await rows(
        api, event_t, event_t.c.subject_type == "Registration", event_t.c.subject_id == registration_id
    )
    assert [e.type for e in events] == ["REGISTRATION_SUBMITTED", "REGISTRATION_APPROVED"]
    assert events[1].person_id == person.id and events[1].province_code == "01"
    audits = await rows(
        api, audit_t, audit_t.c.subject_type == "Registration", audit_t.c.subject_id == registration_id
    )
    assert [a.action for a in audits] == ["submitRegistration", "approveRegistration"]
    assert audits[1].actor_username == "officer.hanoi" and password not in (audits[1].detail or "")


async def test_approve_registration_documents_not_verified_invalid(api: Api) -> None:
    _, registration = await pending(api)
    result = (
        await api.data(
            APPROVE,
            {"input": {"registrationId": registration["id"], "documentVerified": False}},
            as_="officer.hanoi",
        )
    )["approveRegistration"]
    assert fields(result) == {"documentVerified": "DOCUMENTS_NOT_VERIFIED"}


async def test_approve_registration_officer_of_other_province_not_found(api: Api) -> None:
    _, registration = await pending(api)
    result = (
        await api.data(
            APPROVE,
            {"input": {"registrationId": registration["id"], "documentVerified": True}},
            as_="officer.hcm",
        )
    )["approveRegistration"]
    assert fields(result) == {"registrationId": "NOT_FOUND"}
    missing = global_id("Registration", 987654321)
    unknown = (
        await api.data(
            APPROVE, {"input": {"registrationId": missing, "documentVerified": True}}, as_="officer.hanoi"
        )
    )["approveRegistration"]
    garbage = (
        await api.data(
            APPROVE, {"input": {"registrationId": "%%%", "documentVerified": True}}, as_="officer.hanoi"
        )
    )["approveRegistration"]
    assert unknown["errors"] == garbage["errors"] == result["errors"]


@pytest.mark.parametrize(
    "username", ["admin", "analyst", "partner.hospital", "partner.employer", "0113099841"]
)
async def test_approve_registration_not_an_officer_not_allowed(api: Api, username: str) -> None:
    _, registration = await pending(api)
    variables = {"input": {"registrationId": registration["id"], "documentVerified": True}}
    result = (await api.data(APPROVE, variables, as_=username))["approveRegistration"]
    assert result["__typename"] == "NotAllowed" and "officers" in result["message"]
    rejected = (
        await api.data(REJECT, {"input": {"registrationId": registration["id"], "reason": "x"}}, as_=username)
    )["rejectRegistration"]
    assert rejected["__typename"] == "NotAllowed"


async def test_approve_registration_anonymous_unauthenticated(api: Api) -> None:
    _, registration = await pending(api)
    body = await api.post(
        APPROVE, {"input": {"registrationId": registration["id"], "documentVerified": True}}
    )
    assert codes(body) == ["UNAUTHENTICATED"]
    body = await api.post(REJECT, {"input": {"registrationId": registration["id"], "reason": "x"}})
    assert codes(body) == ["UNAUTHENTICATED"]


async def test_approve_registration_concurrent_exactly_one_wins(api: Api) -> None:
    person, registration = await pending(api)
    variables = {"input": {"registrationId": registration["id"], "documentVerified": True}}
    await api.token("officer.hanoi")
    results = await asyncio.gather(*(api.data(APPROVE, variables, as_="officer.hanoi") for _ in range(2)))
    kinds = sorted(r["approveRegistration"]["__typename"] for r in results)
    assert kinds == ["DecideRegistrationSuccess", "InvalidInput"]
    loser = next(
        r["approveRegistration"] for r in results if r["approveRegistration"]["__typename"] == "InvalidInput"
    )
    assert loser["errors"][0]["code"] in {"ALREADY_DECIDED", "ACCOUNT_EXISTS"}
    accounts = await rows(api, account_t, account_t.c.person_id == person.id)
    assert len(accounts) == 1


async def test_approve_registration_already_decided_invalid(api: Api) -> None:
    _, registration = await pending(api)
    await api.data(
        REJECT, {"input": {"registrationId": registration["id"], "reason": "Ảnh mờ"}}, as_="officer.hanoi"
    )
    result = (
        await api.data(
            APPROVE,
            {"input": {"registrationId": registration["id"], "documentVerified": True}},
            as_="officer.hanoi",
        )
    )["approveRegistration"]
    assert fields(result) == {"registrationId": "ALREADY_DECIDED"}


# ---------- rejection ----------


async def test_reject_registration_success_notifies_reason(api: Api, message_log: Path) -> None:
    person, registration = await pending(api, email=None)
    reason = "Số CCCD không khớp với giấy tờ xuất trình."
    result = (
        await api.data(
            REJECT, {"input": {"registrationId": registration["id"], "reason": reason}}, as_="officer.hanoi"
        )
    )["rejectRegistration"]
    assert result["__typename"] == "DecideRegistrationSuccess", result
    assert result["registration"]["status"] == "REJECTED"
    assert result["registration"]["rejectionReason"] == reason
    assert result["account"] is None
    await api.app.state.runtime.outbox.deliver_due()
    sent = [
        m
        for m in messages(message_log, "registration_rejected")
        if m["params"]["reference"] == registration["referenceNumber"]
    ]
    assert [m["channel"] for m in sent] == ["sms"]  # no e-mail was given
    assert "CCCD khong khop" in sent[0]["text"]  # SMS without diacritics
    assert not await rows(api, account_t, account_t.c.person_id == person.id)
    events = await rows(
        api, event_t, event_t.c.subject_type == "Registration", event_t.c.subject_id == pk(registration["id"])
    )
    assert [e.type for e in events] == ["REGISTRATION_SUBMITTED", "REGISTRATION_REJECTED"]
    audits = await rows(
        api, audit_t, audit_t.c.subject_type == "Registration", audit_t.c.subject_id == pk(registration["id"])
    )
    assert audits[-1].action == "rejectRegistration" and reason in (audits[-1].detail or "")


async def test_reject_registration_officer_of_other_province_not_found(api: Api) -> None:
    _, registration = await pending(api)
    variables = {"input": {"registrationId": registration["id"], "reason": "Không rõ"}}
    result = (await api.data(REJECT, variables, as_="officer.hcm"))["rejectRegistration"]
    assert fields(result) == {"registrationId": "NOT_FOUND"}
    stored = (await rows(api, registration_t, registration_t.c.id == pk(registration["id"])))[0]
    assert stored.status == "PENDING"


async def test_reject_registration_empty_or_too_long_reason_invalid(api: Api) -> None:
    _, registration = await pending(api)
    for reason, code in [("   ", "REQUIRED"), ("x" * 1001, "TOO_LONG")]:
        result = (
            await api.data(
                REJECT,
                {"input": {"registrationId": registration["id"], "reason": reason}},
                as_="officer.hanoi",
            )
        )["rejectRegistration"]
        assert fields(result) == {"reason": code}


# ---------- the list ----------

LIST = """query($status: RegistrationStatus) { registrations(status: $status, first: 100) {
  nodes { id referenceNumber status submittedAt receivingOffice { code } } } }"""


async def test_registrations_officer_sees_own_province_newest_first(api: Api) -> None:
    _, older = await pending(api)
    _, newer = await pending(api)
    nodes = (await api.data(LIST, {"status": "PENDING"}, as_="officer.hanoi"))["registrations"]["nodes"]
    ids = [n["id"] for n in nodes]
    assert ids.index(newer["id"]) < ids.index(older["id"])
    assert {n["status"] for n in nodes} == {"PENDING"}
    stamps = [n["submittedAt"] for n in nodes]
    assert stamps == sorted(stamps, reverse=True)
    other = (await api.data(LIST, {"status": "PENDING"}, as_="officer.hcm"))["registrations"]["nodes"]
    assert newer["id"] not in {n["id"] for n in other}
