"""GraphQL over HTTP: media types and status codes as the spec's audit expects."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api

NEW = "application/graphql-response+json"


async def test_post_graphql_response_media_type_when_preferred(api: Api) -> None:
    response = await api.client.post("/graphql", json={"query": "{ __typename }"}, headers={"Accept": NEW})
    assert response.status_code == 200
    assert response.headers["content-type"] == NEW
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_post_parse_error_400_without_data_for_new_media_type(api: Api) -> None:
    response = await api.client.post("/graphql", json={"query": "{ nope("}, headers={"Accept": NEW})
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_post_validation_error_200_for_plain_json(api: Api) -> None:
    response = await api.client.post(
        "/graphql", json={"query": "{ nope }"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_post_field_error_keeps_200_and_data_for_new_media_type(api: Api) -> None:
    response = await api.client.post(
        "/graphql", json={"query": "{ persons { totalCount } }"}, headers={"Accept": NEW}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


CAPTCHA = "mutation { requestCaptcha { id } }"


async def test_request_captcha_cross_site_multipart_without_preflight_forbidden(api: Api) -> None:
    """A page on another site can post a form (multipart) without a preflight: refused before anything
    runs, upload or not."""
    import json

    from sqlalchemy import func, select

    from models.tables import captcha_t

    async def captchas() -> int:
        async with api.app.state.runtime.sessionmaker() as session:
            return int(await session.scalar(select(func.count()).select_from(captcha_t)) or 0)

    before = await captchas()
    forged = await api.client.post(
        "/graphql",
        data={"operations": json.dumps({"query": CAPTCHA}), "map": "{}"},
        files={"unused": ("x.txt", b"x", "text/plain")},
        headers={"Origin": "http://evil.example"},
    )
    assert forged.status_code == 403, forged.text
    assert forged.json()["errors"][0]["extensions"] == {
        "code": "FORBIDDEN",
        "reason": "CSRF_PREFLIGHT_REQUIRED",
    }
    for content_type, body in (
        ("text/plain", json.dumps({"query": CAPTCHA})),
        ("application/x-www-form-urlencoded", "query=" + CAPTCHA),
    ):
        response = await api.client.post(
            "/graphql", content=body, headers={"Content-Type": content_type, "Origin": "http://evil.example"}
        )
        assert response.status_code == 403, (content_type, response.text)
    assert await captchas() == before
    allowed = await api.client.post(
        "/graphql",
        data={"operations": json.dumps({"query": CAPTCHA}), "map": "{}"},
        files={"unused": ("x.txt", b"x", "text/plain")},
        headers={"Apollo-Require-Preflight": "true"},
    )
    assert allowed.status_code == 200 and allowed.json()["data"]["requestCaptcha"]["id"], allowed.text


async def test_client_errors_logged_at_info_in_one_line_without_traceback(api: Api, caplog: Any) -> None:
    import logging

    caplog.set_level(logging.INFO, logger="ansinh")
    caplog.clear()
    await api.post("{ " + " ".join(f"f{i}: nope{i}" for i in range(40)) + " }")
    await api.post('{ person(socialInsuranceCode: "0113099841") { fullName } }')  # anonymous: UNAUTHENTICATED
    errors = [r for r in caplog.records if r.name == "ansinh" and "graphql" in r.getMessage()]
    assert errors, caplog.text
    assert all(r.levelno <= logging.INFO and r.exc_info is None for r in errors), [
        (r.levelname, r.getMessage()) for r in errors
    ]
    assert all(len(r.getMessage()) < 400 for r in errors)
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)


async def test_internal_error_logged_with_traceback_and_reference(
    api: Api, caplog: Any, monkeypatch: Any
) -> None:
    import logging

    from resolvers import geo

    async def broken(*_: Any, **__: Any) -> Any:
        raise ValueError("a bug of ours")

    monkeypatch.setattr(geo, "offices", broken)
    caplog.set_level(logging.INFO, logger="ansinh")
    caplog.clear()
    body = await api.post("{ offices { nodes { code } } }", fresh=True)
    reference = body["errors"][0]["extensions"]["reference"]
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL"
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert reference in record.getMessage() and record.exc_info is not None
