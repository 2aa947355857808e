"""Who is asking: resolved once per request from the bearer token."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    CITIZEN = "CITIZEN"
    OFFICER = "OFFICER"
    ANALYST = "ANALYST"
    PARTNER = "PARTNER"
    ADMIN = "ADMIN"


@dataclass(frozen=True, slots=True)
class Viewer:
    account_id: int
    username: str
    role: Role
    session_id: int | None = None
    person_id: int | None = None  # CITIZEN
    office_id: int | None = None  # OFFICER
    # OFFICER: the province of the office; None for an office of the national level (all provinces).
    province_code: str | None = None
    facility_id: int | None = None  # hospital PARTNER
    unit_id: int | None = None  # employer PARTNER
    agent_id: int | None = None  # collection-agent PARTNER (đại lý thu)
    must_change_password: bool = False
    # Staff signed in with a password alone, not yet enrolled: only enrollTotp, confirmTotp, logout.
    second_factor_pending: bool = False
    # ADMIN only: the reason given (X-Ansinh-Access-Reason) to read health data in this request;
    # every such read is logged with it.
    access_reason: str | None = None

    @property
    def audited_admin(self) -> bool:
        return self.role is Role.ADMIN and bool(self.access_reason)

    @property
    def is_national_officer(self) -> bool:
        return self.role is Role.OFFICER and self.province_code is None

    @property
    def is_agent(self) -> bool:
        return self.role is Role.PARTNER and self.agent_id is not None

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.OFFICER, Role.ANALYST, Role.ADMIN)
