"""Statements built once per shape, compiled once per dialect, run with only their parameters bound.

A read of the compiled path (and of the loaders it shares with the resolvers) has a few shapes: the
periods of some people, in the viewer's row scope, with or without a type filter and a cursor. Its
values (the people, the scope's province, the cursor's key) change with every request; its SQL
does not. SQLAlchemy would rebuild the expression, walk it for its cache key and expand the `IN`
list on every execution. Here:

* a statement is built once per *shape*: a key naming the statement plus the structure of its
  variable *parts* (a row scope, a filter, a cursor's comparison), made per request as before but
  only walked for their values;
* the parent ids are one parameter (`ids_in`): on PostgreSQL an array, so the SQL text does not
  depend on how many there are (asyncpg's prepared statements see one text); on SQLite a list
  expanded into the text at each execution, which its planner reads best;
* it is compiled once per dialect and executed with its parameters, through the connection the
  first time and then straight through the driver (`_direct`), the cursor events fired either
  way, so the statement counter and the read/write tracking see it as any other.

The rows are tuples with the columns as attributes, each value through its type's processor as
SQLAlchemy's rows are (`typed_rows`, made once per compiled statement): plans and resolvers read
them as they read `session.execute`'s rows, without a Row object per row (no `_mapping`).
"""

from __future__ import annotations

import gc
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, String, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.expression import Executable
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Boolean, TypeDecorator

from models import postgresql, sqlite
from models.sqlite import OneTripConnection


class IdList(TypeDecorator[list[int]]):
    """A list of ids as one parameter: an array on PostgreSQL (SQLite expands it: `_IdsIn`)."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(BigInteger()))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else list(value)


class CodeList(IdList):
    """A list of codes (text) as one parameter."""

    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(String()))
        return dialect.type_descriptor(String())


class _IdsIn(ColumnElement[bool]):
    """`column` is one of the ids bound to one parameter."""

    __visit_name__ = "ids_in"
    inherit_cache = True
    _is_implicitly_boolean = True  # a condition itself: not compared with 1 where booleans are not native
    type = Boolean()
    _traverse_internals = [  # noqa: RUF012 (SQLAlchemy's own declaration)
        ("column", InternalTraversal.dp_clauseelement),
        ("parameter", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], parameter: BindParameter[Any]) -> None:
        self.column = column
        self.parameter = parameter


@compiles(_IdsIn, "postgresql")
def _ids_in_postgresql(element: _IdsIn, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY ({compiler.process(element.parameter, **kw)})"


@compiles(_IdsIn)
def _ids_in_sqlite(element: _IdsIn, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite's planner loops over a literal IN list (an index probe per id) but does not know how
    # many rows json_each gives: it would drive from the row scope instead (every person of a
    # province for 100 ids). So the ids are expanded into the text at each execution, as
    # SQLAlchemy's `in_` does; SQLite keeps no plans between connections to lose by it.
    expanding = bindparam(element.parameter.key, expanding=True, type_=element.column.type)
    return compiler.process(element.column.in_(expanding), **kw)


def ids_in(column: ColumnElement[Any], name: str = "ids", *, codes: bool = False) -> ColumnElement[bool]:
    """`column IN (the ids)`, whatever their number, with the ids (or text `codes`) bound as the
    parameter `name`."""
    return _IdsIn(column, bindparam(name, type_=CodeList() if codes else IdList()))


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of a statement made per request (a row scope, a filter, a cursor's comparison):
    its structure joins the statement's shape, its bound values are the request's parameters."""

    expression: ColumnElement[Any]
    structure: Hashable
    values: tuple[Any, ...]


# The parts of the expressions met last, by identity: a row scope is made once per viewer's facts
# (auth/scopes.py) and comes back for each of that viewer's requests; walking it for its cache
# key again each time cost more than the statement's execution. The expression is kept beside its
# part, so that its id is not reused meanwhile; expressions are immutable.
_PARTS: OrderedDict[int, tuple[ColumnElement[Any], Part | None]] = OrderedDict()
PARTS_KEPT = 1024


def part(expression: ColumnElement[Any]) -> Part | None:
    """The expression as a part, or None when SQLAlchemy cannot key it (then nothing is cached)."""
    known = _PARTS.get(id(expression))
    if known is not None and known[0] is expression:
        _PARTS.move_to_end(id(expression))
        return known[1]
    key = expression._generate_cache_key()
    made = (
        None if key is None else Part(expression, key.key, tuple(b.effective_value for b in key.bindparams))
    )
    _PARTS[id(expression)] = (expression, made)
    if len(_PARTS) > PARTS_KEPT:
        _PARTS.popitem(last=False)
    return made


