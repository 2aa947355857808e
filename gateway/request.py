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


def operation_request(payload: object) -> OperationRequest:
    """The request of a JSON body, a GET query string or a WebSocket `subscribe`/`start` payload."""
    if not isinstance(payload, dict):
        raise RequestShapeError("A GraphQL request is a JSON object with `query` and optional `variables`.")
    query = payload.get("query")
    if query is not None and not isinstance(query, str):
        raise RequestShapeError("`query` must be a string holding the GraphQL document.")
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestShapeError("`variables` must be an object mapping variable names to values.")
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestShapeError("`operationName` must be a string naming an operation of the document.")
    extensions = payload.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestShapeError("`extensions` must be an object.")
    return OperationRequest(
        query=query, variables=variables, operation_name=operation_name, extensions=extensions
    )
