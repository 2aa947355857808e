"""Whose address a request has: the peer's, unless the peer is a proxy named in
ANSINH_TRUSTED_PROXIES (issue 13, finding 7). The per-address budgets count what this says."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from resolvers.person import FIND_CODE_LIMIT
from server import create_app
from settings import Settings
from tests.conftest import codes
from tests.test_content import FIND, lookup

_peers = itertools.count(1)


async def _client(app: Any, peer: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture(scope="module")
async def proxied_app(seeded: Settings) -> AsyncIterator[Any]:
    """The app behind a reverse proxy at 192.0.2.1 (and any proxy of 192.0.2.128/25)."""
    app = create_app(dataclasses.replace(seeded, trusted_proxies=("192.0.2.1", "192.0.2.128/25")))
    yield app
    await app.state.runtime.engine.dispose()


async def _sweep(client: httpx.AsyncClient, forwarded: list[str]) -> list[list[str]]:
    """FIND_CODE_LIMIT + 1 birth-date lookups, each with its own X-Forwarded-For."""
    found = []
    for day, header in enumerate(forwarded, start=1):
        response = await client.post(
            "/graphql",
            json={"query": FIND, "variables": lookup(dateOfBirth=f"1984-03-{day:02d}")},
            headers={"X-Forwarded-For": header},
        )
        found.append(codes(response.json()))
    return found


async def test_find_social_insurance_code_rotating_forwarded_for_keeps_the_budget(
    proxied_app: Any,
) -> None:
    """An untrusted peer (here loopback, which uvicorn trusted by default) names a new client in
    every request: the budget is still the peer's."""
    forwarded = [f"198.18.0.{i}" for i in range(FIND_CODE_LIMIT + 1)]
    async with await _client(proxied_app, f"127.0.0.{next(_peers) + 1}") as client:
        found = await _sweep(client, forwarded)
    assert found[:FIND_CODE_LIMIT] == [[]] * FIND_CODE_LIMIT
    assert found[FIND_CODE_LIMIT] == ["RATE_LIMITED"]


async def test_find_social_insurance_code_trusted_proxy_forwarded_for_is_the_client(
    proxied_app: Any,
) -> None:
    """Behind a trusted proxy each client has its own budget; the client cannot forge its way out
    by prepending addresses (the proxy appends the peer it saw: the right-most untrusted one counts)."""
    async with await _client(proxied_app, "192.0.2.1") as proxy:
        one_client = await _sweep(
            proxy, [f"10.9.9.{i}, 198.18.1.1, 192.0.2.130" for i in range(FIND_CODE_LIMIT + 1)]
        )
        others = await _sweep(proxy, [f"198.18.2.{i}" for i in range(FIND_CODE_LIMIT + 1)])
    assert one_client[FIND_CODE_LIMIT] == ["RATE_LIMITED"]
    assert others == [[]] * (FIND_CODE_LIMIT + 1)


def test_client_address_peer_unless_trusted_proxy() -> None:
    from auth.addresses import Proxies, client_address

    def scope(peer: str | None, forwarded: str | None) -> dict[str, Any]:
        headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
        return {"type": "http", "client": (peer, 1) if peer else None, "headers": headers}

    none = Proxies.parse(())
    assert client_address(scope("127.0.0.1", "1.2.3.4"), none) == "127.0.0.1"
    trusted = Proxies.parse(("10.0.0.0/8", "::1"))
    assert client_address(scope("10.1.1.1", "1.2.3.4"), trusted) == "1.2.3.4"
    assert client_address(scope("10.1.1.1", "5.5.5.5, 1.2.3.4, 10.2.2.2"), trusted) == "1.2.3.4"
    assert client_address(scope("::1", "not an address"), trusted) == "::1"
    assert client_address(scope("10.1.1.1", None), trusted) == "10.1.1.1"
    assert client_address(scope(None, "1.2.3.4"), trusted) == "unknown"
    with pytest.raises(SystemExit, match="ANSINH_TRUSTED_PROXIES"):
        Settings.from_env({"ANSINH_TRUSTED_PROXIES": "10.0.0.0/8, nonsense"})
    assert Settings.from_env({"ANSINH_TRUSTED_PROXIES": "10.0.0.0/8 , 192.0.2.1"}).trusted_proxies == (
        "10.0.0.0/8",
        "192.0.2.1",
    )
    assert Settings.from_env({}).trusted_proxies == ()


def test_serve_passes_the_trusted_proxies_to_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 unless told otherwise: `serve` tells it."""
    import cli

    seen: list[dict[str, Any]] = []

    class Config:
        def __init__(self, app: str, **options: Any) -> None:
            seen.append(options)

    class Server:
        started = True

        def __init__(self, config: Config) -> None:
            pass

        def run(self) -> None:
            pass

    monkeypatch.setattr(cli.uvicorn, "Config", Config)
    monkeypatch.setattr(cli, "_Server", Server)
    monkeypatch.setattr(cli, "migrate", lambda settings: _done())
    monkeypatch.setenv("ANSINH_WORKERS", "1")  # serve sets it: restored after the test
    monkeypatch.delenv("ANSINH_TRUSTED_PROXIES", raising=False)
    cli.main(["serve"])
    monkeypatch.setenv("ANSINH_TRUSTED_PROXIES", "10.0.0.0/8,192.0.2.1")
    cli.main(["serve"])
    assert seen[0]["proxy_headers"] is False
    assert seen[1]["proxy_headers"] is True and seen[1]["forwarded_allow_ips"] == "10.0.0.0/8,192.0.2.1"


async def _done() -> None:
    return None
