"""Compiled reads: the views of issue 16 through both executors, beside their physical bounds.

Run from the project root (a benchmark, not a test; it prints numbers and exits non-zero when a
goal is missed)::

    python -m bench.compiled [--persons 20000] [--database-url URL] [--repeat 7]

Two apps on one database, one with ``ANSINH_COMPILER=off`` (graphql-core's executor for every
operation) and one with ``ANSINH_COMPILER=on`` (compiled plans where the compiler takes the
operation), called in-process through httpx's ASGI transport with ``X-Ansinh-Debug: 1`` and
``Cache-Control: no-cache``: every figure is an execution, none an answer from the cache. Each
scenario runs twice to warm up, then ``--repeat`` times per executor; medians are printed.

For every scenario it prints, beside the two executors' server time:

* ``SQL``: the statements the compiled request ran, captured at the driver and replayed alone on a
  connection of the same engine (the same text, the same parameters, rows fetched, nothing built
  from them): what the database costs;
* ``JSON``: ``orjson.dumps`` of the final answer: what writing it costs at the least;
* ``on / (SQL + JSON)``: how close the compiled path comes to the sum of the two.

Scenarios and goals (issue 16):

* ``units-employees``: 100 units × up to 100 employees × 7 fields as ``admin``, server time per
  10,000 employees returned, ≤ 100 ms compiled; the process's peak RSS of this view is measured in
  a child process per executor: its RSS once started and signed in, and its peak while it serves
  the view three times (``VmHWM`` after a reset of the peak through ``clear_refs``: ``ru_maxrss``
  also carries the start's peak, and the peak of the process that started the child, through
  ``exec``, which is how earlier sessions' tables came to print 427 MB for either executor);
* ``citizen-home``: the citizen's home screen as ``0113099841``, the server's CPU per request ≤ 1 ms
  compiled: one uvicorn worker of the app (a subprocess on the same database, pinned to a core
  where ``taskset`` exists) answering ``--repeat`` × 200 requests sent one after another on one
  keep-alive connection, its CPU time (every thread's, from ``/proc``, in nanoseconds) divided by
  the requests. HTTP parsing and the response's writing are in it; the client is not. The
  in-process figure of earlier sessions (this process's CPU time over 20 requests through httpx's
  ASGI transport: server *and* client, about a third of it the client's) is printed beside it;
* ``persons-100``: ``persons(first: 100)`` with cards, 5 periods and 3 visits each as
  ``officer.hanoi``, ≤ 20 ms compiled.

Requests per second against a plain Starlette route are measured by ``bench.throughput``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import event

from bench.foundation import (
    ADMIN,
    CITIZEN,
    CITIZEN_HOME,
    OFFICER,
    PERSONS_WITH_RECORDS,
    UNITS_EMPLOYEES,
    Bench,
    employees_returned,
)
from bench.throughput import choose_cpus, running
from models.migrate import migrate
from server import create_app
from settings import Settings

EXECUTORS = ("off", "on")
HOME_BATCH = 20  # requests per CPU sample of citizen-home in-process
SERVER_BATCH = 200  # requests per CPU sample of citizen-home's worker
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    username: str
    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    goal_ms: float = 0.0
    unit: str = "server ms"


SCENARIOS = (
    Scenario("units-employees", ADMIN, UNITS_EMPLOYEES, goal_ms=100.0, unit="server ms / 10k"),
    Scenario("citizen-home", CITIZEN, CITIZEN_HOME, goal_ms=1.0, unit="server CPU ms / req"),
    Scenario("persons-100", OFFICER, PERSONS_WITH_RECORDS, {"first": 100}, goal_ms=20.0),
)


@dataclass(slots=True)
class Figures:
    """Medians of one scenario."""

    measure: dict[str, float] = field(default_factory=dict)  # per executor, in the scenario's unit
    server: dict[str, float] = field(default_factory=dict)  # per executor, server ms
    statements: dict[str, int] = field(default_factory=dict)
    answered_by: str = "?"
    sql_ms: float = 0.0
    json_ms: float = 0.0
    in_process: dict[str, float] = field(default_factory=dict)  # citizen-home: server + client CPU
    scale: float = 1.0  # server ms → the scenario's unit (units-employees: per 10,000 employees)


class Capture:
    """The reads an engine sends to its driver while recording (text and parameters)."""

    def __init__(self, engine: Any) -> None:
        self.statements: list[tuple[str, Any]] = []
        self.on = False
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        # Reads only: the access log's insert is the request's, not the view's.
        if self.on and not many and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.statements.append((statement, parameters))

    @contextmanager
    def recording(self) -> Iterator[list[tuple[str, Any]]]:
        self.statements = []
        self.on = True
        try:
            yield self.statements
        finally:
            self.on = False


async def replay_ms(engine: Any, statements: list[tuple[str, Any]]) -> float:
    """The statements alone on one connection of the engine: rows fetched, nothing built."""
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        started = time.perf_counter()
        for text, parameters in statements:
            if hasattr(driver, "fetch"):  # asyncpg: the text as SQLAlchemy sent it ($1, $2 …)
                await driver.fetch(text, *(parameters or ()))
            else:  # aiosqlite
                cursor = await driver.execute(text, parameters or ())
                await cursor.fetchall()
                await cursor.close()
        elapsed = (time.perf_counter() - started) * 1000
        await conn.rollback()
    return elapsed


def median_of(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


async def measure(
    benches: dict[str, Bench], captures: dict[str, Capture], scenario: Scenario, repeat: int
) -> Figures:
    from bench.foundation import Scenario as Request

    request = Request(scenario.name, scenario.username, scenario.query, scenario.variables)
    figures = Figures()
    for executor, bench in benches.items():
        for _ in range(2):
            await bench.run(request)
        samples = [await bench.run(request) for _ in range(repeat)]
        figures.server[executor] = median_of([s.server_ms for s in samples])
        figures.statements[executor] = max(s.statements for s in samples)
        body = samples[-1].body
        if executor == "on":
            figures.answered_by = body["extensions"]["debug"].get("executor", "?")
        if scenario.name == "units-employees":
            figures.scale = 10_000 / max(1, employees_returned(body))
        if scenario.name == "citizen-home":
            cpu = []
            for _ in range(repeat):
                started = time.process_time()
                for _ in range(HOME_BATCH):
                    await bench.run(request)
                cpu.append((time.process_time() - started) * 1000 / HOME_BATCH)
            figures.in_process[executor] = median_of(cpu)
            url = bench.app.state.runtime.settings.database_url
            token = await bench.token(scenario.username)
            figures.measure[executor] = await asyncio.to_thread(
                worker_cpu_ms, url, executor, scenario, token, repeat
            )
        else:
            figures.measure[executor] = figures.server[executor] * figures.scale

    compiled = benches["on"]
    with captures["on"].recording() as statements:
        sample = await compiled.run(request)
    engine = compiled.app.state.runtime.engine
    figures.sql_ms = median_of([await replay_ms(engine, list(statements)) for _ in range(repeat)])
    data = {k: v for k, v in sample.body.items() if k != "extensions"}
    dumps = []
    for _ in range(repeat):
        started = time.perf_counter()
        orjson.dumps(data)
        dumps.append((time.perf_counter() - started) * 1000)
    figures.json_ms = median_of(dumps)
    return figures


def task_cpu_ns(pid: int) -> int:
    """The CPU time of every thread of `pid` so far, in nanoseconds (`/proc/<pid>/task/*/schedstat`:
    the clock ticks of `/proc/<pid>/stat` are 10 ms, a tenth of a sample)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that ended since the listing
            total += int((task / "schedstat").read_text().split()[0])
    return total