@dataclass(slots=True)
class Built:
    """One shape's statement, the bind names of its parts, and its compiled forms per dialect."""

    statement: Executable
    part_names: tuple[tuple[str, ...], ...]
    compiled: dict[tuple[str, str, Any], SQLCompiler] = field(default_factory=dict)
    # Per compiled form: how a driver row becomes a typed row (None: SQLAlchemy's rows).
    hydrate: dict[int, Callable[[Sequence[Any]], list[Any]] | None] = field(default_factory=dict)
    # Per compiled form: the names of its expanded lists (`_bound`), or () with the form in
    # `literal` when a value is rendered into its text; per form, lengths and names given: the
    # text and the plan of its positional parameters.
    expanding: dict[int, tuple[str, ...]] = field(default_factory=dict)
    literal: set[int] = field(default_factory=set)
    bindings: dict[Hashable, tuple[str, list[Binding]]] = field(default_factory=dict)

    def compiled_for(self, dialect: Dialect) -> SQLCompiler:
        # Dialects of the same name, driver and server version compile alike (the tests make an
        # engine per app; all share one compiled statement).
        key = (dialect.name, dialect.driver, getattr(dialect, "server_version_info", None))
        found = self.compiled.get(key)
        if found is None:
            found = self.compiled[key] = self.statement.compile(dialect=dialect)  # type: ignore[attr-defined,assignment]
        return found


class Shapes:
    """The statements built so far, least recently used first out."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._built: OrderedDict[Hashable, Built] = OrderedDict()

    def get(
        self,
        key: Hashable,
        parts: Sequence[Part],
        build: Callable[[Sequence[ColumnElement[Any]]], Executable],
    ) -> Built:
        full = (key, tuple(p.structure for p in parts))
        found = self._built.get(full)
        if found is not None:
            self._built.move_to_end(full)
            return found
        statement = build([p.expression for p in parts])
        # The parts' binds are named in the statement by their keys: the values of a later part of
        # the same structure are bound in the same order (SQLAlchemy's own cache does the same).
        names = tuple(
            tuple(b.key for b in p.expression._generate_cache_key().bindparams)  # type: ignore[union-attr]
            for p in parts
        )
        found = self._built[full] = Built(statement, names)
        if len(self._built) > self.size:
            self._built.popitem(last=False)
        return found


SHAPES = Shapes()


def parameters(built: Built, parts: Sequence[Part], values: dict[str, Any]) -> dict[str, Any]:
    """The statement's parameters: the named ones and every part's values."""
    for names, p in zip(built.part_names, parts, strict=True):
        values.update(zip(names, p.values, strict=True))
    return values


def typed_rows(keys: Sequence[str], processors: Sequence[Any]) -> Callable[[Sequence[Any]], list[Any]] | None:
    """A function from the driver's rows to rows of a tuple class whose attributes are the
    columns (what the plans and resolvers read), each value through its type's processor: what
    SQLAlchemy's rows do, without a Row object per row. None when the names are not attributes
    (duplicates, not identifiers): SQLAlchemy's rows then."""
    names = [str(k) for k in keys]
    if len(set(names)) != len(names) or not all(n.isidentifier() and not n.startswith("_") for n in names):
        return None
    namespace: dict[str, Any] = {"__slots__": (), "__repr__": lambda self: f"Row{tuple(self)!r}"}
    for index, name in enumerate(names):
        namespace[name] = property(itemgetter(index))
    row_class = type("Row", (tuple,), namespace)
    scope: dict[str, Any] = {"new": tuple.__new__, "Row": row_class}
    items = []
    for index, processor in enumerate(processors):
        if processor is None:
            items.append(f"r[{index}]")
        else:
            scope[f"p{index}"] = processor
            items.append(f"p{index}(r[{index}])")
    if all(p is None for p in processors):
        # asyncpg gives the values typed: the driver's row is copied as it is.
        source = "def hydrate(raw):\n    return [new(Row, r) for r in raw]\n"
    else:
        body = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        source = f"def hydrate(raw):\n    return [new(Row, {body}) for r in raw]\n"
    exec(compile(source, "<typed rows>", "exec"), scope)  # noqa: S102 (our own column names)
    return scope["hydrate"]  # type: ignore[no-any-return]


LARGE = 1000  # rows: a result this large is hydrated with the cyclic collector paused


