"""Subscriptions benchmark: thousands of WebSocket subscribers on one server worker.

Run from the project root (a benchmark, not a test; it prints numbers and exits non-zero when the
goal is missed)::

    python -m bench.subscriptions [--subscribers 5000] [--rate 10] [--duration 20] [--share 0.05]
                                  [--database-url URL] [--redis-url redis://127.0.0.1:6379/0]

Without ``--database-url`` a fresh SQLite database is created in a temporary directory, migrated
and seeded with the demo data (50 generated people, seed 1).

One server worker runs as a subprocess (``uvicorn server:create_app --factory``) with the Redis
broker, pinned to CPU 0 with ``taskset`` while this process runs on CPU 1. Tokens are issued
directly in the database: a fraction ``--share`` of the subscribers sign in as ``officer.hanoi``
(province 01: they receive the events), the others as ``officer.hcm`` (province 79: they must
receive nothing). Each subscriber opens its own graphql-transport-ws connection and subscribes to
``events(types: [CARD_ISSUED])``; connections are opened ``--concurrency`` at a time.

A probe (one event for province 01 and one for 79) then proves that every subscription is live.
After that, ``--rate`` CARD_ISSUED events per second for province 01 are inserted for
``--duration`` seconds, as another process's mutation would: insert, commit, then a wake-up on the
Redis channel. Latency is measured from the commit (``time.time()`` right after it) to the receipt
of the message by the subscriber (the same clock: both are in this process).

Goal: 5,000 subscribers on one worker, p99 latency under 1 s, no event lost or duplicated and none
delivered to a subscriber who may not see it. ``--profile`` samples the server with py-spy while
the events are produced (``pip install py-spy``; a dev-only tool) and prints where its CPU goes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from auth import tokens
from infra.broker import RedisBroker
from models.engine import make_engine, make_sessionmaker
from models.migrate import migrate
from models.tables import account_t, event_t
from models.types import utcnow
from resolvers.errors import BadUserInput
from resolvers.pagination import Cursors
from schema.event import EVENT_ORDER
from settings import Settings

RECIPIENT = "officer.hanoi"  # province 01: receives the events
BYSTANDER = "officer.hcm"  # province 79: must receive nothing
EVENT_PROVINCE = "01"
PROBE_PROVINCES = ("01", "79")
EVENT_TYPE = "CARD_ISSUED"
SUBJECT_TYPE = "HealthInsuranceCard"
SUBJECT_ID = 1

QUERY = "subscription { events(types: [CARD_ISSUED]) { cursor type occurredAt } }"
SUBPROTOCOL = websockets.Subprotocol("graphql-transport-ws")
CURSOR_KEY = b'"cursor":"'

GOAL_SUBSCRIBERS = 5000
GOAL_P99_MS = 1000.0
PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROFILE_TOP = 25


# ---------------------------------------------------------------------------------------------
# The subscribers


@dataclass(eq=False, slots=True)
class Subscriber:
    index: int
    recipient: bool
    token: str
    ws: ClientConnection | None = None
    task: asyncio.Task[None] | None = None
    setup_ms: float | None = None
    failure: str | None = None  # why the connection or the subscription could not be opened
    closed: str | None = None  # why the connection ended before the bench closed it
    ids: list[int] = field(default_factory=list)  # event ids received, in order
    times: list[float] = field(default_factory=list)  # time.time() of each receipt
    errors: list[str] = field(default_factory=list)  # error messages and next payloads with errors
    completed: bool = False
    binary_frames: int = 0
    text_frames: int = 0
    malformed: int = 0


@dataclass(slots=True)
class Tally:
    """Counters shared by the receive loops (one event loop: no locking needed)."""

    received: int = 0
    stopping: bool = False


# Cursors are bound to the viewer's scope: those of the recipients (officers of province 01) and
# of the bystanders (province 79) open with keys of their own. Set once the settings are known.
VIEWER_CURSORS: list[Cursors] = []


def viewer_cursors(settings: Settings) -> list[Cursors]:
    from auth.scopes import scope_key
    from auth.viewer import Role, Viewer

    return [
        Cursors.make(
            settings.secret_key,
            scope_key(Viewer(account_id=0, username=name, role=Role.OFFICER, province_code=province)),
        )
        for name, province in ((RECIPIENT, "01"), (BYSTANDER, "79"))
    ]


def event_id_of(cursor: bytes) -> int:
    text = cursor.decode("ascii")
    for cursors in VIEWER_CURSORS[:-1]:
        try:
            (event_id,) = cursors.open(EVENT_ORDER, text)
            return int(event_id)
        except BadUserInput:
            continue
    (event_id,) = VIEWER_CURSORS[-1].open(EVENT_ORDER, text)
    return int(event_id)


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:90]}" if text else type(exc).__name__


async def open_subscriber(
    sub: Subscriber,
    url: str,
    gate: asyncio.Semaphore,
    tally: Tally,
    step_seconds: float,
    compression: bool,
) -> None:
    """Connect, sign in with connection_init, subscribe; then receive until the bench stops."""
    async with gate:
        started = time.perf_counter()
        ws: ClientConnection | None = None
        try:
            ws = await websockets.connect(
                url,
                subprotocols=[SUBPROTOCOL],
                open_timeout=step_seconds,
                close_timeout=2,
                ping_interval=None,  # the bench must not close busy connections on its own
                compression="deflate" if compression else None,
            )
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {sub.token}"}}
            await ws.send(json.dumps(init))
            while True:
                reply = json.loads(await asyncio.wait_for(ws.recv(), step_seconds))
                if reply.get("type") == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                    continue
                break
            if reply.get("type") != "connection_ack":
                raise RuntimeError(f"connection_init answered {str(reply)[:80]}")
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": QUERY}}))
        except Exception as exc:
            sub.failure = describe(exc)
            if ws is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(), 2)
            return
        sub.ws = ws
        sub.setup_ms = (time.perf_counter() - started) * 1000
    sub.task = asyncio.create_task(receive(sub, ws, tally), name=f"subscriber-{sub.index}")


async def receive(sub: Subscriber, ws: ClientConnection, tally: Tally) -> None:
    """Records the receipt time of every event; the cursor is picked out of the message without
    parsing all of it, so that the bench spends as little as possible per message."""
    try:
        async for raw in ws:
            now = time.time()
            if isinstance(raw, bytes):
                sub.binary_frames += 1
                data = raw
            else:
                sub.text_frames += 1
                data = raw.encode()
            start = data.find(CURSOR_KEY)
            if start >= 0:
                start += len(CURSOR_KEY)
                try:
                    event_id = event_id_of(data[start : data.index(b'"', start)])
                except (ValueError, UnicodeError, BadUserInput):
                    sub.malformed += 1
                    continue
                sub.ids.append(event_id)
                sub.times.append(now)
                tally.received += 1
                continue
            try:
                message: dict[str, Any] = json.loads(data)
            except ValueError:
                sub.malformed += 1
                continue
            kind = message.get("type")
            if kind == "ping":
                await ws.send(json.dumps({"type": "pong"}))
            elif kind == "complete":
                sub.completed = True
            elif kind in {"error", "next"}:
                payload = message.get("payload")
                errors = payload if isinstance(payload, list) else (payload or {}).get("errors") or [payload]
                sub.errors.extend(str((e or {}).get("message", e))[:120] for e in errors)
            else:
                sub.malformed += 1
    except ConnectionClosed as exc:
        if not tally.stopping:
            sub.closed = f"closed {exc.rcvd.code if exc.rcvd else 'abnormally'}" + (
                f": {exc.rcvd.reason[:80]}" if exc.rcvd and exc.rcvd.reason else ""
            )
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if not tally.stopping:
            sub.closed = describe(exc)


async def close_all(subscribers: Sequence[Subscriber], tally: Tally, concurrency: int) -> None:
    tally.stopping = True
    gate = asyncio.Semaphore(concurrency)

    async def close(sub: Subscriber) -> None:
        if sub.ws is None:
            return
        async with gate:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sub.ws.close(), 5)

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(close(s) for s in subscribers)), 60)
    tasks = [s.task for s in subscribers if s.task is not None]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# ---------------------------------------------------------------------------------------------
# The server worker


class Server:
    """One uvicorn worker in a subprocess, optionally pinned to a CPU."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.log = log
        self.clock_ticks = os.sysconf("SC_CLK_TCK")

    @classmethod
    def start(cls, env: dict[str, str], folder: Path, cpu: int | None) -> Server:
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "server:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
        if cpu is not None:
            command = ["taskset", "-c", str(cpu), *command]
        log = folder / "server.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        return cls(process, port, log)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    async def wait_healthy(self, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(base_url=self.http_url, timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise SystemExit(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise SystemExit(f"the server did not answer /healthz within {within:.0f} s:\n{self.log_tail()}")

    def rss_mb(self) -> float | None:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the worker (all its threads)."""
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / self.clock_ticks

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def raise_open_files(needed: int) -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return soft, hard
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if hard != resource.RLIM_INFINITY and hard < needed:
        with contextlib.suppress(ValueError, OSError):  # only root may raise the hard limit
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, needed))
            return needed, needed
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def choose_cpus(pin: bool) -> tuple[int | None, int | None]:
    """(server CPU, bench CPU): 0 and 1 when both are available and taskset exists."""
    if not pin or shutil.which("taskset") is None:
        return None, None
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None, None
    return allowed[0], allowed[1]


# ---------------------------------------------------------------------------------------------
# Events: inserted and committed as another process's mutation would, then a broker wake-up


class Producer:
    def __init__(self, engine: AsyncEngine, broker: RedisBroker) -> None:
        self.engine = engine
        self.broker = broker
        self.failures: Counter[str] = Counter()

    async def emit(self, province: str) -> tuple[int, float] | None:
        """One event row, committed; returns its id and the time right after the commit."""
        try:
            async with self.engine.connect() as connection:
                result = await connection.execute(
                    insert(event_t)
                    .values(
                        type=EVENT_TYPE,
                        occurred_at=utcnow(),
                        subject_type=SUBJECT_TYPE,
                        subject_id=SUBJECT_ID,
                        province_code=province,
                    )
                    .returning(event_t.c.id)
                )
                event_id = int(result.scalar_one())
                await connection.commit()
            return event_id, time.time()
        except Exception as exc:
            self.failures[describe(exc)] += 1
            return None

    async def wake(self) -> None:
        await self.broker.publish()  # logs and swallows its own failures: the hub also polls

    async def run(self, rate: float, duration: float) -> tuple[dict[int, float], float]:
        """`rate` events per second for `duration` seconds on a fixed schedule (no catch-up burst
        beyond what the schedule owes). Returns commit time by event id and the elapsed time."""
        committed: dict[int, float] = {}
        total = max(1, round(rate * duration))
        started = time.perf_counter()
        for n in range(total):
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            emitted = await self.emit(EVENT_PROVINCE)
            if emitted is not None:
                committed[emitted[0]] = emitted[1]
                await self.wake()
        return committed, time.perf_counter() - started


# ---------------------------------------------------------------------------------------------
# Database and tokens


async def prepare_database(settings: Settings, fresh: bool) -> None:
    from seed.cli import run_seed

    with timed("migrate"):
        await migrate(settings)
    with timed("seed (demo, 50 persons)" + ("" if fresh else ", if not seeded yet")):
        await run_seed(settings, demo=True, persons=50, seed=1, progress=False)


async def issue_tokens(engine: AsyncEngine, recipients: int, bystanders: int) -> list[tuple[bool, str]]:
    """One session per subscriber, issued directly as the tests do; recipients first."""
    sessions = make_sessionmaker(engine)
    issued: list[tuple[bool, str]] = []
    async with sessions() as session:
        for username, count, recipient in ((RECIPIENT, recipients, True), (BYSTANDER, bystanders, False)):
            account_id = (
                await session.execute(select(account_t.c.id).where(account_t.c.username == username))
            ).scalar_one()
            for n in range(count):
                token, _ = await tokens.issue(session, account_id, f"bench-subscriber-{username}-{n}")
                issued.append((recipient, token))
        await session.commit()
    return issued


# ---------------------------------------------------------------------------------------------
# Results


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted values (q in 0..100)."""
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass(slots=True)
class Outcome:
    events: int = 0
    recipients: int = 0
    live_recipients: int = 0
    expected: int = 0
    delivered: int = 0
    duplicates: int = 0
    wrong: int = 0
    unknown: int = 0
    latencies: list[float] = field(default_factory=list)  # ms, sorted
    fanout: list[float] = field(default_factory=list)  # ms to the last live recipient, sorted
    complete_events: int = 0
    # The longest time, from the first commit on, in which no subscriber received anything: the
    # server's event loop stalled (or was busy elsewhere) for that long.
    longest_silence: float = 0.0

    @property
    def lost(self) -> int:
        return self.expected - self.delivered


