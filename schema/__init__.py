"""The assembled GraphQL schema."""

from __future__ import annotations

import json

import strawberry
from graphql import (
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLUnionType,
    lexicographic_sort_schema,
    print_schema,
)
from strawberry.extensions import ParserCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from auth.gate import OperationGate
from auth.guard import open_field
from compiler.hook import CompiledQueries
from observability import tracing_extensions
from schema.event import Subscription
from schema.execution import Executor
from schema.root import Mutation, Query
from schema.scalars import SCALARS


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Nothing here: the pipeline logs every error once, at the level its code deserves
        (gateway/errors.py), where strawberry would log each with a traceback."""


schema = Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    config=StrawberryConfig(scalar_map=SCALARS, default_resolver=open_field),
    # Siblings run to their end even when one fails (schema/execution.py).
    execution_context_class=Executor,
    # Parsing and validating a small query costs more than executing it: both are cached by the
    # query's text (bounded LRU, 128 entries; the documents are immutable, so sharing is safe).
    # The gate validates (cached) after its limits: validation's time grows with the square of
    # the fields, so a document the limits refuse is never validated.
    # A query the compiler takes is answered from its plan (compiler/), after the gate.
    extensions=[ParserCache, OperationGate, CompiledQueries, *tracing_extensions()],
)


def export_schema() -> str:
    """The SDL that `schema.graphql` holds. Sorted, so that the file does not depend on the order in
    which modules happened to load."""
    return print_schema(lexicographic_sort_schema(schema._schema)) + "\n"


def export_possible_types() -> str:
    """Every interface and union with the object types it may be: what Apollo Client's
    `possibleTypes` option takes, so that fragments on `Node` and on the result unions match.
    `possibleTypes.json` is that output."""
    graphql_schema = schema._schema
    possible = {
        name: sorted(t.name for t in graphql_schema.get_possible_types(kind))
        for name, kind in sorted(graphql_schema.type_map.items())
        if isinstance(kind, GraphQLInterfaceType | GraphQLUnionType) and not name.startswith("__")
    }
    return json.dumps(possible, indent=2) + "\n"
