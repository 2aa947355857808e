"""The demo accounts' names and shared secrets: what `seed --demo` writes, and what a production
server refuses to start with (auth/startup.py). Serving imports this, never seed/."""

from __future__ import annotations

DEFAULT_DEMO_PASSWORD = "Ansinh@2026"  # noqa: S105 - demo data only; refused in production
# Base32 (RFC 4648), 160 bits: the authenticator of every demo staff account.
DEFAULT_DEMO_TOTP_SECRET = "ANSINHDEMOSTAFFTOTPSECRETKEYAAAA"  # noqa: S105 - as above

CITIZEN_USERNAMES = ("0113099841",)
STAFF_USERNAMES = (
    "officer.hanoi",
    "officer.hcm",
    "analyst",
    "partner.hospital",
    "partner.employer",
    "agent.hanoi",
    "admin",
)
USERNAMES = CITIZEN_USERNAMES + STAFF_USERNAMES
