"""Event delivery: one hub per process reads the event table once per wake-up and fans out.

Ordering and completeness: the table is the source of truth and its ids are commit order (event
inserts are serialised per transaction); a subscriber registers with the hub at the hub's current
position P, replays (after, P] from the table, then takes live events (> P) from its queue: no
gap and no duplicate at the switch. The broker only wakes hubs up; hubs also poll, so a broker
outage delays events and loses none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth.scopes import event_visible
from auth.viewer import Role, Viewer
from infra.broker import Broker
from models.tables import auth_session_t, event_t
from models.types import utcnow

log = logging.getLogger("ansinh.events")

QUEUE_SIZE = 1000
BATCH = 1000


class SubscriptionEnded(Exception):
    """Why a subscription stops: the message says what the client should do next."""

    def __init__(self, message: str, code: str, close_code: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.close_code = close_code


@dataclass(eq=False)
class Subscriber:
    viewer: Viewer
    types: frozenset[str] | None
    queue: asyncio.Queue[Any] = field(default_factory=lambda: asyncio.Queue(maxsize=QUEUE_SIZE))
    # Ids up to this one were delivered (or replayed): the live queue skips them.
    seen: int = 0
    ended: SubscriptionEnded | None = None

    def wants(self, row: Any) -> bool:
        return (self.types is None or row.type in self.types) and event_visible(self.viewer, row)


Key = tuple[str, object]


def audience(viewer: Viewer) -> Key:
    """The one fact an event must match for this viewer to possibly see it (an index key)."""
    match viewer.role:
        case Role.OFFICER if viewer.province_code is not None:
            return ("province", viewer.province_code)
        case Role.CITIZEN:
            return ("person", viewer.person_id)
        case Role.PARTNER if viewer.facility_id is not None:
            return ("facility", viewer.facility_id)
        case Role.PARTNER if viewer.agent_id is not None:
            # Agents follow their households' events: one row per agent names it (event.agent_id).
            return ("agent", viewer.agent_id)
        case Role.PARTNER:
            return ("unit", viewer.unit_id)
    return ("role", viewer.role.value)  # national officers, analysts, admins: any event


def audiences(row: Any) -> tuple[Key, ...]:
    return (
        ("role", "OFFICER"),
        ("role", "ANALYST"),
        ("role", "ADMIN"),
        ("province", row.province_code),
        ("person", row.person_id),
        ("facility", row.facility_id),
        ("unit", row.unit_id),
        ("agent", row.agent_id),
    )


class EventHub:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        broker: Broker,
        poll_interval: float = 1.0,
        session_check_interval: float = 2.0,
    ) -> None:
        self.sessions = sessions
        self.broker = broker
        self.poll_interval = poll_interval
        self.session_check_interval = session_check_interval
        self.position = 0
        self.subscribers: set[Subscriber] = set()
        # Subscribers by audience: an event touches only those who could possibly see it.
        self._index: dict[Key, set[Subscriber]] = {}
        self._wake = asyncio.Event()
        # Set by `stop`: the loops end between their rounds rather than in a statement.
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._started: asyncio.Future[None] | None = None

    async def start(self) -> None:
        if self._started is None:
            self._started = asyncio.get_running_loop().create_future()
            try:
                async with self.sessions() as session:
                    self.position = int(
                        await session.scalar(select(func.coalesce(func.max(event_t.c.id), 0))) or 0
                    )
                self._tasks = [
                    asyncio.create_task(self._pump(), name="event-pump"),
                    asyncio.create_task(self._listen(), name="event-broker"),
                    asyncio.create_task(self._check_sessions(), name="event-sessions"),
                ]
                self._started.set_result(None)
            except BaseException as exc:
                self._started.set_exception(exc)
                self._started = None
                raise
        await self._started

    async def stop(self, grace: float = 1.0) -> None:
        """Ends the loops after the round under way (a statement cut short leaves a connection
        that the pool discards, loudly); what takes longer than `grace` is cancelled."""
        self._stopping.set()
        self._wake.set()
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            if task.get_name() == "event-broker":
                task.cancel()  # it waits on the broker, not the database: nothing to finish
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._started = None
        self._stopping = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def _listen(self) -> None:
        try:
            async for _ in self.broker.listen():
                self._wake.set()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("event broker listener stopped; polling only")

    async def _pump(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                await self.read_new()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be away: keep polling
                log.warning("event pump: %s", exc)

    async def read_new(self) -> None:
        while True:
            async with self.sessions() as session:
                rows = (
                    await session.execute(
                        select(event_t)
                        .where(event_t.c.id > self.position)
                        .order_by(event_t.c.id)
                        .limit(BATCH)
                    )
                ).all()
            for position, row in enumerate(rows):
                self.position = row.id
                self._dispatch(row)
                if position % 50 == 49:
                    await asyncio.sleep(0)  # let subscribers drain between chunks of a burst
            if len(rows) < BATCH:
                return

    def _dispatch(self, row: Any) -> None:
        index = self._index
        for key in audiences(row):
            for subscriber in index.get(key, ()):
                self._offer(subscriber, row)

    def _offer(self, subscriber: Subscriber, row: Any) -> None:
        if subscriber.ended is not None or row.id <= subscriber.seen or not subscriber.wants(row):
            return
        try:
            subscriber.queue.put_nowait(row)
        except asyncio.QueueFull:
            subscriber.ended = SubscriptionEnded(
                "This subscription fell too far behind and was closed; subscribe again with `after` "
                "set to the cursor of the last event received.",
                "SLOW_CONSUMER",
            )
            self._kick(subscriber)

    def _kick(self, subscriber: Subscriber) -> None:
        # Make room for the wake-up: what is queued will not be delivered anyway.
        with contextlib.suppress(asyncio.QueueEmpty):
            while subscriber.queue.full():
                subscriber.queue.get_nowait()
        subscriber.queue.put_nowait(None)

    async def _check_sessions(self) -> None:
        """Expired, revoked or signed-out sessions close their subscriptions.

        One indexed query per round for the sessions that ended since the last round, whatever
        the number of subscribers (a session must be valid to subscribe at all).
        """
        since = utcnow() - timedelta(seconds=self.session_check_interval * 2)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.session_check_interval)
            if self._stopping.is_set():
                return
            now = utcnow()
            watched = {s.viewer.session_id for s in self.subscribers if s.viewer.session_id is not None}
            if not watched:
                since = now
                continue
            try:
                async with self.sessions() as session:
                    rows = (
                        await session.execute(
                            select(auth_session_t.c.id, auth_session_t.c.revoked_at).where(
                                or_(
                                    auth_session_t.c.revoked_at >= since,
                                    and_(
                                        auth_session_t.c.expires_at > since,
                                        auth_session_t.c.expires_at <= now,
                                    ),
                                )
                            )
                        )
                    ).all()
            except Exception as exc:
                log.warning("session check: %s", exc)
                continue
            # The next round looks back a little: a revocation committed during this one counts.
            since = now - timedelta(seconds=1)
            ended = {r.id: r.revoked_at is not None for r in rows if r.id in watched}
            if not ended:
                continue
            for subscriber in list(self.subscribers):
                revoked = ended.get(subscriber.viewer.session_id)  # type: ignore[arg-type]
                if revoked is None or subscriber.ended is not None:
                    continue
                subscriber.ended = (
                    SubscriptionEnded("Signed out: this session was ended.", "UNAUTHENTICATED", 4403)
                    if revoked
                    else SubscriptionEnded("The session expired: sign in again.", "UNAUTHENTICATED", 4401)
                )
                self._kick(subscriber)

    async def stream(
        self, viewer: Viewer, types: frozenset[str] | None, after: int | None
    ) -> AsyncIterator[Any]:
        await self.start()
        subscriber = Subscriber(viewer=viewer, types=types)
        # Registering and reading the position happen with no await in between: atomic for the pump.
        start = self.position
        subscriber.seen = max(start, after or 0)
        self.subscribers.add(subscriber)
        key = audience(viewer)
        self._index.setdefault(key, set()).add(subscriber)
        try:
            if after is not None and after < start:
                async for row in self._replay(subscriber, after, start):
                    yield row
            while True:
                item = await subscriber.queue.get()
                if subscriber.ended is not None:
                    raise subscriber.ended
                if item is None:
                    continue
                yield item
        finally:
            self.subscribers.discard(subscriber)
            members = self._index.get(key)
            if members is not None:
                members.discard(subscriber)
                if not members:
                    del self._index[key]

    async def _replay(self, subscriber: Subscriber, after: int, until: int) -> AsyncIterator[Any]:
        position = after
        while position < until:
            async with self.sessions() as session:
                rows = (
                    await session.execute(
                        select(event_t)
                        .where(event_t.c.id > position, event_t.c.id <= until)
                        .order_by(event_t.c.id)
                        .limit(BATCH)
                    )
                ).all()
            if not rows:
                return
            for row in rows:
                position = row.id
                if subscriber.ended is not None:
                    raise subscriber.ended
                if subscriber.wants(row):
                    yield row

    async def exists(self, event_id: int) -> bool:
        async with self.sessions() as session:
            found = await session.scalar(select(event_t.c.id).where(event_t.c.id == event_id))
        return found is not None