def _run(sync_session: Any, built: Built, values: dict[str, Any]) -> list[Any]:
    connection: Connection = sync_session.connection()
    dialect = connection.dialect
    compiled = built.compiled_for(dialect)
    distilled = [values]
    # What Connection.execute does after its compiled cache: the same execution context, cursor
    # events and rows, without walking the statement for a key or compiling it again.
    result = connection._execute_context(
        dialect,
        dialect.execution_ctx_cls._init_compiled,  # type: ignore[attr-defined]
        compiled,
        distilled,
        connection._execution_options,
        compiled,
        distilled,
        built.statement,
        None,
        cache_hit=dialect.CACHE_HIT,
    )
    key = id(compiled)
    if key in built.hydrate:
        hydrate = built.hydrate[key]
    else:
        metadata = result._metadata
        hydrate = built.hydrate[key] = typed_rows(metadata._keys, metadata._processors)  # type: ignore[attr-defined]
    if hydrate is None:
        return result.all()  # type: ignore[return-value]
    raw = result.cursor.fetchall()  # type: ignore[union-attr]
    result._soft_close()
    return _hydrated(hydrate, raw)


async def run(
    session: AsyncSession,
    key: Hashable,
    expressions: Sequence[ColumnElement[Any]],
    build: Callable[[Sequence[ColumnElement[Any]]], Executable],
    values: dict[str, Any],
) -> list[Any]:
    """The rows of the statement `build` makes of the parts `expressions`, built once per `key` and
    structure of the parts; `values` are the named parameters (`ids`...)."""
    parts = [part(e) for e in expressions]
    if any(p is None for p in parts):  # a part SQLAlchemy cannot key: built for this request only
        return list((await session.execute(build(expressions), values)).all())  # type: ignore[call-overload]
    built = SHAPES.get(key, parts, build)  # type: ignore[arg-type]
    return await rows(session, built, parameters(built, parts, values))  # type: ignore[arg-type]


