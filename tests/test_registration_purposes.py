"""Form 01's other purposes (ADJUST, STOP), the follow-up without an account, the documents the
deciding officer sees, and the rules that tie a form to the record."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from auth import tokens
from models.tables import access_log_t, account_t, auth_session_t, person_t
from schema.node import global_id
from server import create_app
from settings import Settings
from tests.conftest import Api, Factory
from tests.test_account import LOGIN, call, login_input
from tests.test_registration import (
    APPROVE,
    JPEG,
    PNG,
    fields,
    form,
    fresh_person,
    hanoi_address,
    make_person,
    multipart,
    pk,
    rows,
    submit,
)


@pytest.fixture(scope="module")
async def documents_app(seeded: Settings) -> AsyncIterator[tuple[Any, Path]]:
    """The same database, with photos stored in a temporary folder."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(dataclasses.replace(seeded, upload_dir=folder))
        yield app, Path(folder)
        await app.state.runtime.engine.dispose()


STATUS = """query($r: String!, $c: String!) { registrationStatus(referenceNumber: $r, socialInsuranceCode: $c,
  captchaId: "x", captchaAnswer: "x") { referenceNumber status purpose submittedAt decidedAt rejectionReason } }"""
DOCUMENTS = """query($id: ID!) { node(id: $id) { ... on Registration { purpose documents { kind contentType url } } } }"""


async def citizen_with_account(api: Api, factory: Factory) -> tuple[Any, str]:
    person = await fresh_person(api)
    username = await factory.citizen(person=person)
    return person, username


async def approve(api: Api, registration_id: str) -> dict[str, Any]:
    variables = {"input": {"registrationId": registration_id, "documentVerified": True}}
    result: dict[str, Any] = (await api.data(APPROVE, variables, as_="officer.hanoi"))["approveRegistration"]
    return result


async def test_submit_registration_adjust_applies_the_change_on_approval(api: Api, factory: Factory) -> None:
    person, _ = await citizen_with_account(api, factory)
    address = await hanoi_address(api)
    result = await submit(
        api, form(person, address, purpose="ADJUST", phone="0912345678", email="moi@example.vn")
    )
    assert result["__typename"] == "SubmitRegistrationSuccess", result
    decided = await approve(api, result["registration"]["id"])
    assert decided["__typename"] == "DecideRegistrationSuccess", decided
    stored = (await rows(api, person_t, person_t.c.id == person.id))[0]
    assert (stored.phone, stored.email, stored.ward_code) == (
        "0912345678",
        "moi@example.vn",
        address["wardCode"],
    )
    assert stored.province_scope == "01"


async def test_submit_registration_stop_disables_account_and_ends_sessions(
    api: Api, factory: Factory
) -> None:
    person, username = await citizen_with_account(api, factory)
    signed_in = (await call(api.client, LOGIN, login_input(username, "Citizen-Pass-2026")))["data"]["login"]
    assert signed_in["__typename"] == "LoginSuccess"
    result = await submit(api, form(person, await hanoi_address(api), purpose="STOP"))
    assert result["__typename"] == "SubmitRegistrationSuccess", result
    decided = await approve(api, result["registration"]["id"])
    assert decided["__typename"] == "DecideRegistrationSuccess", decided
    account = (await rows(api, account_t, account_t.c.username == username))[0]
    assert account.disabled is True
    sessions = await rows(api, auth_session_t, auth_session_t.c.account_id == account.id)
    assert sessions and all(s.revoked_at is not None for s in sessions)
    gone = await call(api.client, "{ viewer { account { username } } }", {}, signed_in["token"])
    assert gone["data"]["viewer"] is None
    again = (await call(api.client, LOGIN, login_input(username, "Citizen-Pass-2026")))["data"]["login"]
    assert again["__typename"] == "InvalidCredentials"


async def test_submit_registration_adjust_or_stop_without_account_invalid(api: Api) -> None:
    person = await fresh_person(api)
    for purpose in ("ADJUST", "STOP"):
        result = await submit(api, form(person, await hanoi_address(api), purpose=purpose))
        assert fields(result) == {"purpose": "NO_ACCOUNT"}, purpose


