"""A compiled operation and how it runs: one batch per link per level, then the answer from rows.

A plan is a tree of object plans (what to write for one object type) whose links name the batch
that loads their children. Running it walks the tree level by level: every parent of a level is
written at once (its leaves straight from its row), then each link loads the children of all
those parents in one statement, as the DataLoaders of the ordinary executor do, and the children
are written the same way. No resolver, awaitable or GraphQL object is made per field.

The field policy is decided per relation, once per plan: the first row of an object type seen
with a relation compiles that relation's branch (which leaves to read in the clear, mask or
refuse, which reads to log), and every later row with that relation takes the same branch.

Anything the ordinary executor would answer with an error (a FORBIDDEN field, a bad cursor, an
unknown province, a null in a non-null field) raises `Fallback`: the compiled answer is dropped,
and the ordinary executor answers instead, with its own errors, paths and extensions.
"""

from __future__ import annotations

import dis
import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import FieldNode, GraphQLField
from graphql.execution.values import get_argument_values

from auth.guard import AccessRecorder
from auth.policy import DECISIONS, LOGGED, MASKERS, Decision, Relation
from compiler.columns import NOTHING, Columns, read_by, union
from compiler.specs import ConnectionPage, Leaf, Link, NarrowingFetch, TypeSpec


class Fallback(Exception):
    """The compiled path cannot give the ordinary executor's answer: let the ordinary one answer."""


Serializer = Callable[[Any], Any]


@dataclass(slots=True)
class LeafField:
    key: str
    leaf: Leaf
    serialize: Serializer
    non_null: bool
    # The Python class graphql-core's serializer returns unchanged ("str", "int", "bool"): such a
    # value is written without calling it.
    identity: str | None = None


@dataclass(slots=True)
class TypenameField:
    key: str
    name: str


@dataclass(slots=True)
class LinkField:
    key: str
    link: Link
    definition: GraphQLField
    node: FieldNode  # the first of the merged nodes: validation made their arguments equal
    child: ObjectPlan | ConnectionPlan | AbstractPlan
    non_null: bool


@dataclass(slots=True)
class AbstractPlan:
    """An interface's field (`node`): an object plan per type the object may be, chosen per row."""

    # None: the compiler does not take the selection for that type (a row of it falls back).
    plans: dict[str, ObjectPlan | None]


PlanField = LeafField | TypenameField | LinkField


@dataclass(slots=True)
class Branch:
    """What one relation reads of an object type's selected fields."""

    # Writes one object from its row: every selected key in the order of the selection (links as
    # None, filled once their level is loaded).
    make: Callable[[Any], dict[str, Any]]
    # Policy names whose reads go to the access log for this relation: leaves, then links.
    logged: tuple[str, ...]
    link_logged: tuple[str, ...]


