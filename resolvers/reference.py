"""Reference data checks that need the database (province codes that exist)."""

from __future__ import annotations

from sqlalchemy import select

from models.tables import admin_unit_t
from resolvers import validate
from resolvers.context import Context


async def known_province(context: Context, value: str | None, argument: str = "provinceCode") -> str | None:
    code = validate.province_code(value, argument=argument)
    if code is None:
        return None
    found = await context.loaders.admin_units_by_code.load(("2004", code))
    if found is None or found.level != "PROVINCE":
        validate.province_code(code, known=set(), argument=argument)
    return code


async def province_codes(context: Context) -> set[str]:
    rows = await context.session.execute(
        select(admin_unit_t.c.code).where(admin_unit_t.c.level == "PROVINCE")
    )
    return {code for (code,) in rows.all()}
