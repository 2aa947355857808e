"""What the compiler knows of the schema: per object type, how each field is read from a row.

This is the one place the compiler restates the ordinary resolvers, and it restates them by
*calling the same code*: leaf fields of guarded types are read through the types' own `_readers`
(auth/guard.py), links load through the same resolver functions and loader batch functions
(resolvers/loaders.py, resolvers/children.py) with the same row scopes and the same pagination
(resolvers/pagination.py). So the SQL a plan runs is, statement for statement, the SQL of the
ordinary executor, except that child lists select only the columns the plan reads
(compiler/columns.py); the per-field machinery of graphql-core and strawberry is gone.

A field that is not listed here is unknown to the compiler, and an operation that selects it
falls back to the ordinary executor.
"""

from __future__ import annotations

import binascii
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Protocol

from auth import policy
from auth.policy import Relation
from auth.viewer import Viewer
from compiler.columns import Columns

if TYPE_CHECKING:
    from compiler.plan import Run

Reader = Callable[[Any], Any]
# A link's batch: the parents' rows and the coerced arguments -> one result per parent.
Fetch = Callable[["Run", Sequence[Any], dict[str, Any]], Awaitable[list[Any]]]


class NarrowingFetch(Protocol):
    """A fetch that can select only the columns its children's plan reads (None: every one)."""

    def __call__(
        self, run: Run, parents: Sequence[Any], args: dict[str, Any], columns: Columns | None = None
    ) -> Awaitable[list[Any]]: ...


# A connection's totals: the same parents and arguments -> one count per parent.
Count = Callable[["Run", Sequence[Any], dict[str, Any], list[Any]], Awaitable[list[int]]]


@dataclass(frozen=True, slots=True)
class Leaf:
    """A scalar or enum field: its policy name (None: not guarded) and how to read it."""

    policy: str | None
    read: Reader


@dataclass(frozen=True, slots=True)
class Link:
    """A field whose value is another object, a connection of objects, or a list of objects."""

    target: str  # the GraphQL object type of the child (of the nodes, for a connection)
    fetch: Fetch
    args: frozenset[str] = frozenset()  # the GraphQL arguments this fetch understands
    policy: str | None = None  # checked with auth.guard.allow before loading (None: not guarded)
    # "object" | "connection" | "list" (of objects: a flat list, no pages) | "same" (the parent's
    # row, no load) | "abstract" (an interface: the fetch gives (type name, row), each row written by
    # its type's plan)
    kind: str = "object"
    count: Count | None = None
    # The parent's columns the fetch reads (None: unknown, the parent's rows are not narrowed).
    reads: Columns | None = None
    # The fetch is a NarrowingFetch: the children's rows carry only what their plan reads.
    narrows: bool = False


@dataclass(frozen=True, slots=True)
class TypeSpec:
    name: str
    leaves: dict[str, Leaf]
    links: dict[str, Link] = field(default_factory=dict)
    # The relation of the viewer to a row (None: the type is not guarded by relation).
    relation: Callable[[Viewer | None, Any], Relation] | None = None
    # The person a row is about, for the access log (auth/guard.py's `_owner`).
    owner: Callable[[Any], int] = lambda row: 0
    # What the ordinary link passes to `allow` as the person (a unit: 0, nobody).
    link_owner: Callable[[Any], int] | None = None
    # The relation is the viewer's alone for anonymous, ADMIN and ANALYST viewers (compiler/plan.py
    # role_constant): true of every relation function of auth/policy.py used here.
    role_constant: bool = True


@dataclass(slots=True)
class ConnectionPage:
    """One parent's page of a connection, as schema/pagination.py's `connection` sees a Slice."""

    rows: Sequence[Any]
    has_next: bool
    has_previous: bool
    ordering: Any
    cursors: Any
    # Root lists count with their own statement (Slice.count); child lists count in a batch.
    count: Callable[[], Awaitable[int]] | None = None


