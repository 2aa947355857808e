"""The demo accounts of the runtime contract."""

from __future__ import annotations

from typing import Any

from auth.demo import DEFAULT_DEMO_PASSWORD, DEFAULT_DEMO_TOTP_SECRET

__all__ = ["ACCOUNTS", "DEFAULT_DEMO_PASSWORD", "DEFAULT_DEMO_TOTP_SECRET", "binding_columns"]

# username, role, what it is bound to (kind, code)
ACCOUNTS: tuple[tuple[str, str, tuple[str, str] | None], ...] = (
    ("0113099841", "CITIZEN", ("person", "0113099841")),
    ("officer.hanoi", "OFFICER", ("office", "01")),
    ("officer.hcm", "OFFICER", ("office", "79")),
    ("analyst", "ANALYST", None),
    ("partner.hospital", "PARTNER", ("facility", "01929")),
    ("partner.employer", "PARTNER", ("unit", "01T0001")),
    # A collection agent (đại lý thu) of Hà Nội; its catchment holds the demo household (seed/household.py).
    ("agent.hanoi", "PARTNER", ("agent", "DL01001")),
    ("admin", "ADMIN", None),
)


def binding_columns(kind: str | None, pk: int | None) -> dict[str, Any]:
    columns: dict[str, Any] = {
        "person_id": None,
        "office_id": None,
        "facility_id": None,
        "unit_id": None,
        "agent_id": None,
    }
    if kind is not None:
        columns[f"{kind}_id"] = pk
    return columns
