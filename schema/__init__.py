"""The assembled GraphQL schema."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from schema.root import Query
from schema.scalars import SCALARS

schema = strawberry.Schema(query=Query, config=StrawberryConfig(scalar_map=SCALARS))