def analyse(
    subscribers: Sequence[Subscriber], committed: dict[int, float], probes: dict[str, int]
) -> Outcome:
    outcome = Outcome(events=len(committed))
    outcome.recipients = sum(1 for s in subscribers if s.recipient)
    outcome.live_recipients = sum(1 for s in subscribers if s.recipient and s.ws is not None)
    outcome.expected = outcome.events * outcome.recipients
    probe_recipients, probe_bystanders = probes.get(EVENT_PROVINCE), probes.get(PROBE_PROVINCES[1])
    last: dict[int, float] = {}
    reached: Counter[int] = Counter()
    receipts: list[float] = []
    for sub in subscribers:
        seen: set[int] = set()
        for event_id, at in zip(sub.ids, sub.times, strict=True):
            if not sub.recipient:
                if event_id != probe_bystanders:
                    outcome.wrong += 1  # a province-01 event (or probe) reached an officer of 79
                continue
            if event_id == probe_bystanders:
                outcome.wrong += 1
                continue
            if event_id == probe_recipients:
                continue
            commit = committed.get(event_id)
            if commit is None:
                outcome.unknown += 1
                continue
            if event_id in seen:
                outcome.duplicates += 1
                continue
            seen.add(event_id)
            outcome.delivered += 1
            outcome.latencies.append((at - commit) * 1000)
            receipts.append(at)
            reached[event_id] += 1
            if at > last.get(event_id, 0.0):
                last[event_id] = at
    outcome.latencies.sort()
    for event_id, count in reached.items():
        if count >= outcome.live_recipients:
            outcome.complete_events += 1
            outcome.fanout.append((last[event_id] - committed[event_id]) * 1000)
    outcome.fanout.sort()
    if committed and receipts:
        receipts.sort()
        previous = min(committed.values())
        for at in receipts:
            outcome.longest_silence = max(outcome.longest_silence, at - previous)
            previous = at
    return outcome


def mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f} MB"


def print_table(rows: Sequence[tuple[str, str]], title: str) -> None:
    width = max(len(k) for k, _ in rows)
    print(f"\n{title}")
    print("-" * (width + 50))
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


def distribution(values: Sequence[float]) -> str:
    if not values:
        return "n/a"
    return (
        f"p50 {percentile(values, 50):,.0f}  p95 {percentile(values, 95):,.0f}  "
        f"p99 {percentile(values, 99):,.0f}  max {values[-1]:,.0f} ms"
    )


@contextmanager
def timed(label: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    print(f"{label}: {time.perf_counter() - started:.1f} s", flush=True)


# ---------------------------------------------------------------------------------------------
# Profiling the server with py-spy


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


async def record_profile(pid: int, seconds: float, output: Path) -> str | None:
    """py-spy samples the worker (CPU-active samples only) into collapsed stacks."""
    executable = py_spy()
    if executable is None:
        return "py-spy is not installed (pip install py-spy)"
    process = await asyncio.create_subprocess_exec(
        executable,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, round(seconds))),
        "--rate",
        "200",
        "--format",
        "raw",
        "--nonblocking",
        "--output",
        str(output),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        return f"py-spy failed ({process.returncode}): {out.decode(errors='replace')[-500:]}"
    return None


