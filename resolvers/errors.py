"""Errors with the `extensions.code` of the runtime contract."""

from __future__ import annotations

from graphql import GraphQLError


class BadUserInput(GraphQLError):
    def __init__(self, message: str, argument: str | None = None) -> None:
        extensions: dict[str, object] = {"code": "BAD_USER_INPUT"}
        if argument is not None:
            extensions["argument"] = argument
        super().__init__(message, extensions=extensions)


class Unauthenticated(GraphQLError):
    def __init__(self, message: str = "Sign in to use this field.") -> None:
        super().__init__(message, extensions={"code": "UNAUTHENTICATED"})


class NotFound(GraphQLError):
    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": "NOT_FOUND"})
