"""Web safety and observability: security headers, body limit, metrics."""

from __future__ import annotations

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
    await api.post("query MetricsProbe { __typename }")
    await api.post("{ persons { totalCount } }")
    text = (await api.client.get("/metrics")).text
    assert 'ansinh_graphql_requests_total{operation="MetricsProbe",status="200"}' in text
    assert 'ansinh_graphql_errors_total{code="UNAUTHENTICATED"}' in text
    assert "ansinh_active_subscriptions" in text and "ansinh_outbox_backlog" in text
