"""The outbox of SMS and e-mail: persisted with the change, delivered later, retried on failure."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from infra.outbox import Message, Outbox, enqueue
from models.tables import outbox_t
from models.types import utcnow
from tests.conftest import Api


class FlakySender:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("SMS gateway down")
        self.sent.append(message)


async def test_outbox_failed_send_kept_and_retried_with_backoff(api: Api) -> None:
    sessions = api.app.state.runtime.sessionmaker
    async with sessions() as session:
        await enqueue(session, "sms", "0900000001", "device_otp", otp="123456")
        await session.commit()
    sender = FlakySender(failures=1)
    now = utcnow()
    outbox = Outbox(sessions, sender, clock=lambda: now)
    assert await outbox.deliver_due() == 0
    async with sessions() as session:
        row = (await session.execute(select(outbox_t).where(outbox_t.c.recipient == "0900000001"))).one()
    assert row.sent_at is None and row.attempts == 1 and "SMS gateway down" in row.last_error
    assert row.next_attempt_at > now
    # Not due yet: nothing is sent; once due, it goes out exactly once.
    assert await outbox.deliver_due() == 0
    later = Outbox(sessions, sender, clock=lambda: now + timedelta(minutes=5))
    assert await later.deliver_due() >= 1
    assert [m.params["otp"] for m in sender.sent if m.to == "0900000001"] == ["123456"]
    assert await later.deliver_due() == 0


async def test_outbox_secrets_erased_once_sent(api: Api) -> None:
    sessions = api.app.state.runtime.sessionmaker
    async with sessions() as session:
        await enqueue(
            session, "sms", "0900000002", "account_created", username="0100000002", password="Tmp-Secret-1"
        )
        await session.commit()
    sender = FlakySender(failures=0)
    await Outbox(sessions, sender).deliver_due()
    assert [m.params["password"] for m in sender.sent if m.to == "0900000002"] == ["Tmp-Secret-1"]
    async with sessions() as session:
        row = (await session.execute(select(outbox_t).where(outbox_t.c.recipient == "0900000002"))).one()
    assert row.sent_at is not None
    assert "Tmp-Secret-1" not in row.params and "Tmp-Secret-1" not in row.text
