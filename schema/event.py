"""Subscriptions: every event the subscriber may see, in commit order, resumable."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from types import SimpleNamespace
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError

from auth.scopes import event_visible
from auth.viewer import Viewer
from infra.hub import SubscriptionEnded
from models.tables import event_t
from resolvers.context import Context, Info, require_viewer
from resolvers.errors import BadUserInput
from resolvers.node import node_row
from resolvers.pagination import Cursors, Ordering
from schema.enums import EventType
from schema.node import Node, global_id

EVENT_ORDER = Ordering("event", (event_t.c.id,), kinds=("int",))


@strawberry.type(description="A change: pass its cursor as `after` to continue with no gap.")
class Event:
    _row: strawberry.Private[Any]
    cursor: str = strawberry.field(description="Opaque; pass it as `after` to resume right after this event.")
    type: EventType = strawberry.field(description="What changed.")
    occurred_at: datetime = strawberry.field(
        description="When the change was committed (Vietnam time, +07:00)."
    )
    subject_id: strawberry.ID = strawberry.field(
        description="Global id of the registration/card/period/visit/benefit."
    )

    @strawberry.field(description="That object, visible only as far as the subscriber may see it.")
    async def node(self, info: Info) -> Node | None:
        from schema.root import WRAPPERS

        # The event's own unit of work (gateway/pipeline.py): a fresh session, loaders and access
        # recorder for every event, flushed to the access log before the event is sent.
        context = info.context
        subject_type, pk = self._row.subject_type, self._row.subject_id
        row = await node_row(context, subject_type, pk)
        wrap = WRAPPERS.get(subject_type)
        return wrap(context, row) if row is not None and wrap is not None else None

    @classmethod
    def of(cls, row: Any, cursors: Cursors) -> Event:
        return cls(
            _row=row,
            cursor=cursors.seal(EVENT_ORDER, (row.id,)),
            type=row.type,  # the stored value: serialised by lookup, not by a scan of members
            occurred_at=row.occurred_at,
            subject_id=global_id(row.subject_type, row.subject_id),
        )


def never_visible(viewer: Viewer, kinds: list[str]) -> list[str]:
    """The event types of `kinds` this viewer can never see: not even an event of the viewer's own
    province, person, hospital or unit (the access policy's own test, auth.scopes.event_visible,
    asked about the most favourable event there could be)."""
    own = SimpleNamespace(
        province_code=viewer.province_code,
        person_id=viewer.person_id,
        facility_id=viewer.facility_id,
        unit_id=viewer.unit_id,
        agent_id=viewer.agent_id,
    )
    return [kind for kind in kinds if not event_visible(viewer, SimpleNamespace(type=kind, **vars(own)))]


@strawberry.type(description="Live events for partner systems and staff, over WebSocket.")
class Subscription:
    @strawberry.subscription(
        description="Every event the subscriber may see, in commit order. With `after`, first replays what was missed."
    )
    async def events(
        self,
        info: Info,
        types: Annotated[
            list[EventType] | None,
            strawberry.argument(
                description="Only events of these types (all the account may see if left out). A type the "
                "account can never see is refused (FORBIDDEN), not silently empty."
            ),
        ] = None,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="The `cursor` of the last event received: what came after it is replayed "
                "first, then live events follow, with no gap. A cursor that names no event is refused."
            ),
        ] = None,
    ) -> AsyncGenerator[Event, None]:
        # Checked before the stream exists: a refused request is one `error` message (the
        # protocol's answer to an operation that cannot start), not a `next` and a `complete`.
        context = info.context
        viewer = require_viewer(context)
        hub = context.runtime.hub
        after_id: int | None = None
        if after is not None:
            (after_id,) = context.cursors.open(EVENT_ORDER, after)
            if not await hub.exists(after_id):
                raise BadUserInput(
                    "after: no event has this cursor; pass the cursor of an event received.", "after"
                )
        if types:
            refused = never_visible(viewer, [t.value for t in types])
            if refused:
                raise GraphQLError(
                    f"types: a {viewer.role.value} account never sees {', '.join(refused)} events; "
                    "ask for the others (or leave out `types` for every event this account may see).",
                    extensions={"code": "FORBIDDEN", "argument": "types"},
                )
        wanted = frozenset(t.value for t in types) if types else None
        return _events(context, viewer, wanted, after_id)


async def _events(
    context: Context, viewer: Viewer, wanted: frozenset[str] | None, after_id: int | None
) -> AsyncGenerator[Event, None]:
    try:
        async for row in context.runtime.hub.stream(viewer, wanted, after_id):
            yield Event.of(row, context.cursors)
    except SubscriptionEnded as ended:
        if ended.close_code is not None:
            websocket = context.request
            close = getattr(websocket, "close", None)
            if close is not None:
                await close(code=ended.close_code, reason=str(ended))
        raise GraphQLError(str(ended), extensions={"code": ended.code}) from None
