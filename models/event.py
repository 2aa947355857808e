from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from models.types import UtcDateTime


class Event(SQLModel, table=True):
    """The transactional outbox of changes; its id is the subscription cursor (commit order).

    The scope facts (person, province, facility, unit) are copied in so that subscribers are
    filtered by the access policy without loading the subject.
    """

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_type", "type", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    type: str = Field(max_length=32)
    occurred_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    subject_type: str = Field(max_length=32)
    subject_id: int
    person_id: int | None = None
    province_code: str | None = Field(default=None, max_length=2)
    facility_id: int | None = None
    unit_id: int | None = None
    # A household event's collection agent (one row per agent of the household's ward, so an agent
    # is told once): agents are no province's, person's, facility's or unit's audience.
    agent_id: int | None = None
