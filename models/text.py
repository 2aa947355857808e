"""Text folding for search: "Nguyễn Thành Biên" and "nguyen  thanh bien" compare equal."""

from __future__ import annotations

import unicodedata

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
