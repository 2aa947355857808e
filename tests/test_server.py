"""The HTTP endpoints: health, readiness, GraphiQL, GET queries, the debug extension."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from server import create_app
from settings import Settings
from tests.conftest import Api, codes


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            yield client
    finally:
        await app.state.runtime.engine.dispose()


async def test_healthz_ok(api: Api) -> None:
    response = await api.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_ready_when_database_current(api: Api) -> None:
    response = await api.client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_readyz_unavailable_when_database_unreachable(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "ansinh.db"
    async with served(Settings(database_url=f"sqlite+aiosqlite:///{missing}", captcha="off")) as client:
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"
        assert "database" in response.json()
        assert (await client.get("/healthz")).status_code == 200  # the process itself is up


async def test_readyz_unavailable_when_migrations_behind(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    async with served(Settings(database_url=f"sqlite+aiosqlite:///{empty}", captcha="off")) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "migrations": "behind"}


async def test_graphql_get_html_serves_graphiql(api: Api) -> None:
    response = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_graphql_get_query_answers(api: Api) -> None:
    response = await api.client.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_graphql_get_with_variables_answers(api: Api) -> None:
    response = await api.client.get(
        "/graphql",
        params={
            "query": "query($p: String) { offices(provinceCode: $p) { nodes { code } } }",
            "variables": '{"p": "48"}',
        },
    )
    assert response.status_code == 200
    assert response.json()["data"]["offices"]["nodes"] == [{"code": "48"}]


async def test_graphql_get_mutation_refused(api: Api) -> None:
    response = await api.client.get("/graphql", params={"query": "mutation { logout }"})
    assert response.status_code in (400, 405)


async def test_graphql_debug_header_gives_statements_and_duration(api: Api) -> None:
    body = await api.post("{ offices(first: 3) { nodes { code } } }", debug=True)
    debug = body["extensions"]["debug"]
    assert set(debug) == {"sqlStatements", "durationMs", "cache", "executor"}
    assert debug["executor"] == "ordinary"  # offices: not a list the compiler takes
    assert isinstance(debug["sqlStatements"], int) and debug["sqlStatements"] >= 1
    assert isinstance(debug["durationMs"], int | float) and debug["durationMs"] >= 0


async def test_graphql_debug_counts_this_request_only(api: Api) -> None:
    small = await api.statements("{ __typename }")
    one_list = await api.statements("{ offices(first: 3) { nodes { code } } }")
    assert small == 0
    assert one_list == 1


async def test_graphql_no_debug_without_header(api: Api) -> None:
    body = await api.post("{ offices(first: 1) { nodes { code } } }")
    assert "debug" not in body.get("extensions", {})


async def test_graphql_debug_header_ignored_in_production(seeded: Settings) -> None:
    production = dataclasses.replace(seeded, env="production", secret_key="production-secret-for-tests")
    async with served(production) as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ offices(first: 1) { nodes { code } } }"},
            headers={"X-Ansinh-Debug": "1"},
        )
    body: dict[str, Any] = response.json()
    assert response.status_code == 200 and "errors" not in body
    assert "debug" not in body.get("extensions", {})


async def test_graphql_syntax_error_bad_user_input(api: Api) -> None:
    response = await api.client.post("/graphql", json={"query": "{ offices( }"})
    body = response.json()
    assert codes(body) == ["BAD_USER_INPUT"]
