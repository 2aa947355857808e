"""The outbox of SMS and e-mail: enqueued in the transaction of the change, delivered with retries."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.tables import outbox_t
from models.types import utcnow

log = logging.getLogger("ansinh.outbox")

# SMS are sent without diacritics, as carriers' gateways expect; e-mails keep them.
TEMPLATES: dict[str, dict[str, str]] = {
    "account_created": {
        "sms": "BHXH VN: Tai khoan giao dich dien tu da duoc cap. Ten dang nhap: {username}. "
        "Mat khau: {password}. Doi mat khau khi dang nhap lan dau.",
        "email": "Tài khoản giao dịch điện tử với cơ quan BHXH của Ông/Bà đã được cấp.\n"
        "Tên đăng nhập: {username}\nMật khẩu: {password}\n"
        "Ông/Bà phải đổi mật khẩu ở lần đăng nhập đầu tiên và ít nhất 6 tháng một lần.",
    },
    "registration_rejected": {
        "sms": "BHXH VN: To khai dang ky giao dich dien tu {reference} khong duoc chap nhan. Ly do: {reason}",
        "email": "Tờ khai đăng ký giao dịch điện tử số {reference} không được chấp nhận.\nLý do: {reason}",
    },
    "device_otp": {
        "sms": "BHXH VN: Ma OTP xac nhan dang nhap tren thiet bi moi: {otp}. Hieu luc 5 phut. "
        "Khong cung cap ma nay cho bat ky ai.",
    },
    "password_reset_otp": {
        "sms": "BHXH VN: Ma OTP dat lai mat khau: {otp}. Hieu luc 5 phut. "
        "Khong cung cap ma nay cho bat ky ai.",
    },
}


# Templates whose values are secrets (a temporary password, an OTP): once sent, the outbox row
# keeps who and when, not what.
SECRET_TEMPLATES = frozenset({"account_created", "device_otp", "password_reset_otp"})


async def enqueue(session: AsyncSession, channel: str, to: str, template: str, **params: str) -> None:
    """Adds a message in the caller's transaction: it exists if and only if the change commits."""
    text = TEMPLATES[template][channel].format(**params)
    now = utcnow()
    await session.execute(
        insert(outbox_t).values(
            channel=channel,
            recipient=to,
            template=template,
            params=json.dumps(params, ensure_ascii=False),
            text=text,
            created_at=now,
            next_attempt_at=now,
        )
    )


@dataclass(frozen=True, slots=True)
class Message:
    channel: str
    to: str
    template: str
    params: dict[str, Any]
    text: str


class Sender(Protocol):
    async def send(self, message: Message) -> None: ...


class MessageLogSender:
    """Development: each message is one JSON line in a file (or the server log)."""

    def __init__(self, path: str | None) -> None:
        self.path = Path(path) if path else None

    async def send(self, message: Message) -> None:
        line = json.dumps(
            {
                "channel": message.channel,
                "to": message.to,
                "template": message.template,
                "params": message.params,
                "text": message.text,
                "sentAt": utcnow().isoformat(),
            },
            ensure_ascii=False,
        )
        if self.path is None:
            log.info("message %s", line)
            return
        await asyncio.to_thread(self._append, line)

    def _append(self, line: str) -> None:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")


# How long a failed pass may take to roll back (the database may be the thing that is away).
ROLLBACK_SECONDS = 2.0


@contextlib.asynccontextmanager
async def _rolled_back_on_error(session: AsyncSession) -> AsyncIterator[None]:
    """A failed statement leaves the session's transaction to be rolled back before its connection
    goes back to the pool: without that, the next pass may be handed a broken one."""
    try:
        yield
    except Exception:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(ROLLBACK_SECONDS):
                await session.rollback()
        raise


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 2**attempts))


class Outbox:
    """Delivers due messages; every worker may run it (rows are claimed before sending)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sender: Sender,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.clock = clock
        self.wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def deliver_due(self, batch: int = 50) -> int:
        delivered = 0
        async with self.sessions() as session, _rolled_back_on_error(session):
            now = self.clock()
            statement = (
                select(outbox_t)
                .where(outbox_t.c.sent_at.is_(None), outbox_t.c.next_attempt_at <= now)
                .order_by(outbox_t.c.id)
                .limit(batch)
            )
            if session.bind is not None and session.bind.dialect.name == "postgresql":
                statement = statement.with_for_update(skip_locked=True)
            rows = (await session.execute(statement)).all()
            for row in rows:
                message = Message(row.channel, row.recipient, row.template, json.loads(row.params), row.text)
                try:
                    await self.sender.send(message)
                except Exception as exc:  # any sender failure: retry later, keep the message
                    await session.execute(
                        update(outbox_t)
                        .where(outbox_t.c.id == row.id)
                        .values(
                            attempts=row.attempts + 1,
                            next_attempt_at=now + backoff(row.attempts + 1),
                            last_error=f"{type(exc).__name__}: {exc}"[:500],
                        )
                    )
                    log.warning("outbox: message %s not sent (%s); retrying", row.id, exc)
                    continue
                sent: dict[str, Any] = {"sent_at": now, "attempts": row.attempts + 1}
                if row.template in SECRET_TEMPLATES:
                    sent.update(params="{}", text="(sent; the content held a secret and was erased)")
                await session.execute(update(outbox_t).where(outbox_t.c.id == row.id).values(**sent))
                delivered += 1
            await session.commit()
        return delivered

    async def run(self, interval: float = 1.0) -> None:
        """Delivers until cancelled. A failed pass (the database away, a broken connection) is
        rolled back, logged and tried again; cancellation always ends the loop, also when a
        database call it interrupted fails with an exception of its own instead."""
        failures = 0
        while not self._stopping.is_set():
            try:
                while not self._stopping.is_set() and await self.deliver_due():
                    pass
                failures = 0
            except Exception as exc:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError from exc
                failures += 1
                # The whole traceback once; while the database stays away, one line a pass.
                log.warning(
                    "outbox: delivery pass failed (%s: %s); retrying",
                    type(exc).__name__,
                    str(exc).splitlines()[0] if str(exc) else "",
                    exc_info=failures == 1,
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=interval)
            self.wake.clear()

    def start(self) -> None:
        """Runs the delivery loop in the background until `stop`."""
        self._stopping.clear()
        self._task = asyncio.create_task(self.run(), name="outbox")

    async def stop(self, grace: float = 2.0) -> None:
        """Ends the loop after the pass under way (a pass cut short mid-statement leaves a
        connection the pool must discard, loudly); cancelled if it takes longer than `grace`."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        self.wake.set()
        _, pending = await asyncio.wait({task}, timeout=grace)
        for late in pending:
            late.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await late
