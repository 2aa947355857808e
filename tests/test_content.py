"""The open content features: FAQ, news, feedback, and the social-insurance code lookup."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from itertools import count
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select

from models.tables import feedback_t, person_t
from server import create_app
from settings import Settings
from tests.conftest import Api, codes
from tests.paging import PAGE_INFO, check_page_bounds, walk

GOLDEN = "0113099841"
KNOWN_CAPTCHA = "KQ7PX"
_addresses = count(10)


@asynccontextmanager
async def client_at(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client with an address of its own: the open features are throttled per address."""
    transport = httpx.ASGITransport(app=app, client=(f"203.0.113.{next(_addresses)}", 41000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def call(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
async def captcha_app(seeded: Settings) -> AsyncIterator[Any]:
    """The same database, served with captchas on (the default), with a known captcha text."""
    app = create_app(dataclasses.replace(seeded, captcha="adaptive"))
    app.state.runtime.captcha_text = lambda: KNOWN_CAPTCHA
    yield app
    await app.state.runtime.engine.dispose()


async def new_captcha(client: httpx.AsyncClient) -> str:
    body = await call(client, "mutation { requestCaptcha { id } }")
    return str(body["data"]["requestCaptcha"]["id"])


# ---------- FAQ ----------

FAQS = f"""query($first: Int, $after: String, $search: String) {{
  faqs(search: $search, first: $first, after: $after) {{
    totalCount edges {{ cursor node {{ id question answer topic }} }} {PAGE_INFO} }} }}"""


async def test_faqs_pages_cover_the_list_once_in_order(api: Api) -> None:
    reference = (await api.data(FAQS, {"first": 100}))["faqs"]["edges"]
    walked = await walk(api, FAQS, "faqs", size=4)
    assert [n["id"] for n in walked] == [e["node"]["id"] for e in reference]
    assert len(walked) >= 20
    assert walked[0]["question"] == "Cá nhân đăng ký giao dịch điện tử với cơ quan BHXH ở đâu?"


async def test_faqs_page_bounds_bad_user_input(api: Api) -> None:
    await check_page_bounds(api, FAQS, "faqs")


@pytest.mark.parametrize(
    "text", ["dang ky giao dich", "ĐĂNG KÝ GIAO DỊCH", "  đăng   ký giao dịch ", "giao dich dang ky"]
)
async def test_faqs_search_ignores_diacritics_case_and_word_order(api: Api, text: str) -> None:
    found = (await api.data(FAQS, {"search": text, "first": 50}))["faqs"]
    questions = [e["node"]["question"] for e in found["edges"]]
    assert "Cá nhân đăng ký giao dịch điện tử với cơ quan BHXH ở đâu?" in questions
    assert found["totalCount"] == len(questions)


async def test_faqs_search_the_answer_and_topic_too(api: Api) -> None:
    found = (await api.data(FAQS, {"search": "1900 9068", "first": 50}))["faqs"]["edges"]
    assert "Số tổng đài hỗ trợ của BHXH Việt Nam là bao nhiêu?" in [e["node"]["question"] for e in found]
    assert all("1900 9068" in e["node"]["answer"] + e["node"]["question"] for e in found)
    topical = (await api.data(FAQS, {"search": "mat khau", "first": 50}))["faqs"]["edges"]
    assert {"Mật khẩu"} <= {e["node"]["topic"] for e in topical}


async def test_faqs_search_no_match_empty_page(api: Api) -> None:
    found = (await api.data(FAQS, {"search": "xyzzy plugh", "first": 5}))["faqs"]
    assert found["totalCount"] == 0 and found["edges"] == []
    assert found["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": None,
    }


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ("", "search: give at least 2 characters"),
        ("  ", "search: give at least 2 characters"),
        ("đ", "search: give at least 2 characters"),
        ("á" * 101, "search: at most 100 characters (got 101)"),
    ],
)
async def test_faqs_bad_search_specific_error(api: Api, search: str, message: str) -> None:
    body = await api.post(FAQS, {"search": search})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert message in body["errors"][0]["message"]


@pytest.mark.parametrize("escape", ["\\u0000", "\\u{0}", "\x00"])
async def test_faqs_search_text_no_database_can_take_bad_user_input(api: Api, escape: str) -> None:
    """Found by fuzzing: in a search, U+0000 broke PostgreSQL's protocol and was reported as the
    database being unavailable (an unpaired surrogate was INTERNAL). Refused, as a literal (escaped
    or not) and as a variable."""
    literal = await api.post(f'{{ faqs(search: "ab{escape}cd") {{ totalCount }} }}')
    variable = await api.post(FAQS, {"search": "ab\x00cd"})
    # JSON as clients write it: non-ASCII escaped (httpx's json= cannot encode a surrogate).
    request = json.dumps({"query": FAQS, "variables": {"search": "ab\ud800cd"}})
    response = await api.client.post(
        "/graphql", content=request, headers={"content-type": "application/json"}
    )
    surrogate = response.json()
    for body in (literal, variable, surrogate):
        assert codes(body) == ["BAD_USER_INPUT"] and "U+0000" in body["errors"][0]["message"]


# ---------- news ----------

NEWS = f"""query($first: Int, $after: String) {{ news(first: $first, after: $after) {{
    totalCount edges {{ cursor node {{ id title summary body publishedAt videoUrl }} }} {PAGE_INFO} }} }}"""


async def test_news_pages_newest_first_once(api: Api) -> None:
    walked = await walk(api, NEWS, "news", size=5)
    assert len(walked) >= 12
    published = [n["publishedAt"] for n in walked]
    assert published == sorted(published, reverse=True)
    assert all(p.endswith("+07:00") for p in published)
    assert walked[0]["title"] == "Tăng lương cơ sở lên 2.340.000 đồng/tháng từ ngày 01/7/2024"
    assert any(n["videoUrl"] for n in walked) and any(n["videoUrl"] is None for n in walked)
    assert all(n["body"] for n in walked)


async def test_news_page_bounds_bad_user_input(api: Api) -> None:
    await check_page_bounds(api, NEWS, "news")


# ---------- feedback (phản ánh, kiến nghị) ----------

FEEDBACK = """mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) {
  __typename ... on SubmitFeedbackSuccess { referenceNumber }
  ... on InvalidInput { errors { field code message } } } }"""


def feedback(**changes: Any) -> dict[str, Any]:
    values = {
        "fullName": "Trần Thị Hoa",
        "email": "hoa.tran@example.vn",
        "phone": None,
        "topic": "Thẻ BHYT",
        "content": "Tôi chưa thấy thẻ BHYT năm 2026 trên VssID, xin hướng dẫn.",
        "captchaId": "unused",
        "captchaAnswer": "unused",
    }
    return {"input": {**values, **changes}}


async def stored_feedback(api: Api, reference: str) -> Any:
    async with api.app.state.runtime.sessionmaker() as session:
        statement = select(feedback_t).where(feedback_t.c.reference_number == reference)
        return (await session.execute(statement)).one()


async def test_submit_feedback_success_stored_with_quotable_reference(api: Api) -> None:
    async with client_at(api.app) as client:
        body = await call(
            client, FEEDBACK, feedback(fullName="  Trần  Thị Hoa ", phone="+84 983 847 986", email=None)
        )
    result = body["data"]["submitFeedback"]
    assert result["__typename"] == "SubmitFeedbackSuccess"
    reference = result["referenceNumber"]
    assert re.fullmatch(r"PA-20\d\d-\d{6,}", reference), reference
    row = await stored_feedback(api, reference)
    assert (row.full_name, row.phone, row.email, row.topic) == (
        "Trần Thị Hoa",
        "0983847986",
        None,
        "Thẻ BHYT",
    )
    assert row.content.startswith("Tôi chưa thấy thẻ BHYT")


async def test_submit_feedback_references_unique_and_increasing(api: Api) -> None:
    async with client_at(api.app) as client:
        numbers = [
            (await call(client, FEEDBACK, feedback()))["data"]["submitFeedback"]["referenceNumber"]
            for _ in range(3)
        ]
    assert len(set(numbers)) == 3
    assert [int(n.rsplit("-", 1)[1]) for n in numbers] == sorted(int(n.rsplit("-", 1)[1]) for n in numbers)


async def test_submit_feedback_invalid_input_lists_every_problem(api: Api) -> None:
    async with client_at(api.app) as client:
        body = await call(
            client,
            FEEDBACK,
            feedback(fullName="A", email="not-an-email", phone="12345", topic="x", content="short"),
        )
    result = body["data"]["submitFeedback"]
    assert result["__typename"] == "InvalidInput"
    problems = {(e["field"][-1], e["code"]) for e in result["errors"]}
    assert problems == {
        ("fullName", "TOO_SHORT"),
        ("email", "EMAIL_FORMAT"),
        ("phone", "PHONE_FORMAT"),
        ("topic", "TOO_SHORT"),
        ("content", "TOO_SHORT"),
    }
    assert all(e["field"][0] == "input" and e["message"] for e in result["errors"])


async def test_submit_feedback_invalid_input_no_way_to_answer(api: Api) -> None:
    async with client_at(api.app) as client:
        body = await call(client, FEEDBACK, feedback(email="  ", phone=None))
    result = body["data"]["submitFeedback"]
    assert {(e["field"][-1], e["code"]) for e in result["errors"]} == {
        ("email", "CONTACT_REQUIRED"),
        ("phone", "CONTACT_REQUIRED"),
    }


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"fullName": "   "}, "fullName", "REQUIRED"),
        ({"fullName": "N" * 121}, "fullName", "TOO_LONG"),
        ({"topic": "T" * 101}, "topic", "TOO_LONG"),
        ({"content": "x" * 5001}, "content", "TOO_LONG"),
        ({"content": ""}, "content", "REQUIRED"),
        ({"email": "a@b"}, "email", "EMAIL_FORMAT"),
        ({"email": "x" * 250 + "@example.vn"}, "email", "EMAIL_FORMAT"),
    ],
)
async def test_submit_feedback_invalid_input_each_limit(
    api: Api, changes: dict[str, Any], field: str, code: str
) -> None:
    async with client_at(api.app) as client:
        body = await call(client, FEEDBACK, feedback(**changes))
    errors = body["data"]["submitFeedback"]["errors"]
    assert [(e["field"][-1], e["code"]) for e in errors] == [(field, code)]


