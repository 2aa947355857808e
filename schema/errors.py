"""Typed errors of mutations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry

from resolvers.outcomes import Invalid, Problem, Refused
from resolvers.recording import Saved


@strawberry.type(description="One bad input field: its path in the input, a stable code, a message.")
class FieldError:
    field: list[str] = strawberry.field(
        description='The path in the input, e.g. ["contactAddress", "wardCode"].'
    )
    code: str = strawberry.field(
        description="Stable, for programs: REQUIRED, INVALID_FORMAT, TOO_LONG, NOT_FOUND ..."
    )
    message: str = strawberry.field(description="For people: what is wrong and what is expected.")


@strawberry.type(
    description="Bad input: every problem at once, each with the path of the input field it concerns."
)
class InvalidInput:
    errors: list[FieldError] = strawberry.field(description="Every problem of the input, at once.")

    @classmethod
    def of(cls, invalid: Invalid | list[Problem]) -> InvalidInput:
        problems = invalid.problems if isinstance(invalid, Invalid) else invalid
        return cls(errors=[FieldError(field=list(p.field), code=p.code, message=p.message) for p in problems])


@strawberry.type(description="The viewer may not do this.")
class NotAllowed:
    message: str = strawberry.field(description="Why, and who may.")


S = TypeVar("S")


def outcome_result(
    outcome: Saved | Invalid | Refused, success: Callable[[Any], S]
) -> S | InvalidInput | NotAllowed:
    """A data-entry mutation's answer: the saved row as `success` shapes it, or its typed error."""
    if isinstance(outcome, Invalid):
        return InvalidInput.of(outcome)
    if isinstance(outcome, Refused):
        return NotAllowed(message=outcome.message)
    return success(outcome.row)