@dataclass(slots=True)
class ObjectPlan:
    spec: TypeSpec
    fields: list[PlanField]
    links: list[LinkField] = field(default_factory=list)
    _branches: dict[Relation | None, Branch] = field(default_factory=dict)
    # The row's columns this plan reads, whatever the relation (None: unknown, every column).
    columns: Columns | None = None

    def __post_init__(self) -> None:
        spec = self.spec
        parts: list[Columns | None] = [read_by(spec.owner)]
        if spec.relation is not None:
            parts.append(read_by(spec.relation, 1))
        if spec.link_owner is not None:
            parts.append(read_by(spec.link_owner))
        for f in self.fields:
            if isinstance(f, LeafField):
                parts.append(read_by(f.leaf.read))
            elif isinstance(f, LinkField):
                parts.append(f.link.reads)
        self.columns = union(parts)

    def branch(self, relation: Relation | None) -> Branch:
        found = self._branches.get(relation)
        if found is None:
            found = self._branches[relation] = self._compile_branch(relation)
        return found

    def _compile_branch(self, relation: Relation | None) -> Branch:
        logged: list[str] = []
        link_logged: list[str] = []
        names: dict[str, Any] = {"_slow": _slow}
        items: list[str] = []
        for index, f in enumerate(self.fields):
            key = repr(f.key)
            if isinstance(f, TypenameField):
                items.append(f"{key}: {f.name!r}")
            elif isinstance(f, LeafField):
                read = _leaf_reader(f, relation, logged)
                if read is None:
                    items.append(f"{key}: None")
                    continue
                names[f"r{index}"], names[f"s{index}"] = read, f.serialize
                # A reader that is `lambda r: r.column` is written as the attribute read itself.
                attribute = plain_attribute(read)
                value = f"row.{attribute}" if attribute is not None else f"r{index}(row)"
                slow = f"_slow(v, s{index}, {f.non_null}, {key})"
                if not f.non_null:
                    # A null of a nullable leaf is written as it is, without a call.
                    slow = f"(None if v is None else {slow})"
                if f.identity == "int":
                    test = "-2147483648 <= v <= 2147483647"
                    items.append(f"{key}: (v if ((v := {value}).__class__ is int and {test}) else {slow})")
                elif f.identity is not None:
                    items.append(f"{key}: (v if (v := {value}).__class__ is {f.identity} else {slow})")
                else:
                    null = "None" if not f.non_null else slow
                    items.append(f"{key}: ({null} if (v := {value}) is None else s{index}(v))")
            else:
                name = f.link.policy or ""
                if f.link.policy is not None and relation is not None:
                    decision = DECISIONS[name][relation]
                    if decision is Decision.FORBID:
                        raise Fallback(f"{name} is forbidden to {relation}")
                    if decision is Decision.MASK or (relation is not Relation.SELF and name in LOGGED):
                        link_logged.append(name)
                items.append(f"{key}: None")
        # One function per (plan, relation), compiled once: a dictionary display is the cheapest
        # way CPython has to write an object, and the keys are the query's own.
        source = "def make(row):\n    return {" + ", ".join(items) + "}\n"
        exec(compile(source, f"<plan {self.spec.name} {relation}>", "exec"), names)  # noqa: S102
        return Branch(names["make"], tuple(dict.fromkeys(logged)), tuple(dict.fromkeys(link_logged)))


def plain_attribute(read: Callable[[Any], Any]) -> str | None:
    """The attribute name if `read` is exactly `lambda row: row.name` (by its bytecode), else None."""
    code = getattr(read, "__code__", None)
    if code is None or code.co_argcount != 1 or code.co_freevars or getattr(read, "__defaults__", None):
        return None
    steps = [
        (i.opname, i.argval) for i in dis.get_instructions(read) if i.opname not in ("RESUME", "CACHE", "NOP")
    ]
    if (
        len(steps) == 3
        and steps[0] == ("LOAD_FAST", code.co_varnames[0])
        and steps[1][0] == "LOAD_ATTR"
        and steps[2][0] == "RETURN_VALUE"
        and str(steps[1][1]).isidentifier()
    ):
        return str(steps[1][1])
    return None


def _slow(value: Any, serialize: Serializer, non_null: bool, key: str) -> Any:
    """A leaf that is null, or not of its serializer's own class."""
    if value is None:
        if non_null:
            raise Fallback(f"null in non-null {key}")
        return None
    out = serialize(value)
    if out is None:
        raise Fallback(f"{key} did not serialize")
    return out


def _leaf_reader(f: LeafField, relation: Relation | None, logged: list[str]) -> Callable[[Any], Any] | None:
    """How this relation reads the leaf (None: always null), recording what it logs."""
    read = f.leaf.read
    name = f.leaf.policy
    if name is None or relation is None:
        return read
    decision = DECISIONS[name][relation]
    if decision is Decision.FORBID:
        raise Fallback(f"{name} is forbidden to {relation}")
    if decision is Decision.MASK:
        logged.append(name)
        masker = MASKERS.get(name)
        if masker is None:
            if f.non_null:
                raise Fallback(f"{name} masks to null in a non-null field")
            return None
        return lambda row: (lambda v: masker(v) if v is not None else None)(read(row))
    if relation is not Relation.SELF and name in LOGGED:
        logged.append(name)
    return read


