"""The assembled GraphQL schema."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from auth.gate import OperationGate
from auth.guard import open_field
from observability import tracing_extensions
from schema.event import Subscription
from schema.root import Mutation, Query
from schema.scalars import SCALARS

schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    config=StrawberryConfig(scalar_map=SCALARS, default_resolver=open_field),
    extensions=[OperationGate, *tracing_extensions()],
)
