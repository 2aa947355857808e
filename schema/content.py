from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from resolvers import content as resolve
from resolvers.context import Info
from resolvers.outcomes import Invalid
from schema.arguments import INPUT, After, First, Search
from schema.errors import InvalidInput
from schema.node import Node, global_id
from schema.pagination import Connection, connection


@strawberry.type(description="Câu hỏi thường gặp.")
class Faq(Node):
    question: str = strawberry.field(description="Câu hỏi.")
    answer: str = strawberry.field(description="Trả lời.")
    topic: str | None = strawberry.field(description="Chủ đề, e.g. BHYT; null if none.")

    @classmethod
    def from_row(cls, row: Any) -> Faq:
        return cls(id=global_id("Faq", row.id), question=row.question, answer=row.answer, topic=row.topic)


@strawberry.type(description="Tin tức; videos are articles with a videoUrl.")
class NewsArticle(Node):
    title: str = strawberry.field(description="Tiêu đề.")
    summary: str | None = strawberry.field(description="Tóm tắt; null if none.")
    body: str = strawberry.field(description="Nội dung (plain text).")
    published_at: datetime = strawberry.field(description="Ngày đăng (Vietnam time).")
    video_url: str | None = strawberry.field(description="The video of a video article; null for text.")

    @classmethod
    def from_row(cls, row: Any) -> NewsArticle:
        return cls(
            id=global_id("NewsArticle", row.id),
            title=row.title,
            summary=row.summary,
            body=row.body,
            published_at=row.published_at,
            video_url=row.video_url,
        )


@strawberry.type
class ContentQuery:
    @strawberry.field(description="Frequently asked questions; search ignores diacritics and case.")
    async def faqs(
        self, info: Info, search: Search = None, first: First = None, after: After = None
    ) -> Connection[Faq]:
        return connection(await resolve.faqs(info.context, search, first, after), Faq.from_row)

    @strawberry.field(description="News, newest first.")
    async def news(self, info: Info, first: First = None, after: After = None) -> Connection[NewsArticle]:
        return connection(await resolve.news(info.context, first, after), NewsArticle.from_row)


@strawberry.input(description="Gửi câu hỏi, phản ánh, kiến nghị: an e-mail or a mobile number is required.")
class SubmitFeedbackInput:
    full_name: str = strawberry.field(description="Họ và tên.")
    email: str | None = strawberry.field(
        default=None, description="For the answer; this or phone is required."
    )
    phone: str | None = strawberry.field(
        default=None, description="Mobile number for the answer; this or email is required."
    )
    topic: str = strawberry.field(description="Lĩnh vực, e.g. BHYT, BHXH.")
    content: str = strawberry.field(description="Nội dung (at most 5000 characters).")
    captcha_id: strawberry.ID = strawberry.field(description="A captcha's id (the `captcha` query).")
    captcha_answer: str = strawberry.field(description="The characters of that captcha image.")


@strawberry.type(description="Received: quote the reference number when following up.")
class SubmitFeedbackSuccess:
    reference_number: str = strawberry.field(description='Such as "PA-2026-000123".')


SubmitFeedbackResult = Annotated[
    SubmitFeedbackSuccess | InvalidInput,
    strawberry.union(
        "SubmitFeedbackResult",
        description="What submitFeedback answers: its success, or every problem of the input (InvalidInput).",
    ),
]


@strawberry.type
class ContentMutation:
    @strawberry.mutation(
        description=(
            "Phản ánh, kiến nghị. A captcha is required; every bad field is listed at once (InvalidInput). "
            "More than 5 accepted submissions an hour from one address: the error RATE_LIMITED, with "
            "extensions.retryAfterSeconds."
        )
    )
    async def submit_feedback(
        self, info: Info, input: Annotated[SubmitFeedbackInput, INPUT]
    ) -> SubmitFeedbackResult:
        outcome = await resolve.submit_feedback(
            info.context,
            input.full_name,
            input.email,
            input.phone,
            input.topic,
            input.content,
            input.captcha_id,
            input.captcha_answer,
        )
        if isinstance(outcome, Invalid):
            return InvalidInput.of(outcome)
        return SubmitFeedbackSuccess(reference_number=outcome)