@dataclass(slots=True)
class NodesPart:
    key: str
    plan: ObjectPlan


@dataclass(slots=True)
class EdgesPart:
    key: str
    parts: list[tuple[str, str, ObjectPlan | str | None]]  # (key, "node"|"cursor"|"typename", plan|name)


@dataclass(slots=True)
class PageInfoPart:
    key: str
    parts: list[tuple[str, str]]  # (key, field name or "__typename:<name>")


@dataclass(slots=True)
class ValuePart:
    key: str
    kind: str  # "totalCount" | "typename"
    name: str = ""


ConnectionPart = NodesPart | EdgesPart | PageInfoPart | ValuePart


@dataclass(slots=True)
class ConnectionPlan:
    name: str
    parts: list[ConnectionPart]
    # The nodes' columns that the plans of the nodes read (None: unknown, every column); the
    # cursors' are the ordering's, which the page's batch adds itself.
    columns: Columns | None = None

    def __post_init__(self) -> None:
        plans: list[ObjectPlan] = []
        for part in self.parts:
            if isinstance(part, NodesPart):
                plans.append(part.plan)
            elif isinstance(part, EdgesPart):
                plans += [
                    sub for _, kind, sub in part.parts if kind == "node" and isinstance(sub, ObjectPlan)
                ]
        self.columns = union(p.columns for p in plans) if plans else NOTHING

    @property
    def counts(self) -> bool:
        return any(isinstance(p, ValuePart) and p.kind == "totalCount" for p in self.parts)


@dataclass(slots=True)
class Run:
    """One execution of a plan: the operation's context and what the plan records."""

    context: Any
    variables: Any  # graphql-core's VariableValues, coerced once
    access: AccessRecorder
    rows_only: bool = False
    rows: int = 0
    _args: dict[int, dict[str, Any]] = field(default_factory=dict)

    def args(self, f: LinkField) -> dict[str, Any]:
        found = self._args.get(id(f))
        if found is None:
            found = self._args[id(f)] = get_argument_values(f.definition, f.node, self.variables)
        return found


@dataclass(slots=True)
class Plan:
    """A compiled query operation: its root object plan and what it weighs in the plan cache."""

    root: ObjectPlan
    operation: Any  # the OperationDefinitionNode (its variable definitions)
    size: int  # approximate bytes, for the cache's byte bound
    statements: list[str] = field(default_factory=list)  # the batches it runs, for debug output

    async def execute(self, context: Any, variables: Any, access: AccessRecorder) -> dict[str, Any]:
        """The `data` of the answer, or Fallback."""
        run = Run(context, variables, access)
        # A large view makes tens of thousands of rows and dictionaries, all alive until the
        # answer is written: the cyclic collector would walk them again at every threshold. They
        # make no cycles; it runs once after (paused for the plan only, whatever else awaits).
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            (out,) = await _fill(run, self.root, [None])
        finally:
            if paused:
                gc.enable()
        return out

    async def run_statements(self, context: Any, variables: Any) -> int:
        """Runs the plan's statements alone, with its parameters bound, and counts the rows: no
        policy, no serializing. The physical bound a benchmark compares the whole answer with."""
        run = Run(context, variables, AccessRecorder(), rows_only=True)
        await _fill(run, self.root, [None])
        return run.rows


_SCRATCH: dict[str, Any] = {}  # what rows_only runs write into: nothing reads it


