"""Foundation benchmark: SQL statements and server time of three representative requests.

Run from the project root (a benchmark, not a test; it prints numbers and exits non-zero when a goal
is missed)::

    python -m bench.foundation [--persons 20000] [--database-url URL] [--repeat 5] [--profile]

Without ``--database-url`` a fresh SQLite database is created in a temporary directory. With a URL
(``sqlite+aiosqlite://…`` or ``postgresql+asyncpg://…``) that database is migrated and seeded in
place; it must be empty or already seeded with the same seed (the seed is safe to run twice).

The app is built with ``server.create_app`` and called in-process through httpx's ASGI transport
with ``X-Ansinh-Debug: 1``, so every response carries ``extensions.debug = {sqlStatements,
durationMs}``. Tokens are issued directly, as the tests do. Each scenario runs once to warm up and
then ``--repeat`` times.

Scenarios and goals:

* ``citizen-home`` — the citizen's home screen (account, person, BHYT card, social insurance
  participation) as ``0113099841``: at most 4 SQL statements.
* ``persons-5`` / ``persons-100`` — ``persons(first: N)`` with each person's card, five contribution
  periods with their unit and three medical visits, as ``officer.hanoi`` (province 01; ADMIN may not
  read medical visits): the same statement count for 5 and 100, at most 10.
* ``units-employees`` — 100 units × up to 100 employees × 7 fields as ``admin``: under 1,000 ms of
  server time (median).

``--profile`` then runs ``units-employees`` once more under pyinstrument (a dev-only tool:
``pip install pyinstrument``) and prints the top of the call tree and the functions with the most
self time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from auth import tokens
from models.migrate import migrate
from models.tables import account_t
from server import create_app
from settings import Settings

CITIZEN = "0113099841"
OFFICER = "officer.hanoi"
ADMIN = "admin"

CITIZEN_HOME = """
{
  viewer {
    account { username role mustChangePassword }
    person {
      fullName
      socialInsuranceCode
      healthInsuranceCard { number status validFrom validTo benefitLevel }
      participation(insuranceType: SOCIAL) { totalMonths years months }
    }
  }
}
"""

PERSONS_WITH_RECORDS = """
query Persons($first: Int!) {
  persons(first: $first) {
    nodes {
      fullName
      healthInsuranceCard { number status }
      contributionPeriods(first: 5) { nodes { fromMonth toMonth salary unit { name } } }
      medicalVisits(first: 3) { nodes { admittedAt diagnosisCode totalCost } }
    }
  }
}
"""

UNITS_EMPLOYEES = """
{
  units(first: 100) {
    nodes {
      code
      name
      employees(first: 100) {
        nodes { id socialInsuranceCode fullName gender dateOfBirth phone email }
      }
    }
  }
}
"""

PROFILE_TREE_LINES = 80
PROFILE_TOP_FUNCTIONS = 25
AWAIT_FRAME = "[await]"  # pyinstrument's synthetic frame for time a coroutine spent awaiting


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    username: str
    query: str
    variables: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Sample:
    statements: int
    server_ms: float
    wall_ms: float
    size: int
    body: dict[str, Any]


@dataclass(slots=True)
class Result:
    scenario: Scenario
    samples: list[Sample]
    goal: str = ""
    passed: bool = False

    @property
    def statements(self) -> int:
        return max(s.statements for s in self.samples)

    @property
    def server_median(self) -> float:
        return statistics.median(s.server_ms for s in self.samples)

    @property
    def server_min(self) -> float:
        return min(s.server_ms for s in self.samples)

    @property
    def wall_median(self) -> float:
        return statistics.median(s.wall_ms for s in self.samples)

    @property
    def size(self) -> int:
        return self.samples[-1].size


SCENARIOS = (
    Scenario("citizen-home", CITIZEN, CITIZEN_HOME),
    Scenario("persons-5", OFFICER, PERSONS_WITH_RECORDS, {"first": 5}),
    Scenario("persons-100", OFFICER, PERSONS_WITH_RECORDS, {"first": 100}),
    Scenario("units-employees", ADMIN, UNITS_EMPLOYEES),
)


class Bench:
    """The app in-process, signed in as anyone by issuing tokens directly."""

    def __init__(self, app: Any, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client
        self._tokens: dict[str, str] = {}

    async def token(self, username: str) -> str:
        if username not in self._tokens:
            async with self.app.state.runtime.sessionmaker() as session:
                account_id = (
                    await session.execute(select(account_t.c.id).where(account_t.c.username == username))
                ).scalar_one()
                token, _ = await tokens.issue(session, account_id, f"bench-{username}")
                await session.commit()
            self._tokens[username] = token
        return self._tokens[username]

    async def run(self, scenario: Scenario) -> Sample:
        # no-cache: these figures are what executing a view costs, not what a cached answer costs.
        headers = {
            "Authorization": f"Bearer {await self.token(scenario.username)}",
            "X-Ansinh-Debug": "1",
            "Cache-Control": "no-cache",
        }
        payload = {"query": scenario.query, "variables": scenario.variables}
        started = time.perf_counter()
        response = await self.client.post("/graphql", json=payload, headers=headers)
        wall_ms = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{scenario.name}: HTTP {response.status_code}: {response.text[:500]}")
        body: dict[str, Any] = response.json()
        if body.get("errors"):
            raise SystemExit(f"{scenario.name}: errors: {body['errors'][:3]}")
        debug = body["extensions"]["debug"]
        return Sample(
            statements=int(debug["sqlStatements"]),
            server_ms=float(debug["durationMs"]),
            wall_ms=wall_ms,
            size=len(response.content),
            body=body,
        )

    async def measure(self, scenario: Scenario, repeat: int) -> Result:
        await self.run(scenario)  # warm up: caches, loaders' first use, the database's pages
        return Result(scenario, [await self.run(scenario) for _ in range(repeat)])


def judge(results: dict[str, Result]) -> None:
    home = results["citizen-home"]
    home.goal = "≤ 4 statements"
    home.passed = home.statements <= 4

    small, large = results["persons-5"], results["persons-100"]
    same = small.statements == large.statements
    for result in (small, large):
        result.goal = "5 = 100 stmts, ≤ 10"
        result.passed = same and result.statements <= 10

    units = results["units-employees"]
    units.goal = "< 1,000 ms server"
    units.passed = units.server_median < 1000


def employees_returned(body: dict[str, Any]) -> int:
    units = body["data"]["units"]["nodes"]
    return sum(len((u.get("employees") or {}).get("nodes") or []) for u in units)


def print_table(results: list[Result]) -> None:
    header = (
        f"{'scenario':<16} {'stmts':>5} {'server med':>11} {'server min':>11} {'wall med':>10} "
        f"{'bytes':>10}  {'goal':<21} result"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.scenario.name:<16} {r.statements:>5} {r.server_median:>8.1f} ms {r.server_min:>8.1f} ms "
            f"{r.wall_median:>7.1f} ms {r.size:>10,}  {r.goal:<21} {'PASS' if r.passed else 'FAIL'}"
        )


@contextmanager
def timed(label: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    print(f"{label}: {time.perf_counter() - started:.1f} s", flush=True)


async def profile(bench: Bench, scenario: Scenario, unprofiled_ms: float) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        raise SystemExit("--profile needs pyinstrument: pip install pyinstrument") from None

    profiler = Profiler(interval=0.0005, async_mode="enabled")
    profiler.start()
    sample = await bench.run(scenario)
    profiler.stop()
    print(
        f"\nprofile of {scenario.name}: {sample.server_ms:.1f} ms server under the profiler "
        f"({unprofiled_ms:.1f} ms without), {sample.statements} statements\n"
    )
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    lines = text.splitlines()
    print("\n".join(lines[:PROFILE_TREE_LINES]))
    if len(lines) > PROFILE_TREE_LINES:
        print(f"… ({len(lines) - PROFILE_TREE_LINES} more lines)")
    root = profiler.last_session.root_frame() if profiler.last_session else None
    if root is not None:
        print_self_time(root)


def print_self_time(root: Any) -> None:
    """Where the samples were taken: CPU self time by package and by function (not inclusive), and
    the time coroutines spent awaiting (the database, mostly) by the frame that awaited."""
    cpu_by_function: dict[str, float] = defaultdict(float)
    cpu_by_package: dict[str, float] = defaultdict(float)
    awaited_by_function: dict[str, float] = defaultdict(float)
    stack = [root]
    while stack:
        frame = stack.pop()
        stack.extend(frame.children)
        if frame.is_synthetic:
            continue
        awaited = sum(c.time for c in frame.children if c.identifier == AWAIT_FRAME)
        cpu = frame.total_self_time - awaited
        where = frame.file_path_short or "?"
        name = f"{frame.function}  {where}:{frame.line_no}"
        if cpu > 0:
            cpu_by_function[name] += cpu
            cpu_by_package[package_of(where)] += cpu
        if awaited > 0:
            awaited_by_function[name] += awaited
    total = root.time or 1.0

    def show(title: str, table: dict[str, float], limit: int) -> None:
        print(f"\n{title}")
        for name, seconds in sorted(table.items(), key=lambda kv: kv[1], reverse=True)[:limit]:
            print(f"  {seconds * 1000:8.1f} ms {seconds / total:6.1%}  {name}")

    show("CPU self time by package", cpu_by_package, 12)
    show("CPU self time by function", cpu_by_function, PROFILE_TOP_FUNCTIONS)
    show("awaiting (I/O, the database thread) by frame", awaited_by_function, 5)


def package_of(path: str) -> str:
    parts = Path(path).parts
    if not parts:
        return "?"
    if parts[0] in {"<frozen", "<built-in>"} or path.startswith("<"):
        return "<builtins>"
    return parts[0].removesuffix(".py")


async def main_async(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="ansinh-bench-") as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        settings = Settings(database_url=url, env="development", captcha="off", compiler=args.compiler)
        print(f"database: {url.split('@')[-1] if '@' in url else url.split(':///')[0]}")
        from seed.cli import run_seed

        with timed("migrate"):
            await migrate(settings)
        with timed(f"seed ({args.persons} persons)"):
            await run_seed(settings, demo=True, persons=args.persons, seed=1, progress=True)

        app = create_app(settings)
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=120
            ) as client:
                bench = Bench(app, client)
                results: dict[str, Result] = {}
                for scenario in SCENARIOS:
                    results[scenario.name] = await bench.measure(scenario, args.repeat)
                judge(results)
                print(f"\n{args.repeat} runs each after one warm-up\n")
                print_table(list(results.values()))
                units = results["units-employees"]
                print(
                    f"\nunits-employees: {len(units.samples[-1].body['data']['units']['nodes'])} units, "
                    f"{employees_returned(units.samples[-1].body):,} employee objects returned"
                )
                if args.profile:
                    await profile(bench, units.scenario, units.server_median)
                return 0 if all(r.passed for r in results.values()) else 1
        finally:
            await app.state.runtime.engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.foundation", description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=20_000, help="generated people (default 20000)")
    parser.add_argument("--database-url", help="use this database instead of a fresh SQLite file")
    parser.add_argument(
        "--compiler",
        choices=("on", "off", "verify"),
        default="on",
        help="the compiled read path (compiler/): on (default), off (the ordinary executor only), verify",
    )
    parser.add_argument("--repeat", type=int, default=5, help="measured runs per scenario (default 5)")
    parser.add_argument("--profile", action="store_true", help="profile units-employees with pyinstrument")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