async def test_submit_feedback_rate_limited_after_five_an_hour(api: Api) -> None:
    async with client_at(api.app) as client:
        for _ in range(5):
            ok = await call(client, FEEDBACK, feedback())
            assert ok["data"]["submitFeedback"]["__typename"] == "SubmitFeedbackSuccess"
        invalid = await call(client, FEEDBACK, feedback(content="short"))
        assert invalid["data"]["submitFeedback"]["__typename"] == "InvalidInput"  # not counted
        limited = await call(client, FEEDBACK, feedback())
    assert codes(limited) == ["RATE_LIMITED"]
    retry = limited["errors"][0]["extensions"]["retryAfterSeconds"]
    assert 0 < retry <= 3601
    assert f"try again in {retry} seconds" in limited["errors"][0]["message"]
    async with client_at(api.app) as elsewhere:
        other = await call(elsewhere, FEEDBACK, feedback())
    assert other["data"]["submitFeedback"]["__typename"] == "SubmitFeedbackSuccess"


async def test_submit_feedback_captcha_required_wrong_and_single_use(captcha_app: Any) -> None:
    async with client_at(captcha_app) as client:
        missing = await call(client, FEEDBACK, feedback(captchaId="", captchaAnswer=""))
        assert [e["code"] for e in missing["data"]["submitFeedback"]["errors"]] == ["CAPTCHA_REQUIRED"]
        wrong = await call(
            client, FEEDBACK, feedback(captchaId=await new_captcha(client), captchaAnswer="ZZZZZ")
        )
        assert [e["code"] for e in wrong["data"]["submitFeedback"]["errors"]] == ["CAPTCHA_WRONG"]
        captcha = await new_captcha(client)
        both = await call(client, FEEDBACK, feedback(content="?", captchaId=captcha, captchaAnswer="nope"))
        assert {e["code"] for e in both["data"]["submitFeedback"]["errors"]} == {"TOO_SHORT", "CAPTCHA_WRONG"}
        captcha = await new_captcha(client)
        right = await call(client, FEEDBACK, feedback(captchaId=captcha, captchaAnswer=KNOWN_CAPTCHA.lower()))
        assert right["data"]["submitFeedback"]["__typename"] == "SubmitFeedbackSuccess"
        reused = await call(client, FEEDBACK, feedback(captchaId=captcha, captchaAnswer=KNOWN_CAPTCHA))
        assert [e["code"] for e in reused["data"]["submitFeedback"]["errors"]] == ["CAPTCHA_EXPIRED"]


