from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from models.types import UtcDateTime


class AccessLogEntry(SQLModel, table=True):
    """One read of someone else's private or sensitive data: one row per request and person."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_person_newest", "person_id", "at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    actor_account_id: int | None = Field(default=None, foreign_key="account.id")
    actor_username: str = Field(max_length=64)
    actor_role: str = Field(max_length=8)
    person_id: int = Field(foreign_key="person.id")
    # Space-separated "Type.field" names: portable across backends, no JSON column needed.
    fields: str = Field(max_length=2000)
    operation_name: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=500)
