"""FAQ, news and feedback (phản ánh, kiến nghị): the open content features."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import insert, select, update

from auth import throttle
from models.tables import faq_t, feedback_t, news_t
from models.text import contains, normalize_name
from models.types import VIETNAM_TZ, utcnow
from resolvers import validate
from resolvers.account import check_captcha, client_address
from resolvers.context import Context
from resolvers.errors import RateLimited
from resolvers.outcomes import Invalid, Problems
from resolvers.pagination import Ordering, page
from resolvers.slices import Slice, fetch_page, where_all

# Open lists: the same rows for everyone, so their cursors are bound to the list only.
FAQ_ORDER = Ordering("faq", (faq_t.c.position, faq_t.c.id), kinds=("int", "int"), scoped=False)
NEWS_ORDER = Ordering(
    "news", (news_t.c.published_at, news_t.c.id), descending=True, kinds=("datetime", "int"), scoped=False
)


async def faqs(context: Context, search: str | None, first: int | None, after: str | None) -> Slice:
    """Every word of the search must appear (any order), diacritics and case ignored."""
    page_ = page(first, after, FAQ_ORDER, context.cursors)
    folded = validate.search(search)
    words = folded.split() if folded else []
    statement = where_all(select(faq_t), *(contains(faq_t.c.search_text, word) for word in words))
    return await fetch_page(context.session, statement, FAQ_ORDER, page_)


async def news(context: Context, first: int | None, after: str | None) -> Slice:
    return await fetch_page(
        context.session, select(news_t), NEWS_ORDER, page(first, after, NEWS_ORDER, context.cursors)
    )


FEEDBACK_LIMIT = 5  # accepted submissions per client address
FEEDBACK_WINDOW = timedelta(hours=1)
NAME_MIN, NAME_MAX = 2, 120
TOPIC_MIN, TOPIC_MAX = 2, 100
CONTENT_MIN, CONTENT_MAX = 10, 5000
EMAIL_MAX = 254


def _length(problems: Problems, field: str, value: str, label: str, low: int, high: int) -> None:
    if not value:
        problems.add(("input", field), "REQUIRED", f"{label} is required.")
    elif len(value) < low:
        problems.add(("input", field), "TOO_SHORT", f"{label} has at least {low} characters.")
    elif len(value) > high:
        problems.add(
            ("input", field), "TOO_LONG", f"{label} has at most {high} characters (got {len(value)})."
        )


async def submit_feedback(
    context: Context,
    full_name: str,
    email: str | None,
    phone: str | None,
    topic: str,
    content: str,
    captcha_id: str | None,
    captcha_answer: str | None,
) -> str | Invalid:
    """Gửi phản ánh, kiến nghị: every problem at once, then a captcha-checked, throttled insert.

    Returns the reference number ("PA-2026-000123"), or the problems. Too many accepted
    submissions from one client address raise RATE_LIMITED (with retryAfterSeconds), as
    findSocialInsuranceCode does: a throttled sender has nothing to correct in the input.
    """
    problems = Problems()
    name = normalize_name(full_name)
    _length(problems, "fullName", name, "The full name", NAME_MIN, NAME_MAX)
    mail = (email or "").strip() or None
    if mail is not None and (len(mail) > EMAIL_MAX or not validate.EMAIL.match(mail)):
        problems.add(("input", "email"), "EMAIL_FORMAT", "Give an e-mail address such as ten@example.vn.")
    mobile = validate.normalize_mobile(phone) if phone and phone.strip() else None
    if mobile is not None and not validate.MOBILE.match(mobile):
        problems.add(
            ("input", "phone"),
            "PHONE_FORMAT",
            "Give a Vietnamese mobile number: 10 digits starting with 0 (or +84), such as 0983847986.",
        )
    if mail is None and mobile is None:
        message = "Give an e-mail address or a mobile number, so that the office can answer."
        problems.add(("input", "email"), "CONTACT_REQUIRED", message)
        problems.add(("input", "phone"), "CONTACT_REQUIRED", message)
    subject = normalize_name(topic)
    _length(problems, "topic", subject, "The topic", TOPIC_MIN, TOPIC_MAX)
    text = content.strip()
    _length(problems, "content", text, "The content", CONTENT_MIN, CONTENT_MAX)
    await check_captcha(context, problems, captcha_id, captcha_answer)
    session = context.session
    if problems:
        await session.commit()  # the captcha is spent either way
        return Invalid(problems.items)
    now = utcnow()
    wait = await throttle.spend(
        session, "feedback", client_address(context), FEEDBACK_LIMIT, FEEDBACK_WINDOW, now
    )
    if wait:
        await session.commit()
        raise RateLimited(wait)
    # The number is the row's id, so it is unique without a counter to contend on; the insert
    # holds a placeholder (unique too) until the id is known, in the same transaction.
    placeholder = "tmp-" + secrets.token_hex(8)
    feedback_id = (
        await session.execute(
            insert(feedback_t)
            .values(
                reference_number=placeholder,
                full_name=name,
                email=mail,
                phone=mobile,
                topic=subject,
                content=text,
                submitted_at=now,
            )
            .returning(feedback_t.c.id)
        )
    ).scalar_one()
    reference = f"PA-{now.astimezone(VIETNAM_TZ).year}-{feedback_id:06d}"
    await session.execute(
        update(feedback_t).where(feedback_t.c.id == feedback_id).values(reference_number=reference)
    )
    await session.commit()
    return reference
