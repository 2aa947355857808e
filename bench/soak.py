"""Soak test: two server processes on one PostgreSQL database and one Redis broker, under mixed load,
through faults (kill -9 of a server, a PostgreSQL restart, a Redis restart).

    .venv/bin/python -m bench.soak [--duration 60] [--persons 2000]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres) and Redis on 127.0.0.1:6379, as .ci/run starts
them; everything runs on the loopback. See bench/README.md for what is measured and how to read it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import websockets
from sqlalchemy import func, insert, select

from auth import tokens
from models.engine import make_engine, make_sessionmaker
from models.migrate import migrate
from models.tables import account_t, admin_unit_t, person_t, registration_t
from models.text import fold
from models.types import VIETNAM_TZ
from schema.node import parse_global_id
from settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "Soak-Password-2026"
CITIZEN, OFFICER = "0113099841", "officer.hanoi"
SUBPROTOCOL = websockets.Subprotocol("graphql-transport-ws")

CITIZEN_HOME = """{ viewer { account { username role } person { fullName socialInsuranceCode
  healthInsuranceCard { number status validTo } participation(insuranceType: SOCIAL) { totalMonths } } } }"""
PERSONS = "{ persons(first: 20) { nodes { fullName socialInsuranceCode healthInsuranceCard { number } } } }"
REGISTRATIONS = "{ registrations(first: 20) { nodes { referenceNumber status applicantName } } }"
SUBMIT = """mutation($input: SubmitRegistrationInput!) { submitRegistration(input: $input) {
  __typename ... on SubmitRegistrationSuccess { registration { id } }
  ... on InvalidInput { errors { field code } } } }"""
EVENTS = """subscription($after: String) { events(after: $after, types: [REGISTRATION_SUBMITTED]) {
  cursor subjectId } }"""


# ---------------------------------------------------------------------------------------------
# Services: the two servers, PostgreSQL, Redis


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """One uvicorn worker (`server:create_app --factory`) in a subprocess, on a fixed port."""

    def __init__(self, name: str, env: dict[str, str], folder: Path) -> None:
        self.name = name
        self.env = env
        self.port = free_port()
        self.log = folder / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def start(self) -> None:
        command = [sys.executable, "-m", "uvicorn", "server:create_app", "--factory"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # SIGKILL: no shutdown, no cleanup
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


async def wait_ready(client: httpx.AsyncClient, server: Server, within: float = 60.0) -> float:
    """Seconds until /readyz answers 200."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if server.process is not None and server.process.poll() is not None:
            raise SystemExit(f"{server.name} exited:\n{server.log_tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if (await client.get(f"{server.url}/readyz", timeout=2)).status_code == 200:
                return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise SystemExit(f"{server.name} was not ready within {within:.0f} s:\n{server.log_tail()}")


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"bench.soak needs {name} on the PATH")
    return found


def postgres_cluster() -> list[str]:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return [tool("pg_ctlcluster"), "--skip-systemctl-redirect", version, "main"]


def command(*argv: str) -> None:
    subprocess.run(list(argv), check=False, capture_output=True)


async def command_async(*argv: str) -> None:
    """A service command without blocking the load (the event loop keeps driving requests)."""
    await asyncio.to_thread(command, *argv)


def postgres_up() -> bool:
    probe = [tool("pg_isready"), "-h", "127.0.0.1", "-p", "5432", "-q"]
    return subprocess.run(probe, check=False).returncode == 0


def redis_up() -> bool:
    found = subprocess.run(
        [tool("redis-cli"), "-h", "127.0.0.1", "-p", "6379", "ping"], capture_output=True, check=False
    )
    return found.stdout.strip() == b"PONG"


def start_redis() -> None:
    command(
        tool("redis-server"),
        *("--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379"),
        *("--save", "", "--appendonly", "no"),
    )


def ensure_services() -> None:
    """PostgreSQL and Redis running, whatever happened before (called at the end too)."""
    if not postgres_up():
        subprocess.run([*postgres_cluster(), "start"], check=False)
    for _ in range(60):
        if postgres_up():
            break
        time.sleep(0.5)
    if not redis_up():
        start_redis()
    for _ in range(50):
        if redis_up():
            break
        time.sleep(0.1)


# ---------------------------------------------------------------------------------------------
# Tallies