async def test_submit_registration_id_must_match_record_and_province(api: Api) -> None:
    person = await fresh_person(api)
    async with api.app.state.runtime.sessionmaker() as session:
        await session.execute(
            update(person_t)
            .where(person_t.c.id == person.id)
            .values(id_type="CCCD", id_number="001090000777")
        )
        await session.commit()
    other = await submit(api, form(person, await hanoi_address(api), idDocumentNumber="001090000778"))
    assert fields(other) == {"socialInsuranceCode": "NO_MATCH"}  # the form is no way to test ID numbers
    nowhere = await submit(
        api, form(await fresh_person(api), await hanoi_address(api), idDocumentNumber="099090000777")
    )
    assert fields(nowhere) == {"idDocumentNumber": "ID_PROVINCE_UNKNOWN"}
    elsewhere = await submit(
        api, form(await fresh_person(api), await hanoi_address(api), receivingOfficeCode="79")
    )
    assert fields(elsewhere) == {"receivingOfficeCode": "OFFICE_OUT_OF_PROVINCE"}
    national = await submit(
        api, form(await fresh_person(api), await hanoi_address(api), receivingOfficeCode="00")
    )
    assert national["__typename"] == "SubmitRegistrationSuccess", national


async def test_approve_registration_record_changed_since_id_mismatch(api: Api) -> None:
    person = await fresh_person(api)
    result = await submit(api, form(person, await hanoi_address(api)))
    async with api.app.state.runtime.sessionmaker() as session:
        await session.execute(
            update(person_t)
            .where(person_t.c.id == person.id)
            .values(id_type="CCCD", id_number="001090000999")
        )
        await session.commit()
    assert fields(await approve(api, result["registration"]["id"])) == {"registrationId": "ID_MISMATCH"}


async def test_registration_status_by_reference_and_code(api: Api) -> None:
    person = await fresh_person(api)
    result = await submit(api, form(person, await hanoi_address(api)))
    reference = result["registration"]["referenceNumber"]
    found = await api.data(STATUS, {"r": reference, "c": person.social_insurance_code})
    status = found["registrationStatus"]
    assert status["referenceNumber"] == reference and status["status"] == "PENDING"
    assert status["purpose"] == "REGISTER" and status["submittedAt"].endswith("+07:00")
    assert set(status) == {
        "referenceNumber",
        "status",
        "purpose",
        "submittedAt",
        "decidedAt",
        "rejectionReason",
    }
    wrong = await api.data(STATUS, {"r": reference, "c": "0199999991"})
    assert wrong["registrationStatus"] is None  # looks like no form at all
    assert (await api.data(STATUS, {"r": "01-2099-999999", "c": person.social_insurance_code}))[
        "registrationStatus"
    ] is None


async def test_registration_status_budget_per_address(api: Api) -> None:
    body: dict[str, Any] = {}
    headers = {"X-Forwarded-For": "203.0.113.77"}
    for _ in range(25):
        response = await api.client.post(
            "/graphql",
            json={"query": STATUS, "variables": {"r": "01-2026-000001", "c": "0100000001"}},
            headers=headers,
        )
        body = response.json()
        if body.get("errors"):
            break
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED", body


async def test_registration_documents_short_lived_urls_for_the_officer_logged(
    api: Api, documents_app: tuple[Any, Path]
) -> None:
    app, _ = documents_app
    person = await make_person(api, "01", "Lê Thị Hồ Sơ")
    variables = form(person, await hanoi_address(api))
    files = {"portrait": ("a.png", PNG, "image/png"), "idFront": ("b.jpg", JPEG, "image/jpeg")}
    body = await multipart(app, variables, files, {"Apollo-Require-Preflight": "true"})
    registration = body["data"]["submitRegistration"]["registration"]
    node = global_id("Registration", pk(registration["id"]))
    async with api.app.state.runtime.sessionmaker() as session:
        officer = (
            await session.execute(select(account_t.c.id).where(account_t.c.username == "officer.hanoi"))
        ).scalar_one()
        token, _ = await tokens.issue(session, officer, "documents-test-device")
        await session.commit()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        seen = (await call(client, DOCUMENTS, {"id": node}, token))["data"]["node"]
        assert seen["purpose"] == "REGISTER"
        kinds = {d["kind"]: d for d in seen["documents"]}
        assert set(kinds) == {"PORTRAIT", "ID_FRONT"} and kinds["PORTRAIT"]["contentType"] == "image/png"
        url = kinds["PORTRAIT"]["url"]
        image = await client.get(url)
        assert image.status_code == 200 and image.content == PNG
        assert (await client.get(url.replace("&t=", "&t=0"))).status_code == 404  # forged
        assert (await client.get(url.replace("?s=", "?s=1"))).status_code == 404  # another session's
        anonymous = (await call(client, DOCUMENTS, {"id": node}))["data"]
        assert anonymous["node"] is None
    logged = await rows(api, access_log_t, access_log_t.c.person_id == person.id)
    assert any("Registration.documents" in entry.fields for entry in logged)
    async with api.app.state.runtime.sessionmaker() as session:
        await session.execute(
            update(auth_session_t)
            .where(auth_session_t.c.device_id == "documents-test-device")
            .values(revoked_at=auth_session_t.c.created_at)
        )
        await session.commit()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        assert (await client.get(url)).status_code == 404  # the session ended
