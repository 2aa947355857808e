from __future__ import annotations

from typing import Any

from sqlalchemy import select

from auth import scopes
from models.tables import period_t, person_t, unit_t
from models.text import like_pattern
from resolvers import validate
from resolvers.context import Context
from resolvers.errors import BadUserInput
from resolvers.loaders import PERSON_ORDER
from resolvers.pagination import page
from resolvers.reference import known_province
from resolvers.slices import Slice, fetch_page, where_all


async def person_by_code(context: Context, code: str) -> Any | None:
    validate.social_insurance_code(code)
    statement = select(person_t).where(
        person_t.c.social_insurance_code == code, scopes.persons(context.viewer)
    )
    if context.viewer is not None and context.viewer.role.value == "ANALYST":
        # Analysts work on de-identified data: no lookup by identifier.
        return None
    return (await context.session.execute(statement)).first()


async def persons(
    context: Context,
    search: str | None,
    province_code: str | None,
    unit_code: str | None,
    first: int | None,
    after: str | None,
) -> Slice:
    page_ = page(first, after, PERSON_ORDER)
    folded = validate.search(search)
    province = await known_province(context, province_code)
    if unit_code is not None and not (1 <= len(unit_code) <= 16):
        raise BadUserInput("unitCode: a unit code has 1 to 16 characters.", "unitCode")
    statement = where_all(
        select(person_t),
        scopes.persons(context.viewer),
        person_t.c.search_name.like(like_pattern(folded), escape="\\") if folded else None,
        person_t.c.province_scope == province if province else None,
        person_t.c.id.in_(
            select(period_t.c.person_id)
            .join(unit_t, unit_t.c.id == period_t.c.unit_id)
            .where(unit_t.c.code == unit_code)
        )
        if unit_code
        else None,
    )
    return await fetch_page(context.session, statement, PERSON_ORDER, page_)


def check_year(year: int | None) -> None:
    if year is not None and not 1900 <= year <= 2100:
        raise BadUserInput(f"year: expected a calendar year such as 2024 (got {year}).", "year")