@dataclass
class Phase:
    name: str
    started: float = 0.0
    requests: int = 0
    ok: int = 0
    http_5xx: int = 0
    # 503 + Retry-After with code UNAVAILABLE: the database is down and the client is told to retry.
    unavailable: int = 0
    refused: int = 0  # connection refused/reset: the process was down
    timeouts: int = 0
    codes: dict[str, int] = field(default_factory=dict)  # GraphQL error codes
    acked: list[str] = field(default_factory=list)  # registration global ids
    in_doubt: int = 0  # a write whose answer was lost: it may or may not have committed
    rejected_writes: int = 0
    readyz_503: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class Run:
    servers: list[Server]
    tokens: dict[str, str]
    address: dict[str, str]
    persons: list[Any]
    phase: Phase
    phases: list[Phase] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    next_server: int = 0
    first_success: dict[int, float] = field(default_factory=dict)  # port -> time of first 200 seen

    def pick(self) -> Server:
        self.next_server += 1
        return self.servers[self.next_server % len(self.servers)]


@dataclass
class Subscriber:
    name: str
    received: set[str] = field(default_factory=set)
    cursor: str | None = None
    reconnects: int = 0
    errors: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Load


async def graphql(
    run: Run, client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None, who: str
) -> tuple[str, dict[str, Any] | None]:
    """One request to the next server, tallied in the current phase: ("answered", body), or
    ("refused", None) when it was never sent, or ("lost", None) when its answer never came."""
    server = run.pick()
    phase = run.phase
    phase.requests += 1
    headers = {"Authorization": f"Bearer {run.tokens[who]}"} if who else {}
    try:
        response = await client.post(
            f"{server.url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
    except httpx.ConnectError:
        phase.refused += 1
        await asyncio.sleep(0.05)
        return "refused", None
    except httpx.TimeoutException:
        phase.timeouts += 1
        return "lost", None
    except httpx.TransportError:
        phase.refused += 1  # reset mid-request by a killed process: counted with the refused
        return "lost", None
    if response.status_code == 503 and response.headers.get("retry-after"):
        phase.unavailable += 1
        return "lost", None
    if response.status_code >= 500:
        phase.http_5xx += 1
        if len(phase.notes) < 3:
            phase.notes.append(f"{response.status_code} from {server.name}: {response.text[:200]}")
        return "lost", None
    body: dict[str, Any] = response.json()
    errors = body.get("errors") or []
    for error in errors:
        code = str((error.get("extensions") or {}).get("code"))
        phase.codes[code] = phase.codes.get(code, 0) + 1
    if response.status_code == 200 and not errors:
        phase.ok += 1
        run.first_success.setdefault(server.port, time.monotonic())
    return "answered", body


async def reader(run: Run, client: httpx.AsyncClient, query: str, who: str) -> None:
    while not run.stop.is_set():
        await graphql(run, client, query, None, who)


def registration_form(person: Any, address: dict[str, str]) -> dict[str, Any]:
    return {
        "input": {
            "applicantName": person.full_name,
            "socialInsuranceCode": person.social_insurance_code,
            "idDocumentType": "CCCD",
            "idDocumentNumber": "001089000123",
            "contactAddress": address,
            "contactPerson": None,
            "email": "nguoi.nop@example.vn",
            "phone": "0983847986",
            "startDate": datetime.now(VIETNAM_TZ).date().isoformat(),
            "channel": "PORTAL",
            "receivingOfficeCode": "01",
            "submissionMethod": "AT_OFFICE",
        }
    }


async def writer(run: Run, client: httpx.AsyncClient) -> None:
    while not run.stop.is_set() and run.persons:
        person = run.persons.pop()
        phase = run.phase
        outcome, body = await graphql(run, client, SUBMIT, registration_form(person, run.address), "")
        result = ((body or {}).get("data") or {}).get("submitRegistration")
        if outcome == "refused":
            run.persons.append(person)  # never sent: the form goes again
        elif body is None:
            phase.in_doubt += 1
        elif result and result.get("__typename") == "SubmitRegistrationSuccess":
            phase.acked.append(result["registration"]["id"])
        else:
            phase.rejected_writes += 1
            if len(phase.notes) < 5:
                phase.notes.append(f"write refused: {json.dumps(body)[:300]}")


async def subscriber(run: Run, sub: Subscriber, first: int) -> None:
    """officer.hanoi on events(REGISTRATION_SUBMITTED); reconnects (to the other server if need
    be) with `after` = the last cursor received, as a client that must not miss events does."""
    attempt = first
    while True:
        server = run.servers[attempt % len(run.servers)]
        try:
            async with websockets.connect(server.ws_url, subprotocols=[SUBPROTOCOL], open_timeout=5) as ws:
                await ws.send(
                    json.dumps(
                        {
                            "type": "connection_init",
                            "payload": {"Authorization": f"Bearer {run.tokens[OFFICER]}"},
                        }
                    )
                )
                ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if ack.get("type") != "connection_ack":
                    raise ConnectionError(f"no ack: {ack}")
                payload = {"query": EVENTS, "variables": {"after": sub.cursor}}
                await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
                async for raw in ws:
                    message = json.loads(raw)
                    if message.get("type") == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                    elif message.get("type") == "next":
                        data = (message["payload"].get("data") or {}).get("events")
                        if data is None:
                            sub.errors.append(json.dumps(message["payload"])[:200])
                            continue
                        sub.received.add(data["subjectId"])
                        sub.cursor = data["cursor"]
                    elif message.get("type") in ("error", "complete"):
                        sub.errors.append(json.dumps(message)[:200])
                        break
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the server was killed, restarted, or lost its database
            if len(sub.errors) < 50:
                sub.errors.append(f"{server.name}: {type(exc).__name__}")
        sub.reconnects += 1
        attempt += 1
        await asyncio.sleep(0.2)


async def readiness_watch(run: Run, client: httpx.AsyncClient) -> None:
    """Polls /readyz of both servers: counts the 503s of the current phase."""
    while not run.stop.is_set():
        for server in run.servers:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{server.url}/readyz", timeout=1)).status_code == 503:
                    run.phase.readyz_503 += 1
        await asyncio.sleep(0.1)


# ---------------------------------------------------------------------------------------------
# Faults


async def first_success_after(run: Run, port: int, since: float, within: float = 60.0) -> float | None:
    run.first_success.pop(port, None)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        seen = run.first_success.get(port)
        if seen is not None and seen >= since:
            return seen - since
        await asyncio.sleep(0.05)
    return None


async def fault_kill(run: Run, client: httpx.AsyncClient, down: float) -> list[str]:
    victim = run.servers[0]
    killed = time.monotonic()
    victim.kill()
    await asyncio.sleep(down)
    victim.start()
    restarted = time.monotonic()
    ready = await wait_ready(client, victim)
    success = await first_success_after(run, victim.port, restarted)
    return [
        f"kill -9 {victim.name}, restarted after {restarted - killed:.1f} s",
        f"{victim.name}: /readyz 200 {ready:.2f} s after the restart",
        f"{victim.name}: first successful request {fmt(success)} after the restart",
    ]


async def fault_postgres(run: Run, client: httpx.AsyncClient, down: float) -> list[str]:
    cluster = postgres_cluster()
    began = time.monotonic()
    await command_async(*cluster, "stop", "-m", "fast")
    await asyncio.sleep(down)  # a restart with a window long enough to see what clients see
    saw_503 = run.phase.readyz_503 > 0
    await command_async(*cluster, "start")
    back = time.monotonic()
    ready = [await wait_ready(client, server) for server in run.servers]
    success = [await first_success_after(run, server.port, back) for server in run.servers]
    return [
        f"PostgreSQL stopped for {back - began:.1f} s (stop -m fast, start)",
        f"/readyz reported 503 while PostgreSQL was down: {'yes' if saw_503 else 'NO'}",
        "/readyz 200 again after PostgreSQL was back: " + ", ".join(f"{r:.2f} s" for r in ready),
        "first successful request after PostgreSQL was back: " + ", ".join(fmt(s) for s in success),
    ]


async def fault_redis(run: Run, client: httpx.AsyncClient, down: float) -> list[str]:
    began = time.monotonic()
    await command_async(tool("redis-cli"), "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave")
    await asyncio.sleep(down)
    await asyncio.to_thread(start_redis)
    back = time.monotonic()
    ready = [await wait_ready(client, server) for server in run.servers]
    success = [await first_success_after(run, server.port, back) for server in run.servers]
    return [
        f"Redis down for {back - began:.1f} s (shutdown nosave, then started again)",
        "/readyz 200 after Redis was back: " + ", ".join(f"{r:.2f} s" for r in ready),
        "first successful request after Redis was back: " + ", ".join(fmt(s) for s in success),
    ]


def fmt(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.2f} s"


# ---------------------------------------------------------------------------------------------
# Setup


async def create_database(name: str) -> str:
    connection = await asyncpg.connect(POSTGRES)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def drop_database(name: str) -> None:
    connection = await asyncpg.connect(POSTGRES)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def prepare(
    settings: Settings, persons: int, writers_pool: int
) -> tuple[dict[str, str], dict[str, str], list[Any]]:
    """Migrated and seeded; tokens for the load; persons of Hà Nội without account or form."""
    from seed.cli import run_seed

    started = time.monotonic()
    await migrate(settings)
    await run_seed(settings, demo=True, persons=persons, seed=1, progress=False)
    print(f"migrate + seed (demo, {persons} persons): {time.monotonic() - started:.1f} s")
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            issued = {}
            for username in (CITIZEN, OFFICER):
                account_id = (
                    await session.execute(select(account_t.c.id).where(account_t.c.username == username))
                ).scalar_one()
                issued[username], _ = await tokens.issue(session, account_id, f"soak-{username}")
            ward = (
                await session.execute(
                    select(admin_unit_t.c.code, admin_unit_t.c.parent_code)
                    .where(
                        admin_unit_t.c.scheme == "2004",
                        admin_unit_t.c.level == "WARD",
                        admin_unit_t.c.province_code == "01",
                    )
                    .order_by(admin_unit_t.c.code)
                    .limit(1)
                )
            ).one()
            address = {
                "provinceCode": "01",
                "districtCode": ward.parent_code,
                "wardCode": ward.code,
                "street": "Số 1",
            }
            name = "Phạm Thị Ngọc Ánh"
            rows = [
                {
                    "social_insurance_code": f"019{n:07d}",
                    "full_name": name,
                    "search_name": fold(name),
                    "gender": "FEMALE",
                    "date_of_birth": date(1990, 5, 17),
                    "province_scope": "01",
                    "address_scheme": "2004",
                    "province_code": "01",
                }
                for n in range(writers_pool)
            ]
            await session.execute(insert(person_t), rows)
            await session.commit()
            made = (
                await session.execute(
                    select(person_t.c.full_name, person_t.c.social_insurance_code).where(
                        person_t.c.social_insurance_code.like("019%")
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    return issued, address, list(made)


async def rows_present(settings: Settings, global_ids: list[str]) -> int:
    ids = [int(parse_global_id(g)[1]) for g in global_ids]
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            found = 0
            for start in range(0, len(ids), 1000):
                chunk = ids[start : start + 1000]
                found += int(
                    await session.scalar(select(func.count()).where(registration_t.c.id.in_(chunk))) or 0
                )
            return found
    finally:
        await engine.dispose()


# ---------------------------------------------------------------------------------------------
# The run


async def soak(args: argparse.Namespace) -> int:
    name = f"ansinh_soak_{secrets.token_hex(4)}"
    folder = Path(tempfile.mkdtemp(prefix="ansinh-soak-"))
    servers: list[Server] = []
    tasks: list[asyncio.Task[Any]] = []
    keep_logs = True  # until the run ends well
    ensure_services()
    url = await create_database(name)
    try:
        settings = Settings(database_url=url, captcha="off", demo_password=PASSWORD)
        pool = int(args.duration * 60) + 500  # more forms than the writers can send
        issued, address, persons = await prepare(settings, args.persons, pool)
        env = {
            **os.environ,
            "ANSINH_DATABASE_URL": url,
            "ANSINH_BROKER_URL": REDIS_URL,
            "ANSINH_CAPTCHA": "off",
            "ANSINH_ENV": "development",
            "ANSINH_MESSAGE_LOG": str(folder / "messages.jsonl"),
            "ANSINH_UPLOAD_DIR": str(folder / "uploads"),
        }
        servers = [Server("P1", env, folder), Server("P2", env, folder)]
        for server in servers:
            server.start()
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
        async with (
            httpx.AsyncClient(timeout=10, limits=limits) as client,
            httpx.AsyncClient(timeout=2) as probe,
        ):
            for server in servers:
                await wait_ready(probe, server)
            print(f"servers: {', '.join(f'{s.name} :{s.port}' for s in servers)}")
            steady = Phase("steady")
            run = Run(
                servers,
                {"": "", CITIZEN: issued[CITIZEN], OFFICER: issued[OFFICER]},
                address,
                persons,
                steady,
            )
            subs = [Subscriber(f"sub{n}") for n in range(args.subscribers)]
            listeners = [asyncio.create_task(subscriber(run, sub, n)) for n, sub in enumerate(subs)]
            tasks += listeners
            await asyncio.sleep(1.5)  # subscribed before the first write
            tasks += [asyncio.create_task(reader(run, client, CITIZEN_HOME, CITIZEN)) for _ in range(3)]
            tasks += [asyncio.create_task(reader(run, client, PERSONS, OFFICER)) for _ in range(2)]
            tasks += [asyncio.create_task(reader(run, client, REGISTRATIONS, OFFICER)) for _ in range(2)]
            tasks += [asyncio.create_task(writer(run, client)) for _ in range(args.writers)]
            tasks.append(asyncio.create_task(readiness_watch(run, probe)))

            slot = args.duration / 4
            faults = [
                ("steady", None),
                ("kill -9 P1", fault_kill),
                ("PostgreSQL restart", fault_postgres),
                ("Redis restart", fault_redis),
            ]
            for label, fault in faults:
                phase = Phase(label, started=time.monotonic())
                run.phase = phase
                run.phases.append(phase)
                began = time.monotonic()
                if fault is not None:
                    await asyncio.sleep(min(2.0, slot / 4))
                    phase.notes[:0] = await fault(run, probe, args.down)
                await asyncio.sleep(max(0.0, slot - (time.monotonic() - began)))
            run.stop.set()
            await asyncio.gather(*[t for t in tasks if t not in listeners], return_exceptions=True)

            acked = [g for phase in run.phases for g in phase.acked]
            drain_started = time.monotonic()
            while time.monotonic() - drain_started < args.drain:
                if all(set(acked) <= sub.received for sub in subs):
                    break
                await asyncio.sleep(0.2)
            drained = time.monotonic() - drain_started
            present = {phase.name: await rows_present(settings, phase.acked) for phase in run.phases}
            report(run, subs, acked, present, drained, servers)
            lost_writes = len(acked) - sum(present.values())
            lost_events = sum(len(set(acked) - sub.received) for sub in subs)
            failed = sum(p.http_5xx for p in run.phases) + lost_writes + lost_events
            print("PASS" if failed == 0 else f"FAIL (server logs kept in {folder})")
            keep_logs = failed != 0
            return 0 if failed == 0 else 1
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for server in servers:
            server.stop()
        ensure_services()
        with contextlib.suppress(Exception):
            await drop_database(name)
        if not keep_logs:
            shutil.rmtree(folder, ignore_errors=True)


def report(
    run: Run,
    subs: list[Subscriber],
    acked: list[str],
    present: dict[str, int],
    drained: float,
    servers: list[Server],
) -> None:
    print()
    header = f"{'phase':<20} {'requests':>8} {'ok':>7} {'5xx':>4} {'retry':>5} {'refused':>7} {'timeout':>7} {'acked':>6} {'doubt':>5} {'in db':>6} {'events':>12} {'lost ev':>7} {'503s':>5}  error codes"
    print(header)
    print("-" * len(header))
    for phase in run.phases:
        in_db = present[phase.name]
        received = [len(set(phase.acked) & sub.received) for sub in subs]
        lost = sum(len(set(phase.acked) - sub.received) for sub in subs)
        codes = ", ".join(f"{k} {v}" for k, v in sorted(phase.codes.items())) or "-"
        print(
            f"{phase.name:<20} {phase.requests:>8} {phase.ok:>7} {phase.http_5xx:>4} {phase.unavailable:>5} {phase.refused:>7} "
            f"{phase.timeouts:>7} {len(phase.acked):>6} {phase.in_doubt:>5} {in_db:>6} "
            f"{min(received, default=0):>5}/{len(phase.acked):<6} {lost:>7} {phase.readyz_503:>5}  {codes}"
        )
    print()
    total = sum(present.values())
    print(
        f"writes acknowledged: {len(acked)}, their rows in the database: {total}, lost writes: {len(acked) - total}"
    )
    for sub in subs:
        missing = len(set(acked) - sub.received)
        print(
            f"{sub.name}: received {len(set(acked) & sub.received)}/{len(acked)} acknowledged writes "
            f"(lost {missing}), reconnects {sub.reconnects}"
        )
    print(f"subscribers drained in {drained:.1f} s after the load stopped")
    for phase in run.phases:
        for note in phase.notes[:8]:
            print(f"[{phase.name}] {note}")
    for server in servers:
        lines = server.log_tail(1_000_000).splitlines()
        starts = [n for n, line in enumerate(lines) if line.startswith("Traceback")]
        if starts:
            print(f"{server.name}: {len(starts)} tracebacks in {server.log}; the first:")
            for line in lines[starts[0] : starts[0] + 80]:
                print(f"    {line[:220]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="bench.soak", description=__doc__.split("\n\n")[0] if __doc__ else ""
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load, over four phases")
    parser.add_argument("--persons", type=int, default=2000, help="generated people in the demo seed")
    parser.add_argument("--writers", type=int, default=3, help="concurrent submitRegistration loops")
    parser.add_argument("--subscribers", type=int, default=4, help="WebSocket subscribers (officer.hanoi)")
    parser.add_argument("--down", type=float, default=3.0, help="seconds each fault keeps a service down")
    parser.add_argument("--drain", type=float, default=30.0, help="max seconds to wait for late events")
    args = parser.parse_args(argv)
    sys.exit(asyncio.run(soak(args)))


if __name__ == "__main__":
    main()
