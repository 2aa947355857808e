"""Limits on a query's shape, checked before execution: depth, aliases, directives and cost.

The cost counts every field once, multiplied by the page sizes (`first`) of the lists above it,
so it estimates how many values the response can hold: `units(first: 100) { nodes {
employees(first: 100) { nodes { id } } } }` costs about 20,000.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from graphql.language import Visitor, visit


@dataclass(frozen=True, slots=True)
class Limits:
    depth: int
    aliases: int
    directives: int
    cost: int


PUBLIC = Limits(depth=12, aliases=30, directives=20, cost=20_000)
STAFF = Limits(depth=16, aliases=100, directives=50, cost=250_000)
# Connection fields without `first` still return a page: what they cost by default.
LIST_ARGUMENT = "first"
# The limits are checked before validation, so `first` may be any literal or variable: one beyond
# GraphQL's 32-bit Int (refused by validation anyway) counts as the largest Int, and the cost stops
# at the largest integer every JSON client reads exactly (it is shown in `extensions.cost`).
# What a connection returns when `first` is not given (resolvers/pagination.py reads it too).
DEFAULT_PAGE = 20
MAX_PAGE = 2**31 - 1
MAX_COST = 2**53 - 1


@dataclass(slots=True)
class Shape:
    depth: int = 0
    aliases: int = 0
    directives: int = 0
    cost: int = 0


class _Counter(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.aliases = 0
        self.directives = 0

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.alias is not None:
            self.aliases += 1

    def enter_directive(self, *_: Any) -> None:
        self.directives += 1


def _page_size(field: FieldNode, variables: dict[str, Any]) -> int:
    for argument in field.arguments or ():
        if argument.name.value != LIST_ARGUMENT:
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return min(max(0, int(value.value)), MAX_PAGE)
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            return min(max(0, given), MAX_PAGE) if isinstance(given, int) else DEFAULT_PAGE
        return DEFAULT_PAGE
    # A connection asked without `first` still returns a default page.
    selections = field.selection_set.selections if field.selection_set is not None else ()
    if any(isinstance(s, FieldNode) and s.name.value in ("nodes", "edges") for s in selections):
        return DEFAULT_PAGE
    return 1


def measure(document: DocumentNode, operation_name: str | None, variables: dict[str, Any] | None) -> Shape:
    variables = variables or {}
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = next(
        (
            o
            for o in operations
            if operation_name is None or (o.name is not None and o.name.value == operation_name)
        ),
        None,
    )
    shape = Shape()
    counter = _Counter()
    visit(document, counter)
    shape.aliases, shape.directives = counter.aliases, counter.directives
    if chosen is None:
        return shape

    def walk(selection_set: SelectionSetNode, depth: int, seen: frozenset[str]) -> tuple[int, int]:
        """(cost, depth) of a selection set."""
        cost, deepest = 0, depth
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__") and selection.selection_set is None:
                    continue
                # Introspection's `ofType` chains (how GraphiQL reads wrapped types) are not nesting.
                step = 0 if selection.name.value == "ofType" else 1
                child_cost, child_depth = (0, depth + step)
                if selection.selection_set is not None:
                    child_cost, child_depth = walk(selection.selection_set, depth + step, seen)
                cost = min(cost + 1 + _page_size(selection, variables) * child_cost, MAX_COST)
                deepest = max(deepest, child_depth)
            elif isinstance(selection, InlineFragmentNode):
                inner_cost, inner_depth = walk(selection.selection_set, depth, seen)
                cost, deepest = min(cost + inner_cost, MAX_COST), max(deepest, inner_depth)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    inner_cost, inner_depth = walk(
                        fragment.selection_set, depth, seen | {selection.name.value}
                    )
                    cost, deepest = min(cost + inner_cost, MAX_COST), max(deepest, inner_depth)
        return cost, deepest

    shape.cost, shape.depth = walk(chosen.selection_set, 0, frozenset())
    return shape


def problems(shape: Shape, limits: Limits) -> list[tuple[str, str]]:
    """(code, message) for each limit exceeded."""
    found: list[tuple[str, str]] = []
    if shape.depth > limits.depth:
        found.append(
            (
                "QUERY_TOO_COMPLEX",
                f"The query is nested {shape.depth} levels deep; the limit is {limits.depth}.",
            )
        )
    if shape.aliases > limits.aliases:
        found.append(
            ("QUERY_TOO_COMPLEX", f"The query uses {shape.aliases} aliases; the limit is {limits.aliases}.")
        )
    if shape.directives > limits.directives:
        found.append(
            (
                "QUERY_TOO_COMPLEX",
                f"The query uses {shape.directives} directives; the limit is {limits.directives}.",
            )
        )
    if shape.cost > limits.cost:
        at_least = "at least " if shape.cost == MAX_COST else ""
        found.append(
            (
                "QUERY_TOO_COMPLEX",
                f"The query could return {at_least}{shape.cost:,} values (cost {shape.cost}); the limit is {limits.cost:,}. "
                "Ask for smaller pages (`first`) or fewer nested lists.",
            )
        )
    return found
