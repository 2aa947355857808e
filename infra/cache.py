"""Caches of signed-in reads: the session behind a token, and the answers of read-only queries.

A citizen opening the app asks the same questions again and again (home, card, history), and
every answer was the same until something it read was written. Both caches are invalidated by
table: every committed transaction names the tables it wrote (models/engine.py), which bumps
their versions here at once (before the writer's answer is sent, so a client reads its own
writes) and, through the broker, in every other process. An entry remembers the tables its
answer was read from and when it was filled; it is dead as soon as one of them was written
after that. A time limit (`ttl`) bounds what no transaction of ours announces (a database edited
by hand, the clock: a card expiring at midnight).

What is never cached: mutations and subscriptions, answers with errors, requests that wrote
anything (findSocialInsuranceCode spends a budget, a captcha is consumed), requests that read
other people's private data (each such read goes to the access log, every time), and answers
read from tables that change with every request (the access log itself, throttles, events).

Across processes the caches are only used while the broker is connected: a process that may have
missed another's writes forgets everything and stops caching until it hears from it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from auth.viewer import Viewer
from infra.broker import Broker
from models.tables import (
    access_log_t,
    account_t,
    audit_t,
    auth_session_t,
    captcha_t,
    challenge_t,
    event_t,
    login_attempt_t,
    office_t,
    outbox_t,
    persisted_t,
    rate_event_t,
    totp_t,
)

log = logging.getLogger("ansinh.cache")

# Written by nearly every request, or read to decide something each time: an answer that read
# them is not cached, and writes to them are not announced to the other processes.
VOLATILE = frozenset(
    table.name
    for table in (
        access_log_t,
        audit_t,
        captcha_t,
        challenge_t,
        event_t,
        login_attempt_t,
        outbox_t,
        persisted_t,
        rate_event_t,
        totp_t,
    )
)
# What the viewer of a token is read from.
SESSION_TABLES = frozenset(table.name for table in (auth_session_t, account_t, office_t))


class Versions:
    """When each table was last written, on one clock that ticks at every write heard of."""

    __slots__ = ("_clock", "_written")

    def __init__(self) -> None:
        self._clock = 0
        self._written: dict[str, int] = {}

    def now(self) -> int:
        return self._clock

    def bump(self, tables: frozenset[str]) -> None:
        self._clock += 1
        for table in tables:
            self._written[table] = self._clock

    def unchanged_since(self, tables: frozenset[str], moment: int) -> bool:
        written = self._written
        if written.get("*", 0) > moment:
            return False
        return all(written.get(table, 0) <= moment for table in tables)


@dataclass(slots=True, frozen=True)
class SessionEntry:
    filled: int  # Versions clock before the row was read
    loaded: float  # monotonic time
    viewer: Viewer
    account: Any
    expires_at: Any
    generation: int  # stays the same while the viewer and the account row do


@dataclass(slots=True, frozen=True)
class AnswerEntry:
    filled: int
    loaded: float
    tables: frozenset[str]
    result: Any  # the ExecutionResult: data only, no errors
    operation_name: str | None
    size: int  # bytes of its JSON


class Caches:
    """The process's two caches and the state of the invalidation feed."""

    def __init__(
        self,
        broker: Broker,
        *,
        enabled: bool,
        ttl: float = 10.0,
        size: int = 20_000,
        answer_bytes: int = 64 * 1024,
        total_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.broker = broker
        self.enabled = enabled
        self.ttl = ttl
        self.size = size
        # Big views (an officer's list of a hundred people) are cheap to run again compared to
        # the memory they would hold; the home screens this cache is for are under a kilobyte.
        self.answer_bytes = answer_bytes
        self.total_bytes = total_bytes
        self.bytes = 0
        self.versions = Versions()
        self.sessions: dict[str, SessionEntry] = {}
        self.answers: dict[Hashable, AnswerEntry] = {}
        # A single process hears all of its own writes; several only while the broker is up.
        self.live = not broker.shared
        self._generations = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self.hits = 0
        self.misses = 0

    @property
    def usable(self) -> bool:
        return self.enabled and self.live

    # Invalidation ------------------------------------------------------------------------------

    def committed(self, tables: frozenset[str]) -> None:
        """This process committed writes to `tables`: forget, then tell the others."""
        self.versions.bump(tables)
        shared = tables - VOLATILE
        if shared and self.enabled and self.broker.shared:
            task = asyncio.get_running_loop().create_task(self.broker.publish_tables(shared))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def forget(self) -> None:
        self.versions.bump(frozenset({"*"}))
        self.sessions.clear()
        self.answers.clear()
        self.bytes = 0

    async def follow(self) -> None:
        """Applies the other processes' writes; runs as long as the application."""
        if not self.enabled or not self.broker.shared:
            return
        try:
            async for message in self.broker.listen_tables():
                if isinstance(message, bool):
                    # Connected again, or lost: whatever was written meanwhile is unknown.
                    self.forget()
                    self.live = message
                else:
                    self.versions.bump(message)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("cache invalidation feed stopped; caching off")
        finally:
            self.live = False
            self.forget()

    # The session of a token ---------------------------------------------------------------------

    def session(self, token_hash: str, now: Any) -> SessionEntry | None:
        if not self.usable:
            return None
        entry = self.sessions.get(token_hash)
        if entry is None:
            return None
        if (
            time.monotonic() - entry.loaded > self.ttl
            or entry.expires_at <= now
            or not self.versions.unchanged_since(SESSION_TABLES, entry.filled)
        ):
            del self.sessions[token_hash]
            return None
        return entry

    def keep_session(
        self, token_hash: str, filled: int, viewer: Viewer, account: Any, expires_at: Any
    ) -> SessionEntry:
        """Remembers a session read at clock `filled`; its generation changes with its content."""
        previous = self.sessions.get(token_hash)
        same = previous is not None and previous.viewer == viewer and previous.account == account
        entry = SessionEntry(
            filled=filled,
            loaded=time.monotonic(),
            viewer=viewer,
            account=account,
            expires_at=expires_at,
            generation=previous.generation if same and previous else next(self._generations),
        )
        if self.usable and self.versions.unchanged_since(SESSION_TABLES, filled):
            self._bound(self.sessions)
            self.sessions[token_hash] = entry
        return entry

    # Answers ------------------------------------------------------------------------------------

    def answer(self, key: Hashable) -> AnswerEntry | None:
        if not self.usable:
            return None
        entry = self.answers.get(key)
        if entry is None:
            self.misses += 1
            return None
        if time.monotonic() - entry.loaded > self.ttl or not self.versions.unchanged_since(
            entry.tables, entry.filled
        ):
            self._drop(key)
            self.misses += 1
            return None
        self.hits += 1
        return entry

    def keep_answer(
        self,
        key: Hashable,
        filled: int,
        tables: frozenset[str],
        result: Any,
        operation_name: str | None,
        size: int,
    ) -> None:
        if (
            not self.usable
            or size > self.answer_bytes
            or tables & VOLATILE
            or not self.versions.unchanged_since(tables, filled)
        ):
            return
        self._drop(key)
        while self.answers and (len(self.answers) >= self.size or self.bytes + size > self.total_bytes):
            self._drop(next(iter(self.answers)))
        self.answers[key] = AnswerEntry(filled, time.monotonic(), tables, result, operation_name, size)
        self.bytes += size

    def _drop(self, key: Hashable) -> None:
        entry = self.answers.pop(key, None)
        if entry is not None:
            self.bytes -= entry.size

    def _bound(self, entries: dict[Any, Any]) -> None:
        # Oldest first: dictionaries keep insertion order, and an entry found dead is deleted, so
        # its replacement goes to the end.
        while len(entries) >= self.size:
            entries.pop(next(iter(entries)))

    async def close(self) -> None:
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await task