# ---------- findSocialInsuranceCode (tra cứu mã số BHXH) ----------

FIND = """query($input: FindSocialInsuranceCodeInput!) { findSocialInsuranceCode(input: $input) {
  socialInsuranceCode maskedName birthYear } }"""


def lookup(**changes: Any) -> dict[str, Any]:
    values = {
        "fullName": "Nguyễn Thành Biên",
        "dateOfBirth": "1984-03-12",
        "provinceCode": "01",
        "idNumber": None,
        "captchaId": "unused",
        "captchaAnswer": "unused",
    }
    return {"input": {**values, **changes}}


async def test_find_social_insurance_code_golden_masked(api: Api) -> None:
    async with client_at(api.app) as client:
        body = await call(client, FIND, lookup())
    assert body["data"]["findSocialInsuranceCode"] == [
        {"socialInsuranceCode": GOLDEN, "maskedName": "Nguyễn T*** B***", "birthYear": 1984}
    ]


@pytest.mark.parametrize("name", ["nguyen thanh bien", "NGUYỄN THÀNH BIÊN", "  Nguyễn   Thành Biên "])
async def test_find_social_insurance_code_name_folded_exact(api: Api, name: str) -> None:
    async with client_at(api.app) as client:
        body = await call(client, FIND, lookup(fullName=name))
    assert [m["socialInsuranceCode"] for m in body["data"]["findSocialInsuranceCode"]] == [GOLDEN]


