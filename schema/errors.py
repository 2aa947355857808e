"""Typed errors of mutations."""

from __future__ import annotations

import strawberry

from resolvers.outcomes import Invalid, Problem


@strawberry.type(description="One bad input field: its path in the input, a stable code, a message.")
class FieldError:
    field: list[str]
    code: str
    message: str


@strawberry.type(
    description="Bad input: every problem at once, each with the path of the input field it concerns."
)
class InvalidInput:
    errors: list[FieldError]

    @classmethod
    def of(cls, invalid: Invalid | list[Problem]) -> InvalidInput:
        problems = invalid.problems if isinstance(invalid, Invalid) else invalid
        return cls(errors=[FieldError(field=list(p.field), code=p.code, message=p.message) for p in problems])


@strawberry.type(description="The viewer may not do this.")
class NotAllowed:
    message: str
