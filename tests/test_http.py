"""GraphQL over HTTP: media types and status codes as the spec's audit expects."""

from __future__ import annotations

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
