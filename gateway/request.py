"""What an operation asks, checked for shape the same way whatever transport carried it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Transport(enum.Enum):
    """The way in. Every one of them runs the same pipeline."""

    HTTP_GET = "GET"
    HTTP_POST = "POST"
    MULTIPART = "multipart"
    TRANSPORT_WS = "graphql-transport-ws"
    LEGACY_WS = "graphql-ws"

    @property
    def websocket(self) -> bool:
        return self in (Transport.TRANSPORT_WS, Transport.LEGACY_WS)


@dataclass(slots=True)
class OperationRequest:
    """A GraphQL request: the document (or, for persisted queries, only its hash), its variables,
    the operation to run and the protocol extensions."""

    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


class RequestShapeError(ValueError):
    """The request's parameters have the wrong types: answered as BAD_USER_INPUT, nothing runs."""


# Each parameter of a request, the type it must have when present, and what to tell the client.
_PARAMETERS: tuple[tuple[str, type, str], ...] = (
    ("query", str, "`query` must be a string holding the GraphQL document."),
    ("variables", dict, "`variables` must be an object mapping variable names to values."),
    ("operationName", str, "`operationName` must be a string naming an operation of the document."),
    ("extensions", dict, "`extensions` must be an object."),
)


def operation_request(payload: object) -> OperationRequest:
    """The request of a JSON body, a GET query string or a WebSocket `subscribe`/`start` payload."""
    if not isinstance(payload, dict):
        raise RequestShapeError("A GraphQL request is a JSON object with `query` and optional `variables`.")
    for name, kind, message in _PARAMETERS:
        value = payload.get(name)
        if value is not None and not isinstance(value, kind):
            raise RequestShapeError(message)
    return OperationRequest(
        query=payload.get("query"),
        variables=payload.get("variables"),
        operation_name=payload.get("operationName"),
        extensions=payload.get("extensions"),
    )
