"""Argument checks shared by the read resolvers, each with a specific message."""

from __future__ import annotations

import re

from models.text import fold
from resolvers.errors import BadUserInput

PROVINCE_CODE = re.compile(r"^\d{2}$")
SOCIAL_INSURANCE_CODE = re.compile(r"^\d{10}$")
SEARCH_MIN, SEARCH_MAX = 2, 100


def province_code(
    value: str | None, known: set[str] | None = None, argument: str = "provinceCode"
) -> str | None:
    if value is None:
        return None
    if not PROVINCE_CODE.match(value):
        raise BadUserInput(
            f'{argument}: a province code is 2 digits, such as "01" (got {value!r}).', argument
        )
    if known is not None and value not in known:
        raise BadUserInput(f"{argument}: no province has the code {value!r}.", argument)
    return value


def social_insurance_code(value: str, argument: str = "socialInsuranceCode") -> str:
    if not SOCIAL_INSURANCE_CODE.match(value):
        raise BadUserInput(
            f"{argument}: a social-insurance code is exactly 10 digits (got {len(value)} characters).",
            argument,
        )
    return value


def search(value: str | None, argument: str = "search") -> str | None:
    """The folded search string, or None for no search."""
    if value is None:
        return None
    folded = fold(value)
    if len(folded) < SEARCH_MIN:
        raise BadUserInput(f"{argument}: give at least {SEARCH_MIN} characters to search for.", argument)
    if len(folded) > SEARCH_MAX:
        raise BadUserInput(f"{argument}: at most {SEARCH_MAX} characters (got {len(folded)}).", argument)
    return folded


ID_FORMATS = {
    "CMND": (re.compile(r"^\d{9}$"), "a CMND number is 9 digits"),
    "CCCD": (re.compile(r"^\d{12}$"), "a CCCD number is 12 digits"),
    "PASSPORT": (re.compile(r"^[A-Z]\d{7}$"), "a passport number is a letter and 7 digits, such as C1234567"),
}
ANY_ID = re.compile(r"^(\d{9}|\d{12}|[A-Z]\d{7})$")
# Vietnamese mobile numbers: 0 + a carrier prefix (3, 5, 7, 8, 9) + 8 digits, or +84 instead of 0.
MOBILE = re.compile(r"^(?:0|\+84)(3[2-9]|5[2689]|7[06-9]|8[1-9]|9\d)\d{7}$")
EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def normalize_mobile(value: str) -> str:
    """ "+84 983 847 986" -> "0983847986"."""
    compact = re.sub(r"[\s.\-()]", "", value)
    return "0" + compact[3:] if compact.startswith("+84") else compact
