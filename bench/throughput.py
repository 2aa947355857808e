"""Throughput benchmark: requests per second of one worker, against a plain Starlette route.

Run from the project root (a benchmark, not a test; it prints numbers and exits non-zero when the
goal is missed)::

    python -m bench.throughput [--duration 15] [--connections 50] [--rounds 1] [--persons 2000]
                               [--database-url URL] [--profile [home|home-fresh|__typename]]

Needs ``wrk`` (Debian/Ubuntu: ``apt-get install -y wrk``) and, for pinning, ``taskset``.

1. Creates a fresh SQLite database in a temporary directory (or uses ``--database-url``, SQLite or
   ``postgresql+asyncpg://…``, which must be empty or already seeded with the same seed), migrates
   it and seeds the demo data with ``--persons`` generated people (seed 1); issues a session token
   for the citizen ``0113099841`` directly in the database, as the tests do.
2. Starts **one** uvicorn worker of the app (``server:create_app --factory``) pinned to CPU 0 and
   loads it with wrk pinned to CPU 1: strawberry's ``{ __typename }`` and the signed-in citizen's
   home query (account, person, BHYT card, social insurance participation). Stops it.
3. Starts the baseline, ``bench.plain_app`` (one JSON route), the same way and loads it the same way.

Each load is ``--connections`` keep-alive connections for ``--duration`` seconds after a warm-up.
The table shows requests per second, latency p50/p99, responses that were not 2xx (or failed), and
the worker's CPU time per request (read from ``/proc``; unlike requests per second it stays
meaningful when other processes share the core). With ``--rounds N`` everything runs N times and
the median round (by rps) is shown.

Goals: the home query at **15 % or more of the plain route's requests per second** (ratio ≥ 0.15),
and a list of 20 people with their card (``persons(first: 20)`` as ``officer.hanoi``, executed every
time) at **25 % or more** with the compiled read path (ratio ≥ 0.25).

``--executors off,on`` (the default) starts the worker once per executor (``ANSINH_COMPILER=off``:
graphql-core's executor for every operation; ``on``: compiled plans where the compiler takes the
operation) and prints both beside the plain route of the same run.

``--profile [home|home-fresh|__typename]`` then samples the worker with py-spy (dev only: ``pip install
py-spy``) while wrk sends that load (the home query if not named), and prints CPU self time by
package and by function, and the inclusive time of the project's functions. py-spy samples every
thread: aiosqlite's connection threads show up as ``aiosqlite`` (the SQLite work and the hand-over
between threads).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select

from auth import tokens
from bench.foundation import CITIZEN, CITIZEN_HOME
from models.engine import make_engine, make_sessionmaker
from models.migrate import migrate
from models.tables import account_t
from settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 0.15
GOAL_LIST_RATIO = 0.25
OFFICER = "officer.hanoi"
PERSONS_20 = """
{
  persons(first: 20) {
    nodes {
      socialInsuranceCode
      fullName
      dateOfBirth
      healthInsuranceCard { number status validFrom validTo benefitLevel }
    }
  }
}
"""
TYPENAME = "{ __typename }"
WRK_INSTALL = "wrk is not installed: apt-get install -y wrk (Debian/Ubuntu), brew install wrk (macOS)"

# The load generator's script: POST the body with the headers a GraphQL client sends, and print
# one line of figures at the end (the same line as the shared bench-wrk.sh tool).
WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/graphql-response+json, application/json"
if os.getenv("BENCH_AUTH") ~= "" then wrk.headers["Authorization"] = os.getenv("BENCH_AUTH") end
if os.getenv("BENCH_FRESH") == "1" then wrk.headers["Cache-Control"] = "no-cache" end
function done(s, latency, requests)
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f connect=%d read=%d write=%d non2xx=%d timeout=%d\\n",
    s.requests, s.requests / (s.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, s.errors.connect, s.errors.read, s.errors.write, s.errors.status, s.errors.timeout))
end
"""


@dataclass(frozen=True, slots=True)
class Load:
    name: str
    body: str
    auth: str = ""
    # Cache-Control: no-cache: executed every time (the session of the token may still be cached).
    fresh: bool = False


@dataclass(slots=True)
class Measured:
    name: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    failed: int
    cpu_ms_per_request: float | None


# ---------------------------------------------------------------------------------------------
# A uvicorn worker in a subprocess


