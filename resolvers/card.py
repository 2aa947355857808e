from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from auth import scopes
from models.tables import card_t
from models.types import VIETNAM_TZ
from resolvers.context import Context, require_viewer
from resolvers.errors import BadUserInput
from resolvers.loaders import cards_with_owner

CARD_NUMBER = re.compile(r"^[A-Z]{2}[1-5]\d{2}\d{10}$")


def card_status(row: Any) -> str:
    today = datetime.now(VIETNAM_TZ).date()
    if row.suspended:
        return "SUSPENDED"
    if today < row.valid_from:
        return "NOT_YET_VALID"
    if row.valid_to is not None and today > row.valid_to:
        return "EXPIRED"
    return "ACTIVE"


async def card_by_number(context: Context, number: str) -> Any | None:
    """A card check: by the 15-character number, or by the 10-digit code printed since 2021."""
    require_viewer(context)
    value = number.strip().upper()
    if CARD_NUMBER.match(value):
        condition = card_t.c.number == value
    elif re.fullmatch(r"\d{10}", value):
        condition = card_t.c.social_insurance_code == value
    else:
        raise BadUserInput(
            "number: a card number is 15 characters (group, level, province, code, e.g. HC4010113099841) "
            "or the 10-digit social-insurance code.",
            "number",
        )
    statement = (
        cards_with_owner()
        .where(condition, scopes.card_check(context.viewer))
        .order_by(card_t.c.valid_from.desc(), card_t.c.id.desc())
        .limit(1)
    )
    return (await context.session.execute(statement)).first()