def _guarded_leaves(cls: Any) -> dict[str, Leaf]:
    """The `_readers` of a guarded strawberry type, by GraphQL field name (the policy name's).
    Their `id` is schema/node.py's global id, made without its per-call overhead."""
    leaves = {name.split(".", 1)[1]: Leaf(name, read) for name, read in cls._readers.values()}
    if "id" in leaves:
        leaves["id"] = Leaf(leaves["id"].policy, global_id_of(cls.__name__))
    return leaves


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def global_id_of(type_name: str) -> Reader:
    """schema.node.global_id(type_name, row.id), the same characters (tests/test_compiler.py)."""
    prefix = f"{type_name}:".encode()
    encode = binascii.b2a_base64

    def read(row: Any) -> str:
        return encode(prefix + str(row.id).encode(), newline=False).translate(_URLSAFE).rstrip(b"=").decode()

    return read


# ---------- fetches: each calls what the ordinary resolver calls ----------


async def _persons_root(run: Run, parents: Sequence[Any], args: dict[str, Any]) -> list[Any]:
    from resolvers import person

    slice_ = await person.persons(
        run.context,
        args.get("search"),
        args.get("provinceCode"),
        args.get("unitCode"),
        args.get("first"),
        args.get("after"),
    )
    return [_root_page(slice_)]


async def _person_root(run: Run, parents: Sequence[Any], args: dict[str, Any]) -> list[Any]:
    from resolvers import person

    return [await person.person_by_code(run.context, args["socialInsuranceCode"])]


async def _units_root(run: Run, parents: Sequence[Any], args: dict[str, Any]) -> list[Any]:
    from resolvers import unit

    slice_ = await unit.units(
        run.context,
        args.get("search"),
        None,
        args.get("provinceCode"),
        args.get("first"),
        args.get("after"),
        public=False,
    )
    return [_root_page(slice_)]


async def _unit_root(run: Run, parents: Sequence[Any], args: dict[str, Any]) -> list[Any]:
    from resolvers import unit

    return [await unit.unit_by_code(run.context, args["code"])]


async def _card_root(run: Run, parents: Sequence[Any], args: dict[str, Any]) -> list[Any]:
    from resolvers import card

    return [await card.card_by_number(run.context, args["number"])]


async def _contribution_statistics_root(run: Run, parents: Sequence[Any], args: dict[str, Any]) -> list[Any]:
    from schema.statistics import contribution_statistics

    kind = args.get("insuranceType")
    return [
        await contribution_statistics(
            run.context,
            [d.value for d in args["groupBy"]],
            args.get("provinceCode"),
            kind.value if kind is not None else None,
            args.get("fromYear"),
            args.get("toYear"),
        )
    ]


async def _visit_statistics_root(run: Run, parents: Sequence[Any], args: dict[str, Any]) -> list[Any]:
    from schema.statistics import visit_statistics

    return [
        await visit_statistics(
            run.context,
            [d.value for d in args["groupBy"]],
            args.get("provinceCode"),
            args.get("fromYear"),
            args.get("toYear"),
        )
    ]


def _attributes(*names: str) -> dict[str, Leaf]:
    """Leaves read straight from the attributes of the objects the statistics build."""
    from strawberry.utils.str_converters import to_camel_case

    return {to_camel_case(n): Leaf(None, attrgetter(n)) for n in names}


async def _node_root(run: Run, parents: Sequence[Any], args: dict[str, Any]) -> list[Any]:
    """`node(id:)` as schema/root.py's resolver reads it: the type and the row (None: absent,
    outside the viewer's scope, or a type without a node), through the same row scope."""
    from resolvers.node import node_row
    from schema.node import parse_global_id
    from schema.root import WRAPPERS

    type_name, pk = parse_global_id(args["id"])  # BAD_USER_INPUT: the ordinary executor says so
    if type_name not in WRAPPERS:
        return [None]
    row = await node_row(run.context, type_name, pk)
    return [None if row is None else (type_name, row)]


async def _viewer_root(run: Run, parents: Sequence[Any], args: dict[str, Any]) -> list[Any]:
    from resolvers import account

    return [account.viewer_account(run.context)]


def _root_page(slice_: Any) -> ConnectionPage:
    return ConnectionPage(
        slice_.rows, slice_.has_next, slice_.has_previous, slice_.ordering, slice_.cursors, slice_.count
    )


