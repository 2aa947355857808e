"""De-identification for analysts: enough to count and group, never enough to identify."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """ "Nguyễn Thành Biên" -> "Nguyễn T*** B***": the family name groups, the rest identifies."""
    parts = name.split()
    if not parts:
        return name
    return " ".join([parts[0], *(p[0] + "***" for p in parts[1:])])


def mask_digits(value: str, keep_start: int, keep_end: int) -> str:
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "***" + value[len(value) - keep_end :]


def mask_phone(phone: str) -> str:
    """ "0983847986" -> "0983***986"."""
    return mask_digits(phone, 4, 3)


def mask_code(code: str) -> str:
    """A social-insurance code keeps its province prefix: "0113099841" -> "01***41"."""
    return mask_digits(code, 2, 2)


def mask_email(email: str) -> str:
    """ "biennt@vss.gov.vn" -> "b***@vss.gov.vn"."""
    local, _, domain = email.partition("@")
    return (local[:1] + "***@" + domain) if domain else mask_digits(email, 1, 0)


def mask_card_number(number: str) -> str:
    """Group, level and province stay (they are what analysts group by); the code does not."""
    return number[:5] + mask_code(number[5:])
