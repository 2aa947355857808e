from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from models.types import UtcDateTime


class Revision(SQLModel, table=True):
    """A correction or a void of an entered record (period, visit, benefit): who, when, why, and
    each changed field's value before and after (`changes`: a JSON list of [field, before, after],
    values as the API shows them)."""

    __tablename__ = "revision"
    __table_args__ = (Index("ix_revision_subject", "subject_type", "subject_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    subject_type: str = Field(max_length=32)
    subject_id: int
    person_id: int = Field(foreign_key="person.id")
    revised_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    revised_by: str = Field(max_length=64)
    reason: str = Field(max_length=500)
    voided: bool = Field(default=False)
    changes: str = Field(max_length=20000)
