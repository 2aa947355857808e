from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index
from sqlmodel import Field, SQLModel

from models.types import UtcDateTime


class OutboxMessage(SQLModel, table=True):
    """An SMS or e-mail to send: written in the transaction of the change that causes it, then
    delivered (and retried) by the sender loop, so nothing is lost while a gateway is down."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint("channel IN ('sms', 'email')", name="ck_outbox_channel"),
        Index("ix_outbox_due", "sent_at", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=5)
    recipient: str = Field(max_length=254)
    template: str = Field(max_length=64)
    # JSON of the template's values (the one-time password, the OTP ...).
    params: str = Field(max_length=4000)
    text: str = Field(max_length=2000)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    next_attempt_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    attempts: int = Field(default=0)
    sent_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    last_error: str | None = Field(default=None, max_length=500)
