from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from models.types import UtcDateTime


class PersistedQuery(SQLModel, table=True):
    """Automatic persisted queries (Apollo's protocol), shared by every worker.

    `allowed` marks the operations of the allow-list: in production, partner accounts may run
    only those (registered by operators with `ansinh allow-query`).
    """

    __tablename__ = "persisted_query"

    sha256: str = Field(primary_key=True, max_length=64)
    query: str = Field(sa_column=Column(Text, nullable=False))
    allowed: bool = Field(default=False)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