@pytest.mark.parametrize(
    "changes",
    [
        {"fullName": "Nguyễn Thành"},  # no partial names
        {"fullName": "Nguyễn Thành Biên Hòa"},
        {"fullName": "Nguyễn Thành B%"},  # no wildcards
        {"dateOfBirth": "1984-03-13"},
        {"provinceCode": "79"},
        {"idNumber": "111349876091"},
    ],
)
async def test_find_social_insurance_code_no_match_empty(api: Api, changes: dict[str, Any]) -> None:
    async with client_at(api.app) as client:
        body = await call(client, FIND, lookup(**changes))
    assert body["data"]["findSocialInsuranceCode"] == []


async def test_find_social_insurance_code_id_number_narrows_at_most_five(api: Api) -> None:
    async with api.app.state.runtime.sessionmaker() as session:
        await session.execute(
            insert(person_t),
            [
                {
                    "social_insurance_code": f"02{99_000_000 + i:08d}",
                    "full_name": "Lò Văn Thử",
                    "search_name": "lo van thu",
                    "gender": "MALE",
                    "date_of_birth": date(1990, 5, 6),
                    "id_type": "CCCD",
                    "id_number": f"00209000{i:04d}",
                    "province_scope": "02",
                    "address_scheme": "2004",
                    "province_code": "02",
                }
                for i in range(7)
            ],
        )
        await session.commit()
    base = {"fullName": "Lò Văn Thử", "dateOfBirth": "1990-05-06", "provinceCode": "02"}
    async with client_at(api.app) as client:
        many = (await call(client, FIND, lookup(**base)))["data"]["findSocialInsuranceCode"]
        one = (await call(client, FIND, lookup(**base, idNumber="002090000004")))["data"][
            "findSocialInsuranceCode"
        ]
    assert len(many) == 5
    assert [m["socialInsuranceCode"] for m in many] == sorted(m["socialInsuranceCode"] for m in many)
    assert all(m["maskedName"] == "Lò V*** T***" and m["birthYear"] == 1990 for m in many)
    assert one == [{"socialInsuranceCode": "0299000004", "maskedName": "Lò V*** T***", "birthYear": 1990}]