def _by_id(loader: str, column: str) -> Fetch:
    """A to-one link through one of the `_by_key` loaders (persons_by_id, units_by_id...)."""

    async def fetch(run: Run, parents: Sequence[Any], args: dict[str, Any]) -> list[Any]:
        keys = [getattr(p, column) for p in parents]
        wanted = list(dict.fromkeys(k for k in keys if k is not None))
        if not wanted:
            return [None] * len(parents)
        rows = await getattr(run.context.loaders, loader).load_fn(wanted)
        found = dict(zip(wanted, rows, strict=True))
        return [found.get(k) if k is not None else None for k in keys]

    return fetch


async def _cards_of(run: Run, parents: Sequence[Any], args: dict[str, Any]) -> list[Any]:
    ids = [p.id for p in parents]
    rows = await run.context.loaders.cards_by_person.load_fn(list(dict.fromkeys(ids)))
    found = dict(zip(dict.fromkeys(ids), rows, strict=True))
    return [found.get(i) for i in ids]


async def _participation_of(run: Run, parents: Sequence[Any], args: dict[str, Any]) -> list[Any]:
    kind = args["insuranceType"]
    keys = list(dict.fromkeys((p.id, kind.value) for p in parents))
    summaries = await run.context.loaders.participation_by_person.load_fn(keys)
    found = dict(zip(keys, summaries, strict=True))
    return [(kind, found.get((p.id, kind.value))) for p in parents]