def worker_cpu_ms(database_url: str, executor: str, scenario: Scenario, token: str, repeat: int) -> float:
    """The median CPU time per request of one uvicorn worker of the app (`executor`) answering
    `scenario` one request after another on one keep-alive connection."""
    env = {
        **os.environ,
        "ANSINH_DATABASE_URL": database_url,
        "ANSINH_ENV": "development",
        "ANSINH_CAPTCHA": "off",
        "ANSINH_COMPILER": executor,
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    headers = {"Authorization": f"Bearer {token}", "Cache-Control": "no-cache"}
    payload = {"query": scenario.query, "variables": scenario.variables}
    cpu, _ = choose_cpus(True)
    with (
        tempfile.TemporaryDirectory(prefix="ansinh-worker-") as folder,
        running(["server:create_app", "--factory"], env, Path(folder), cpu) as worker,
        httpx.Client(base_url=worker.url, timeout=30) as client,
    ):

        def send(count: int) -> None:
            for _ in range(count):
                response = client.post("/graphql", json=payload, headers=headers)
                if response.status_code != 200 or response.json().get("errors"):
                    raise SystemExit(
                        f"{scenario.name} [{executor}]: {response.status_code} {response.text[:300]}"
                    )

        send(SERVER_BATCH)  # warm up: plans, statements, pages
        samples = []
        for _ in range(repeat):
            before = task_cpu_ns(worker.process.pid)
            send(SERVER_BATCH)
            samples.append((task_cpu_ns(worker.process.pid) - before) / 1e6 / SERVER_BATCH)
    return median_of(samples)


def peak_rss_mb(database_url: str, executor: str) -> tuple[float, float]:
    """The peak RSS of a fresh process that serves units-employees three times with `executor`."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.compiled", "--rss-child", executor, "--database-url", database_url],
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("RSS ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"the RSS child failed ({done.returncode}): {done.stderr[-2000:]}")
    _, peak, before = line.split()
    return float(peak), float(before)


def _status_mb(field_name: str) -> float | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1]) / 1024
    return None


def rss_now_mb() -> float:
    """This process's resident set now (`VmRSS`, Linux); elsewhere its peak (`ru_maxrss`)."""
    found = _status_mb("VmRSS")
    if found is not None:
        return found
    per_mb = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / per_mb


def reset_peak() -> None:
    """Starts this process's peak RSS afresh (Linux: 5 to `clear_refs` sets `VmHWM` to `VmRSS`), so
    that the peak read next is the views', not the imports' and the start's."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_since_reset_mb() -> float:
    """This process's peak RSS since `reset_peak` (`VmHWM`); elsewhere `ru_maxrss`, which may carry
    the start's peak and that of the process that started it."""
    found = _status_mb("VmHWM")
    return found if found is not None else rss_now_mb()


async def rss_child(database_url: str, executor: str) -> None:
    from bench.foundation import Scenario as Request

    app = create_app(Settings(database_url=database_url, env="development", captcha="off", compiler=executor))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=120
        ) as c:
            bench = Bench(app, c)
            await bench.token(ADMIN)
            gc.collect()
            before = rss_now_mb()
            reset_peak()
            for _ in range(3):
                await bench.run(Request("units-employees", ADMIN, UNITS_EMPLOYEES))
            after = peak_since_reset_mb()
    finally:
        await app.state.runtime.engine.dispose()
    print(f"RSS {after:.1f} {before:.1f}")


