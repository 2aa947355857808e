"""Claims benchmark: submission throughput of `submitClaim` with 20 lines a claim.

Run from the project root (a benchmark, not a test; it prints numbers)::

    python -m bench.claims [--claims 400] [--lines 20] [--concurrency 8] [--patients 100]
                           [--persons 200] [--database-url URL]

Without ``--database-url`` a fresh SQLite database is created in a temporary directory. With a URL
(``sqlite+aiosqlite://…`` or ``postgresql+asyncpg://…``) that database is migrated and seeded in
place; it must be empty or seeded with the same seed.

1. Migrates and seeds the demo data (``--persons`` generated people, seed 1), then adds
   ``--patients`` people, each with a level-4 card whose primary-care facility is
   ``partner.hospital``'s (01929), directly in the database.
2. Builds the app and calls ``/graphql`` in-process (httpx's ASGI transport) as ``partner.hospital``
   with ``X-Ansinh-Debug: 1``: ``--claims`` submissions of ``--lines`` drug and service lines each
   (each a different admission, so none is a duplicate), ``--concurrency`` at a time, after
   ``--concurrency`` warm-up submissions.
3. Prints claims per second (submissions / wall time of the measured run), the latency seen by the
   client (p50, p95, max), the server time (p50, p95), and the SQL statements of one submission.
   Every submission must answer ``ClaimSuccess``; the exit status is 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

from auth import tokens
from models.claim import CATALOGUE, PRICE_CAPS
from models.migrate import migrate
from models.tables import account_t, card_t, facility_t, person_t
from models.text import fold
from models.types import VIETNAM_TZ
from server import create_app
from settings import Settings

HOSPITAL = "01929"
SUBMIT = """mutation($input: SubmitClaimInput!) { submitClaim(input: $input) { __typename
  ... on ClaimSuccess { claim { id totalCost insurancePaid } }
  ... on InvalidClaimInput { errors { field code message } } ... on NotAllowed { message } } }"""


async def add_patients(app: Any, count: int) -> list[dict[str, str]]:
    """People with a card at the hospital: what the patient presents (code, name, date of birth)."""
    async with app.state.runtime.sessionmaker() as session:
        facility = await session.scalar(select(facility_t.c.id).where(facility_t.c.code == HOSPITAL))
        taken = set((await session.execute(select(person_t.c.social_insurance_code))).scalars())
        out: list[dict[str, str]] = []
        number = 0
        while len(out) < count:
            number += 1
            code = f"01{8_000_000 + number:08d}"
            if code in taken:
                continue
            name = f"Bệnh Nhân Thử {number}"
            born = date(1960 + number % 40, 1 + number % 12, 1 + number % 28)
            person_id = (
                await session.execute(
                    insert(person_t)
                    .values(
                        social_insurance_code=code,
                        full_name=name,
                        search_name=fold(name),
                        gender="MALE",
                        date_of_birth=born,
                        province_scope="01",
                        address_scheme="2004",
                        province_code="01",
                    )
                    .returning(person_t.c.id)
                )
            ).scalar_one()
            await session.execute(
                insert(card_t).values(
                    number=f"GD401{code}",
                    social_insurance_code=code,
                    person_id=person_id,
                    beneficiary_group="GD",
                    benefit_level=4,
                    province_code="01",
                    valid_from=date(2024, 1, 1),
                    primary_care_facility_id=facility,
                )
            )
            out.append({"code": code, "name": name, "born": born.isoformat()})
        await session.commit()
    return out


def claim(patient: dict[str, str], index: int, lines: int) -> dict[str, Any]:
    """A claim of `lines` lines over the catalogue, admitted at a time of its own."""
    admitted = datetime(2025, 1, 1, 7, 0, tzinfo=VIETNAM_TZ) + timedelta(minutes=17 * index)
    items = [
        {
            "kind": CATALOGUE[(index + n) % len(CATALOGUE)][0],
            "code": CATALOGUE[(index + n) % len(CATALOGUE)][1],
            "quantity": str(1 + (index + n) % 9),
            # Within the item's price cap: a price above it is refused (ABOVE_PRICE_CAP).
            "unitPrice": str(
                min(
                    Decimal(f"{1000 + 137 * ((index * 7 + n) % 997)}.50"),
                    PRICE_CAPS.get(CATALOGUE[(index + n) % len(CATALOGUE)][:2], Decimal(10**6)),
                )
            ),
        }
        for n in range(lines)
    ]
    return {
        "input": {
            "socialInsuranceCode": patient["code"],
            "fullName": patient["name"],
            "dateOfBirth": patient["born"],
            "visitType": "INPATIENT",
            "admittedAt": admitted.isoformat(),
            "dischargedAt": (admitted + timedelta(days=3)).isoformat(),
            "diagnosisCode": "J18.9",
            "lines": items,
        }
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def main_async(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="ansinh-bench-") as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        settings = Settings(database_url=url, env="development", captcha="off")
        backend = "postgresql" if url.startswith("postgresql") else "sqlite"
        print(f"database: {backend}")
        from seed.cli import run_seed

        await migrate(settings)
        await run_seed(settings, demo=True, persons=args.persons, seed=1, progress=False)
        app = create_app(settings)
        try:
            patients = await add_patients(app, args.patients)
            async with app.state.runtime.sessionmaker() as session:
                account = await session.scalar(
                    select(account_t.c.id).where(account_t.c.username == "partner.hospital")
                )
                token, _ = await tokens.issue(session, account, "bench-claims")
                await session.commit()
            headers = {"Authorization": f"Bearer {token}", "X-Ansinh-Debug": "1"}
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=120
            ) as client:
                latencies: list[float] = []
                server: list[float] = []
                statements: list[int] = []
                failures: list[Any] = []
                gate = asyncio.Semaphore(args.concurrency)

                async def submit(index: int, measured: bool) -> None:
                    payload = {
                        "query": SUBMIT,
                        "variables": claim(patients[index % len(patients)], index, args.lines),
                    }
                    async with gate:
                        started = time.perf_counter()
                        response = await client.post("/graphql", json=payload, headers=headers)
                        elapsed = (time.perf_counter() - started) * 1000
                    body = response.json()
                    result = (body.get("data") or {}).get("submitClaim") or {}
                    if result.get("__typename") != "ClaimSuccess":
                        failures.append(body.get("errors") or result)
                        return
                    if measured:
                        latencies.append(elapsed)
                        server.append(float(body["extensions"]["debug"]["durationMs"]))
                        statements.append(int(body["extensions"]["debug"]["sqlStatements"]))

                warm = args.concurrency
                await asyncio.gather(*(submit(i, False) for i in range(warm)))
                started = time.perf_counter()
                await asyncio.gather(*(submit(i, True) for i in range(warm, warm + args.claims)))
                wall = time.perf_counter() - started
            if failures:
                print(f"{len(failures)} submissions failed, e.g. {failures[0]}")
                return 1
            print(
                f"{args.claims} claims × {args.lines} lines, concurrency {args.concurrency}: "
                f"{args.claims / wall:,.1f} claims/s ({args.claims * args.lines / wall:,.0f} lines/s)"
            )
            print(
                f"client latency  p50 {percentile(latencies, 0.5):7.1f} ms  p95 {percentile(latencies, 0.95):7.1f} ms"
                f"  max {max(latencies):7.1f} ms"
            )
            print(
                f"server time     p50 {percentile(server, 0.5):7.1f} ms  p95 {percentile(server, 0.95):7.1f} ms"
            )
            print(f"SQL statements per submission: {statistics.median(statements):.0f}")
            return 0
        finally:
            await app.state.runtime.engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.claims", description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=400, help="measured submissions (default 400)")
    parser.add_argument("--lines", type=int, default=20, help="lines a claim (default 20)")
    parser.add_argument("--concurrency", type=int, default=8, help="submissions in flight (default 8)")
    parser.add_argument("--patients", type=int, default=100, help="patients the claims are for (default 100)")
    parser.add_argument("--persons", type=int, default=200, help="generated people of the seed (default 200)")
    parser.add_argument("--database-url", help="use this database instead of a fresh SQLite file")
    args = parser.parse_args(argv)
    if min(args.claims, args.lines, args.concurrency, args.patients) < 1:
        parser.error("--claims, --lines, --concurrency and --patients must be 1 or more")
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