def short_file(path: str) -> str:
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1]
    if "/lib/python3" in path:
        return "<stdlib>/" + path.split("/lib/python3", 1)[1].split("/", 1)[-1]
    root = str(PROJECT_ROOT) + "/"
    return path.removeprefix(root)


def frame_parts(frame: str) -> tuple[str, str]:
    """'function (file:line)' -> (function, short file)."""
    name, _, where = frame.partition(" (")
    file = where.rstrip(")").rsplit(":", 1)[0]
    return name, short_file(file)


def package_of(file: str) -> str:
    if file.startswith("<stdlib>"):
        parts = file.split("/")
        return f"<stdlib>/{parts[1]}" if len(parts) > 2 else "<stdlib>"
    return file.split("/", 1)[0].removesuffix(".py")


def print_profile(raw: Path) -> None:
    self_by_function: Counter[str] = Counter()
    self_by_package: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [frame_parts(f) for f in stack.split(";") if " (" in f]
        if not frames:
            continue
        name, file = frames[-1]
        self_by_function[f"{name}  {file}"] += count
        self_by_package[package_of(file)] += count
        for key in {f"{n}  {f}" for n, f in frames}:
            inclusive[key] += count
    if not total:
        print("py-spy recorded no samples")
        return

    def show(title: str, table: Counter[str], limit: int) -> None:
        print(f"\n{title}")
        for key, count in table.most_common(limit):
            print(f"  {count / total:6.1%}  {key}")

    print(f"\nserver profile: {total:,} CPU-active samples (py-spy, 200 Hz, idle excluded)")
    show("self time by package", self_by_package, 15)
    show("self time by function", self_by_function, PROFILE_TOP)
    project = Counter(
        {k: v for k, v in inclusive.items() if k.split("  ", 1)[1].split("/", 1)[0] in PROJECT_PACKAGES}
    )
    show("inclusive time, project functions", project, 15)
    show("inclusive time, all functions", inclusive, PROFILE_TOP)