def _children(
    loader: str,
    ordering: Callable[[Run], Any],
    args_of: Callable[[dict[str, Any]], tuple[Any, ...]],
    check: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[NarrowingFetch, Count]:
    """A child connection through a `Children` loader: the same page key, the same batch (with
    only the columns the children's plan reads, when it is known)."""

    async def fetch(
        run: Run, parents: Sequence[Any], args: dict[str, Any], columns: Columns | None = None
    ) -> list[Any]:
        from resolvers.pagination import page

        if check is not None:
            check(args)
        children = getattr(run.context.loaders, loader)
        cursors = run.context.cursors
        page_ = page(args.get("first"), args.get("after"), ordering(run), cursors)
        key_args = args_of(args)
        ids = [p.id for p in parents]
        keys = [(i, key_args, page_) for i in dict.fromkeys(ids)]
        load = children.pages.load_fn if columns is None else children.narrowed(columns)
        loaded = await load(keys) if keys else []
        found = {k[0]: v for k, v in zip(keys, loaded, strict=True)}
        spec = children.spec
        return [
            ConnectionPage(found[i][0], found[i][1], page_.after is not None, spec.ordering, cursors)
            for i in ids
        ]

    async def count(run: Run, parents: Sequence[Any], args: dict[str, Any], pages: list[Any]) -> list[int]:
        children = getattr(run.context.loaders, loader)
        key_args = args_of(args)
        keys = [(i, key_args) for i in dict.fromkeys(p.id for p in parents)]
        totals = await children.counts.load_fn(keys) if keys else []
        found = {k[0]: v for k, v in zip(keys, totals, strict=True)}
        return [found[p.id] for p in parents]

    return fetch, count


def _enum_value(name: str) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    return lambda a: (a[name].value if a.get(name) is not None else None,)


def _check_year(args: dict[str, Any]) -> None:
    from resolvers import person

    person.check_year(args.get("year"))


def _period_order(run: Run) -> Any:
    from resolvers.loaders import PERIOD_ORDER

    return PERIOD_ORDER


def _visit_order(run: Run) -> Any:
    from resolvers.loaders import VISIT_ORDER

    return VISIT_ORDER


def _benefit_order(run: Run) -> Any:
    from resolvers.loaders import BENEFIT_ORDER

    return BENEFIT_ORDER


def _roster_order(run: Run) -> Any:
    from resolvers.loaders import roster_order

    return roster_order(run.context.viewer)


async def _same(run: Run, parents: Sequence[Any], args: dict[str, Any]) -> list[Any]:
    return list(parents)


async def _province_of(run: Run, parents: Sequence[Any], args: dict[str, Any]) -> list[Any]:
    keys = [(p.address_scheme, p.province_code) for p in parents]
    wanted = list(dict.fromkeys(keys))
    rows = await run.context.loaders.admin_units_by_code.load_fn(wanted)
    found = dict(zip(wanted, rows, strict=True))
    return [found.get(k) for k in keys]


# ---------- the types ----------


@cache
def specs() -> dict[str, TypeSpec]:
    """Built on first use: the schema's modules import the compiler's hook, not the reverse."""
    from resolvers import account
    from schema.benefit import Benefit
    from schema.card import HealthInsuranceCard
    from schema.contribution import ContributionPeriod
    from schema.person import Person
    from schema.visit import MedicalVisit

    periods, periods_count = _children("periods_by_person", _period_order, _enum_value("insuranceType"))
    unit_periods, unit_periods_count = _children(
        "periods_by_unit", _period_order, _enum_value("insuranceType")
    )
    visits, visits_count = _children(
        "visits_by_person", _visit_order, lambda a: (a.get("year"),), _check_year
    )
    benefits, benefits_count = _children("benefits_by_person", _benefit_order, _enum_value("regime"))
    employees, employees_count = _children("employees_by_unit", _roster_order, lambda a: ())
    page_args = frozenset({"first", "after"})
    # What the links read of their parent's row: its id, or the key of the row it points to.
    own_id, person_key = frozenset({"id"}), frozenset({"person_id"})

    person_leaves = _guarded_leaves(Person)
    # idDocument is an object, address a masked object: not leaves the compiler takes.
    person_leaves.pop("idDocument", None)
    person = TypeSpec(
        "Person",
        person_leaves,
        {
            "healthInsuranceCard": Link(
                "HealthInsuranceCard", _cards_of, policy="Person.healthInsuranceCard", reads=own_id
            ),
            "contributionPeriods": Link(
                "ContributionPeriod",
                periods,
                page_args | {"insuranceType"},
                "Person.contributionPeriods",
                "connection",
                periods_count,
                own_id,
                narrows=True,
            ),
            "medicalVisits": Link(
                "MedicalVisit",
                visits,
                page_args | {"year"},
                "Person.medicalVisits",
                "connection",
                visits_count,
                own_id,
                narrows=True,
            ),
            "benefits": Link(
                "Benefit",
                benefits,
                page_args | {"regime"},
                "Person.benefits",
                "connection",
                benefits_count,
                own_id,
                narrows=True,
            ),
            "participation": Link(
                "ParticipationSummary",
                _participation_of,
                frozenset({"insuranceType"}),
                "Person.participation",
                reads=own_id,
            ),
        },
        relation=lambda viewer, row: policy.relation_to_person(viewer, row.id, row.province_scope),
        owner=attrgetter("id"),
    )
    card = TypeSpec(
        "HealthInsuranceCard",
        _guarded_leaves(HealthInsuranceCard),
        {"holder": Link("Person", _by_id("persons_by_id", "person_id"), reads=person_key)},
        relation=lambda viewer, row: policy.relation_to_record(viewer, row.person_id, row.owner_province),
        owner=attrgetter("person_id"),
    )
    period = TypeSpec(
        "ContributionPeriod",
        _guarded_leaves(ContributionPeriod),
        {
            "unit": Link("Unit", _by_id("units_by_id", "unit_id"), reads=frozenset({"unit_id"})),
            "person": Link("Person", _by_id("persons_by_id", "person_id"), reads=person_key),
        },
        relation=lambda viewer, row: policy.relation_to_period(
            viewer, row.person_id, row.owner_province, row.unit_id
        ),
        owner=attrgetter("person_id"),
    )
    visit = TypeSpec(
        "MedicalVisit",
        _guarded_leaves(MedicalVisit),
        {"person": Link("Person", _by_id("persons_by_id", "person_id"), reads=person_key)},
        relation=lambda viewer, row: policy.relation_to_visit(
            viewer, row.person_id, row.owner_province, row.facility_id
        ),
        owner=attrgetter("person_id"),
    )
    benefit = TypeSpec(
        "Benefit",
        _guarded_leaves(Benefit),
        {"person": Link("Person", _by_id("persons_by_id", "person_id"), reads=person_key)},
        relation=lambda viewer, row: policy.relation_to_record(viewer, row.person_id, row.owner_province),
        owner=attrgetter("person_id"),
    )
    unit = TypeSpec(
        "Unit",
        {
            "id": Leaf(None, global_id_of("Unit")),
            "code": Leaf(None, lambda r: r.code),
            "name": Leaf(None, lambda r: r.name),
            "taxCode": Leaf(None, lambda r: r.tax_code),
        },
        {
            "employees": Link(
                "Person",
                employees,
                page_args,
                "Unit.employees",
                "connection",
                employees_count,
                own_id,
                narrows=True,
            ),
            "contributionPeriods": Link(
                "ContributionPeriod",
                unit_periods,
                page_args | {"insuranceType"},
                "Unit.contributionPeriods",
                "connection",
                unit_periods_count,
                own_id,
                narrows=True,
            ),
            "province": Link(
                "AdministrativeUnit", _province_of, reads=frozenset({"address_scheme", "province_code"})
            ),
        },
        relation=lambda viewer, row: policy.relation_to_unit(viewer, row.id, row.province_scope),
        link_owner=lambda row: 0,
    )
    administrative = TypeSpec(
        "AdministrativeUnit",
        {"code": Leaf(None, lambda r: r.code), "name": Leaf(None, lambda r: r.name)},
    )
    participation = TypeSpec(
        "ParticipationSummary",
        {
            # (insurance type, summary or None): schema/person.py makes zeros of a missing summary.
            "insuranceType": Leaf(None, lambda r: r[0]),
            "totalMonths": Leaf(None, lambda r: r[1].total_months if r[1] else 0),
            "years": Leaf(None, lambda r: r[1].total_months // 12 if r[1] else 0),
            "months": Leaf(None, lambda r: r[1].total_months % 12 if r[1] else 0),
            "firstMonth": Leaf(None, lambda r: r[1].first_month if r[1] else None),
            "lastMonth": Leaf(None, lambda r: r[1].last_month if r[1] else None),
        },
    )
    account_spec = TypeSpec(
        "Account",
        {
            "username": Leaf(None, lambda r: r.username),
            "role": Leaf(None, lambda r: r.role),
            "mustChangePassword": Leaf(None, account.must_change_password),
            "passwordChangedAt": Leaf(None, lambda r: r.password_changed_at),
        },
        {"person": Link("Person", _by_id("persons_by_id", "person_id"))},
    )
    viewer = TypeSpec(
        "Viewer",
        {},
        {
            "account": Link("Account", _same, kind="same"),
            "person": Link("Person", _by_id("persons_by_id", "person_id")),
        },
    )
    query = TypeSpec(
        "Query",
        {},
        {
            "persons": Link(
                "Person", _persons_root, page_args | {"search", "provinceCode", "unitCode"}, kind="connection"
            ),
            "person": Link("Person", _person_root, frozenset({"socialInsuranceCode"})),
            "units": Link("Unit", _units_root, page_args | {"search", "provinceCode"}, kind="connection"),
            "unit": Link("Unit", _unit_root, frozenset({"code"})),
            "healthInsuranceCard": Link("HealthInsuranceCard", _card_root, frozenset({"number"})),
            "viewer": Link("Viewer", _viewer_root),
            "node": Link("Node", _node_root, frozenset({"id"}), kind="abstract"),
            "contributionStatistics": Link(
                "ContributionStatistic",
                _contribution_statistics_root,
                frozenset({"groupBy", "provinceCode", "insuranceType", "fromYear", "toYear"}),
                kind="list",
            ),
            "visitStatistics": Link(
                "VisitStatistic",
                _visit_statistics_root,
                frozenset({"groupBy", "provinceCode", "fromYear", "toYear"}),
                kind="list",
            ),
        },
    )
    # The analysts' aggregates: flat groups, suppressed (or not) by resolvers/statistics.py.
    contribution_statistic = TypeSpec(
        "ContributionStatistic",
        _attributes(
            "province_code",
            "year",
            "insurance_type",
            "unit_code",
            "headcount",
            "person_months",
            "salary_months",
            "contributions",
        ),
    )
    visit_statistic = TypeSpec(
        "VisitStatistic",
        _attributes(
            "facility_code",
            "province_code",
            "icd_chapter",
            "year",
            "visit_type",
            "visits",
            "patients",
            "total_cost",
            "insurance_paid",
            "patient_paid",
        ),
    )
    return {
        s.name: s
        for s in (
            person,
            card,
            period,
            visit,
            benefit,
            unit,
            administrative,
            participation,
            account_spec,
            viewer,
            contribution_statistic,
            visit_statistic,
            query,
        )
    }
