"""`ansinh seed`: bulk inserts with Core, deterministic for a seed, safe to run twice."""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from auth import totp
from auth.passwords import hash_password
from models import rollup, visit_rollup
from models.claim import CATALOGUE, PRICE_CAPS
from models.engine import make_engine
from models.tables import (
    account_t,
    admin_unit_t,
    agent_t,
    benefit_t,
    card_t,
    catalogue_t,
    facility_t,
    faq_t,
    news_t,
    office_t,
    period_t,
    person_t,
    registration_t,
    totp_t,
    unit_member_t,
    unit_t,
    visit_t,
)
from models.types import utcnow
from seed import bulk, content, golden, household, people, places
from seed import demo as demo_accounts
from seed.progress import Progress
from settings import Settings

CHUNK = 2_000
Row = dict[str, Any]


async def _existing(conn: AsyncConnection, table: Table, keys: Sequence[str]) -> set[tuple[Any, ...]]:
    columns = [table.c[k] for k in keys]
    return {tuple(r) for r in (await conn.execute(select(*columns))).all()}


async def insert_missing(
    conn: AsyncConnection, table: Table, rows: Sequence[Row], keys: Sequence[str]
) -> int:
    """Insert the rows whose natural key is not there yet: running the seed twice adds nothing."""
    have = await _existing(conn, table, keys)
    fresh = [r for r in rows if tuple(r[k] for k in keys) not in have]
    for start in range(0, len(fresh), CHUNK):
        await conn.execute(insert(table), fresh[start : start + CHUNK])
    return len(fresh)


async def _ids(
    conn: AsyncConnection, table: Table, key: str, values: Iterable[Any] | None = None
) -> dict[Any, int]:
    statement = select(table.c[key], table.c.id)
    if values is not None:
        statement = statement.where(table.c[key].in_(list(values)))
    return {k: i for k, i in (await conn.execute(statement)).all()}


def _with_person(
    rows: list[Row], person_ids: dict[str, int], card_ids: dict[str, int] | None = None
) -> list[Row]:
    """The rows with their person's id (and a visit's card id, from its card's number)."""
    out = []
    for row in rows:
        code = row["person_code"]
        if code in person_ids:
            fresh = {k: v for k, v in row.items() if k not in ("person_code", "card_number")}
            fresh["person_id"] = person_ids[code]
            if "card_number" in row:
                fresh["card_id"] = (card_ids or {}).get(row["card_number"])
            out.append(fresh)
    return out


async def _bulk(conn: AsyncConnection, table: Table, rows: list[Row], bar: Any = None) -> None:
    for start in range(0, len(rows), CHUNK * 5):
        chunk = rows[start : start + CHUNK * 5]
        await conn.execute(insert(table), chunk)
        if bar is not None:
            bar.update(len(chunk))


async def seed_reference(conn: AsyncConnection, seed: int) -> None:
    rng = random.Random(f"places:{seed}")
    await insert_missing(conn, admin_unit_t, places.admin_unit_rows(), ("scheme", "code"))
    await insert_missing(conn, office_t, places.office_rows(), ("code",))
    await insert_missing(conn, facility_t, places.facility_rows(rng), ("code",))
    await insert_missing(conn, agent_t, places.agent_rows(rng), ("code",))
    await insert_missing(conn, faq_t, content.faq_rows(), ("question",))
    await insert_missing(conn, news_t, content.news_rows(), ("title",))
    # The drug and service codes claims name (the migration adds these; new ones come from here).
    await insert_missing(
        conn,
        catalogue_t,
        [
            {
                **dict(zip(("kind", "code", "name", "unit"), row, strict=True)),
                "max_unit_price": PRICE_CAPS.get(row[:2]),
            }
            for row in CATALOGUE
        ],
        ("kind", "code"),
    )


async def seed_golden(conn: AsyncConnection) -> list[int]:
    """The golden record; returns the person's id if added now (their periods are not in the
    statistics' rollup yet: `rollup.persons_added`)."""
    await insert_missing(conn, unit_t, golden.UNITS, ("code",))
    if await insert_missing(conn, person_t, [golden.PERSON], ("social_insurance_code",)) == 0:
        return []
    person_ids = await _ids(conn, person_t, "social_insurance_code", [golden.CODE])
    units = await _ids(conn, unit_t, "code", ["01B0001", "01T0001"])
    await insert_missing(conn, facility_t, [golden.LOCAL_FACILITY], ("code",))
    facilities = await _ids(conn, facility_t, "code", [golden.HOSPITAL_CODE, golden.LOCAL_FACILITY_CODE])
    local = facilities[golden.LOCAL_FACILITY_CODE]
    offices = await _ids(conn, office_t, "code", ["01"])
    await conn.execute(insert(period_t), _with_person(golden.periods(units), person_ids))
    golden_cards = golden.cards(local)
    await conn.execute(insert(card_t), _with_person(golden_cards, person_ids))
    card_ids = await _ids(conn, card_t, "number", [c["number"] for c in golden_cards])
    await conn.execute(
        insert(visit_t),
        _with_person(golden.visits(facilities[golden.HOSPITAL_CODE], local), person_ids, card_ids),
    )
    await conn.execute(insert(benefit_t), _with_person(golden.benefits(offices["01"]), person_ids))
    await insert_missing(conn, registration_t, [golden.registration(offices["01"])], ("reference_number",))
    return list(person_ids.values())


