from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, false
from sqlmodel import Field, SQLModel

from models.types import UtcDateTime

ROLES = ("CITIZEN", "OFFICER", "ANALYST", "PARTNER", "ADMIN")
# A partner is one hospital, one employer or one collection agent (đại lý thu), never two.
PARTNER_BINDING = (
    "role <> 'PARTNER' OR (CASE WHEN facility_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN unit_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN agent_id IS NULL THEN 0 ELSE 1 END) = 1"
)


class Account(SQLModel, table=True):
    """A sign-in identity. What it is bound to decides its row scope (see auth/policy.py)."""

    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint(
            "role IN ('CITIZEN', 'OFFICER', 'ANALYST', 'PARTNER', 'ADMIN')", name="ck_account_role"
        ),
        CheckConstraint("role <> 'CITIZEN' OR person_id IS NOT NULL", name="ck_account_citizen_person"),
        CheckConstraint("role <> 'OFFICER' OR office_id IS NOT NULL", name="ck_account_officer_office"),
        CheckConstraint(PARTNER_BINDING, name="ck_account_partner_binding"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=8)
    person_id: int | None = Field(default=None, foreign_key="person.id", unique=True)
    office_id: int | None = Field(default=None, foreign_key="office.id")
    facility_id: int | None = Field(default=None, foreign_key="health_facility.id")
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    agent_id: int | None = Field(default=None, foreign_key="collection_agent.id")
    must_change_password: bool = Field(default=False)
    password_changed_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    disabled: bool = Field(default=False)


class AuthSession(SQLModel, table=True):
    """A signed-in device. Only the SHA-256 of the bearer token is stored."""

    __tablename__ = "auth_session"
    __table_args__ = (
        Index("ix_session_account", "account_id", "revoked_at"),
        # What the subscription hubs ask every round: which sessions ended lately.
        Index("ix_session_revoked_at", "revoked_at"),
        Index("ix_session_expires_at", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    account_id: int = Field(foreign_key="account.id")
    device_id: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    # Staff without a second factor yet: this session may only enrol one (enrollTotp, confirmTotp,
    # logout); it is given at such a sign-in and never becomes a full session.
    second_factor_pending: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class TotpCredential(SQLModel, table=True):
    """A staff account's authenticator (RFC 6238). The secret is never a field of the API; it is
    shown once, by enrollTotp, until confirmTotp proves the authenticator holds it."""

    __tablename__ = "totp_credential"

    account_id: int = Field(foreign_key="account.id", primary_key=True)
    secret: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    confirmed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    # The 30-second step of the last code accepted: a code is good once (no replay).
    last_step: int | None = Field(default=None, sa_column=Column(BigInteger))