async def _fill(run: Run, plan: ObjectPlan, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Writes every object of one level, then loads and writes the level below, link by link."""
    spec = plan.spec
    outs: list[dict[str, Any]]
    if run.rows_only:
        outs = [_SCRATCH] * len(rows)
    else:
        relation_of = spec.relation
        viewer = run.context.viewer
        reads = run.access.reads
        owner = spec.owner
        link_owner = spec.link_owner or owner
        constant = relation_of is None or (spec.role_constant and role_constant(viewer))
        if constant:
            branch = plan.branch(
                None if relation_of is None else relation_of(viewer, rows[0]) if rows else None
            )
            make = branch.make
            outs = [make(row) for row in rows]
            for fields, of in ((branch.logged, owner), (branch.link_logged, link_owner)):
                if fields:
                    for person_id in map(of, rows):
                        found = reads.get(person_id)
                        if found is None:
                            reads[person_id] = set(fields)
                        else:
                            found.update(fields)
        else:
            outs = []
            for row in rows:
                current = plan.branch(relation_of(viewer, row))  # type: ignore[misc]
                outs.append(current.make(row))
                if current.logged:
                    _record(reads, owner(row), current.logged)
                if current.link_logged:
                    _record(reads, link_owner(row), current.link_logged)
    run.rows += len(rows)
    for link_field in plan.links:
        await _follow(run, link_field, rows, outs)
    return outs


def role_constant(viewer: Any) -> bool:
    """Whether every relation function of auth/policy.py answers this viewer the same for any
    row: anonymous, ADMIN (or AUDITED) and ANALYST are what they are to everyone."""
    from auth.viewer import Role

    return viewer is None or viewer.role in (Role.ADMIN, Role.ANALYST)


def _record(reads: dict[int, set[str]], person_id: int, fields: tuple[str, ...]) -> None:
    found = reads.get(person_id)
    if found is None:
        reads[person_id] = set(fields)
    else:
        found.update(fields)


async def _follow(run: Run, f: LinkField, rows: Sequence[Any], outs: Sequence[dict[str, Any]]) -> None:
    link = f.link
    if not rows:
        return
    args = run.args(f)
    child = f.child
    if link.narrows and isinstance(child, ConnectionPlan):
        narrowing: NarrowingFetch = link.fetch  # type: ignore[assignment]  # Link.narrows says so
        results = await narrowing(run, rows, args, child.columns)
    else:
        results = await link.fetch(run, rows, args)
    if link.kind == "list" and isinstance(child, ObjectPlan):
        # One level for every parent's items at once, then each parent takes its slice back.
        items: list[Any] = []
        sizes: list[int] = []
        for result in results:
            if result is None:
                raise Fallback(f"null list {f.key}")
            items.extend(result)
            sizes.append(len(result))
        made = await _fill(run, child, items)
        key, start = f.key, 0
        for out, size in zip(outs, sizes, strict=True):
            out[key] = made[start : start + size]
            start += size
        return
    if isinstance(child, AbstractPlan):
        # Each object by the plan of its type, every type's objects as one level.
        by_type: dict[str, tuple[list[Any], list[dict[str, Any]]]] = {}
        for result, out in zip(results, outs, strict=True):
            if result is None:
                if f.non_null:
                    raise Fallback(f"null in non-null {f.key}")
                continue
            type_name, row = result
            rows_, parents_ = by_type.setdefault(type_name, ([], []))
            rows_.append(row)
            parents_.append(out)
        for type_name, (rows_, parents_) in by_type.items():
            plan = child.plans.get(type_name)
            if plan is None:
                raise Fallback(f"{f.key} is a {type_name}")
            made = await _fill(run, plan, rows_)
            for out, written in zip(parents_, made, strict=True):
                out[f.key] = written
        return
    if isinstance(child, ObjectPlan):
        child_rows: list[Any] = []
        parents: list[dict[str, Any]] = []
        for result, out in zip(results, outs, strict=True):
            if result is None:
                if f.non_null:
                    raise Fallback(f"null in non-null {f.key}")
                continue
            child_rows.append(result)
            parents.append(out)
        made = await _fill(run, child, child_rows)
        key = f.key
        for out, written in zip(parents, made, strict=True):
            out[key] = written
        return
    await _connections(run, f, child, rows, args, results, outs)


async def _connections(
    run: Run,
    f: LinkField,
    plan: ConnectionPlan,
    parents: Sequence[Any],
    args: dict[str, Any],
    pages: list[ConnectionPage],
    outs: Sequence[dict[str, Any]],
) -> None:
    totals: list[int] | None = None
    if plan.counts:
        if f.link.count is not None:
            totals = await f.link.count(run, parents, args, pages)
        else:
            totals = [await p.count() for p in pages]  # type: ignore[misc]
    # The objects of every page, per node plan (nodes and edges.node may select differently),
    # written in one level for all pages; each lands where its page put a None for it.
    pending: dict[int, tuple[ObjectPlan, list[Any], list[tuple[Any, Any]]]] = {}

    def objects(plan_: ObjectPlan, page_rows: Sequence[Any], sinks: list[tuple[Any, Any]]) -> None:
        entry = pending.get(id(plan_))
        if entry is None:
            entry = pending[id(plan_)] = (plan_, [], [])
        entry[1].extend(page_rows)
        entry[2].extend(sinks)

    for index, (page, out) in enumerate(zip(pages, outs, strict=True)):
        count = len(page.rows)
        if run.rows_only:
            for part in plan.parts:
                if isinstance(part, NodesPart):
                    objects(part.plan, page.rows, [(_SCRATCH, 0)] * count)
                elif isinstance(part, EdgesPart):
                    for _, kind, sub in part.parts:
                        if kind == "node" and isinstance(sub, ObjectPlan):
                            objects(sub, page.rows, [(_SCRATCH, 0)] * count)
            continue
        keys: list[tuple[Any, ...]] | None = None
        written: dict[str, Any] = {}
        for part in plan.parts:
            if isinstance(part, NodesPart):
                nodes: list[Any] = [None] * count
                objects(part.plan, page.rows, [(nodes, i) for i in range(count)])
                written[part.key] = nodes
            elif isinstance(part, EdgesPart):
                keys = keys if keys is not None else _keys(page)
                edges: list[dict[str, Any]] = [{} for _ in page.rows]
                for key, kind, sub in part.parts:
                    if kind == "node":
                        assert isinstance(sub, ObjectPlan)
                        for edge in edges:
                            edge[key] = None
                        objects(sub, page.rows, [(edge, key) for edge in edges])
                    elif kind == "cursor":
                        seal, ordering = page.cursors.seal, page.ordering
                        for edge, row_key in zip(edges, keys, strict=True):
                            edge[key] = seal(ordering, row_key)
                    else:
                        for edge in edges:
                            edge[key] = sub
                written[part.key] = edges
            elif isinstance(part, PageInfoPart):
                keys = keys if keys is not None else _keys(page)
                written[part.key] = _page_info(part, page, keys)
            elif part.kind == "totalCount":
                assert totals is not None
                written[part.key] = totals[index]
            else:
                written[part.key] = part.name
        out[f.key] = written
    for object_plan, object_rows, sinks in pending.values():
        made = await _fill(run, object_plan, object_rows)
        for (container, slot), value in zip(sinks, made, strict=True):
            container[slot] = value


def _keys(page: ConnectionPage) -> list[tuple[Any, ...]]:
    names = page.ordering.names
    return [tuple(getattr(row, n) for n in names) for row in page.rows]


def _page_info(part: PageInfoPart, page: ConnectionPage, keys: list[tuple[Any, ...]]) -> dict[str, Any]:
    info: dict[str, Any] = {}
    for key, name in part.parts:
        if name == "hasNextPage":
            info[key] = page.has_next
        elif name == "hasPreviousPage":
            info[key] = page.has_previous
        elif name == "startCursor":
            info[key] = page.cursors.seal(page.ordering, keys[0]) if keys else None
        elif name == "endCursor":
            info[key] = page.cursors.seal(page.ordering, keys[-1]) if keys else None
        else:
            info[key] = name.split(":", 1)[1]
    return info
