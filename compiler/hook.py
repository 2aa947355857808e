"""Where the compiled path joins the ordinary one: a schema extension around execution.

It runs after the gate and validation (auth/gate.py: an operation that fails them never reaches
execution), so a plan is only ever made of a valid document the gate let through, and whatever
carried the operation (HTTP GET or POST, either WebSocket protocol) gets the same executor. The
pipeline around it (errors, the access-log flush, metrics, the answer cache) is unchanged: it sees
an ExecutionResult either way.

Modes (settings.compiler, ANSINH_COMPILER):
  on      the compiled answer when there is one, else the ordinary executor's;
  off     the ordinary executor only;
  verify  both, in the same unit of work; their answers (data and errors, as orjson bytes) and
          their access-log reads are compared, a difference is logged at ERROR and kept in
          `MISMATCHES`, and the ordinary answer is returned. The test suite runs in this mode.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Hashable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, OperationType
from graphql.execution.values import get_variable_values
from sqlalchemy.exc import SQLAlchemyError
from strawberry.extensions import SchemaExtension

from auth.guard import AccessRecorder
from compiler.build import Builder, Unsupported, directive_variables, select_operation
from compiler.cache import PlanCache
from compiler.plan import Fallback, Plan
from models.engine import StatementCounter, _current_counter

log = logging.getLogger("ansinh.compiler")


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One operation whose two answers differ (verify mode)."""

    query: str
    operation_name: str | None
    variables: Any
    role: str
    what: str  # "answer" | "access" | "crash"
    compiled: str
    ordinary: str


# Every difference verify mode found in this process (tests/conftest.py fails a test on one).
MISMATCHES: list[Mismatch] = []
# How many operations verify mode compared, and how many the compiler left to the ordinary
# executor (at compile or at run time), in this process.
STATS = {"compared": 0, "fallbacks": 0}
# Why, by reason (the unknown field, the refused field...): what to teach the compiler next.
REASONS: Counter[str] = Counter()

_caches: dict[tuple[int, int], PlanCache] = {}

# The document and operation name of a query this request's plan answered ("on" mode): the
# pipeline remembers them, to answer the same text next time without strawberry's machinery
# (gateway/pipeline.py). Set by the extension, read and reset by the pipeline.
ANSWERED: ContextVar[tuple[Any, str | None] | None] = ContextVar("compiled_answered", default=None)
# Set by the pipeline when it already ran this request's plan and it fell back: the ordinary
# executor answers, without running the plan a second time.
SKIP: ContextVar[bool] = ContextVar("compiled_skip", default=False)


def plan_cache(settings: Any) -> PlanCache:
    """The process's plan cache for these bounds (one per process in practice)."""
    bounds = (settings.compiler_plans, settings.compiler_plan_bytes)
    cache = _caches.get(bounds)
    if cache is None:
        cache = _caches[bounds] = PlanCache(*bounds)
    return cache


def _role(viewer: Any) -> str:
    return "ANONYMOUS" if viewer is None else str(viewer.role.value)


def _read_map(access: AccessRecorder) -> dict[int, list[str]]:
    return {pid: sorted(fields) for pid, fields in sorted(access.reads.items()) if pid}


def prepare(execution: Any, context: Any) -> tuple[Plan, Any] | None:
    """The plan of this operation and its coerced variables, or None: the ordinary executor."""
    document = execution.graphql_document
    query = execution.query
    if document is None or query is None:
        return None
    return plan_for(
        execution.schema._schema, document, query, execution.operation_name, execution.variables, context
    )


def plan_for(
    schema: Any,
    document: Any,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    context: Any,
) -> tuple[Plan, Any] | None:
    """The plan of a query operation of a valid document and its coerced variables, or None."""
    try:
        operation = select_operation(document, operation_name)
    except Unsupported:
        return None
    if operation.operation is not OperationType.QUERY:
        return None
    cache = plan_cache(context.runtime.settings)
    role = _role(context.viewer)
    shaping = cache.shaping(query, operation_name, lambda: directive_variables(operation, document))
    key: Hashable = (query, operation_name, role, ())
    found, plan = cache.get(key) if not shaping else (False, None)
    if found and plan is None:
        return None  # known to fall back, whatever the variables: graphql-core coerces them
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        return None  # the ordinary executor reports the variables' errors
    if shaping:
        try:
            shape = tuple(orjson.dumps(coerced.coerced.get(name)) for name in shaping)
        except TypeError:
            return None
        key = (query, operation_name, role, shape)
        found, plan = cache.get(key)
    if not found:
        try:
            plan = Builder(schema, document, operation, coerced.coerced).build()
        except Unsupported as exc:
            log.debug("compiler: falls back (%s)", exc)
            REASONS[str(exc)] += 1
            plan = None
        cache.put(key, plan, len(query))
    if plan is None:
        return None
    return plan, coerced


