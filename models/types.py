"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no exact decimal and no time zones; storing money as integer hundredths and
timestamps as naive UTC keeps arithmetic exact and ordering identical on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Vietnam has kept UTC+7 without daylight saving since 1975: a fixed offset is exact.
VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")
CENT = Decimal("0.01")


class Money(TypeDecorator[Decimal]):
    """A decimal with two places, stored as an integer number of hundredths."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | str | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        exact = Decimal(value).quantize(CENT)
        return int(exact * 100)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(CENT)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware datetimes (Vietnam time) out; naive UTC in the database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC).astimezone(VIETNAM_TZ)


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_year_month(value: int) -> str:
    """202002 -> "2020-02"."""
    return f"{value // 100:04d}-{value % 100:02d}"


def parse_year_month(text: str) -> int:
    """ "2020-02" -> 202002; raises ValueError on anything else."""
    if len(text) != 7 or text[4] != "-" or not (text[:4].isdigit() and text[5:].isdigit()):
        raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
    year, month = int(text[:4]), int(text[5:])
    if not 1 <= month <= 12 or year < 1900:
        raise ValueError(f"no such month: {text!r}")
    return year * 100 + month


def month_index(value: int) -> int:
    """YYYYMM -> a running month number, so month spans are simple differences."""
    return (value // 100) * 12 + (value % 100) - 1


def from_month_index(index: int) -> int:
    return (index // 12) * 100 + index % 12 + 1
