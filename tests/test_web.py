"""Web safety and observability: security headers, body limit, metrics."""

from __future__ import annotations

from settings import Settings
from tests.conftest import Api


async def test_graphql_security_headers_on_json(api: Api) -> None:
    response = await api.client.post("/graphql", json={"query": "{ __typename }"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_graphql_body_over_limit_413(api: Api) -> None:
    padding = "x" * (1 << 20)
    response = await api.client.post(
        "/graphql", json={"query": "{ __typename }", "extensions": {"pad": padding}}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_metrics_counts_requests_errors_and_subscriptions(api: Api) -> None:
    await api.post("query VisitsByDiagnosisChapter { __typename }")  # a name GraphiQL's examples use
    await api.post("{ persons { totalCount } }")
    text = (await api.client.get("/metrics")).text
    assert 'ansinh_graphql_requests_total{operation="VisitsByDiagnosisChapter",status="200"}' in text
    assert 'ansinh_graphql_errors_total{code="UNAUTHENTICATED"}' in text
    assert "ansinh_active_subscriptions" in text and "ansinh_outbox_backlog" in text
    assert 'ansinh_cache_answers{result="hit"}' in text and "ansinh_cache_live 1.0" in text


async def test_cors_configured_origin_allowed_without_credentials(seeded: Settings) -> None:
    import dataclasses

    import httpx

    from server import create_app

    app = create_app(dataclasses.replace(seeded, cors_origins=("https://vssid.example.vn",)))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        preflight = await client.options(
            "/graphql",
            headers={
                "Origin": "https://vssid.example.vn",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert preflight.headers["access-control-allow-origin"] == "https://vssid.example.vn"
        assert "access-control-allow-credentials" not in preflight.headers
        other = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in other.headers
    await app.state.runtime.engine.dispose()


def test_settings_cors_wildcard_refused_in_production() -> None:
    import pytest

    from settings import Settings

    with pytest.raises(SystemExit, match="refused in production"):
        Settings.from_env(
            {"ANSINH_ENV": "production", "ANSINH_SECRET_KEY": "k" * 32, "ANSINH_CORS_ORIGINS": "*"}
        )
    with pytest.raises(SystemExit, match="ANSINH_SECRET_KEY is required"):
        Settings.from_env({"ANSINH_ENV": "production"})
    with pytest.raises(SystemExit, match="ANSINH_CAPTCHA=off is refused"):
        Settings.from_env(
            {"ANSINH_ENV": "production", "ANSINH_SECRET_KEY": "k" * 32, "ANSINH_CAPTCHA": "off"}
        )


def test_seed_demo_refused_in_production(monkeypatch: object) -> None:
    import pytest

    from cli import main

    monkeypatch.setenv("ANSINH_ENV", "production")  # type: ignore[attr-defined]
    monkeypatch.setenv("ANSINH_SECRET_KEY", "k" * 32)  # type: ignore[attr-defined]
    with pytest.raises(SystemExit, match="refused"):
        main(["seed", "--demo"])


async def test_graphiql_opens_on_sign_in_and_analyst_examples(api: Api) -> None:
    page = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "mutation SignIn" in page.text and "query ContributorsByProvinceAndYear" in page.text


def test_graphiql_examples_are_valid_operations() -> None:
    from pathlib import Path

    from graphql import parse, validate

    from schema import schema

    document = parse(
        (Path(__file__).resolve().parent.parent / "docs" / "graphiql-examples.graphql").read_text()
    )
    assert validate(schema._schema, document) == []


async def test_graphql_database_down_503_unavailable_with_retry_after() -> None:
    import httpx

    from server import create_app

    app = create_app(Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        signed_in = await client.post(
            "/graphql",
            json={"query": "{ viewer { account { username } } }"},
            headers={"Authorization": "Bearer x"},
        )
        assert signed_in.status_code == 503 and signed_in.headers["retry-after"] == "1"
        assert signed_in.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
        anonymous = await client.post("/graphql", json={"query": "{ offices { totalCount } }"})
        assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    await app.state.runtime.engine.dispose()


async def test_metrics_operation_names_of_clients_do_not_grow_the_labels(api: Api) -> None:
    before = len((await api.client.get("/metrics")).text)
    for i in range(200):
        await api.post(f"query Attacker{i}x{'y' * 200} {{ __typename }}")
    text = (await api.client.get("/metrics")).text
    assert "Attacker" not in text
    assert 'operation="other"' in text
    # Only the counters' values grew: no new series per name.
    assert len(text) < before + 2_000, (before, len(text))


async def test_metrics_token_required_when_configured(seeded: Settings) -> None:
    import dataclasses

    import httpx

    from server import create_app

    app = create_app(dataclasses.replace(seeded, metrics_token="m" * 32))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        refused = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer " + "n" * 32})
        allowed = await client.get("/metrics", headers={"Authorization": "Bearer " + "m" * 32})
    await app.state.runtime.engine.dispose()
    assert refused.status_code == 401 and wrong.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert allowed.status_code == 200 and "ansinh_graphql_requests_total" in allowed.text


async def test_metrics_production_without_token_refused(seeded: Settings) -> None:
    import dataclasses

    import httpx

    from server import create_app

    app = create_app(dataclasses.replace(seeded, env="production", secret_key="s" * 40))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/metrics")
    await app.state.runtime.engine.dispose()
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
