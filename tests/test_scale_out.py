"""Several server processes on one PostgreSQL database: events cross processes through the broker,
and a process killed in the middle of a burst loses no acknowledged mutation and no event."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from settings import Settings
from tests.conftest import Api
from tests.test_cache import HOME, signed_in
from tests.test_entry import SUSPEND, issued
from tests.test_registration import SUBMIT, form, hanoi_address, make_person
from tests.wsclient import connect

pytestmark = pytest.mark.skipif(
    os.environ.get("ANSINH_TEST_BACKEND", "sqlite") != "postgresql",
    reason="several processes share one PostgreSQL database (the PostgreSQL run)",
)
ROOT = Path(__file__).resolve().parent.parent
REDIS = os.environ.get("ANSINH_TEST_REDIS", "redis://127.0.0.1:6379/0")
EVENTS = "subscription { events(types: [REGISTRATION_SUBMITTED]) { cursor subjectId } }"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.port = port
        self.http = f"http://127.0.0.1:{port}"
        self.ws = f"ws://127.0.0.1:{port}/graphql"


async def start(settings: Settings, broker: str) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "ANSINH_DATABASE_URL": settings.database_url,
        "ANSINH_BROKER_URL": broker,
        "ANSINH_CAPTCHA": "off",
        "ANSINH_ENV": "development",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "uvicorn", "server:create_app", "--factory", "--port", str(port),
        "--log-level", "warning", cwd=ROOT, env=env,
    )  # fmt: skip
    async with httpx.AsyncClient() as client:
        for _ in range(600):  # 30 s: a loaded CI machine imports slowly
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return Server(process, port)
            await asyncio.sleep(0.05)
    process.kill()
    raise RuntimeError("the server did not start")


async def stop(server: Server) -> None:
    if server.process.returncode is None:
        server.process.terminate()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.process.wait(), 10)
        if server.process.returncode is None:
            server.process.kill()
            await server.process.wait()


@pytest.fixture(params=[REDIS, "database"], ids=["redis", "postgres-notify"])
async def pair(request: Any, seeded: Settings) -> AsyncIterator[tuple[Server, Server]]:
    a, b = await start(seeded, request.param), await start(seeded, request.param)
    yield a, b
    await asyncio.gather(stop(a), stop(b))


async def submit_at(server: Server, variables: dict[str, Any]) -> str:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{server.http}/graphql", json={"query": SUBMIT, "variables": variables})
    result = response.json()["data"]["submitRegistration"]
    assert result["__typename"] == "SubmitRegistrationSuccess", result
    return str(result["registration"]["id"])


async def test_events_mutation_on_one_process_reaches_subscriber_on_another(
    api: Api, pair: tuple[Server, Server]
) -> None:
    a, b = pair
    address = await hanoi_address(api)
    async with connect(a.ws, await api.token("officer.hanoi")) as ws:
        await ws.subscribe(EVENTS)
        await asyncio.sleep(0.5)
        registration = await submit_at(b, form(await make_person(api), address))
        message = await ws.receive(within=10)
        assert message["payload"]["data"]["events"]["subjectId"] == registration


async def test_events_broker_down_delivered_from_the_table(api: Api, seeded: Settings) -> None:
    """A broker nobody answers: the server stays up and events still arrive (the hubs poll)."""
    a = await start(seeded, "redis://127.0.0.1:1/0")
    try:
        address = await hanoi_address(api)
        async with connect(a.ws, await api.token("officer.hanoi")) as ws:
            await ws.subscribe(EVENTS)
            await asyncio.sleep(0.5)
            registration = await submit_at(a, form(await make_person(api), address))
            message = await ws.receive(within=10)
            assert message["payload"]["data"]["events"]["subjectId"] == registration
    finally:
        await stop(a)


async def test_events_kill_9_mid_burst_loses_nothing_acknowledged(api: Api, seeded: Settings) -> None:
    listener, victim = await start(seeded, REDIS), await start(seeded, REDIS)
    address = await hanoi_address(api)
    people = [await make_person(api) for _ in range(40)]
    acknowledged: list[str] = []
    try:
        async with connect(listener.ws, await api.token("officer.hanoi")) as ws:
            await ws.subscribe(EVENTS)
            await asyncio.sleep(0.5)

            enough = asyncio.Event()

            async def burst(offset: int) -> None:
                for person in people[offset::4]:
                    try:
                        acknowledged.append(await submit_at(victim, form(person, address)))
                    except (httpx.HTTPError, KeyError, AssertionError):
                        return  # the process is gone: this request was not acknowledged
                    if len(acknowledged) >= 12:
                        enough.set()

            async def killer() -> None:
                await enough.wait()
                os.kill(victim.process.pid, signal.SIGKILL)

            await asyncio.gather(*(burst(i) for i in range(4)), killer())
            assert victim.process.returncode is not None or await victim.process.wait() == -signal.SIGKILL
            assert 12 <= len(acknowledged) < 40
            received: set[str] = set()
            while not set(acknowledged) <= received:
                message = await ws.receive(within=10)
                received.add(message["payload"]["data"]["events"]["subjectId"])
    finally:
        await asyncio.gather(stop(listener), stop(victim))


async def test_cache_write_on_one_process_invalidates_the_other(
    api: Api, pair: tuple[Server, Server]
) -> None:
    a, b = pair
    person = await make_person(api)
    card = await issued(api, person, validFrom="2025-01-01", validTo="2035-12-31")
    token = await signed_in(api, person)
    headers = {"Authorization": f"Bearer {token}", "X-Ansinh-Debug": "1"}
    async with httpx.AsyncClient(timeout=10) as client:

        async def home_at_b() -> dict[str, Any]:
            response = await client.post(f"{b.http}/graphql", json={"query": HOME}, headers=headers)
            body: dict[str, Any] = response.json()
            return body

        await home_at_b()
        cached = await home_at_b()
        assert cached["extensions"]["debug"]["cache"] == "hit"
        assert cached["data"]["viewer"]["person"]["healthInsuranceCard"]["status"] == "ACTIVE"
        officer = {"Authorization": f"Bearer {await api.token('officer.hanoi')}"}
        variables = {"input": {"cardNumber": card["number"], "reason": "Mất thẻ"}}
        response = await client.post(
            f"{a.http}/graphql", json={"query": SUSPEND, "variables": variables}, headers=officer
        )
        assert response.json()["data"]["suspendCard"]["__typename"] == "SuspendCardSuccess"
        written = asyncio.get_running_loop().time()
        while True:
            seen = await home_at_b()
            if seen["data"]["viewer"]["person"]["healthInsuranceCard"]["status"] == "SUSPENDED":
                break
            assert asyncio.get_running_loop().time() - written < 2.0, "process B kept a stale answer"
            await asyncio.sleep(0.02)
