"""Keyset pagination with opaque cursors: no OFFSET, so page 1,000 costs what page 1 does."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, literal, tuple_

from auth.limits import DEFAULT_PAGE
from resolvers.errors import BadUserInput

MAX_PAGE = 100

Key = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Ordering:
    """A total order over a list: the columns (ending with a unique one) and a direction.

    `tag` names the list so that a cursor of one list is refused by another.
    """

    tag: str
    columns: tuple[ColumnElement[Any], ...]
    descending: bool = False
    # How to rebuild each key value from its JSON form.
    kinds: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(str(c.key) for c in self.columns)

    def order_by(self) -> list[ColumnElement[Any]]:
        return [c.desc() if self.descending else c.asc() for c in self.columns]

    def after(self, key: Key) -> ColumnElement[bool]:
        # Row values compare lexicographically on both SQLite (>= 3.15) and PostgreSQL, and
        # PostgreSQL answers them from a composite index.
        left = tuple_(*self.columns)
        # Typed literals: the column's type processes the value (a datetime becomes the stored
        # naive UTC on SQLite), so the comparison is the same on both backends.
        right = tuple_(
            *(literal(value, column.type) for column, value in zip(self.columns, key, strict=True))
        )
        return left < right if self.descending else left > right


@dataclass(frozen=True, slots=True)
class Page:
    first: int
    after: Key | None

    def window(self, rows: Sequence[Any]) -> tuple[Sequence[Any], bool]:
        return rows[: self.first], len(rows) > self.first


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def encode_cursor(tag: str, key: Key) -> str:
    raw = json.dumps([tag, *(_encode_value(v) for v in key)], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_value(kind: str, value: Any) -> Any:
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "float" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "str" and isinstance(value, str):
        return value
    if kind == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    if kind == "datetime" and isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is not None:
            return parsed
    raise ValueError(kind)


def decode_cursor(ordering: Ordering, cursor: str) -> Key:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(data, list) or len(data) != len(ordering.kinds) + 1 or data[0] != ordering.tag:
            raise ValueError("shape")
        return tuple(_decode_value(k, v) for k, v in zip(ordering.kinds, data[1:], strict=True))
    except (ValueError, UnicodeError, binascii.Error, json.JSONDecodeError) as exc:
        raise BadUserInput(
            "after: malformed cursor; pass an endCursor or cursor returned by this same list.", "after"
        ) from exc


def page(first: int | None, after: str | None, ordering: Ordering) -> Page:
    if first is None:
        first = DEFAULT_PAGE
    if first < 0 or first > MAX_PAGE:
        raise BadUserInput(f"first must be between 0 and {MAX_PAGE} (got {first}).", "first")
    return Page(first=first, after=decode_cursor(ordering, after) if after is not None else None)
