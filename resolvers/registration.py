from __future__ import annotations

from sqlalchemy import select

from auth import scopes
from models.tables import registration_t
from resolvers.context import Context, require_viewer
from resolvers.pagination import Ordering, page
from resolvers.slices import Slice, fetch_page, where_all

REGISTRATION_ORDER = Ordering(
    "registration",
    (registration_t.c.submitted_at, registration_t.c.id),
    descending=True,
    kinds=("datetime", "int"),
)


async def registrations(context: Context, status: str | None, first: int | None, after: str | None) -> Slice:
    require_viewer(context)
    page_ = page(first, after, REGISTRATION_ORDER)
    statement = where_all(
        select(registration_t),
        scopes.registrations(context.viewer),
        registration_t.c.status == status if status else None,
    )
    return await fetch_page(context.session, statement, REGISTRATION_ORDER, page_)
