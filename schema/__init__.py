"""The assembled GraphQL schema."""

from __future__ import annotations

import json

import strawberry
from graphql import GraphQLInterfaceType, GraphQLUnionType, lexicographic_sort_schema, print_schema
from strawberry.extensions import ParserCache, ValidationCache
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
    # Parsing and validating a small query costs more than executing it: both are cached by the
    # query's text (bounded LRU, 128 entries; the documents are immutable, so sharing is safe).
    # ValidationCache must come before OperationGate: it assigns pre_execution_errors (the
    # cached validation result), and the gate, running after it, replaces that with its own
    # refusal. In the other order the cache would overwrite the gate's refusal.
    extensions=[ParserCache, ValidationCache, OperationGate, *tracing_extensions()],
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
