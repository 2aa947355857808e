from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from models.types import UtcDateTime


class AuditEntry(SQLModel, table=True):
    """Who did what, when, on which record: one row per mutation that changed something."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_subject", "subject_type", "subject_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    actor_account_id: int | None = Field(default=None, foreign_key="account.id")
    actor_username: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=64)
    subject_type: str = Field(max_length=32)
    subject_id: int
    detail: str | None = Field(default=None, max_length=2000)
