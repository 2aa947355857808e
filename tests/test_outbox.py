"""The outbox of SMS and e-mail: persisted with the change, delivered later, retried on failure."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import PendingRollbackError

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


class InterruptedSession:
    """A session whose statement never returns, and which answers cancellation with an error of its
    own, as a driver may when the statement's connection is torn down under it."""

    bind = None

    def __init__(self, entered: asyncio.Event) -> None:
        self.entered = entered

    async def __aenter__(self) -> InterruptedSession:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    async def execute(self, *_: object, **__: object) -> None:
        self.entered.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise PendingRollbackError("Can't reconnect until invalid transaction is rolled back") from None

    async def rollback(self) -> None:
        return None


async def test_outbox_cancelled_mid_statement_stops() -> None:
    entered = asyncio.Event()
    outbox = Outbox(lambda: InterruptedSession(entered), FlakySender(failures=0))  # type: ignore[arg-type]
    task = asyncio.create_task(outbox.run(interval=0.01))
    await asyncio.wait_for(entered.wait(), 5)
    task.cancel()
    # Before: the loop took the driver's error for a failed pass and went on, for ever.
    done, _ = await asyncio.wait([task], timeout=5)
    assert done and task.cancelled()


async def test_outbox_failed_session_rolled_back_and_next_pass_delivers(api: Api) -> None:
    sessions = api.app.state.runtime.sessionmaker
    async with sessions() as session:
        await enqueue(session, "sms", "0900000003", "device_otp", otp="654321")
        await session.commit()
    rolled_back: list[bool] = []

    class FailsOnce:
        """The first session breaks on its first statement (a connection lost mid-transaction)."""

        def __init__(self) -> None:
            self.failed = False

        def __call__(self) -> Any:
            session = sessions()
            if not self.failed:
                self.failed = True
                rollback = session.rollback

                async def broken(*_: object, **__: object) -> None:
                    raise PendingRollbackError("This Session's transaction has been rolled back")

                async def spied() -> None:
                    rolled_back.append(True)
                    await rollback()

                session.execute = broken  # type: ignore[method-assign]
                session.rollback = spied  # type: ignore[method-assign]
            return session

    sender = FlakySender(failures=0)
    outbox = Outbox(FailsOnce(), sender)  # type: ignore[arg-type]
    task = asyncio.create_task(outbox.run(interval=0.01))
    try:
        for _ in range(500):
            if any(m.to == "0900000003" for m in sender.sent):
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=5)
    assert done and task.cancelled()
    assert rolled_back == [True]
    assert [m.params["otp"] for m in sender.sent if m.to == "0900000003"] == ["654321"]
