"""The demo household (BHYT hộ gia đình) and its collection agent: the golden person as the head,
three members at his address, and the agent DL01001 collecting in his commune (Thụ Trai, 09763)
besides its own ward. One member, a pupil, holds a state-supported card (HS): the household pays
for three (105,300 + 73,710 + 63,180 VND a month at the 2024-07 base salary)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from models import rules
from models.tables import (
    agent_t,
    card_t,
    catchment_t,
    facility_t,
    household_member_t,
    household_t,
    person_t,
)
from models.text import fold
from models.types import VIETNAM_TZ
from seed import golden

AGENT_CODE = "DL01001"
HOUSEHOLD_CODE = f"GD{golden.PERSON['ward_code']}00001"
_ADDRESS = {
    key: golden.PERSON[key]
    for key in ("province_scope", "address_scheme", "province_code", "district_code", "ward_code", "street")
}
# Codes outside the generated people's range (seed/people.py draws 01 + 8 digits from 10000000).
MEMBERS: tuple[dict[str, Any], ...] = (
    {
        "social_insurance_code": "0100000101",
        "full_name": "Trần Thị Hoa",
        "gender": "FEMALE",
        "date_of_birth": date(1986, 7, 20),
    },
    {
        "social_insurance_code": "0100000102",
        "full_name": "Nguyễn Minh An",
        "gender": "MALE",
        "date_of_birth": date(2012, 9, 5),
    },
    {
        "social_insurance_code": "0100000103",
        "full_name": "Lê Thị Lan",
        "gender": "FEMALE",
        "date_of_birth": date(1960, 3, 1),
    },
)
PUPIL = "0100000102"
# When the household was registered (fixed: the seed is deterministic).
CREATED_AT = datetime(2025, 1, 15, 9, 0, tzinfo=VIETNAM_TZ)
CODES = frozenset(m["social_insurance_code"] for m in MEMBERS)


async def seed_household(conn: AsyncConnection) -> None:
    """Idempotent: a second run adds nothing."""
    agent = (
        await conn.execute(select(agent_t.c.id, agent_t.c.ward_code).where(agent_t.c.code == AGENT_CODE))
    ).one()
    wards = {agent.ward_code, str(golden.PERSON["ward_code"])}
    held = {
        r.ward_code
        for r in (
            await conn.execute(select(catchment_t.c.ward_code).where(catchment_t.c.agent_id == agent.id))
        ).all()
    }
    new_wards = sorted(wards - held)
    if new_wards:
        await conn.execute(catchment_t.insert(), [{"agent_id": agent.id, "ward_code": w} for w in new_wards])
    if (
        await conn.execute(select(household_t.c.id).where(household_t.c.code == HOUSEHOLD_CODE))
    ).first() is not None:
        return
    codes = [m["social_insurance_code"] for m in MEMBERS]
    existing = {
        r.social_insurance_code
        for r in (
            await conn.execute(
                select(person_t.c.social_insurance_code).where(person_t.c.social_insurance_code.in_(codes))
            )
        ).all()
    }
    rows = [
        {
            **m,
            "search_name": fold(m["full_name"]),
            "id_type": None,
            "id_number": None,
            "phone": None,
            "email": None,
            **_ADDRESS,
        }
        for m in MEMBERS
        if m["social_insurance_code"] not in existing
    ]
    if rows:
        await conn.execute(person_t.insert(), rows)
    ids = {
        r.social_insurance_code: r.id
        for r in (
            await conn.execute(
                select(person_t.c.id, person_t.c.social_insurance_code).where(
                    person_t.c.social_insurance_code.in_([golden.CODE, *codes])
                )
            )
        ).all()
    }
    facility = (
        await conn.execute(select(facility_t.c.id).where(facility_t.c.code == golden.LOCAL_FACILITY_CODE))
    ).scalar_one()
    if PUPIL not in existing:
        await conn.execute(
            card_t.insert().values(
                number=rules.card_number("HS", "01", PUPIL),
                social_insurance_code=PUPIL,
                person_id=ids[PUPIL],
                beneficiary_group="HS",
                benefit_level=rules.benefit_level("HS"),
                province_code="01",
                valid_from=date(2025, 9, 1),
                valid_to=None,
                suspended=False,
                primary_care_facility_id=facility,
                five_years_continuous_from=None,
            )
        )
    now = CREATED_AT
    inserted = await conn.execute(
        household_t.insert()
        .values(
            code=HOUSEHOLD_CODE,
            head_person_id=ids[golden.CODE],
            province_scope="01",
            ward_code=golden.PERSON["ward_code"],
            created_at=now,
        )
        .returning(household_t.c.id)
    )
    household_id = inserted.scalar_one()
    await conn.execute(
        household_member_t.insert(),
        [
            {
                "household_id": household_id,
                "person_id": ids[code],
                "position": i,
                "joined_at": now,
                "delegation_revoked_at": None,
            }
            for i, code in enumerate([golden.CODE, *codes], start=1)
        ],
    )
