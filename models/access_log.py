from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from models.types import UtcDateTime


class AccessLogEntry(SQLModel, table=True):
    """One read of someone else's private or sensitive data: one row per request and person.

    No foreign keys (migration 0014): only the server writes these rows, from the people and the
    account of the unit of work that read them, and a check per row was most of the cost of a
    large view's log; an audit record also outlives what it names."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_person_newest", "person_id", "at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    actor_account_id: int | None = Field(default=None)
    actor_username: str = Field(max_length=64)
    actor_role: str = Field(max_length=8)
    person_id: int
    # Space-separated "Type.field" names: portable across backends, no JSON column needed.
    fields: str = Field(max_length=2000)
    operation_name: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=500)
