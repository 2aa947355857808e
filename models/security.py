"""Sign-in support: captchas, login attempts (throttling), device challenges (OTP)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from models.types import UtcDateTime


class Captcha(SQLModel, table=True):
    """A captcha shown once. Only an HMAC of the answer is kept; it is used once, then gone."""

    __tablename__ = "captcha"
    __table_args__ = (Index("ix_captcha_expires", "expires_at"),)

    id: str = Field(primary_key=True, max_length=36)
    answer_hmac: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


class LoginAttempt(SQLModel, table=True):
    """Every sign-in attempt: what throttling and the adaptive captcha count."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username", "username", "at"),
        Index("ix_login_attempt_client", "client", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    client: str = Field(max_length=64)
    device_id: str = Field(max_length=128)
    at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    succeeded: bool


class DeviceChallenge(SQLModel, table=True):
    """A one-time code sent by SMS to confirm a new device (5 minutes, 5 tries)."""

    __tablename__ = "device_challenge"

    id: str = Field(primary_key=True, max_length=36)
    account_id: int = Field(foreign_key="account.id", index=True)
    device_id: str = Field(max_length=128)
    code_hmac: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    attempts: int = Field(default=0)
    used_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


class RateEvent(SQLModel, table=True):
    """One use of a throttled open feature (code lookup, feedback) by a client address."""

    __tablename__ = "rate_event"
    __table_args__ = (Index("ix_rate_event_bucket", "bucket", "client", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=32)
    client: str = Field(max_length=64)
    at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
