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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import FieldNode, GraphQLField
from graphql.execution.values import get_argument_values

from auth.guard import AccessRecorder
from auth.policy import DECISIONS, LOGGED, MASKERS, Decision, Relation
from compiler.specs import ConnectionPage, Leaf, Link, TypeSpec


class Fallback(Exception):
    """The compiled path cannot give the ordinary executor's answer: let the ordinary one answer."""


Serializer = Callable[[Any], Any]


@dataclass(slots=True)
class LeafField:
    key: str
    leaf: Leaf
    serialize: Serializer
    non_null: bool


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
    child: ObjectPlan | ConnectionPlan
    non_null: bool


PlanField = LeafField | TypenameField | LinkField


@dataclass(slots=True)
class Branch:
    """What one relation reads of an object type's selected fields."""

    # (response key, function of the row) in the order of the selection; links write None first,
    # so that the dictionary's order is the selection's.
    writers: list[tuple[str, Callable[[Any], Any] | None]]
    # Policy names whose reads go to the access log for this relation: leaves, then links.
    logged: tuple[str, ...]
    link_logged: tuple[str, ...]


@dataclass(slots=True)
class ObjectPlan:
    spec: TypeSpec
    fields: list[PlanField]
    links: list[LinkField] = field(default_factory=list)
    _branches: dict[Relation | None, Branch] = field(default_factory=dict)

    def branch(self, relation: Relation | None) -> Branch:
        found = self._branches.get(relation)
        if found is None:
            found = self._branches[relation] = self._compile_branch(relation)
        return found

    def _compile_branch(self, relation: Relation | None) -> Branch:
        writers: list[tuple[str, Callable[[Any], Any] | None]] = []
        logged: list[str] = []
        link_logged: list[str] = []
        for f in self.fields:
            if isinstance(f, TypenameField):
                writers.append((f.key, _constant(f.name)))
            elif isinstance(f, LeafField):
                writers.append((f.key, _leaf_writer(f, relation, logged)))
            else:
                name = f.link.policy or ""
                if f.link.policy is not None and relation is not None:
                    decision = DECISIONS[name][relation]
                    if decision is Decision.FORBID:
                        raise Fallback(f"{name} is forbidden to {relation}")
                    if decision is Decision.MASK or (relation is not Relation.SELF and name in LOGGED):
                        link_logged.append(name)
                writers.append((f.key, None))
        return Branch(writers, tuple(dict.fromkeys(logged)), tuple(dict.fromkeys(link_logged)))


def _constant(value: str) -> Callable[[Any], Any]:
    return lambda row: value


def _leaf_writer(f: LeafField, relation: Relation | None, logged: list[str]) -> Callable[[Any], Any]:
    read, serialize, non_null = f.leaf.read, f.serialize, f.non_null
    name = f.leaf.policy
    if name is not None and relation is not None:
        decision = DECISIONS[name][relation]
        if decision is Decision.FORBID:
            raise Fallback(f"{name} is forbidden to {relation}")
        if decision is Decision.MASK:
            logged.append(name)
            masker = MASKERS.get(name)
            if masker is None:
                if non_null:
                    raise Fallback(f"{name} masks to null in a non-null field")
                return lambda row: None
            inner = read
            read = lambda row: (lambda v: masker(v) if v is not None else None)(inner(row))  # noqa: E731
        elif relation is not Relation.SELF and name in LOGGED:
            logged.append(name)

    def write(row: Any) -> Any:
        value = read(row)
        if value is None:
            if non_null:
                raise Fallback(f"null in non-null {f.key}")
            return None
        out = serialize(value)
        if out is None:
            raise Fallback(f"{f.key} did not serialize")
        return out

    return write


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
        out: dict[str, Any] = {}
        await _fill(run, self.root, [None], [out])
        return out

    async def run_statements(self, context: Any, variables: Any) -> int:
        """Runs the plan's statements alone, with its parameters bound, and counts the rows: no
        policy, no serializing. The physical bound a benchmark compares the whole answer with."""
        run = Run(context, variables, AccessRecorder(), rows_only=True)
        await _fill(run, self.root, [None], [{}])
        return run.rows


async def _fill(run: Run, plan: ObjectPlan, rows: Sequence[Any], outs: Sequence[dict[str, Any]]) -> None:
    """Writes every object of one level, then loads and writes the level below, link by link."""
    spec = plan.spec
    if not run.rows_only:
        relation_of = spec.relation
        viewer = run.context.viewer
        reads = run.access.reads
        owner = spec.owner
        link_owner = spec.link_owner or owner
        branch = plan.branch(None) if relation_of is None else None
        for row, out in zip(rows, outs, strict=True):
            current = branch if branch is not None else plan.branch(relation_of(viewer, row))  # type: ignore[misc]
            for key, write in current.writers:
                out[key] = write(row) if write is not None else None
            if current.logged:
                _record(reads, owner(row), current.logged)
            if current.link_logged:
                _record(reads, link_owner(row), current.link_logged)
    run.rows += len(rows)
    for link_field in plan.links:
        await _follow(run, link_field, rows, outs)


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
    results = await link.fetch(run, rows, args)
    child = f.child
    if isinstance(child, ObjectPlan):
        child_rows: list[Any] = []
        child_outs: list[dict[str, Any]] = []
        for result, out in zip(results, outs, strict=True):
            if result is None:
                if f.non_null:
                    raise Fallback(f"null in non-null {f.key}")
                out[f.key] = None
                continue
            written: dict[str, Any] = {}
            out[f.key] = written
            child_rows.append(result)
            child_outs.append(written)
        await _fill(run, child, child_rows, child_outs)
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
    # The objects of every page, per node plan (nodes and edges.node may select differently).
    pending: dict[int, tuple[ObjectPlan, list[Any], list[dict[str, Any]]]] = {}

    def objects(plan_: ObjectPlan, page_rows: Sequence[Any]) -> list[dict[str, Any]]:
        entry = pending.get(id(plan_))
        if entry is None:
            entry = pending[id(plan_)] = (plan_, [], [])
        made: list[dict[str, Any]] = [{} for _ in page_rows]
        entry[1].extend(page_rows)
        entry[2].extend(made)
        return made

    for index, (page, out) in enumerate(zip(pages, outs, strict=True)):
        if run.rows_only:
            for part in plan.parts:
                if isinstance(part, NodesPart):
                    objects(part.plan, page.rows)
                elif isinstance(part, EdgesPart):
                    for _, kind, sub in part.parts:
                        if kind == "node" and isinstance(sub, ObjectPlan):
                            objects(sub, page.rows)
            continue
        keys: list[tuple[Any, ...]] | None = None
        written: dict[str, Any] = {}
        for part in plan.parts:
            if isinstance(part, NodesPart):
                written[part.key] = objects(part.plan, page.rows)
            elif isinstance(part, EdgesPart):
                keys = keys if keys is not None else _keys(page)
                edges: list[dict[str, Any]] = [{} for _ in page.rows]
                for key, kind, sub in part.parts:
                    if kind == "node":
                        assert isinstance(sub, ObjectPlan)
                        for edge, made in zip(edges, objects(sub, page.rows), strict=True):
                            edge[key] = made
                    elif kind == "cursor":
                        for edge, row_key in zip(edges, keys, strict=True):
                            edge[key] = page.cursors.seal(page.ordering, row_key)
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
    for object_plan, object_rows, written_objects in pending.values():
        await _fill(run, object_plan, object_rows, written_objects)


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