async def test_find_social_insurance_code_only_safe_fields(api: Api) -> None:
    body = await api.post(
        """query($input: FindSocialInsuranceCodeInput!) { findSocialInsuranceCode(input: $input) {
            socialInsuranceCode fullName dateOfBirth } }""",
        lookup(),
    )
    assert codes(body) == ["BAD_USER_INPUT", "BAD_USER_INPUT"]  # no such fields


async def test_find_social_insurance_code_bad_input_every_problem(api: Api) -> None:
    async with client_at(api.app) as client:
        body = await call(
            client,
            FIND,
            lookup(fullName="Biên", dateOfBirth="2999-01-01", provinceCode="1", idNumber="12AB"),
        )
    assert codes(body) == ["BAD_USER_INPUT"]
    problems = {(tuple(p["field"]), p["code"]) for p in body["errors"][0]["extensions"]["fieldErrors"]}
    assert problems == {
        (("input", "fullName"), "FULL_NAME"),
        (("input", "dateOfBirth"), "OUT_OF_RANGE"),
        (("input", "provinceCode"), "FORMAT"),
        (("input", "idNumber"), "FORMAT"),
    }


async def test_find_social_insurance_code_unknown_province(api: Api) -> None:
    async with client_at(api.app) as client:
        body = await call(client, FIND, lookup(provinceCode="00"))
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "No province has the code '00'" in body["errors"][0]["message"]


async def test_find_social_insurance_code_rate_limited_per_client(api: Api) -> None:
    async with client_at(api.app) as client:
        for _ in range(10):
            assert "errors" not in await call(client, FIND, lookup())
        limited = await call(client, FIND, lookup())
    assert codes(limited) == ["RATE_LIMITED"]
    assert 0 < limited["errors"][0]["extensions"]["retryAfterSeconds"] <= 3601
    async with client_at(api.app) as elsewhere:
        assert "errors" not in await call(elsewhere, FIND, lookup())


async def test_find_social_insurance_code_captcha_required_wrong_right(captcha_app: Any) -> None:
    async with client_at(captcha_app) as client:
        missing = await call(client, FIND, lookup(captchaId="", captchaAnswer=""))
        assert codes(missing) == ["BAD_USER_INPUT"]
        assert [p["code"] for p in missing["errors"][0]["extensions"]["fieldErrors"]] == ["CAPTCHA_REQUIRED"]
        wrong = await call(client, FIND, lookup(captchaId=await new_captcha(client), captchaAnswer="ZZZZZ"))
        assert [p["code"] for p in wrong["errors"][0]["extensions"]["fieldErrors"]] == ["CAPTCHA_WRONG"]
        captcha = await new_captcha(client)
        right = await call(client, FIND, lookup(captchaId=captcha, captchaAnswer=KNOWN_CAPTCHA))
        assert [m["socialInsuranceCode"] for m in right["data"]["findSocialInsuranceCode"]] == [GOLDEN]
        reused = await call(client, FIND, lookup(captchaId=captcha, captchaAnswer=KNOWN_CAPTCHA))
        assert [p["code"] for p in reused["errors"][0]["extensions"]["fieldErrors"]] == ["CAPTCHA_EXPIRED"]
