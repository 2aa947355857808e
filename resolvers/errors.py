"""Errors with the `extensions.code` of the runtime contract."""

from __future__ import annotations

from graphql import GraphQLError

from resolvers.outcomes import Problem


class BadUserInput(GraphQLError):
    def __init__(self, message: str, argument: str | None = None) -> None:
        extensions: dict[str, object] = {"code": "BAD_USER_INPUT"}
        if argument is not None:
            extensions["argument"] = argument
        super().__init__(message, extensions=extensions)


class Unauthenticated(GraphQLError):
    def __init__(self, message: str = "Sign in to use this field.") -> None:
        super().__init__(message, extensions={"code": "UNAUTHENTICATED"})


class Forbidden(GraphQLError):
    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": "FORBIDDEN"})


class NotFound(GraphQLError):
    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": "NOT_FOUND"})


class InvalidArguments(GraphQLError):
    """Every problem of a query's input at once (queries have no result union to carry them)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            "Invalid input: " + "; ".join(f"{'.'.join(p.field)}: {p.message}" for p in problems),
            extensions={
                "code": "BAD_USER_INPUT",
                "fieldErrors": [
                    {"field": list(p.field), "code": p.code, "message": p.message} for p in problems
                ],
            },
        )


class RateLimited(GraphQLError):
    def __init__(self, retry_after_seconds: int, message: str | None = None) -> None:
        super().__init__(
            message or f"Too many requests from this address; try again in {retry_after_seconds} seconds.",
            extensions={"code": "RATE_LIMITED", "retryAfterSeconds": retry_after_seconds},
        )


class ForbiddenArgument(GraphQLError):
    """An argument that would match on what the viewer may not read (or reads masked)."""

    def __init__(self, message: str, argument: str) -> None:
        super().__init__(message, extensions={"code": "FORBIDDEN", "argument": argument})
