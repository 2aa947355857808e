from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from models.types import UtcDateTime


class Faq(SQLModel, table=True):
    __tablename__ = "faq"
    __table_args__ = (Index("ix_faq_order", "position", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    topic: str | None = Field(default=None, max_length=100)
    question: str = Field(max_length=500)
    answer: str = Field(max_length=4000)
    # Question, answer and topic without diacritics: what FAQ search compares against.
    search_text: str = Field(max_length=5000)
    position: int = Field(default=0)


class NewsArticle(SQLModel, table=True):
    __tablename__ = "news_article"
    __table_args__ = (Index("ix_news_newest", "published_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300, unique=True)
    summary: str | None = Field(default=None, max_length=1000)
    body: str = Field(max_length=20000)
    published_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    video_url: str | None = Field(default=None, max_length=500)


class Feedback(SQLModel, table=True):
    """Phản ánh, kiến nghị: stored with a reference number the sender can quote."""

    __tablename__ = "feedback"

    id: int | None = Field(default=None, primary_key=True)
    reference_number: str = Field(max_length=20, unique=True)
    full_name: str = Field(max_length=120)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=15)
    topic: str = Field(max_length=100)
    content: str = Field(max_length=5000)
    submitted_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