class Worker:
    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.log = log

    @classmethod
    def start(cls, app: list[str], env: dict[str, str], folder: Path, cpu: int | None) -> Worker:
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", *app, "--port", str(port), "--log-level", "warning"]
        if cpu is not None:
            command = ["taskset", "-c", str(cpu), *command]
        log = folder / f"worker-{port}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        return cls(process, port, log)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        with httpx.Client(base_url=self.url, timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise SystemExit(f"the worker exited with {self.process.returncode}:\n{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get("/healthz").status_code == 200:
                        return
                time.sleep(0.2)
        raise SystemExit(f"the worker did not answer /healthz within {within:.0f} s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the worker (the taskset wrapper execs into it: same pid)."""
        try:
            stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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


@contextlib.contextmanager
def running(app: list[str], env: dict[str, str], folder: Path, cpu: int | None) -> Iterator[Worker]:
    worker = Worker.start(app, env, folder, cpu)
    try:
        worker.wait_healthy()
        yield worker
    finally:
        worker.stop()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def choose_cpus(pin: bool) -> tuple[int | None, int | None]:
    """(worker CPU, wrk CPU): the first two this process may use, when taskset exists."""
    if not pin or shutil.which("taskset") is None:
        return None, None
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None, None
    return allowed[0], allowed[1]


# ---------------------------------------------------------------------------------------------
# Load with wrk


class Wrk:
    def __init__(self, folder: Path, cpu: int | None, connections: int) -> None:
        self.script = folder / "post.lua"
        self.script.write_text(WRK_SCRIPT)
        self.cpu = cpu
        self.connections = connections

    def run(self, url: str, load: Load, seconds: float) -> dict[str, float]:
        command = [
            "wrk",
            "-t1",
            f"-c{self.connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(self.script),
            f"{url}/graphql",
        ]
        if self.cpu is not None:
            command = ["taskset", "-c", str(self.cpu), *command]
        env = {
            **os.environ,
            "BENCH_BODY": load.body,
            "BENCH_AUTH": load.auth,
            "BENCH_FRESH": "1" if load.fresh else "",
        }
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
        if done.returncode != 0 or line is None:
            raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
        return {key: float(value) for key, _, value in (p.partition("=") for p in line.split()[1:])}

    def measure(self, worker: Worker, load: Load, duration: float, warmup: float) -> Measured:
        if warmup > 0:
            self.run(worker.url, load, warmup)
        cpu_before = worker.cpu_seconds()
        figures = self.run(worker.url, load, duration)
        cpu_after = worker.cpu_seconds()
        requests = int(figures["requests"])
        cpu = None
        if cpu_before is not None and cpu_after is not None and requests:
            cpu = (cpu_after - cpu_before) * 1000 / requests
        failed = int(figures["connect"] + figures["read"] + figures["write"] + figures["timeout"])
        return Measured(
            name=load.name,
            requests=requests,
            rps=figures["rps"],
            p50_ms=figures["p50_ms"],
            p99_ms=figures["p99_ms"],
            non2xx=int(figures["non2xx"]),
            failed=failed,
            cpu_ms_per_request=cpu,
        )


# ---------------------------------------------------------------------------------------------
# Preparation


async def prepare(settings: Settings, persons: int) -> dict[str, str]:
    """Migrates and seeds the database; returns a fresh token of the citizen and of the officer."""
    from seed.cli import run_seed

    started = time.perf_counter()
    await migrate(settings)
    await run_seed(settings, demo=True, persons=persons, seed=1, progress=False)
    print(f"migrate + seed ({persons} persons): {time.perf_counter() - started:.1f} s")
    engine = make_engine(settings.database_url)
    issued: dict[str, str] = {}
    try:
        async with make_sessionmaker(engine)() as session:
            for username in (CITIZEN, OFFICER):
                account_id = (
                    await session.execute(select(account_t.c.id).where(account_t.c.username == username))
                ).scalar_one()
                issued[username], _ = await tokens.issue(session, account_id, "bench-throughput")
            await session.commit()
    finally:
        await engine.dispose()
    return issued


def check_answers(worker: Worker, loads: list[Load]) -> None:
    """Each query answers 200 with data and no errors; prints the statements it costs."""
    with httpx.Client(base_url=worker.url, timeout=30) as client:
        for load in loads:
            headers = {"Content-Type": "application/json", "X-Ansinh-Debug": "1", "Cache-Control": "no-cache"}
            if load.auth:
                headers["Authorization"] = load.auth
            response = client.post("/graphql", content=load.body, headers=headers)
            body = response.json()
            if response.status_code != 200 or body.get("errors") or not body.get("data"):
                raise SystemExit(f"{load.name}: HTTP {response.status_code}: {response.text[:500]}")
            debug = (body.get("extensions") or {}).get("debug", {})
            print(
                f"{load.name}: {len(response.content)} bytes, "
                f"{debug.get('sqlStatements', '?')} SQL statements per request"
            )


# ---------------------------------------------------------------------------------------------
# Profiling with py-spy


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def profile(worker: Worker, wrk: Wrk, load: Load, seconds: float, folder: Path) -> None:
    executable = py_spy()
    if executable is None:
        print("\n--profile: py-spy is not installed (pip install py-spy)")
        return
    output = folder / "profile.txt"
    command = [
        executable,
        "record",
        "--pid",
        str(worker.process.pid),
        "--duration",
        str(max(1, round(seconds))),
        "--rate",
        "250",
        "--format",
        "raw",
        "--nonblocking",
        "--gil",  # only the thread holding the GIL: where the interpreter's one core goes
        "--output",
        str(output),
    ]
    spy = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    with contextlib.suppress(SystemExit):
        wrk.run(worker.url, load, seconds + 1)
    out, _ = spy.communicate(timeout=60)
    if spy.returncode != 0 or not output.exists():
        print(f"\npy-spy failed ({spy.returncode}): {out.decode(errors='replace')[-500:]}")
        return
    print_profile(output, load.name)


def short_file(path: str) -> str:
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1]
    if "/lib/python3" in path:
        return "<stdlib>/" + path.split("/lib/python3", 1)[1].split("/", 1)[-1]
    return path.removeprefix(str(PROJECT_ROOT) + "/")


def package_of(file: str) -> str:
    if file.startswith("<stdlib>"):
        parts = file.split("/")
        return f"<stdlib>/{parts[1]}" if len(parts) > 2 else "<stdlib>"
    return file.split("/", 1)[0].removesuffix(".py")


def print_profile(raw: Path, load_name: str, top: int = 25) -> None:
    by_function: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    project = (
        "auth",
        "bench",
        "models",
        "resolvers",
        "schema",
        "seed",
        "server",
        "observability",
        "settings",
    )
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = []
        for frame in stack.split(";"):
            name, _, where = frame.partition(" (")
            if where:
                frames.append((name, short_file(where.rstrip(")").rsplit(":", 1)[0])))
        if not frames:
            continue
        name, file = frames[-1]
        by_function[f"{name}  {file}"] += count
        by_package[package_of(file)] += count
        for key in {f"{n}  {f}" for n, f in frames if package_of(f) in project}:
            inclusive[key] += count
    if not total:
        print("\nprofile: no samples")
        return

    def show(title: str, counts: Counter[str], n: int) -> None:
        print(f"\n{title}")
        for key, count in counts.most_common(n):
            print(f"  {100 * count / total:5.1f} %  {key}")

    print(f"\nprofile: {total} samples of the worker under the {load_name} load")
    show("CPU self time by package", by_package, 15)
    show("CPU self time by function", by_function, top)
    show("inclusive time of the project's functions", inclusive, top)


# ---------------------------------------------------------------------------------------------
# The run


def print_table(rows: list[Measured]) -> None:
    header = f"{'load':<20} {'requests':>9} {'rps':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'failed':>7} {'CPU ms/req':>11}"
    print(header)
    print("-" * len(header))
    for r in rows:
        cpu = f"{r.cpu_ms_per_request:.2f}" if r.cpu_ms_per_request is not None else "?"
        print(
            f"{r.name:<20} {r.requests:>9} {r.rps:>8.1f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
            f"{r.non2xx:>8} {r.failed:>7} {cpu:>11}"
        )


def median_round(rounds: list[dict[str, Measured]], name: str) -> Measured:
    ordered = sorted((r[name] for r in rounds), key=lambda m: m.rps)
    return ordered[(len(ordered) - 1) // 2]


def graphql_loads(issued: dict[str, str], executor: str) -> list[Load]:
    """The loads sent to the app's worker, named after the executor that answers them."""
    citizen, officer = f"Bearer {issued[CITIZEN]}", f"Bearer {issued[OFFICER]}"
    home = json.dumps({"query": CITIZEN_HOME})
    return [
        Load(f"__typename [{executor}]", json.dumps({"query": TYPENAME})),
        Load(f"home [{executor}]", home, citizen),
        Load(f"home fresh [{executor}]", home, citizen, fresh=True),
        Load(f"persons-20 fresh [{executor}]", json.dumps({"query": PERSONS_20}), officer, fresh=True),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=15, help="seconds of load per measurement (15)")
    parser.add_argument("--connections", type=int, default=50, help="keep-alive connections (50)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load before each measurement (3)")
    parser.add_argument("--rounds", type=int, default=1, help="measure everything N times, show the median")
    parser.add_argument("--persons", type=int, default=2000, help="generated people (default 2000)")
    parser.add_argument("--database-url", help="use this database instead of a fresh SQLite file")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the worker and wrk to CPUs 0 and 1")
    parser.add_argument(
        "--executors",
        default="off,on",
        help="ANSINH_COMPILER of each worker started, comma-separated (default off,on)",
    )
    parser.add_argument(
        "--profile",
        nargs="?",
        const="home",
        choices=("home", "home-fresh", "persons-20", "__typename"),
        help="sample the last executor's worker with py-spy under this load (home if not given)",
    )
    args = parser.parse_args(argv)
    executors = [e.strip() for e in args.executors.split(",") if e.strip()]
    if args.duration < 1 or args.connections < 1 or args.rounds < 1:
        parser.error("--duration, --connections and --rounds must be 1 or more")
    if not executors or any(e not in ("off", "on") for e in executors):
        parser.error("--executors: a comma-separated list of off and on")
    if shutil.which("wrk") is None:
        raise SystemExit(WRK_INSTALL)
    worker_cpu, wrk_cpu = choose_cpus(not args.no_pin)
    pinning = f"worker on CPU {worker_cpu}, wrk on CPU {wrk_cpu}" if worker_cpu is not None else "not pinned"
    print(f"one uvicorn worker, {args.connections} connections, {args.duration:g} s per load, {pinning}")

    with tempfile.TemporaryDirectory(prefix="ansinh-throughput-") as name:
        folder = Path(name)
        url = args.database_url or f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        settings = Settings(database_url=url, env="development", captcha="off")
        issued = asyncio.run(prepare(settings, args.persons))
        plain = Load("plain", json.dumps({"query": "{ hello }"}))
        wrk = Wrk(folder, wrk_cpu, args.connections)
        app = ["server:create_app", "--factory"]

        rounds: list[dict[str, Measured]] = []
        for number in range(args.rounds):
            if args.rounds > 1:
                print(f"round {number + 1}/{args.rounds}")
            measured: dict[str, Measured] = {}
            for executor in executors:
                env = {
                    **os.environ,
                    "ANSINH_DATABASE_URL": url,
                    "ANSINH_ENV": "development",
                    "ANSINH_COMPILER": executor,
                    "PYTHONPATH": str(PROJECT_ROOT),
                }
                loads = graphql_loads(issued, executor)
                with running(app, env, folder, worker_cpu) as worker:
                    if number == 0:
                        check_answers(worker, loads)
                    for load in loads:
                        measured[load.name] = wrk.measure(worker, load, args.duration, args.warmup)
                    if args.profile and number == args.rounds - 1 and executor == executors[-1]:
                        chosen = {
                            "home": loads[1],
                            "home-fresh": loads[2],
                            "persons-20": loads[3],
                        }.get(args.profile, loads[0])
                        profile(worker, wrk, chosen, min(args.duration, 10), folder)
            plain_env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
            with running(["bench.plain_app:app"], plain_env, folder, worker_cpu) as worker:
                measured[plain.name] = wrk.measure(worker, plain, args.duration, args.warmup)
            rounds.append(measured)

    names = ["plain", *(load.name for e in executors for load in graphql_loads(issued, e))]
    rows = [median_round(rounds, n) for n in names]
    print()
    print_table(rows)
    by_name = {r.name: r for r in rows}
    plain_rps = by_name["plain"].rps

    def ratio(name: str) -> float:
        return by_name[name].rps / plain_rps if plain_rps else 0.0

    clean = all(r.non2xx == 0 and r.failed == 0 for r in rows)
    passed = clean
    print()
    for executor in executors:
        home, listed = ratio(f"home [{executor}]"), ratio(f"persons-20 fresh [{executor}]")
        print(f"[{executor}] __typename/plain:       {ratio(f'__typename [{executor}]'):.3f}")
        print(f"[{executor}] home/plain:             {home:.3f}  (goal ≥ {GOAL_RATIO})")
        print(f"[{executor}] home fresh/plain:       {ratio(f'home fresh [{executor}]'):.3f}")
        print(f"[{executor}] persons-20 fresh/plain: {listed:.3f}  (goal ≥ {GOAL_LIST_RATIO} compiled)")
        passed = passed and home >= GOAL_RATIO
        if executor == "on":
            passed = passed and listed >= GOAL_LIST_RATIO
    if args.rounds > 1:
        for executor in executors:
            spread = [
                round(r[f"persons-20 fresh [{executor}]"].rps / r["plain"].rps, 3)
                for r in rounds
                if r["plain"].rps
            ]
            print(f"[{executor}] persons-20 fresh/plain per round: {spread}")
    print("PASS" if passed else "FAIL")
    if not clean:
        print("some responses were not 2xx or failed: those runs measured failures, not speed")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
