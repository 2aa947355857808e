"""National scale on PostgreSQL: the seed of a million people, deep pages, name search, aggregates.

Run from the project root (a benchmark, not a test; it prints one table and exits non-zero when a
goal is missed)::

    python -m bench.scale --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/ansinh_scale
                          [--persons 1000000] [--skip-seed] [--repeat 5] [--searches 50]
                          [--aggregates-only]

The database is migrated, then seeded with ``--persons`` generated people (seed 1) unless it holds
that many already or ``--skip-seed`` is given: it must be empty or seeded with the same
``--persons``. The app is called in-process with ``X-Ansinh-Debug: 1`` as in ``bench.foundation``,
whose harness and scenarios this reuses.

Rows of the table:

* ``seed`` — wall time of ``run_seed`` (goal: under 10 minutes for a million people);
* ``persons p1`` / ``persons p1000`` — ``persons(provinceCode: "01", first: 100)`` as
  ``officer.hanoi``, the first page and page 1,000 (its cursor is built from the 99,900th code of
  the province, found in SQL): within 1.5× of each other;
* ``name search`` — ``persons(search: …, first: 20)`` as ``officer.hanoi`` over ~50 realistic
  searches (family + middle names, full names, given names): p50 under 50 ms;
* the foundation scenarios (``citizen-home``, ``persons-5``, ``persons-100``, ``units-employees``)
  with their goals;
* ``contrib …`` — ``contributionStatistics`` grouped by each dimension the API offers (province,
  year, insurance type, unit), by province and year, and an officer's units (own province, SOCIAL,
  one year); ``visits …`` — ``visitStatistics`` by each of its dimensions and by ICD chapter and
  year; as ``analyst`` unless said: each must answer in under 200 ms of server time (median), read
  from the rollups. The number of groups each returned is printed under the table;
* ``checkCoverage`` — the hospital counter's check as ``partner.hospital``, for 50 cards spread
  over the table with their holders' names and dates of birth: p50 under 5 ms of server time.

``--aggregates-only`` measures only the aggregates, ``--coverage-only`` only checkCoverage (with
``--skip-seed``: a quick re-measure).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.foundation import SCENARIOS, Bench, Result, Scenario, judge
from models.engine import make_engine
from models.migrate import migrate
from models.tables import person_t
from resolvers.loaders import PERSON_ORDER
from resolvers.pagination import Cursors
from seed import reference as ref
from server import create_app
from settings import Settings

OFFICER = "officer.hanoi"
ANALYST = "analyst"
PARTNER = "partner.hospital"  # a hospital counter (facility 01929)
COVERAGE_CARDS = 50
AGGREGATE_MS = 200  # every grouping of the statistics, from the rollups
AGGREGATE_GOAL = f"< {AGGREGATE_MS} ms server"
PROVINCE = "01"
PAGE = 100
DEEP_PAGE = 1_000

PERSONS_PAGE = """
query Page($after: String) {
  persons(provinceCode: "01", first: 100, after: $after) {
    nodes { socialInsuranceCode fullName dateOfBirth gender }
    pageInfo { hasNextPage endCursor }
  }
}
"""

NAME_SEARCH = """
query Search($search: String!) {
  persons(search: $search, first: 20) {
    nodes { socialInsuranceCode fullName dateOfBirth }
    pageInfo { hasNextPage endCursor }
  }
}
"""

CONTRIBUTION_STATS = """
query Contributions($groupBy: [ContributionDimension!]!, $provinceCode: String, $insuranceType: InsuranceType,
                    $fromYear: Int, $toYear: Int) {
  contributionStatistics(groupBy: $groupBy, provinceCode: $provinceCode, insuranceType: $insuranceType,
                         fromYear: $fromYear, toYear: $toYear) {
    provinceCode year insuranceType unitCode headcount personMonths salaryMonths contributions
  }
}
"""

VISIT_STATS = """
query Visits($groupBy: [VisitDimension!]!) {
  visitStatistics(groupBy: $groupBy) {
    facilityCode provinceCode icdChapter year visitType visits patients totalCost insurancePaid patientPaid
  }
}
"""

COVERAGE = """
query Coverage($input: CoverageCheckInput!) {
  checkCoverage(input: $input) { valid reason benefitLevel fundShare route fiveYearsContinuous validTo }
}
"""

# (row name, who asks, query, variables): every grouping the API offers, over its default years (2006–2026).
AGGREGATES: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("contrib province", ANALYST, CONTRIBUTION_STATS, {"groupBy": ["PROVINCE"]}),
    ("contrib year", ANALYST, CONTRIBUTION_STATS, {"groupBy": ["YEAR"]}),
    ("contrib ins. type", ANALYST, CONTRIBUTION_STATS, {"groupBy": ["INSURANCE_TYPE"]}),
    ("contrib unit", ANALYST, CONTRIBUTION_STATS, {"groupBy": ["UNIT"]}),
    ("contrib province×year", ANALYST, CONTRIBUTION_STATS, {"groupBy": ["PROVINCE", "YEAR"]}),
    (
        "contrib unit 01 2026",
        OFFICER,
        CONTRIBUTION_STATS,
        {"groupBy": ["UNIT"], "insuranceType": "SOCIAL", "fromYear": 2026, "toYear": 2026},
    ),
    ("visits facility", ANALYST, VISIT_STATS, {"groupBy": ["FACILITY"]}),
    ("visits province", ANALYST, VISIT_STATS, {"groupBy": ["PROVINCE"]}),
    ("visits icd chapter", ANALYST, VISIT_STATS, {"groupBy": ["ICD_CHAPTER"]}),
    ("visits year", ANALYST, VISIT_STATS, {"groupBy": ["YEAR"]}),
    ("visits visit type", ANALYST, VISIT_STATS, {"groupBy": ["VISIT_TYPE"]}),
    ("visits icd×year", ANALYST, VISIT_STATS, {"groupBy": ["ICD_CHAPTER", "YEAR"]}),
)


def realistic_searches(count: int) -> list[str]:
    """What an officer types: "nguyen van", "tran thi hoa", "le minh tuan", "huong" … (folded,
    as the field folds them anyway), deterministic."""
    from models.text import fold

    surnames = [fold(s) for s, _ in ref.SURNAMES]
    male_middle = [fold(m) for m in ref.MIDDLE_NAMES_MALE]
    female_middle = [fold(m) for m in ref.MIDDLE_NAMES_FEMALE]
    male = [fold(g) for g in ref.GIVEN_NAMES_MALE]
    female = [fold(g) for g in ref.GIVEN_NAMES_FEMALE]
    searches: list[str] = []
    for i in range(count):
        surname = surnames[i % len(surnames)]
        kind = i % 5
        if kind == 0:  # family + middle name: "nguyen van" (many matches)
            searches.append(f"{surname} {(male_middle if i % 2 else female_middle)[i % 7]}")
        elif kind == 1:  # a full name
            searches.append(f"{surname} {male_middle[i % len(male_middle)]} {male[(i * 7) % len(male)]}")
        elif kind == 2:
            searches.append(
                f"{surname} {female_middle[i % len(female_middle)]} {female[(i * 5) % len(female)]}"
            )
        elif kind == 3:  # middle + given name: "thi hoa"
            searches.append(f"{female_middle[i % len(female_middle)]} {female[(i * 3) % len(female)]}")
        else:  # a given name alone
            searches.append((male if i % 2 else female)[(i * 11) % len(male if i % 2 else female)])
    return searches


@dataclass(slots=True)
class Row:
    name: str
    who: str
    statements: str
    p50: str
    p95: str
    wall: str
    goal: str
    passed: bool | None

    @property
    def verdict(self) -> str:
        return "-" if self.passed is None else ("PASS" if self.passed else "FAIL")


def ms(value: float) -> str:
    return f"{value:,.1f} ms"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def result_row(result: Result, who: str) -> Row:
    servers = [s.server_ms for s in result.samples]
    return Row(
        result.scenario.name,
        who,
        str(result.statements),
        ms(result.server_median),
        ms(percentile(servers, 0.95)),
        ms(result.wall_median),
        result.goal,
        result.passed,
    )


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'scenario':<22} {'as':<14} {'stmts':>5} {'server p50':>12} {'server p95':>12} "
        f"{'wall p50':>12}  {'goal':<28} result"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r.name:<22} {r.who:<14} {r.statements:>5} {r.p50:>12} {r.p95:>12} {r.wall:>12}  "
            f"{r.goal:<28} {r.verdict}"
        )


async def generated_persons(url: str) -> int:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(person_t))).scalar_one()) - 1
    finally:
        await engine.dispose()


async def deep_cursor(url: str, settings: Settings) -> tuple[str, int]:
    """The cursor of page `DEEP_PAGE` of province 01 (or of its last full page, if fewer)."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            in_province = select(func.count()).where(person_t.c.province_scope == PROVINCE)
            total = int((await conn.execute(in_province)).scalar_one())
            page = max(2, min(DEEP_PAGE, total // PAGE))
            code = (
                await conn.execute(
                    select(person_t.c.social_insurance_code)
                    .where(person_t.c.province_scope == PROVINCE)
                    .order_by(person_t.c.social_insurance_code)
                    .offset((page - 1) * PAGE - 1)
                    .limit(1)
                )
            ).scalar_one()
            # Sealed as the server seals it for the officer (resolvers/pagination.py).
            from auth.scopes import scope_key
            from auth.viewer import Role, Viewer

            officer = Viewer(account_id=0, username=OFFICER, role=Role.OFFICER, province_code=PROVINCE)
            cursors = Cursors.make(settings.secret_key, scope_key(officer))
            return cursors.seal(PERSON_ORDER, (code,)), page
    finally:
        await engine.dispose()


async def measure_views(
    bench: Bench, cursor: str, deep_page: int, args: argparse.Namespace, rows: list[Row]
) -> list[tuple[float, str]]:
    """Deep pages, name search and the foundation scenarios; returns the slowest searches."""
    first = await bench.measure(Scenario("persons p1", OFFICER, PERSONS_PAGE), args.repeat)
    deep = await bench.measure(
        Scenario(f"persons p{deep_page:,}", OFFICER, PERSONS_PAGE, {"after": cursor}), args.repeat
    )
    nodes = deep.samples[-1].body["data"]["persons"]["nodes"]
    if len(nodes) != PAGE:
        raise SystemExit(f"page {deep_page}: {len(nodes)} people, expected {PAGE}")
    ratio = max(first.server_median, deep.server_median) / max(
        min(first.server_median, deep.server_median), 0.001
    )
    for result in (first, deep):
        result.goal = f"within 1.5× (now {ratio:.2f}×)"
        result.passed = ratio <= 1.5
        rows.append(result_row(result, OFFICER))

    searches = realistic_searches(args.searches)
    for search in searches:  # warm up
        await bench.run(Scenario("search", OFFICER, NAME_SEARCH, {"search": search}))
    samples = [
        await bench.run(Scenario("search", OFFICER, NAME_SEARCH, {"search": search})) for search in searches
    ]
    server = [s.server_ms for s in samples]
    p50 = statistics.median(server)
    rows.append(
        Row(
            f"name search ×{len(searches)}",
            OFFICER,
            str(max(s.statements for s in samples)),
            ms(p50),
            ms(percentile(server, 0.95)),
            ms(statistics.median(s.wall_ms for s in samples)),
            "p50 < 50 ms",
            p50 < 50,
        )
    )
    slowest = sorted(zip(server, searches, strict=True), reverse=True)[:3]

    results: dict[str, Result] = {}
    for scenario in SCENARIOS:
        results[scenario.name] = await bench.measure(scenario, args.repeat)
    judge(results)
    for result in results.values():
        rows.append(result_row(result, result.scenario.username))
    return slowest


async def measure_aggregates(bench: Bench, repeat: int, rows: list[Row]) -> dict[str, int]:
    """Every aggregate of `AGGREGATES`; returns the number of groups each answered."""
    groups: dict[str, int] = {}
    for name, username, query, variables in AGGREGATES:
        scenario = Scenario(name, username, query, variables)
        try:
            result = await bench.measure(scenario, repeat)
        except SystemExit as failure:  # the harness's way to report errors in the response
            message = str(failure)
            code = "QUERY_TOO_COMPLEX" if "QUERY_TOO_COMPLEX" in message else "error"
            print(f"{name}: {message[:300]}")
            rows.append(Row(name, username, "-", code, "-", "-", AGGREGATE_GOAL, False))
            continue
        result.goal = AGGREGATE_GOAL
        result.passed = result.server_median < AGGREGATE_MS
        rows.append(result_row(result, username))
        data = result.samples[-1].body["data"]
        groups[name] = len(next(iter(data.values())))
    return groups


async def coverage_inputs(url: str, count: int) -> list[dict[str, Any]]:
    """What `count` patients present at the counter: cards of generated people spread over the
    table (every n-th card by id), with the holder's name and date of birth."""
    from models.tables import card_t

    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            total = int((await conn.execute(select(func.max(card_t.c.id)))).scalar_one() or 0)
            step = max(1, total // count)
            rows = (
                await conn.execute(
                    select(card_t.c.number, person_t.c.full_name, person_t.c.date_of_birth)
                    .join(person_t, person_t.c.id == card_t.c.person_id)
                    .where(card_t.c.id.in_([1 + i * step for i in range(count)]))
                    .order_by(card_t.c.id)
                )
            ).all()
    finally:
        await engine.dispose()
    return [
        {
            "input": {
                "cardNumber": r.number,
                "fullName": r.full_name,
                "dateOfBirth": r.date_of_birth.isoformat(),
                "visitType": "OUTPATIENT" if i % 2 else "INPATIENT",
                "referred": i % 3 == 0,
            }
        }
        for i, r in enumerate(rows)
    ]


async def measure_coverage(bench: Bench, inputs: list[dict[str, Any]], rows: list[Row]) -> None:
    """`checkCoverage` at the counter for each card, once to warm up and once measured: p50 and
    p95 of the server time (goal: p50 under 5 ms)."""
    for variables in inputs:
        await bench.run(Scenario("coverage", PARTNER, COVERAGE, variables))
    samples = [await bench.run(Scenario("coverage", PARTNER, COVERAGE, v)) for v in inputs]
    valid = sum(1 for s in samples if s.body["data"]["checkCoverage"]["valid"])
    server = [s.server_ms for s in samples]
    p50 = statistics.median(server)
    rows.append(
        Row(
            f"checkCoverage ×{len(samples)}",
            PARTNER,
            str(max(s.statements for s in samples)),
            ms(p50),
            ms(percentile(server, 0.95)),
            ms(statistics.median(s.wall_ms for s in samples)),
            "p50 < 5 ms",
            p50 < 5,
        )
    )
    print(f"checkCoverage: {valid} of {len(samples)} cards valid at the counter")
    # The floor on this machine now: a request that reads nothing (a shared machine's load moves
    # every figure; checkCoverage's own cost is the difference).
    floor = [(await bench.run(Scenario("floor", PARTNER, "{ __typename }"))).server_ms for _ in inputs]
    rows.append(
        Row(
            f"{{ __typename }} ×{len(floor)}",
            PARTNER,
            "0",
            ms(statistics.median(floor)),
            ms(percentile(floor, 0.95)),
            "-",
            "the floor, for comparison",
            None,
        )
    )


async def main_async(args: argparse.Namespace) -> int:
    url = args.database_url
    settings = Settings(database_url=url, env="development", captcha="off", compiler=args.compiler)
    if not url.startswith("postgresql"):
        raise SystemExit("bench.scale is about PostgreSQL: pass --database-url postgresql+asyncpg://…")
    print(f"database: {url.split('@')[-1]}")
    await migrate(settings)
    rows: list[Row] = []
    have = await generated_persons(url)
    if args.skip_seed or have >= args.persons:
        print(f"seed: skipped ({have:,} generated people there)")
        rows.append(Row("seed", "-", "-", "skipped", "-", "-", "< 600 s for 1,000,000", None))
    else:
        from seed.cli import run_seed

        started = time.perf_counter()
        await run_seed(settings, demo=True, persons=args.persons, seed=1, progress=True)
        seconds = time.perf_counter() - started
        goal_seconds = 600 * args.persons / 1_000_000
        rows.append(
            Row(
                f"seed {args.persons:,}",
                "-",
                "-",
                f"{seconds:,.1f} s",
                "-",
                "-",
                f"< {goal_seconds:,.0f} s",
                seconds < goal_seconds,
            )
        )

    cursor, deep_page = await deep_cursor(url, settings)
    coverage = await coverage_inputs(url, COVERAGE_CARDS)
    app = create_app(settings)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=120
        ) as client:
            bench = Bench(app, client)

            slowest: list[tuple[float, str]] = []
            groups: dict[str, int] = {}
            if not (args.aggregates_only or args.coverage_only):
                slowest = await measure_views(bench, cursor, deep_page, args, rows)
            if not args.coverage_only:
                groups = await measure_aggregates(bench, args.repeat, rows)
            if not args.aggregates_only:
                await measure_coverage(bench, coverage, rows)
    finally:
        await app.state.runtime.engine.dispose()

    print()
    print_table(rows)
    if slowest:
        print("\nslowest searches: " + ", ".join(f"{s!r} {v:,.1f} ms" for v, s in slowest))
    if groups:
        print("groups answered: " + ", ".join(f"{name} {count:,}" for name, count in groups.items()))
    return 0 if all(r.passed is not False for r in rows) else 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/ansinh_scale",
        help="a PostgreSQL database, empty or seeded with the same --persons",
    )
    parser.add_argument("--persons", type=int, default=1_000_000, help="generated people (default 1000000)")
    parser.add_argument("--skip-seed", action="store_true", help="measure the database as it is")
    parser.add_argument("--repeat", type=int, default=5, help="measured runs per scenario (default 5)")
    parser.add_argument("--searches", type=int, default=50, help="name searches (default 50)")
    parser.add_argument(
        "--aggregates-only", action="store_true", help="measure the aggregates only (after the seed)"
    )
    parser.add_argument(
        "--coverage-only", action="store_true", help="measure checkCoverage only (after the seed)"
    )
    parser.add_argument(
        "--compiler",
        choices=("on", "off"),
        default="on",
        help="ANSINH_COMPILER of the app: compiled plans (on, the default) or graphql-core's executor only",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.searches < 1:
        parser.error("--repeat and --searches must be 1 or more")
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
