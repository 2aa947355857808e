"""Errors as every transport sends them: a code always, production masking, and a log line that costs
the server no more than the client's request did."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from graphql import GraphQLError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, PendingRollbackError

log = logging.getLogger("ansinh")

CODES = frozenset(
    {
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "BAD_USER_INPUT",
        "NOT_FOUND",
        "RATE_LIMITED",
        "QUERY_TOO_COMPLEX",
        "INTERNAL",
        # The database is down or restarting: retry (the HTTP answer is 503 with Retry-After).
        "UNAVAILABLE",
        # Apollo's automatic persisted queries: clients react to these two by name.
        "PERSISTED_QUERY_NOT_FOUND",
        "PERSISTED_QUERY_NOT_SUPPORTED",
    }
)
UNAVAILABLE_MESSAGE = "The database is unavailable; try again shortly."


def database_unavailable(error: BaseException | None) -> bool:
    """The database is down or the connection was lost (not a bug of ours, such as bad SQL).

    Looks through the chain of causes for a lost connection or a PostgreSQL state of class 08
    (connection exception) or 57P (the server is shutting down, starting, or was stopped).
    """
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OperationalError | InterfaceError | PendingRollbackError | OSError):
            return True
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        state = str(getattr(error, "sqlstate", "") or "")
        if state.startswith(("08", "57P")) or type(error).__name__ in (
            "InterfaceError",
            "ConnectionDoesNotExistError",
        ):
            return True
        error = getattr(error, "orig", None) or error.__cause__
        seen += 1
    return False


def client_error(message: str, code: str = "BAD_USER_INPUT", **extensions: Any) -> dict[str, Any]:
    """An error of the request itself, before anything ran."""
    return {"message": message, "extensions": {"code": code, **extensions}}


def unavailable_error() -> dict[str, Any]:
    return client_error(UNAVAILABLE_MESSAGE, "UNAVAILABLE")


def code_of(error: GraphQLError) -> str:
    """The code an error is sent with (see `format_error`), without formatting it."""
    code = (error.extensions or {}).get("code")
    if code in CODES:
        return str(code)
    original = error.original_error
    if database_unavailable(original):
        return "UNAVAILABLE"
    if original is None or isinstance(original, GraphQLError):
        return "BAD_USER_INPUT"
    return "INTERNAL"


def format_error(error: GraphQLError, *, production: bool, operation: str | None) -> dict[str, Any]:
    """The error as sent, with its code. Client errors are logged at INFO in one line; only an
    internal error gets a traceback, under a reference that the client receives."""
    formatted: dict[str, Any] = dict(error.formatted)
    extensions: dict[str, Any] = dict(formatted.get("extensions") or {})
    code = code_of(error)
    extensions["code"] = code
    if code == "UNAVAILABLE":
        formatted["message"] = UNAVAILABLE_MESSAGE
        log.warning("graphql %s UNAVAILABLE at %s", operation or "anonymous", error.path)
    elif code == "INTERNAL":
        reference = uuid.uuid4().hex[:12]
        log.error(
            "internal error %s in %s at %s",
            reference,
            operation or "anonymous",
            error.path,
            exc_info=error.original_error,
        )
        extensions["reference"] = reference
        if production:
            formatted["message"] = f"Internal error (reference {reference})."
    else:
        # One short line: a client's 2 KB answer must not become 30 KB of server log.
        log.info(
            "graphql %s %s at %s: %.200s",
            operation or "anonymous",
            code,
            error.path,
            error.message,
            extra={"code": code},
        )
    if production and code in ("BAD_USER_INPUT", "QUERY_TOO_COMPLEX"):
        # No field suggestions in production: they map the schema for whoever probes it.
        formatted["message"] = formatted["message"].split(" Did you mean")[0]
    formatted["extensions"] = extensions
    return formatted
