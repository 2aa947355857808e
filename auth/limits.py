"""Limits on a query's shape, checked before execution: depth, aliases, directives and cost.

The cost counts every field once, multiplied by the page sizes (`first`) of the lists above it,
so it estimates how many values the response can hold: `units(first: 100) { nodes {
employees(first: 100) { nodes { id } } } }` costs about 20,000. A fragment spread costs one plus
its fragment, however often it is spread: a kilobyte whose fragments each spread the previous one
twice costs 2**levels, and is refused.

All of it is measured in time linear in the document: each fragment is measured once, in an order
where what it spreads comes first, and a spread adds the figures already computed. The document
itself is bounded before it is parsed (`tokens`) and before it is validated (`fields`): the
overlapping-fields rule of validation compares every pair of selections that share a response
name, so its time grows with the square of the fields.
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
    # Lexical tokens of the document (and, separately, comments): enforced by the parser.
    tokens: int
    # Field selections written in the document (not expanded): what validation's time grows with.
    fields: int


PUBLIC = Limits(depth=12, aliases=30, directives=20, cost=20_000, tokens=2_000, fields=200)
STAFF = Limits(depth=16, aliases=100, directives=50, cost=250_000, tokens=10_000, fields=400)
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
    fields: int = 0


def parse_options(limits: Limits) -> dict[str, int]:
    """graphql-core's parser limits for a role: it stops lexing at the first token too many."""
    return {"max_lexical_tokens": limits.tokens, "max_comments": limits.tokens}


class _Counter(Visitor):
    """One pass over the document: aliases, directives, fields, and what each fragment spreads."""

    def __init__(self) -> None:
        super().__init__()
        self.aliases = 0
        self.directives = 0
        self.fields = 0
        self.spreads: dict[str, list[str]] = {}
        self._fragment: list[str] | None = None

    def enter_fragment_definition(self, node: FragmentDefinitionNode, *_: Any) -> None:
        self._fragment = self.spreads.setdefault(node.name.value, [])

    def leave_fragment_definition(self, *_: Any) -> None:
        self._fragment = None

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        if self._fragment is not None:
            self._fragment.append(node.name.value)

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self.fields += 1
        if node.alias is not None:
            self.aliases += 1

    def enter_directive(self, *_: Any) -> None:
        self.directives += 1


def _dependency_order(spreads: dict[str, list[str]]) -> list[str]:
    """Fragments, each after those it spreads (a depth-first post-order, without recursion: a chain
    of a thousand fragments is not a thousand frames). A cycle (refused by validation) is cut where
    it closes."""
    order: list[str] = []
    state: dict[str, bool] = {}  # False: being visited, True: done
    for root in spreads:
        if root in state:
            continue
        state[root] = False
        stack = [(root, iter(spreads[root]))]
        while stack:
            name, pending = stack[-1]
            for spread in pending:
                if spread in spreads and spread not in state:
                    state[spread] = False
                    stack.append((spread, iter(spreads[spread])))
                    break
            else:
                stack.pop()
                state[name] = True
                order.append(name)
    return order


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
    shape.aliases, shape.directives, shape.fields = counter.aliases, counter.directives, counter.fields
    if chosen is None:
        return shape
    # Per fragment: (cost, depth below the spread), each computed once. A fragment not yet
    # measured when spread (unknown, or closing a cycle) counts nothing: validation refuses both.
    measured: dict[str, tuple[int, int]] = {}

    def walk(selection_set: SelectionSetNode, depth: int) -> tuple[int, int]:
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
                    child_cost, child_depth = walk(selection.selection_set, depth + step)
                cost = min(cost + 1 + _page_size(selection, variables) * child_cost, MAX_COST)
                deepest = max(deepest, child_depth)
            elif isinstance(selection, InlineFragmentNode):
                inner_cost, inner_depth = walk(selection.selection_set, depth)
                cost, deepest = min(cost + inner_cost, MAX_COST), max(deepest, inner_depth)
            elif isinstance(selection, FragmentSpreadNode):
                inner_cost, inner_depth = measured.get(selection.name.value, (0, 0))
                cost, deepest = min(cost + 1 + inner_cost, MAX_COST), max(deepest, depth + inner_depth)
        return cost, deepest

    for name in _dependency_order(counter.spreads):
        measured[name] = walk(fragments[name].selection_set, 0)
    shape.cost, shape.depth = walk(chosen.selection_set, 0)
    return shape


def problems(shape: Shape, limits: Limits) -> list[tuple[str, str]]:
    """(code, message) for each limit exceeded."""
    found: list[tuple[str, str]] = []
    if shape.fields > limits.fields:
        found.append(
            (
                "QUERY_TOO_COMPLEX",
                f"The query selects {shape.fields:,} fields; the limit is {limits.fields:,}.",
            )
        )
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