def print_table(rows: list[tuple[Scenario, Figures]], rss: dict[str, tuple[float, float]]) -> bool:
    header = (
        f"{'scenario':<16} {'unit':<17} {'stmts':>9} {'off':>9} {'on':>9} {'SQL':>8} {'JSON':>7} "
        f"{'on/(SQL+JSON)':>14}  {'goal':<9} result"
    )
    print(header)
    print("-" * len(header))
    passed = True
    for scenario, f in rows:
        bound = (f.sql_ms + f.json_ms) * f.scale
        on_server = f.server["on"] * f.scale
        ratio = on_server / bound if bound else float("nan")
        ok = f.measure["on"] <= scenario.goal_ms and f.answered_by == "compiled"
        passed = passed and ok
        print(
            f"{scenario.name:<16} {scenario.unit:<17} {f.statements['off']:>4}/{f.statements['on']:<4} "
            f"{f.measure['off']:>9.2f} {f.measure['on']:>9.2f} {f.sql_ms * f.scale:>8.2f} {f.json_ms * f.scale:>7.2f} "
            f"{ratio:>13.2f}×  ≤ {scenario.goal_ms:<6g} {'PASS' if ok else 'FAIL'}"
            + ("" if f.answered_by == "compiled" else f"  (answered by {f.answered_by})")
        )
    for scenario, f in rows:
        if f.in_process:
            print(
                f"\n{scenario.name} in-process (server and httpx client in one process, CPU ms / request): "
                + ", ".join(f"{e} {v:.2f}" for e, v in f.in_process.items())
            )
    if rss:
        print(
            "RSS of a fresh process serving units-employees ×3 (started and signed in → peak while serving): "
            + ", ".join(f"{e} {before:.0f} → {peak:.0f} MB" for e, (peak, before) in rss.items())
        )
    return passed


@contextmanager
def timed(label: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    print(f"{label}: {time.perf_counter() - started:.1f} s", flush=True)


async def main_async(args: argparse.Namespace, folder: Path) -> int:
    url = args.database_url or f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    print(f"database: {url.split('@')[-1] if '@' in url else url.split(':///')[0]}")
    from seed.cli import run_seed

    base = Settings(database_url=url, env="development", captcha="off")
    with timed("migrate"):
        await migrate(base)
    with timed(f"seed ({args.persons} persons)"):
        await run_seed(base, demo=True, persons=args.persons, seed=1, progress=True)

    apps = {
        e: create_app(Settings(database_url=url, env="development", captcha="off", compiler=e))
        for e in EXECUTORS
    }
    clients: list[httpx.AsyncClient] = []
    try:
        benches: dict[str, Bench] = {}
        captures: dict[str, Capture] = {}
        for executor, app in apps.items():
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=120
            )
            clients.append(client)
            benches[executor] = Bench(app, client)
            captures[executor] = Capture(app.state.runtime.engine)
        rows = []
        for scenario in SCENARIOS:
            rows.append((scenario, await measure(benches, captures, scenario, args.repeat)))
    finally:
        for client in clients:
            await client.aclose()
        for app in apps.values():
            await app.state.runtime.engine.dispose()
    rss = {} if args.no_rss else {e: peak_rss_mb(url, e) for e in EXECUTORS}
    print(f"\nmedians of {args.repeat} runs per executor after two warm-ups, nothing cached\n")
    return 0 if print_table(rows, rss) else 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.compiled", description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=20_000, help="generated people (default 20000)")
    parser.add_argument("--database-url", help="use this database instead of a fresh SQLite file")
    parser.add_argument(
        "--repeat", type=int, default=7, help="measured runs per executor (default 7, at least 5)"
    )
    parser.add_argument("--no-rss", action="store_true", help="skip the peak-RSS children")
    parser.add_argument("--rss-child", choices=EXECUTORS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_child:
        asyncio.run(rss_child(args.database_url, args.rss_child))
        return
    if args.repeat < 5:
        parser.error("--repeat must be 5 or more: the figures are medians")
    with tempfile.TemporaryDirectory(prefix="ansinh-compiled-") as name:
        sys.exit(asyncio.run(main_async(args, Path(name))))


if __name__ == "__main__":
    main()
