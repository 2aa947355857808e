from __future__ import annotations

from sqlalchemy import select

from models.tables import faq_t, news_t
from models.text import like_pattern
from resolvers import validate
from resolvers.context import Context
from resolvers.pagination import Ordering, page
from resolvers.slices import Slice, fetch_page, where_all

FAQ_ORDER = Ordering("faq", (faq_t.c.position, faq_t.c.id), kinds=("int", "int"))
NEWS_ORDER = Ordering(
    "news", (news_t.c.published_at, news_t.c.id), descending=True, kinds=("datetime", "int")
)


async def faqs(context: Context, search: str | None, first: int | None, after: str | None) -> Slice:
    page_ = page(first, after, FAQ_ORDER)
    folded = validate.search(search)
    statement = where_all(
        select(faq_t), faq_t.c.search_text.like(like_pattern(folded), escape="\\") if folded else None
    )
    return await fetch_page(context.session, statement, FAQ_ORDER, page_)


async def news(context: Context, first: int | None, after: str | None) -> Slice:
    return await fetch_page(context.session, select(news_t), NEWS_ORDER, page(first, after, NEWS_ORDER))