async def people_context(
    conn: AsyncConnection, count: int, seed: int
) -> tuple[
    random.Random, list[tuple[int, people.UnitSpec]], dict[str, list[people.Facility]], dict[str, int]
]:
    """The random stream of the people, and what they reference: their units (inserted here),
    the health facilities by province and the provincial offices."""
    rng = random.Random(f"people:{seed}")
    unit_count = max(30, count // 50)
    specs = people.unit_rows(rng, unit_count)
    await insert_missing(conn, unit_t, [s.row for s in specs], ("code",))
    unit_ids = await _ids(conn, unit_t, "code", [s.code for s in specs])
    units = [(unit_ids[s.code], s) for s in specs]
    facilities: dict[str, list[tuple[int, bool, str, str]]] = {}
    for fid, province, accepts, code, name in (
        await conn.execute(
            select(
                facility_t.c.id,
                facility_t.c.province_code,
                facility_t.c.accepts_health_insurance,
                facility_t.c.code,
                facility_t.c.name,
            ).order_by(facility_t.c.id)
        )
    ).all():
        facilities.setdefault(province, []).append((fid, accepts, code, name))
    offices = {
        p: i
        for p, i in (
            await conn.execute(
                select(office_t.c.province_code, office_t.c.id).where(office_t.c.level == "PROVINCE")
            )
        ).all()
    }
    return rng, units, facilities, offices


async def seed_people_bulk(conn: AsyncConnection, count: int, seed: int, progress: Progress) -> int:
    """PostgreSQL: the same people as `seed_people`, with COPY (and their rosters: see seed.bulk)."""
    with progress.phase("the employers of the generated people"):
        rng, units, facilities, offices = await people_context(conn, count, seed)
    return await bulk.load_people(
        conn, rng, count, units, facilities, offices, progress, taken_codes={golden.CODE, *household.CODES}
    )


async def seed_people(conn: AsyncConnection, count: int, seed: int, progress: Progress) -> int:
    with progress.phase("the employers of the generated people"):
        rng, units, facilities, offices = await people_context(conn, count, seed)
    with progress.phase(f"generating {count:,} people and their records"):
        # The golden code is reserved even before the golden record exists.
        generated = people.generate(rng, count, {golden.CODE, *household.CODES}, units, facilities, offices)
        have = await _existing(conn, person_t, ("social_insurance_code",))
    fresh_persons = [p for p in generated.persons if (p["social_insurance_code"],) not in have]
    if len(fresh_persons) < count:
        progress.say(f"seed: {count - len(fresh_persons):,} of them are there already: skipped")
    fresh_codes = {p["social_insurance_code"] for p in fresh_persons}
    # Only the records of the people written: those of the people skipped are not.
    total = len(fresh_persons) + sum(
        1
        for rows in (generated.periods, generated.cards, generated.visits, generated.benefits)
        for row in rows
        if row["person_code"] in fresh_codes
    )
    if not fresh_persons:
        return 0
    with progress.bar(total=total, desc="people and records", unit="row") as bar:
        await _bulk(conn, person_t, fresh_persons, bar)
        person_ids = (
            await _ids(
                conn, person_t, "social_insurance_code", [p["social_insurance_code"] for p in fresh_persons]
            )
            if len(fresh_persons) < 30_000
            else await _ids(conn, person_t, "social_insurance_code")
        )
        person_ids = {c: i for c, i in person_ids.items() if c in fresh_codes}
        for table, rows in (
            (period_t, generated.periods),
            (card_t, generated.cards),
            (benefit_t, generated.benefits),
        ):
            await _bulk(conn, table, _with_person(rows, person_ids), bar)
        numbers = [c["number"] for c in generated.cards]
        card_ids = await _ids(conn, card_t, "number", numbers if len(numbers) < 30_000 else None)
        await _bulk(conn, visit_t, _with_person(generated.visits, person_ids, card_ids), bar)
    with progress.phase("the statistics' rollup"):
        await rollup.persons_added(conn, sorted(person_ids.values()))
        await visit_rollup.persons_added(conn, sorted(person_ids.values()))
    return len(fresh_persons)


async def fill_rosters(conn: AsyncConnection) -> None:
    """Every (unit, person) pair of the periods in the unit's roster; adds only what is missing."""
    pairs = (
        select(period_t.c.unit_id, period_t.c.person_id, person_t.c.social_insurance_code)
        .join(person_t, person_t.c.id == period_t.c.person_id)
        .where(
            ~select(unit_member_t.c.unit_id)
            .where(
                unit_member_t.c.unit_id == period_t.c.unit_id,
                unit_member_t.c.person_id == period_t.c.person_id,
            )
            .exists()
        )
        .distinct()
    )
    await conn.execute(
        insert(unit_member_t).from_select(["unit_id", "person_id", "social_insurance_code"], pairs)
    )


async def seed_accounts(conn: AsyncConnection, password: str, totp_secret: str) -> None:
    hashed = hash_password(password)
    now = utcnow()
    lookups = {
        "person": (person_t, "social_insurance_code"),
        "office": (office_t, "code"),
        "facility": (facility_t, "code"),
        "unit": (unit_t, "code"),
        "agent": (agent_t, "code"),
    }
    existing = {u for (u,) in (await conn.execute(select(account_t.c.username))).all()}
    for username, role, binding in demo_accounts.ACCOUNTS:
        pk = None
        if binding is not None:
            table, key = lookups[binding[0]]
            pk = (await conn.execute(select(table.c.id).where(table.c[key] == binding[1]))).scalar_one()
        columns = demo_accounts.binding_columns(binding[0] if binding else None, pk)
        if username in existing:
            # Running the seed again resets the demo password to the one in force.
            await conn.execute(
                update(account_t)
                .where(account_t.c.username == username)
                .values(password_hash=hashed, must_change_password=False, password_changed_at=now, **columns)
            )
        else:
            await conn.execute(
                insert(account_t).values(
                    username=username,
                    password_hash=hashed,
                    role=role,
                    must_change_password=False,
                    password_changed_at=now,
                    created_at=now,
                    disabled=False,
                    **columns,
                )
            )
        if totp.needs_second_factor(role):
            # Enrolled with the demo authenticator secret, so that demo staff can sign in.
            account_id = (
                await conn.execute(select(account_t.c.id).where(account_t.c.username == username))
            ).scalar_one()
            await conn.execute(delete(totp_t).where(totp_t.c.account_id == account_id))
            await conn.execute(
                insert(totp_t).values(
                    account_id=account_id, secret=totp_secret, created_at=now, confirmed_at=now
                )
            )


async def run_seed(
    settings: Settings, *, demo: bool, persons: int, seed: int, progress: bool = True
) -> dict[str, Any]:
    if persons < 0:
        raise SystemExit("--persons must be 0 or more")
    started = time.perf_counter()
    shown = Progress(progress)
    engine = make_engine(settings.database_url)
    try:
        async with engine.connect() as conn, conn.begin() as transaction:
            with shown.phase("reference data (administrative units, offices, facilities, agents, FAQ, news)"):
                await seed_reference(conn, seed)
            with shown.phase("the golden record"):
                golden_ids = await seed_golden(conn)
            if demo:
                with shown.phase("the demo household and its collection agent's catchment"):
                    await household.seed_household(conn)
            if conn.dialect.name == "postgresql":
                with shown.phase("the rosters of the units"):
                    # COPY; the load writes the rosters of the people it adds, so only the rest first.
                    await fill_rosters(conn)
                added = await seed_people_bulk(conn, persons, seed, shown)
                with shown.phase("the golden record in the statistics' rollup"):
                    # After the load: it copies into empty rollup tables faster than it adds to them.
                    await rollup.persons_added(conn, golden_ids)
                    await visit_rollup.persons_added(conn, golden_ids)
            else:
                with shown.phase("the golden record in the statistics' rollup"):
                    await rollup.persons_added(conn, golden_ids)
                    await visit_rollup.persons_added(conn, golden_ids)
                added = await seed_people(conn, persons, seed, shown)
                with shown.phase("the rosters of the units"):
                    await fill_rosters(conn)
            password = settings.demo_password or demo_accounts.DEFAULT_DEMO_PASSWORD
            totp_secret = settings.demo_totp_secret or demo_accounts.DEFAULT_DEMO_TOTP_SECRET
            if demo:
                with shown.phase(f"{len(demo_accounts.ACCOUNTS)} demo accounts"):
                    await seed_accounts(conn, password, totp_secret)
            with shown.phase("commit"):
                await transaction.commit()
    finally:
        await engine.dispose()
    elapsed = time.perf_counter() - started
    summary = {"persons_added": added, "seconds": round(elapsed, 2)}
    if progress:
        print(f"seeded {added} new people in {elapsed:.1f} s")
        if demo:
            print(f"demo accounts: {', '.join(a[0] for a in demo_accounts.ACCOUNTS)}; password: {password}")
            print(f"demo staff sign in with totpCode, the TOTP (RFC 6238) of the secret {totp_secret}")
    return summary
