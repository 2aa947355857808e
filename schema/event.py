"""Subscriptions: every event the subscriber may see, in commit order, resumable."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLError

from infra.hub import SubscriptionEnded
from models.tables import event_t
from resolvers.context import Info, require_viewer
from resolvers.errors import BadUserInput
from resolvers.node import node_row
from resolvers.pagination import Cursors, Ordering
from schema.enums import EventType
from schema.node import Node, global_id

EVENT_ORDER = Ordering("event", (event_t.c.id,), kinds=("int",))


@strawberry.type(description="A change: pass its cursor as `after` to continue with no gap.")
class Event:
    _row: strawberry.Private[Any]
    cursor: str
    type: EventType
    occurred_at: datetime
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


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Every event the subscriber may see, in commit order. With `after`, first replays what was missed."
    )
    async def events(
        self, info: Info, types: list[EventType] | None = None, after: str | None = None
    ) -> AsyncGenerator[Event, None]:
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
        wanted = frozenset(t.value for t in types) if types else None
        try:
            async for row in hub.stream(viewer, wanted, after_id):
                yield Event.of(row, context.cursors)
        except SubscriptionEnded as ended:
            if ended.close_code is not None:
                websocket = context.request
                close = getattr(websocket, "close", None)
                if close is not None:
                    await close(code=ended.close_code, reason=str(ended))
            raise GraphQLError(str(ended), extensions={"code": ended.code}) from None
