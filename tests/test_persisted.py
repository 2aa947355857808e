"""Automatic persisted queries (Apollo's protocol), and the allow-list for partners in production."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

import httpx

from server import create_app
from settings import Settings
from tests.conftest import Api

QUERY = "query Offices { offices(first: 2) { totalCount nodes { code } } }"
DIGEST = hashlib.sha256(QUERY.encode()).hexdigest()


def ext(digest: str = DIGEST) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def test_persisted_query_unknown_hash_not_found_then_stored_then_hash_only(api: Api) -> None:
    digest = hashlib.sha256((QUERY + " ").encode()).hexdigest()
    first = (await api.client.post("/graphql", json={"extensions": ext(digest)})).json()
    assert first["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert first["errors"][0]["message"] == "PersistedQueryNotFound"
    stored = (
        await api.client.post("/graphql", json={"query": QUERY + " ", "extensions": ext(digest)})
    ).json()
    assert stored["data"]["offices"]["totalCount"] > 0
    again = (await api.client.post("/graphql", json={"extensions": ext(digest)})).json()
    assert again == stored


async def test_persisted_query_get_with_hash_only_cacheable(api: Api) -> None:
    await api.client.post("/graphql", json={"query": QUERY, "extensions": ext()})
    response = await api.client.get("/graphql", params={"extensions": json.dumps(ext())})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["offices"]["nodes"]


async def test_persisted_query_hash_mismatch_and_bad_version_refused(api: Api) -> None:
    wrong = (await api.client.post("/graphql", json={"query": "{ __typename }", "extensions": ext()})).json()
    assert wrong["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    version = (
        await api.client.post(
            "/graphql", json={"extensions": {"persistedQuery": {"version": 2, "sha256Hash": DIGEST}}}
        )
    ).json()
    assert version["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"


async def test_persisted_query_partner_allow_list_in_production(api: Api, seeded: Settings) -> None:
    from sqlalchemy import update

    from models.tables import persisted_t

    production = dataclasses.replace(seeded, env="production", secret_key="x" * 64, captcha="adaptive")
    app = create_app(production)
    token = await api.token("partner.hospital")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        plain = (await client.post("/graphql", json={"query": QUERY}, headers=headers)).json()
        assert plain["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        listed = (
            await client.post("/graphql", json={"query": QUERY, "extensions": ext()}, headers=headers)
        ).json()
        assert "not on the allow-list" in listed["errors"][0]["message"]
        async with app.state.runtime.sessionmaker() as session:
            await session.execute(
                update(persisted_t).where(persisted_t.c.sha256 == DIGEST).values(allowed=True)
            )
            await session.commit()
        app2 = create_app(production)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app2), base_url="http://testserver"
        ) as c2:
            allowed = (await c2.post("/graphql", json={"extensions": ext()}, headers=headers)).json()
            assert allowed["data"]["offices"]["totalCount"] > 0
        await app2.state.runtime.engine.dispose()
        # Other roles are not held to the list.
        officer = {"Authorization": f"Bearer {await api.token('officer.hanoi')}"}
        assert "errors" not in (await client.post("/graphql", json={"query": QUERY}, headers=officer)).json()
    await app.state.runtime.engine.dispose()