def dialect_name(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else ""


async def rows(session: AsyncSession, built: Built, values: dict[str, Any]) -> list[Any]:
    """The statement's rows in the session's transaction, one statement at a time."""
    serial = getattr(session, "_serial", None)  # models/engine.SerialSession's queue
    if serial is None:
        return await session.run_sync(_run, built, values)
    async with serial:
        found = await _direct(session, built, values)
        if found is not None:
            return found
        return await session.run_sync(_run, built, values)


def _open_connection(session: AsyncSession) -> Connection | None:
    """The connection of the session's transaction if it has one already: using it does no I/O."""
    sync = session.sync_session
    transaction = sync.get_transaction()
    if transaction is None or not transaction.is_active:
        return None
    entry = transaction._connections.get(sync.bind) if sync.bind is not None else None
    if entry is None:
        return None
    connection: Connection = entry[0]
    return None if connection.closed or connection.invalidated else connection


async def _direct(session: AsyncSession, built: Built, values: dict[str, Any]) -> list[Any] | None:
    """The rows straight from the driver, or None: SQLAlchemy's execution then.

    What `_run` costs beyond the driver is SQLAlchemy's execution context (parameters, cursor,
    result), 60–100 microseconds a statement: the citizen's home screen is four statements of
    tens of microseconds each. Once a statement has run through `_run` (its typed rows known) and
    the session's transaction has its connection, it runs here: the same text and processed
    parameters SQLAlchemy would send, the same cursor events (the statement counter, the answer
    cache's read tracking, anything listening), the same typed rows. On SQLite a driver error is
    left to `_run` to raise as SQLAlchemy does (a read changes nothing to run again); on
    PostgreSQL, whose transaction a failed statement aborts, it is wrapped here as SQLAlchemy
    wraps it (a timeout stays a timeout: QUERY_TOO_COMPLEX)."""
    bind = session.bind
    if bind is None:
        return None
    compiled = built.compiled_for(bind.dialect)
    hydrate = built.hydrate.get(id(compiled))
    if hydrate is None:
        return None  # not run yet: `_run` learns its rows' types
    connection = _open_connection(session)
    if connection is None:
        # The request's first statement: the connection is checked out and its transaction begun
        # as for any statement, then the read goes the short way.
        await session.connection()
        connection = _open_connection(session)
        if connection is None:
            return None
    dbapi_connection = connection.connection.dbapi_connection
    on_sqlite = isinstance(dbapi_connection, OneTripConnection)
    if not (on_sqlite or isinstance(dbapi_connection, AsyncAdapt_asyncpg_connection)):
        return None
    statement, parameters = _bound(built, compiled, values)
    events = connection._has_events or connection.engine._has_events
    if events:
        connection.dispatch.before_cursor_execute(connection, None, statement, parameters, None, False)
    if on_sqlite:
        try:
            raw = await sqlite.read(dbapi_connection, statement, parameters)
        except Exception:  # raised again, as SQLAlchemy raises it, by `_run`
            return None
    else:
        try:
            raw = await postgresql.read(dbapi_connection, statement, parameters)
        except connection.dialect.loaded_dbapi.Error as error:
            connection._handle_dbapi_exception(error, statement, parameters, None, None)  # raises
            raise
    if raw is None:
        return None
    if events:
        connection.dispatch.after_cursor_execute(connection, None, statement, parameters, None, False)
    return _hydrated(hydrate, raw)


# How one execution's positional parameters are read from its values: per position, the value's
# name, its index in an expanded list (-1: not a list), its processor, and the statement's own value
# for a name the caller does not give.
Binding = tuple[str, int, Callable[[Any], Any] | None, Any]
_MISSING = object()
# Kept per statement: this many (lengths, names) plans, of lists this long at most in all (a page
# of ids is tens; a text with thousands of its own placeholders is not worth keeping).
BINDINGS_KEPT = 64
BINDINGS_LONGEST = 256


def _bound(built: Built, compiled: SQLCompiler, values: dict[str, Any]) -> tuple[str, list[Any]]:
    """The text and positional parameters SQLAlchemy would send for `values`.

    SQLAlchemy works them out per execution (`construct_expanded_state`: every bind's value, the
    IN lists expanded into the text by a regular expression), a tenth of the citizen's home
    screen. They depend on the values only through the lengths of the expanded lists (and the
    names given), so the text and a plan of the positions are kept per compiled statement and
    those lengths; a statement with a value rendered into its text (`literal_execute`) is worked
    out every time."""
    expanding = built.expanding.get(id(compiled))
    if expanding is None:
        late = compiled.post_compile_params
        if compiled.literal_execute_params or any(b.literal_execute or not b.expanding for b in late):
            expanding = built.expanding[id(compiled)] = ()  # type: ignore[assignment]
            built.literal.add(id(compiled))
        else:
            expanding = built.expanding[id(compiled)] = tuple(sorted(b.key for b in late))
    if id(compiled) in built.literal or any(n not in values for n in expanding):
        return _worked_out(compiled, values)  # a list not given: SQLAlchemy's own error for it
    lengths = tuple(len(values[n]) for n in expanding)
    if sum(lengths) > BINDINGS_LONGEST:
        return _worked_out(compiled, values)
    key = (id(compiled), lengths, tuple(values))
    known = built.bindings.get(key)
    if known is None:
        if len(built.bindings) >= BINDINGS_KEPT:
            built.bindings.clear()
        known = built.bindings[key] = _bindings(compiled, values)
    statement, bindings = known
    parameters = []
    for name, index, processor, constant in bindings:
        value = constant if constant is not _MISSING else values[name] if index < 0 else values[name][index]
        parameters.append(value if processor is None else processor(value))
    return statement, parameters


def _bindings(compiled: SQLCompiler, values: dict[str, Any]) -> tuple[str, list[Binding]]:
    state = compiled.construct_expanded_state(values)
    processors = {name: p for name, p in compiled._bind_processors.items() if callable(p)}
    processors.update(state.processors)  # type: ignore[arg-type]
    expanded = {
        e: (name, i) for name, names in state.parameter_expansion.items() for i, e in enumerate(names)
    }
    # A bind is given by its key (an anonymous one's is not the name it has in the text).
    keys = {name: bind.key for name, bind in compiled.binds.items()}
    bindings: list[Binding] = []
    for position in state.positiontup or ():
        name, index = expanded.get(position, (position, -1))
        key = keys.get(name, name)
        constant = _MISSING if key in values else state.parameters[position]
        bindings.append((key, index, processors.get(position), constant))
    return state.statement, bindings


def _worked_out(compiled: SQLCompiler, values: dict[str, Any]) -> tuple[str, list[Any]]:
    state = compiled.construct_expanded_state(values)
    processors = {name: p for name, p in compiled._bind_processors.items() if callable(p)}
    processors.update(state.processors)  # type: ignore[arg-type]
    given = state.parameters
    return state.statement, [
        processors[n](given[n]) if n in processors else given[n]  # type: ignore[operator]
        for n in state.positiontup or ()
    ]


def _hydrated(hydrate: Callable[[Sequence[Any]], list[Any]], raw: Sequence[Any]) -> list[Any]:
    if len(raw) < LARGE or not gc.isenabled():
        return hydrate(raw)
    # Thousands of new tuples would run the collector over and over through every young object
    # (a third of the hydration of 10,000 employees); tuples of plain values make no cycles.
    gc.disable()
    try:
        return hydrate(raw)
    finally:
        gc.enable()
