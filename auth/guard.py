"""Applying the field rules, and collecting the access log of the request.

Guarded fields are plain schema fields (no resolver of their own): the schema's default resolver
`open_field` reads them from the row and decides, from the relation computed once per object,
whether to show, mask or refuse them and whether the read goes to the access log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

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


Readers = dict[str, tuple[str, Callable[[Any], Any]]]


class Guarded:
    """An object whose fields are read from its row through the policy, at read time.

    Enum fields are read as the stored strings (the enum values): strawberry serialises a value
    by a dictionary lookup, an enum member by a scan of the members.

    Subclasses (strawberry types) list their guarded fields in `_readers`: attribute name ->
    (policy name, function of the row). Instances are made by `make`, without running the
    dataclass `__init__`: on a list of 10,000 people nothing is computed for a field nobody asked
    for, and a field asked for costs a dictionary lookup and a call, not a resolver.
    """

    _readers: ClassVar[Readers] = {}
    _owner: ClassVar[str] = "person_id"  # the row column naming the person the data is about
    _row: Any
    _rel: Relation
    _access: AccessRecorder

    @classmethod
    def make(cls: type[G], row: Any, relation: Relation, access: AccessRecorder) -> G:
        obj = cls.__new__(cls)
        obj._row = row
        obj._rel = relation
        obj._access = access
        return obj


G = TypeVar("G", bound=Guarded)


def open_field(source: Any, name: str) -> Any:
    """The schema's default resolver: plain attributes, or a guarded field read through the policy."""
    reader = getattr(source.__class__, "_readers", _NONE).get(name)
    if reader is None:
        return getattr(source, name)
    field, read = reader
    relation = source._rel
    decision = DECISIONS[field][relation]
    if decision is Decision.ALLOW:
        if relation is not Relation.SELF and field in LOGGED:
            source._access.record(getattr(source._row, source._owner, 0), field)
        return read(source._row)
    if decision is Decision.MASK:
        # A masked read is still a read of a real person's row (analysts): logged, by field name.
        source._access.record(getattr(source._row, source._owner, 0), field)
        masker = MASKERS.get(field)
        value = read(source._row)
        return masker(value) if masker is not None and value is not None else None
    raise Forbidden(field)


_NONE: Readers = {}


def allow(access: AccessRecorder, relation: Relation, person_id: int, field: str) -> Decision:
    """For links, whose value is only worth loading when allowed: raises FORBIDDEN or decides."""
    decision = DECISIONS[field][relation]
    if decision is Decision.FORBID:
        raise Forbidden(field)
    if decision is Decision.MASK or (
        decision is Decision.ALLOW and relation is not Relation.SELF and field in LOGGED
    ):
        access.record(person_id, field)
    return decision
