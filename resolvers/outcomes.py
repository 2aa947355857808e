"""What mutations answer, before the schema turns it into its union members."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """One bad input field: its path in the input, a stable code, a message for people."""

    field: tuple[str, ...]
    code: str
    message: str


@dataclass(slots=True)
class Problems:
    """Every problem of an input, collected so that all are reported at once."""

    items: list[Problem] = field(default_factory=list)

    def add(self, path: tuple[str, ...], code: str, message: str) -> None:
        self.items.append(Problem(path, code, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def has(self, path: tuple[str, ...]) -> bool:
        return any(p.field == path for p in self.items)


@dataclass(frozen=True, slots=True)
class Invalid:
    problems: list[Problem]


@dataclass(frozen=True, slots=True)
class Refused:
    """The viewer may not do this (NotAllowed)."""

    message: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    expires_at: datetime
    account: Any


@dataclass(frozen=True, slots=True)
class DeviceCheck:
    challenge_id: str
    phone_hint: str


@dataclass(frozen=True, slots=True)
class BadCredentials:
    message: str
    captcha_required: bool


@dataclass(frozen=True, slots=True)
class Throttled:
    message: str
    retry_after_seconds: int


@dataclass(frozen=True, slots=True)
class SecondFactor:
    """Staff: the password was right, a valid totpCode is needed (enrolled: an authenticator is)."""

    message: str
    enrolled: bool
