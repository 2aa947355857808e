"""FAQ and news, written from the user guide."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from models.text import fold
from models.types import VIETNAM_TZ
from seed import reference as ref


def faq_rows() -> list[dict[str, Any]]:
    return [
        {
            "topic": topic,
            "question": question,
            "answer": answer,
            "search_text": fold(f"{topic} {question} {answer}"),
            "position": position,
        }
        for position, (topic, question, answer) in enumerate(ref.FAQS, start=1)
    ]


def news_rows() -> list[dict[str, Any]]:
    newest = datetime(2026, 10, 28, 9, 0, tzinfo=VIETNAM_TZ)
    return [
        {
            "title": title,
            "summary": summary,
            "body": body,
            "published_at": newest - timedelta(days=23 * index, hours=index),
            "video_url": video,
        }
        for index, (title, summary, body, video) in enumerate(ref.NEWS)
    ]
