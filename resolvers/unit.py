from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select, true

from auth import scopes
from models.tables import unit_t
from models.text import contains
from resolvers import validate
from resolvers.context import Context, require_viewer
from resolvers.errors import BadUserInput
from resolvers.pagination import Ordering, page
from resolvers.reference import known_province
from resolvers.slices import Slice, fetch_page, where_all

UNIT_ORDER = Ordering("unit", (unit_t.c.code,), kinds=("str",))
TAX_CODE = re.compile(r"^\d{10}(-\d{3})?$")


async def unit_by_code(context: Context, code: str) -> Any | None:
    require_viewer(context)
    if not 1 <= len(code) <= 16:
        raise BadUserInput("code: a unit code has 1 to 16 characters.", "code")
    statement = select(unit_t).where(unit_t.c.code == code, scopes.units(context.viewer))
    return (await context.session.execute(statement)).first()


async def units(
    context: Context,
    search: str | None,
    tax_code: str | None,
    province_code: str | None,
    first: int | None,
    after: str | None,
    *,
    public: bool,
) -> Slice:
    if not public:
        require_viewer(context)
    page_ = page(first, after, UNIT_ORDER)
    folded = validate.search(search)
    province = await known_province(context, province_code)
    if tax_code is not None and not TAX_CODE.match(tax_code):
        raise BadUserInput("taxCode: a tax code is 10 digits, or 10 digits, a dash and 3 digits.", "taxCode")
    statement = where_all(
        select(unit_t),
        true() if public else scopes.units(context.viewer),
        contains(unit_t.c.search_name, folded) if folded else None,
        unit_t.c.province_scope == province if province else None,
        unit_t.c.tax_code == tax_code if tax_code else None,
    )
    return await fetch_page(context.session, statement, UNIT_ORDER, page_)
