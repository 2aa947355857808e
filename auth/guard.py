"""Applying the field rules at read time, and collecting the access log of the request."""

from __future__ import annotations

from typing import Any, TypeVar

from graphql import GraphQLError

from auth.policy import DECISIONS, LOGGED, MASKERS, Decision, Relation

T = TypeVar("T")


class Forbidden(GraphQLError):
    def __init__(self, field: str) -> None:
        super().__init__(f"Not allowed to read {field}.", extensions={"code": "FORBIDDEN"})


class AccessRecorder:
    """The reads of other people's private data in one request, written once at its end."""

    __slots__ = ("reads",)

    def __init__(self) -> None:
        self.reads: dict[int, set[str]] = {}

    def record(self, person_id: int, field: str) -> None:
        fields = self.reads.get(person_id)
        if fields is None:
            self.reads[person_id] = {field}
        else:
            fields.add(field)


def read(access: AccessRecorder, relation: Relation, person_id: int, field: str, value: T) -> T | Any:
    """The value of `field` as the viewer may see it: clear, masked, or a FORBIDDEN error."""
    decision = DECISIONS[field][relation]
    if decision is Decision.ALLOW:
        if relation is not Relation.SELF and field in LOGGED:
            access.record(person_id, field)
        return value
    if decision is Decision.MASK:
        masker = MASKERS.get(field)
        return masker(value) if masker is not None and value is not None else None
    raise Forbidden(field)


def allow(access: AccessRecorder, relation: Relation, person_id: int, field: str) -> Decision:
    """For links, whose value is only worth loading when allowed: raises FORBIDDEN or decides."""
    decision = DECISIONS[field][relation]
    if decision is Decision.FORBID:
        raise Forbidden(field)
    if decision is Decision.ALLOW and relation is not Relation.SELF and field in LOGGED:
        access.record(person_id, field)
    return decision
