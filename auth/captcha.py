"""Captchas ("mã kiểm tra"): images made on the server, single use, expiring after 5 minutes."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from captcha.image import ImageCaptcha
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.secrets import keyed_hash, same
from models.tables import captcha_t
from models.types import utcnow

LIFETIME = timedelta(minutes=5)
# No 0/O, 1/I/L: the characters people misread.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 5


def random_text() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


@dataclass(frozen=True, slots=True)
class IssuedCaptcha:
    id: str
    image_data_url: str
    expires_at: datetime


class Verdict(Enum):
    OK = "OK"
    WRONG = "CAPTCHA_WRONG"
    EXPIRED = "CAPTCHA_EXPIRED"  # unknown, expired or already used: ask for a new one


def _image(text: str) -> str:
    png = ImageCaptcha(width=180, height=64).generate(text, format="png").getvalue()
    return "data:image/png;base64," + base64.b64encode(png).decode()


async def issue(
    session: AsyncSession, key: str, text_factory: Callable[[], str] = random_text
) -> IssuedCaptcha:
    text = text_factory()
    now = utcnow()
    captcha_id = str(uuid.uuid4())
    await session.execute(
        insert(captcha_t).values(
            id=captcha_id,
            answer_hmac=keyed_hash(key, "captcha", text.upper()),
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    return IssuedCaptcha(id=captcha_id, image_data_url=_image(text), expires_at=now + LIFETIME)


async def verify(session: AsyncSession, key: str, captcha_id: str, answer: str) -> Verdict:
    """Spends the captcha whatever the answer: one guess per image."""
    now = utcnow()
    spent = await session.execute(
        update(captcha_t)
        .where(captcha_t.c.id == captcha_id, captcha_t.c.used_at.is_(None), captcha_t.c.expires_at > now)
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        return Verdict.EXPIRED
    stored = (
        await session.execute(select(captcha_t.c.answer_hmac).where(captcha_t.c.id == captcha_id))
    ).scalar_one()
    return Verdict.OK if same(stored, keyed_hash(key, "captcha", answer.strip().upper())) else Verdict.WRONG
