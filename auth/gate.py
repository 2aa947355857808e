"""Checks on the whole operation before it runs, whatever its entry point (HTTP or WebSocket)."""

from __future__ import annotations

import contextlib
import json
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any, cast

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    Visitor,
    visit,
)
from graphql.language.visitor import BREAK
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from auth import limits

INTROSPECTION = frozenset({"__schema", "__type"})
# What a token that must change its password may still do.
PASSWORD_CHANGE_FIELDS = frozenset({"viewer", "changePassword", "logout", "__typename"})
SECOND_FACTOR_FIELDS = frozenset({"enrollTotp", "confirmTotp", "logout", "__typename"})


def root_fields(document: DocumentNode, operation_name: str | None) -> set[str]:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    names: set[str] = set()
    # Each fragment is read once, however often it is spread (F1 spreading F0 twice, F2 spreading
    # F1 twice... would otherwise be read 2**levels times); without recursion, for long chains.
    seen: set[str] = set()
    pending: list[SelectionSetNode] = [chosen[0].selection_set] if chosen else []
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    pending.append(fragment.selection_set)
    return names


# What no text of a request may hold: U+0000, which PostgreSQL can neither store nor receive inside a
# statement, and unpaired surrogates (JSON can escape them; no database driver can encode them).
NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


class _FindsNotText(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
        if NOT_TEXT.search(node.value):
            self.found = True
            return BREAK
        return None


def _holds_not_text(value: Any) -> bool:
    if isinstance(value, str):
        return NOT_TEXT.search(value) is not None
    if isinstance(value, dict):
        return any(_holds_not_text(k) or _holds_not_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_not_text(v) for v in value)
    return False


def not_text(query: str | None, document: DocumentNode, variables: dict[str, Any] | None) -> bool:
    """Whether a variable or a string literal holds what no text may (`NOT_TEXT`). A literal gets it
    only written as such or as an escape: most documents need no walk."""
    if _holds_not_text(variables):
        return True
    if query is not None and "\\u" not in query and not NOT_TEXT.search(query):
        return False
    finder = _FindsNotText()
    visit(document, finder)
    return finder.found


_SHAPES: OrderedDict[tuple[str, str | None, str], limits.Shape] = OrderedDict()
_SHAPES_MAX = 512


def _measure(
    query: str | None, document: DocumentNode, operation_name: str | None, variables: dict[str, Any] | None
) -> limits.Shape:
    """The shape of an operation, remembered by its text and variables (the same text, the same shape)."""
    if query is None:
        return limits.measure(document, operation_name, variables)
    try:
        key = (query, operation_name, json.dumps(variables or {}, sort_keys=True, default=str))
    except (TypeError, ValueError):
        return limits.measure(document, operation_name, variables)
    shape = _SHAPES.get(key)
    if shape is None:
        shape = limits.measure(document, operation_name, variables)
        _SHAPES[key] = shape
        if len(_SHAPES) > _SHAPES_MAX:
            _SHAPES.popitem(last=False)
    return shape


# Validation, cached by document (ParserCache makes the same text the same document): it runs after
# the limits, since its time grows with the square of the fields (overlapping fields).
_validate: Callable[..., list[GraphQLError]] = lru_cache(maxsize=128)(validate_document)


def role_limits(viewer: Any) -> limits.Limits:
    return limits.STAFF if viewer is not None and viewer.is_staff else limits.PUBLIC


class OperationGate(SchemaExtension):
    """Before parsing, the document's size in tokens; before validation and execution: the
    operation name, no NUL or unpaired surrogate in any text, the query limits of the viewer's
    role, introspection for staff only in production, and a must-change-password token held to
    what it may do. Then validation (cached), unless the gate refused."""

    def on_operation(self) -> Iterator[None]:
        execution = self.execution_context
        # strawberry passes these to graphql-core's parse (its TypedDict names fewer than parse takes).
        options = cast(dict[str, Any], execution.parse_options)
        options.update(limits.parse_options(role_limits(getattr(execution.context, "viewer", None))))
        yield

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        self._check()
        if execution.pre_execution_errors is None and execution.graphql_document is not None:
            execution.pre_execution_errors = _validate(
                execution.schema._schema, execution.graphql_document, execution.validation_rules
            )
        yield

    def _check(self) -> None:
        execution = self.execution_context
        context = execution.context
        if context is not None:
            context.operation_name = execution.operation_name
            if execution.graphql_document is not None:
                # Only the answers of queries may be cached (infra/cache.py).
                with contextlib.suppress(RuntimeError):
                    context.operation_type = execution.operation_type.value
        document = execution.graphql_document
        if document is None:
            return
        runtime = getattr(context, "runtime", None)
        found = problems(
            execution.query,
            document,
            execution.operation_name,
            execution.variables,
            getattr(context, "viewer", None),
            production=runtime is not None and runtime.settings.production,
        )
        if found:
            execution.pre_execution_errors = found


def problems(
    query: str | None,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    viewer: Any,
    *,
    production: bool,
) -> list[GraphQLError] | None:
    """Why the gate refuses this operation of a parsed document for this viewer, or None.

    The one decision of the gate, whichever way the operation came in: the extension calls it
    before validation, and the pipeline before answering a query straight from its plan."""
    staff = viewer is not None and viewer.is_staff
    if not_text(query, document, variables):
        return [
            GraphQLError(
                "Text may not contain the character U+0000 (NUL) or unpaired surrogates (U+D800 to U+DFFF).",
                extensions={"code": "BAD_USER_INPUT"},
            )
        ]
    shape = _measure(query, document, operation_name, variables)
    found = limits.problems(shape, role_limits(viewer))
    if found:
        return [
            GraphQLError(message, extensions={"code": code, "cost": shape.cost, "depth": shape.depth})
            for code, message in found
        ]
    if production and not staff and INTROSPECTION & root_fields(document, operation_name):
        return [GraphQLError("Introspection is for staff accounts.", extensions={"code": "FORBIDDEN"})]
    if viewer is not None and viewer.second_factor_pending:
        extra = root_fields(document, operation_name) - SECOND_FACTOR_FIELDS
        if extra:
            return [
                GraphQLError(
                    "Enrol a second factor first: until then only enrollTotp, confirmTotp and logout "
                    f"are available (asked for {', '.join(sorted(extra))}); then sign in again with "
                    "totpCode.",
                    extensions={"code": "FORBIDDEN", "reason": "SECOND_FACTOR_REQUIRED"},
                )
            ]
    if viewer is not None and viewer.must_change_password:
        extra = root_fields(document, operation_name) - PASSWORD_CHANGE_FIELDS
        if extra:
            return [
                GraphQLError(
                    "Change your password first: until then only viewer, changePassword and logout "
                    f"are available (asked for {', '.join(sorted(extra))}).",
                    extensions={"code": "FORBIDDEN", "reason": "PASSWORD_CHANGE_REQUIRED"},
                )
            ]
    return None
