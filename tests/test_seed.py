"""`ansinh seed`: the same --seed gives the same data on fresh databases; a second run adds nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.engine import make_engine
from models.migrate import migrate
from models.tables import (
    account_t,
    admin_unit_t,
    agent_t,
    benefit_t,
    card_t,
    catchment_t,
    facility_t,
    faq_t,
    household_member_t,
    household_t,
    news_t,
    office_t,
    period_t,
    person_t,
    registration_t,
    unit_member_t,
    unit_t,
    visit_t,
)
from seed import household
from seed.cli import run_seed
from settings import Settings

PERSONS = 50
# What the seed writes. Ids differ between databases by nature: references are compared by the
# natural key of the row they point to (a person's code, a unit's code ...).
TABLES: tuple[Table, ...] = (
    admin_unit_t,
    office_t,
    facility_t,
    agent_t,
    faq_t,
    news_t,
    unit_t,
    person_t,
    unit_member_t,
    period_t,
    card_t,
    visit_t,
    benefit_t,
    registration_t,
    account_t,
    household_t,
    household_member_t,
    catchment_t,
)
NATURAL_KEYS: dict[str, tuple[Table, str]] = {
    "person_id": (person_t, "social_insurance_code"),
    "unit_id": (unit_t, "code"),
    "head_person_id": (person_t, "social_insurance_code"),
    "household_id": (household_t, "code"),
    "agent_id": (agent_t, "code"),
    "facility_id": (facility_t, "code"),
    "primary_care_facility_id": (facility_t, "code"),
    "office_id": (office_t, "code"),
    "paying_office_id": (office_t, "code"),
    "receiving_office_id": (office_t, "code"),
    "card_id": (card_t, "number"),
    "decided_by_account_id": (account_t, "username"),
}
# Made fresh at every run on purpose: the demo password is re-hashed with a new salt.
VOLATILE = {"account": {"password_hash", "password_changed_at", "created_at"}}


def settings_for(path: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{path}", captcha="off")


async def seeded_database(path: Path, seed: int) -> Settings:
    settings = settings_for(path)
    await migrate(settings)
    await run_seed(settings, demo=True, persons=PERSONS, seed=seed, progress=False)
    return settings


async def _content(conn: AsyncConnection) -> dict[str, list[tuple[Any, ...]]]:
    keys: dict[str, dict[Any, Any]] = {}
    for column, (table, key) in NATURAL_KEYS.items():
        keys[column] = dict((await conn.execute(select(table.c.id, table.c[key]))).all())
    content: dict[str, list[tuple[Any, ...]]] = {}
    for table in TABLES:
        skip = {"id"} | VOLATILE.get(table.name, set())
        rows = []
        for row in (await conn.execute(select(table))).mappings():
            values = []
            for label, value in sorted(row.items(), key=lambda item: str(item[0])):
                name = str(label)
                if name in skip:
                    continue
                if name in NATURAL_KEYS:
                    value = keys[name].get(value) if value is not None else None
                values.append((name, value))
            rows.append(tuple(values))
        content[table.name] = sorted(rows, key=repr)
    return content


async def content_of(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    engine = make_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            return await _content(conn)
    finally:
        await engine.dispose()


async def counts_of(settings: Settings) -> dict[str, int]:
    engine = make_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            return {
                t.name: int((await conn.execute(select(func.count()).select_from(t))).scalar_one())
                for t in TABLES
            }
    finally:
        await engine.dispose()


def digest(content: dict[str, list[tuple[Any, ...]]]) -> str:
    return hashlib.sha256(repr(sorted(content.items())).encode()).hexdigest()


async def test_seed_same_seed_identical_content(tmp_path: Path) -> None:
    first = await content_of(await seeded_database(tmp_path / "a.db", seed=42))
    second = await content_of(await seeded_database(tmp_path / "b.db", seed=42))
    for name in first:
        assert first[name] == second[name], f"table {name} differs between two seeds of 42"
    assert digest(first) == digest(second)
    # and the golden person, and the other members of the demo household
    assert len(first["person"]) == PERSONS + 1 + len(household.MEMBERS)
    assert first["contribution_period"] and first["health_insurance_card"] and first["medical_visit"]


async def test_seed_other_seed_other_people(tmp_path: Path) -> None:
    first = await content_of(await seeded_database(tmp_path / "a.db", seed=1))
    other = await content_of(await seeded_database(tmp_path / "b.db", seed=2))
    assert first["person"] != other["person"]
    assert first["office"] == other["office"]  # reference data does not depend on the seed


async def test_seed_twice_adds_nothing(tmp_path: Path) -> None:
    settings = await seeded_database(tmp_path / "twice.db", seed=9)
    before_counts, before = await counts_of(settings), await content_of(settings)
    summary = await run_seed(settings, demo=True, persons=PERSONS, seed=9, progress=False)
    assert summary["persons_added"] == 0
    assert await counts_of(settings) == before_counts
    assert await content_of(settings) == before
    assert before_counts["person"] == PERSONS + 1 + len(household.MEMBERS) and before_counts["account"] == 8
    assert before_counts["household_member"] == 1 + len(household.MEMBERS)
