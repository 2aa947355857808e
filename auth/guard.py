"""Applying the field rules, and collecting the access log of the request.

Objects are built with every guarded value already decided for the viewer ("sealed"): a value
the viewer may read plainly is stored as is, so GraphQL reads it with the default attribute
resolver (no per-field resolver call on big lists); a forbidden one is stored as `Denied`, a read
that must be logged as `Logged`, and the schema's default resolver (`open_field`) opens them.
"""

from __future__ import annotations

from typing import Any, cast

from graphql import GraphQLError

from auth.policy import DECISIONS, LOGGED, MASKERS, Decision, Relation


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


class Denied:
    """A field the viewer may not read: opening it raises FORBIDDEN at the field's path."""

    __slots__ = ("field",)

    def __init__(self, field: str) -> None:
        self.field = field

    def open(self) -> Any:
        raise Forbidden(self.field)


class Logged:
    """A field the viewer may read, whose reading goes to the access log."""

    __slots__ = ("access", "field", "person_id", "value")

    def __init__(self, value: Any, access: AccessRecorder, person_id: int, field: str) -> None:
        self.value = value
        self.access = access
        self.person_id = person_id
        self.field = field

    def open(self) -> Any:
        self.access.record(self.person_id, self.field)
        return self.value


_SEALED = frozenset({Denied, Logged})
_DENIED = {field: Denied(field) for field in DECISIONS}


def open_field(source: Any, name: str) -> Any:
    """The schema's default resolver: attributes, with sealed values opened."""
    value = getattr(source, name)
    if value.__class__ in _SEALED:
        return cast(Denied | Logged, value).open()
    return value


class Sealer:
    """Decides the fields of one object for one viewer."""

    __slots__ = ("access", "person_id", "relation")

    def __init__(self, access: AccessRecorder, relation: Relation, person_id: int) -> None:
        self.access = access
        self.relation = relation
        self.person_id = person_id

    def __call__(self, field: str, value: Any) -> Any:
        decision = DECISIONS[field][self.relation]
        if decision is Decision.ALLOW:
            if self.relation is not Relation.SELF and field in LOGGED:
                return Logged(value, self.access, self.person_id, field)
            return value
        if decision is Decision.MASK:
            masker = MASKERS.get(field)
            return masker(value) if masker is not None and value is not None else None
        return _DENIED[field]


def allow(access: AccessRecorder, relation: Relation, person_id: int, field: str) -> Decision:
    """For links, whose value is only worth loading when allowed: raises FORBIDDEN or decides."""
    decision = DECISIONS[field][relation]
    if decision is Decision.FORBID:
        raise Forbidden(field)
    if decision is Decision.ALLOW and relation is not Relation.SELF and field in LOGGED:
        access.record(person_id, field)
    return decision
