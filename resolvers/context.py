"""The one typed state of an operation: who asks, its database session, loaders and access recorder.

The operation pipeline (`gateway/pipeline.py`) makes a `Context` for every operation on every
transport, and a fresh unit of work (session, loaders, access recorder) for every event of a
subscription: nothing read for one operation or event is seen by the next.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.types import Info as _Info

from auth.captcha import random_text
from auth.card_keys import CardKeys
from auth.guard import AccessRecorder
from auth.viewer import Viewer
from infra.broker import Broker
from infra.cache import Caches
from infra.hub import EventHub
from infra.outbox import Outbox
from settings import Settings

if TYPE_CHECKING:
    from resolvers.loaders import Loaders
    from resolvers.pagination import Cursors


@dataclass(slots=True)
class Runtime:
    """What lives as long as the application: configuration, the engine, the session factory."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    outbox: Outbox
    hub: EventHub
    broker: Broker
    caches: Caches
    # The e-card's signing keys (auth/card_keys.py).
    card_keys: CardKeys
    # What a new captcha says; tests swap in a known text.
    captcha_text: Callable[[], str] = random_text
    _background: set[asyncio.Task[None]] = field(default_factory=set)

    def events_committed(self) -> None:
        """A transaction that wrote events committed: wake this process's hub and the others."""
        self.hub.wake()
        task = asyncio.get_running_loop().create_task(self.broker.publish())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def outbox_wake(self) -> None:
        """A message was committed: deliver now rather than at the next poll."""
        self.outbox.wake.set()


@dataclass(slots=True)
class Context:
    """What every resolver of one operation (or one subscription event) shares."""

    # The HTTP request or the WebSocket the operation came on (headers, the client's address).
    request: Request | WebSocket
    runtime: Runtime
    session: AsyncSession
    viewer: Viewer | None
    loaders: Loaders
    # The viewer's account row (without its password hash), read with the session.
    account: Any = None
    access: AccessRecorder = field(default_factory=AccessRecorder)
    # The client's reason for reading health data (ADMIN), from the X-Ansinh-Access-Reason header.
    access_reason: str | None = None
    operation_name: str | None = None
    # "query", "mutation" or "subscription", once the document is validated (auth/gate.py).
    operation_type: str | None = None
    # A token came but it is expired or revoked: UNAUTHENTICATED says so.
    token_rejected: bool = False
    # requestCaptcha fields of this operation (aliases): one captcha per request.
    captchas_requested: int = 0
    # Which executor answered: "ordinary", or "compiled" (compiler/hook.py), for debug output.
    executor: str = "ordinary"
    # Verify mode: a plan answered too, and its answer was compared with the ordinary one.
    compared: bool = False
    # What graphql-core left running when a field failed before its siblings started: the
    # pipeline awaits it before the unit of work ends (schema/execution.py).
    background: list[Awaitable[Any]] = field(default_factory=list)
    _cursors: Cursors | None = None

    @property
    def cursors(self) -> Cursors:
        """The viewer's cursors (resolvers/pagination.py): bound to its row scope."""
        if self._cursors is None:
            from auth.scopes import scope_key
            from resolvers.pagination import Cursors

            self._cursors = Cursors.make(self.runtime.settings.secret_key, scope_key(self.viewer))
        return self._cursors


Info = _Info[Context, None]


def require_viewer(context: Context) -> Viewer:
    """The signed-in viewer, or UNAUTHENTICATED (saying so when a token was sent but is no good)."""
    from resolvers.errors import Unauthenticated

    if context.viewer is None:
        if context.token_rejected:
            raise Unauthenticated("Your session has expired or was signed out: sign in again.")
        raise Unauthenticated()
    return context.viewer