PROJECT_PACKAGES = frozenset({"auth", "models", "resolvers", "schema", "server.py", "settings.py"})


# ---------------------------------------------------------------------------------------------
# The run


async def wait_until(predicate: Callable[[], object], within: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(interval)
    return bool(predicate())


async def main_async(args: argparse.Namespace) -> int:
    server_cpu, bench_cpu = choose_cpus(not args.no_pin)
    if bench_cpu is not None:
        os.sched_setaffinity(0, {bench_cpu})  # before any thread starts: they inherit it
    soft, _ = raise_open_files(args.subscribers + 1024)
    if soft < args.subscribers + 256:
        print(f"warning: only {soft} open files allowed; connections will fail", file=sys.stderr)

    recipients = round(args.subscribers * args.share)
    bystanders = args.subscribers - recipients
    with tempfile.TemporaryDirectory(prefix="ansinh-subscriptions-") as folder_name:
        folder = Path(folder_name)
        url = args.database_url or f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        settings = Settings(database_url=url, env="development", captcha="off")
        VIEWER_CURSORS[:] = viewer_cursors(settings)
        print(f"database: {url.split('@')[-1] if '@' in url else url.split(':///')[0]}", flush=True)
        await prepare_database(settings, fresh=args.database_url is None)
        engine = make_engine(url)
        broker = RedisBroker(args.redis_url)
        subscribers: list[Subscriber] = []
        tally = Tally()
        server: Server | None = None
        try:
            with timed(f"tokens ({recipients} {RECIPIENT}, {bystanders} {BYSTANDER})"):
                issued = await issue_tokens(engine, recipients, bystanders)
            subscribers = [Subscriber(n, recipient, token) for n, (recipient, token) in enumerate(issued)]

            env = dict(os.environ)
            env.update(
                ANSINH_DATABASE_URL=url,
                ANSINH_BROKER_URL=args.redis_url,
                ANSINH_ENV="development",
                ANSINH_UPLOAD_DIR=str(folder / "uploads"),
                ANSINH_MESSAGE_LOG=str(folder / "messages.jsonl"),
            )
            server = Server.start(env, folder, server_cpu)
            await server.wait_healthy()
            pinning = (
                f"server on CPU {server_cpu}, bench on CPU {bench_cpu}"
                if server_cpu is not None
                else "unpinned"
            )
            print(f"server: one uvicorn worker, pid {server.pid}, port {server.port} ({pinning})", flush=True)
            await asyncio.sleep(1.0)  # let the worker settle (hub started, broker subscribed)
            rss_before = server.rss_mb()

            # Connect and subscribe, `--concurrency` at a time.
            gate = asyncio.Semaphore(args.concurrency)
            print(f"opening {args.subscribers:,} subscriptions, {args.concurrency} at a time…", flush=True)
            started = time.perf_counter()
            await asyncio.gather(
                *(
                    open_subscriber(s, server.ws_url, gate, tally, args.timeout, not args.no_compression)
                    for s in subscribers
                )
            )
            setup_seconds = time.perf_counter() - started
            opened = [s for s in subscribers if s.ws is not None]
            print(f"  {len(opened):,} opened in {setup_seconds:.1f} s", flush=True)

            # Probe: one event each side; every subscription must receive its own.
            producer = Producer(engine, broker)
            probes: dict[str, int] = {}
            probe_commit = time.time()
            for province in PROBE_PROVINCES:
                emitted = await producer.emit(province)
                if emitted is not None:
                    probes[province] = emitted[0]
            await broker.publish()
            live = await wait_until(
                lambda: all(s.ids or s.closed for s in opened), args.ready_timeout, interval=0.2
            )
            ready_seconds = time.time() - probe_commit
            live_count = sum(1 for s in opened if s.ids)
            print(
                f"  {live_count:,} live (probe received) {ready_seconds:.1f} s after the probe"
                + ("" if live else f"; gave up after {args.ready_timeout:.0f} s"),
                flush=True,
            )
            rss_subscribed = server.rss_mb()

            # Produce the events.
            baseline = tally.received
            print(f"producing {args.rate:g} events/s for {args.duration:g} s…", flush=True)
            cpu_before, bench_cpu_before = server.cpu_seconds(), time.process_time()
            profile_task = (
                asyncio.create_task(record_profile(server.pid, args.duration, folder / "profile.txt"))
                if args.profile
                else None
            )
            committed, produce_seconds = await producer.run(args.rate, args.duration)
            last_commit = time.time()

            # Stragglers: wait until everything arrived, or nothing new arrived for --grace seconds.
            expected_live = len(committed) * sum(1 for s in opened if s.recipient and s.ids)
            progress, quiet_since = tally.received, time.monotonic()
            hard_stop = time.monotonic() + args.drain_max
            while tally.received - baseline < expected_live and time.monotonic() < hard_stop:
                await asyncio.sleep(0.1)
                if tally.received != progress:
                    progress, quiet_since = tally.received, time.monotonic()
                elif time.monotonic() - quiet_since >= args.grace:
                    break
            await asyncio.sleep(0.2)  # a last look for duplicates or strays
            drain_seconds = time.time() - last_commit
            cpu_after, bench_cpu_after = server.cpu_seconds(), time.process_time()
            window = produce_seconds + drain_seconds
            rss_end = server.rss_mb()
            profile_error = await profile_task if profile_task is not None else None

            outcome = analyse(subscribers, committed, probes)
            failures = Counter(s.failure for s in subscribers if s.failure)
            closes = Counter(s.closed for s in subscribers if s.closed)
            errors = Counter(e for s in subscribers for e in s.errors)
            binary = sum(s.binary_frames for s in subscribers)
            text = sum(s.text_frames for s in subscribers)
            setups = sorted(s.setup_ms for s in subscribers if s.setup_ms is not None)

            rows: list[tuple[str, str]] = [
                (
                    "subscribers",
                    f"{args.subscribers:,} ({recipients:,} {RECIPIENT} receive, "
                    f"{bystanders:,} {BYSTANDER} must not)",
                ),
                (
                    "connections opened",
                    f"{len(opened):,} / {args.subscribers:,} in {setup_seconds:.1f} s "
                    f"({len(opened) / setup_seconds:,.0f}/s, {args.concurrency} at a time)",
                ),
                ("  per connection", distribution(setups).replace(" ms", " ms (connect+init+subscribe)")),
                ("  failures", ", ".join(f"{n}× {k}" for k, n in failures.most_common(5)) or "0"),
                (
                    "subscriptions live",
                    f"{live_count:,} / {len(opened):,} (probe delivered to all within {ready_seconds:.1f} s)",
                ),
                (
                    "events produced",
                    f"{outcome.events:,} in {produce_seconds:.1f} s ({outcome.events / produce_seconds:.1f}/s, "
                    f"goal {args.rate:g}/s)"
                    + (
                        f"; insert failures: {dict(producer.failures.most_common(3))}"
                        if producer.failures
                        else ""
                    ),
                ),
                (
                    "expected deliveries",
                    f"{outcome.expected:,} ({outcome.events:,} events × {outcome.recipients:,} recipients)",
                ),
                (
                    "delivered",
                    f"{outcome.delivered:,} ({outcome.delivered / max(1, outcome.expected):.2%}) "
                    f"= {outcome.delivered / window:,.0f}/s over the run",
                ),
                ("lost (not received by the end)", f"{outcome.lost:,}"),
                ("duplicates", f"{outcome.duplicates:,}"),
                ("wrongly delivered", f"{outcome.wrong:,} (to {BYSTANDER} or probes crossed; must be 0)"),
                ("latency commit→receipt", distribution(outcome.latencies)),
                (
                    "event reached all recipients",
                    f"{outcome.complete_events:,} / {outcome.events:,} events: {distribution(outcome.fanout)}",
                ),
                ("drain after last commit", f"{drain_seconds:.1f} s"),
                ("longest gap with no delivery", f"{outcome.longest_silence:.1f} s (from the first commit)"),
                (
                    "server RSS",
                    f"{mb(rss_before)} before subscribing, {mb(rss_subscribed)} subscribed, {mb(rss_end)} at the end",
                ),
                (
                    "  per subscriber",
                    f"{(rss_subscribed - rss_before) * 1024 / max(1, len(opened)):,.0f} KB"
                    if rss_before is not None and rss_subscribed is not None
                    else "n/a",
                ),
                (
                    "server CPU while producing",
                    f"{cpu_after - cpu_before:.1f} s in {window:.1f} s ({(cpu_after - cpu_before) / window:.0%} of a core)"
                    if cpu_before is not None and cpu_after is not None
                    else "n/a",
                ),
                (
                    "  per delivery",
                    f"{(cpu_after - cpu_before) * 1000 / outcome.delivered:.2f} ms of server CPU per event "
                    "delivered (robust to other load on the CPU)"
                    if cpu_before is not None and cpu_after is not None and outcome.delivered
                    else "n/a",
                ),
                (
                    "bench CPU while producing",
                    f"{bench_cpu_after - bench_cpu_before:.1f} s ({(bench_cpu_after - bench_cpu_before) / window:.0%} of a core)",
                ),
                ("closed early", ", ".join(f"{n}× {k}" for k, n in closes.most_common(5)) or "0"),
                ("error messages", ", ".join(f"{n}× {k}" for k, n in errors.most_common(5)) or "0"),
                (
                    "frames",
                    f"{binary:,} binary, {text:,} text"
                    + (" (graphql-transport-ws expects text frames)" if binary else ""),
                ),
            ]
            if outcome.unknown or any(s.malformed for s in subscribers):
                rows.append(
                    (
                        "unrecognised",
                        f"{outcome.unknown} unknown event ids, {sum(s.malformed for s in subscribers)} malformed messages",
                    )
                )
            print_table(rows, "subscriptions on one worker")

            p99 = percentile(outcome.latencies, 99)
            checks = [
                (
                    "subscribers",
                    f"{len(opened):,} live on one worker",
                    f"≥ {GOAL_SUBSCRIBERS:,}",
                    live_count >= GOAL_SUBSCRIBERS and len(opened) == args.subscribers,
                ),
                (
                    "p99 latency",
                    f"{p99:,.0f} ms" if outcome.latencies else "n/a",
                    f"< {GOAL_P99_MS:,.0f} ms",
                    bool(outcome.latencies) and p99 < GOAL_P99_MS,
                ),
                ("lost", f"{outcome.lost:,}", "0", outcome.lost == 0 and outcome.events > 0),
                ("duplicates", f"{outcome.duplicates:,}", "0", outcome.duplicates == 0),
                ("wrongly delivered", f"{outcome.wrong:,}", "0", outcome.wrong == 0),
            ]
            print("\ncheck                measured                    goal        result")
            print("-" * 72)
            for name, measured, goal, ok in checks:
                print(f"{name:<20} {measured:<27} {goal:<11} {'PASS' if ok else 'FAIL'}")
            passed = all(ok for *_, ok in checks)
            print(
                f"\n{'PASS' if passed else 'FAIL'}: goal 5,000 subscribers on one worker, p99 < 1 s, 0 lost "
                f"(this run: {args.subscribers:,} subscribers, {args.rate:g} events/s × {args.duration:g} s)",
                flush=True,
            )
            if profile_task is not None:
                if profile_error:
                    print(f"\nprofile: {profile_error}")
                else:
                    print_profile(folder / "profile.txt")
            return 0 if passed else 1
        finally:
            await close_all(subscribers, tally, args.concurrency)
            if server is not None:
                if server.process.poll() is not None:
                    print(f"the server exited early ({server.process.returncode}):\n{server.log_tail()}")
                server.stop()
                tail = server.log_tail(10)
                if args.verbose and tail:
                    print(f"\nserver log (last lines):\n{tail}")
            await broker.close()
            await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.subscriptions", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--subscribers", type=int, default=5000, help="WebSocket subscribers (default 5000)")
    parser.add_argument("--rate", type=float, default=10, help="events per second (default 10)")
    parser.add_argument("--duration", type=float, default=20, help="seconds of events (default 20)")
    parser.add_argument(
        "--share", type=float, default=0.05, help=f"fraction signed in as {RECIPIENT} (default 0.05)"
    )
    parser.add_argument("--database-url", help="use this database instead of a fresh SQLite file")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="the broker (Redis)")
    parser.add_argument("--concurrency", type=int, default=200, help="connections opened at a time")
    parser.add_argument("--timeout", type=float, default=30, help="seconds per connect / connection_ack")
    parser.add_argument("--ready-timeout", type=float, default=60, help="seconds for the probe to reach all")
    parser.add_argument(
        "--grace", type=float, default=5, help="stop waiting after this long with no delivery"
    )
    parser.add_argument(
        "--drain-max", type=float, default=120, help="wait at most this long after the last event"
    )
    parser.add_argument("--no-compression", action="store_true", help="do not offer permessage-deflate")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the server and the bench to CPUs")
    parser.add_argument(
        "--profile", action="store_true", help="sample the server with py-spy while producing"
    )
    parser.add_argument("--verbose", action="store_true", help="print the end of the server's log")
    args = parser.parse_args(argv)
    if args.subscribers < 1 or args.rate <= 0 or args.duration <= 0 or not 0 < args.share <= 1:
        parser.error("--subscribers, --rate and --duration must be positive and --share in (0, 1]")
    if args.concurrency < 1:
        parser.error("--concurrency must be 1 or more")
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
