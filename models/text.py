"""Text folding for search: "Nguyễn Thành Biên" and "nguyen  thanh bien" compare equal."""

from __future__ import annotations

import unicodedata

from sqlalchemy import BindParameter, ColumnElement, bindparam

# đ/Đ are letters of their own, not d with a mark: NFD does not decompose them.
_LETTERS = str.maketrans({"đ": "d", "Đ": "d"})


def normalize_name(text: str) -> str:
    """NFC, single spaces, no edge spaces: how names are stored and compared exactly."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def fold(text: str) -> str:
    """Lower case, without diacritics, single spaces: how names are searched."""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def like_pattern(folded: str) -> str:
    """A LIKE pattern for a folded search string, with LIKE's wildcards escaped (escape char \\)."""
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(column: ColumnElement[str], folded: str) -> ColumnElement[bool]:
    """`column` contains the folded text, as a LIKE with the pattern rendered into the SQL.

    Rendering the pattern (not binding it) matters on PostgreSQL: a prepared statement reused
    with a bound pattern gets a generic plan that cannot tell "thanh" (thousands of rows: walk the
    ordered index) from "tran thi hoa" (a few: use the trigram index).
    """
    pattern: BindParameter[str] = bindparam(
        "search_pattern", like_pattern(folded), unique=True, literal_execute=True
    )
    return column.like(pattern, escape="\\")
