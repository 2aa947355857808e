"""Keyset pagination with opaque cursors: no OFFSET, so page 1,000 costs what page 1 does.

A cursor is the row's sort key, encrypted and authenticated (AES-GCM-SIV under a key derived from
the settings' secret key for this purpose only), with the list's tag and, for lists under a row
scope, the viewer's scope as associated data. So a cursor reveals nothing (not the code that a
masked field hides), cannot be forged or edited, and opens only in the list, and for the scope,
that issued it: anything else is BAD_USER_INPUT. The encryption is deterministic (SIV with a fixed
nonce): the same row gives the same cursor, so answers stay cacheable, and equal cursors tell only
that they are equal.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV
from sqlalchemy import ColumnElement, literal, tuple_

from auth.limits import DEFAULT_PAGE
from auth.secrets import derive_key
from resolvers.errors import BadUserInput

MAX_PAGE = 100
MAX_CURSOR = 512  # characters: no list's key comes near it

Key = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Ordering:
    """A total order over a list: the columns (ending with a unique one) and a direction.

    `tag` names the list so that a cursor of one list is refused by another; a `scoped` list (whose
    rows depend on who asks) also refuses the cursors issued to another scope.
    """

    tag: str
    columns: tuple[ColumnElement[Any], ...]
    descending: bool = False
    # How to rebuild each key value from its JSON form.
    kinds: tuple[str, ...] = ()
    scoped: bool = True

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


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


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


CURSOR_PURPOSE = "cursor"
# AES-GCM-SIV with a fixed nonce is deterministic authenticated encryption (RFC 8452, section 9).
_NONCE = bytes(12)


@lru_cache(maxsize=8)
def _cipher(secret_key: str) -> AESGCMSIV:
    return AESGCMSIV(derive_key(secret_key, CURSOR_PURPOSE))


@dataclass(frozen=True, slots=True)
class Cursors:
    """The cursors of one viewer, sealed and opened with its scope (auth.scopes.scope_key)."""

    scope: str
    cipher: AESGCMSIV = field(compare=False, hash=False, repr=False)

    @classmethod
    def make(cls, secret_key: str, scope: str) -> Cursors:
        return cls(scope, _cipher(secret_key))

    def _bound(self, ordering: Ordering) -> bytes:
        return f"{ordering.tag}\x00{self.scope if ordering.scoped else ''}".encode()

    def seal(self, ordering: Ordering, key: Key) -> str:
        raw = json.dumps([_encode_value(v) for v in key], separators=(",", ":"), ensure_ascii=False)
        sealed = self.cipher.encrypt(_NONCE, raw.encode(), self._bound(ordering))
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def open(self, ordering: Ordering, cursor: str, argument: str = "after") -> Key:
        try:
            if len(cursor) > MAX_CURSOR:
                raise ValueError("length")
            sealed = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii"))
            data = json.loads(self.cipher.decrypt(_NONCE, sealed, self._bound(ordering)))
            if not isinstance(data, list) or len(data) != len(ordering.kinds):
                raise ValueError("shape")
            return tuple(_decode_value(k, v) for k, v in zip(ordering.kinds, data, strict=True))
        except (ValueError, UnicodeError, binascii.Error, InvalidTag) as exc:
            raise BadUserInput(
                f"{argument}: malformed cursor; pass an endCursor or cursor returned by this same list "
                "(a cursor is bound to its list and to who received it).",
                argument,
            ) from exc


@dataclass(frozen=True, slots=True)
class Page:
    first: int
    after: Key | None
    cursors: Cursors

    def window(self, rows: Sequence[Any]) -> tuple[Sequence[Any], bool]:
        return rows[: self.first], len(rows) > self.first


def page(first: int | None, after: str | None, ordering: Ordering, cursors: Cursors) -> Page:
    if first is None:
        first = DEFAULT_PAGE
    if first < 0 or first > MAX_PAGE:
        raise BadUserInput(f"first must be between 0 and {MAX_PAGE} (got {first}).", "first")
    key = cursors.open(ordering, after) if after is not None else None
    return Page(first=first, after=key, cursors=cursors)