async def run_compiled(
    plan: Plan, context: Any, variables: Any, *, strict: bool = False
) -> tuple[dict[str, Any], AccessRecorder] | None:
    """The compiled answer's data and reads, or None when the ordinary executor must answer.
    `strict` (verify mode) raises a failed statement after the rollback, for the caller to tell a
    statement of the plan's own (narrowed columns) from one the ordinary executor fails too."""
    access = AccessRecorder()
    # Loaders of its own, the ordinary ones put back whatever happens: if the plan falls back, the
    # ordinary executor runs as if it had never run (its statements, their count, the order in
    # which its fields finish). A province the plan had already looked up once let a citizen's
    # refused statistics fail before the other root field's reads, which graphql-core then
    # cancelled, and the answer held 1 error of 5 (schema/execution.py now runs them to the end).
    loaders = context.loaders
    context.loaders = type(loaders)(context.session, context.viewer)
    try:
        data = await plan.execute(context, variables, access)
    except (Fallback, GraphQLError) as exc:
        REASONS[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1
        return None
    except SQLAlchemyError as exc:
        # The ordinary executor runs its statement and reports it as it always does; the session
        # must be usable for it (PostgreSQL refuses statements in a failed transaction).
        await context.session.rollback()
        REASONS[f"statement failed: {type(exc).__name__}"] += 1
        if strict:
            raise
        return None
    finally:
        context.loaders = loaders
    return data, access


class CompiledQueries(SchemaExtension):
    """Answers a query operation from its plan when the compiler takes it (compiler/hook.py)."""

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        runtime = getattr(context, "runtime", None)
        mode = getattr(getattr(runtime, "settings", None), "compiler", "off")
        if mode == "off" or execution.result is not None or SKIP.get():
            yield
            return
        try:
            prepared = prepare(execution, context)
        except Exception:
            log.exception("compiler: preparing a plan failed; the ordinary executor answers")
            if mode == "verify":
                self._mismatch("crash", "prepare failed", "")
            prepared = None
        if prepared is None:
            STATS["fallbacks"] += 1
            yield
            return
        plan, variables = prepared
        # Verify mode counts the compiled statements apart: the answer's own count (debug output,
        # the statement-count tests) is the ordinary executor's, and the two are compared.
        own = StatementCounter() if mode == "verify" else None
        token = _current_counter.set(own) if own is not None else None
        failed_statement: str | None = None
        try:
            compiled = await run_compiled(plan, context, variables, strict=mode == "verify")
        except SQLAlchemyError as exc:
            failed_statement = repr(exc)  # verify mode: a difference unless the ordinary one fails too
            compiled = None
        except Exception as exc:
            log.exception("compiler: a plan failed; the ordinary executor answers")
            if mode == "verify":
                self._mismatch("crash", repr(exc), "")
            compiled = None
        finally:
            if token is not None:
                _current_counter.reset(token)
        if compiled is None:
            STATS["fallbacks"] += 1
            yield
            result = execution.result
            if failed_statement is not None and result is not None and not result.errors:
                self._mismatch("crash", failed_statement, "the ordinary executor answered")
            return
        data, access = compiled
        if mode != "verify":
            if context.access.reads:
                for person_id, fields in access.reads.items():
                    context.access.reads.setdefault(person_id, set()).update(fields)
            else:
                context.access.reads = access.reads  # nothing was read before: the same, without a copy
            execution.result = GraphQLExecutionResult(data=data, errors=None)
            context.executor = "compiled"
            ANSWERED.set((execution.graphql_document, execution.operation_name))
            yield
            return
        outer = _current_counter.get()
        before = outer.count if outer is not None else 0
        yield  # the ordinary executor runs; its answer is the one returned
        result = execution.result
        if result is None:
            return
        context.compared = True
        STATS["compared"] += 1
        try:
            self._compare(data, access, result, context, own, outer, before)
        except Exception:
            log.exception("compiler: comparing the two answers failed")
            self._mismatch("crash", "comparing failed", "")

    def _compare(
        self,
        data: dict[str, Any],
        access: AccessRecorder,
        result: Any,
        context: Any,
        own: StatementCounter | None,
        outer: StatementCounter | None,
        before: int,
    ) -> None:
        ordinary = orjson.dumps(
            {"data": result.data, "errors": [e.formatted for e in result.errors] if result.errors else None}
        )
        mine = orjson.dumps({"data": data, "errors": None})
        if mine != ordinary:
            self._mismatch("answer", mine.decode(), ordinary.decode())
            return
        compiled_reads, ordinary_reads = _read_map(access), _read_map(context.access)
        if compiled_reads != ordinary_reads:
            keys = orjson.OPT_NON_STR_KEYS
            self._mismatch(
                "access",
                orjson.dumps(compiled_reads, option=keys).decode(),
                orjson.dumps(ordinary_reads, option=keys).decode(),
            )
        elif own is not None and outer is not None and own.count > outer.count - before:
            self._mismatch("statements", str(own.count), str(outer.count - before))

    def _mismatch(self, what: str, compiled: str, ordinary: str) -> None:
        execution = self.execution_context
        found = Mismatch(
            query=execution.query or "",
            operation_name=execution.operation_name,
            variables=execution.variables,
            role=_role(getattr(execution.context, "viewer", None)),
            what=what,
            compiled=compiled[:2000],
            ordinary=ordinary[:2000],
        )
        MISMATCHES.append(found)
        log.error(
            "compiler: the compiled and ordinary %s differ (%s, role %s):\n%s\ncompiled: %.2000s\nordinary: %.2000s",
            what,
            execution.operation_name or "anonymous",
            found.role,
            found.query,
            compiled,
            ordinary,
        )


def compile_query(
    query: str, variables: dict[str, Any] | None = None, operation_name: str | None = None
) -> tuple[Plan, Any] | None:
    """A plan for a query text outside any request (benchmarks: `Plan.run_statements` for the
    physical bound of a view), with its coerced variables; None if the compiler does not take it.
    The text must be valid: requests are validated by the gate before they reach a plan."""
    from graphql import parse

    from schema import schema

    document = parse(query)
    graphql_schema = schema._schema
    try:
        operation = select_operation(document, operation_name)
    except Unsupported:
        return None
    coerced = get_variable_values(graphql_schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        return None
    try:
        return Builder(graphql_schema, document, operation, coerced.coerced).build(), coerced
    except Unsupported:
        return None
