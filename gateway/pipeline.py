"""The operation pipeline: the one path every operation takes, whatever transport carried it.

    request shape → who asks (the session behind the token, checked on every use) → persisted
    queries and the allow-list → the answer cache → a fresh unit of work (session, loaders, access
    recorder) → execution (the parse cache with the role's token limit, then the gate of
    auth/gate.py: text, limits, introspection, password change and second factor, then cached
    validation) → error formatting and masking → the unit settled (rolled back if anything failed)
    → the access-log flush → metrics and the request log

A query whose text a compiled plan answered before skips strawberry's machinery: the gate's
decision (auth/gate.problems, for this viewer and these variables) and then the plan, the same
stages around it (`_answer_from_plan`).

HTTP (GET, POST, multipart) and both WebSocket protocols are thin adapters around `execute` and
`subscribe` (gateway/http.py, gateway/websocket.py). A subscription gets a fresh unit of work for
every event, so nothing read for one event (a card's status, say) is seen by the next.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Hashable
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import GraphQLError, OperationDefinitionNode, parse
from graphql.error import GraphQLSyntaxError
from sqlalchemy.exc import DBAPIError, PendingRollbackError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from auth import access_log, gate, limits, tokens
from auth.viewer import Role, Viewer
from compiler import hook
from gateway.errors import client_error, code_of, database_unavailable, format_error, unavailable_error
from gateway.request import OperationRequest, Transport
from infra import persisted
from infra.cache import SessionEntry
from infra.group_commit import GroupCommit
from infra.persisted import PersistedQueries
from models.engine import StatementCounter, _current_counter
from models.types import utcnow
from observability import Metrics
from resolvers.context import Context, Runtime
from resolvers.loaders import Loaders
from schema import schema
from schema.execution import settle_background

log = logging.getLogger("ansinh")

QUERIES_ONLY = frozenset({OperationType.QUERY})
READ_WRITE = frozenset({OperationType.QUERY, OperationType.MUTATION})
# Documents whose plans answered, kept for `_answer_from_plan` (by text, operation name and the
# role's parse limits), oldest out first. As many as the parser cache keeps: a staff document may
# have 10,000 tokens, and anyone can send new texts, so the count bounds the memory.
READY_MAX = 128
# The schema's extensions that `_answer_from_plan` stands in for: with any other (tracing), every
# operation goes through strawberry so that each is seen.
_KNOWN_EXTENSIONS = frozenset({"ParserCache", "OperationGate", "CompiledQueries"})


@dataclass(slots=True)
class Caller:
    """Who sends operations and how, as the transport established it: per HTTP request, or per
    WebSocket connection (its token is checked again for every operation)."""

    transport: Transport
    request: Request | WebSocket
    bearer: str | None = None
    access_reason: str | None = None
    no_cache: bool = False
    debug: bool = False


@dataclass(slots=True)
class Answer:
    """One response payload (`data`, `errors`, `extensions`) and what the transport makes of it."""

    payload: dict[str, Any]
    # Nothing was executed: the request itself is wrong (WebSocket: an `error` message).
    request_error: bool = False
    # The HTTP status the answer asks for (400: a request of the wrong shape; 405: a mutation over GET).
    status: int = 200
    # The database could not be reached: HTTP 503 with Retry-After.
    unavailable: bool = False
    operation_name: str | None = None

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.payload.get("errors") or [])


def _request_error(message: str, code: str = "BAD_USER_INPUT", status: int = 400) -> Answer:
    return Answer({"errors": [client_error(message, code)]}, request_error=True, status=status)


def _unavailable() -> Answer:
    return Answer({"errors": [unavailable_error()]}, unavailable=True, status=503)


@dataclass(slots=True)
class Identity:
    """The viewer behind a caller's token, read through the session cache."""

    viewer: Viewer | None = None
    account: Any = None
    entry: SessionEntry | None = None
    rejected: bool = False


@dataclass(slots=True)
class _Unit:
    """One unit of work: its statement counter and when it started (for metrics and debug)."""

    counter: StatementCounter = field(default_factory=StatementCounter)
    started: float = field(default_factory=time.perf_counter)
    cache: str = "off"
    # Statements of the operation itself, before the access log of its reads is written.
    executed: int | None = None
    # Which executor answered (compiler/hook.py).
    executor: str = "ordinary"
    compared: bool = False


class Pipeline:
    def __init__(self, runtime: Runtime, metrics: Metrics) -> None:
        self.runtime = runtime
        self.metrics = metrics
        self.persisted = PersistedQueries(runtime.sessionmaker)
        # SQLite: the access-log rows of concurrent queries committed together (infra/group_commit.py).
        # SQLite has one writer at a time, so each commit waited for the others' anyway, and a
        # commit costs more than a group's rows. PostgreSQL commits concurrent transactions side
        # by side and shares their WAL flushes itself: one writer for all would serialise them
        # (persons-20 on PostgreSQL: 230 → 135 requests per second when they were grouped).
        self.access_log: GroupCommit[dict[str, Any]] | None = (
            GroupCommit(self._write_access_log) if runtime.engine.dialect.name == "sqlite" else None
        )
        self.production = runtime.settings.production
        self._children: dict[tuple[str, str], tuple[Any, Any]] = {}
        self._ready: dict[tuple[str, str | None, bool], tuple[Any, str | None]] = {}
        self._plain_schema = all(
            getattr(extension, "__name__", type(extension).__name__) in _KNOWN_EXTENSIONS
            for extension in schema.extensions
        )

    # Who asks ------------------------------------------------------------------------------------

    async def identify(self, caller: Caller, session: AsyncSession | None = None) -> Identity:
        """The viewer of the caller's token. The session behind it is cached until a session or
        account row is written, and checked again in the database on every use (one statement on
        two primary keys): a session ended by any writer stops working at once."""
        if caller.bearer is None:
            return Identity()
        if session is None:
            async with self.runtime.sessionmaker() as own:
                return await self.identify(caller, own)
        caches = self.runtime.caches
        digest = tokens.hash_token(caller.bearer)
        entry = None if caller.no_cache else caches.session(digest, utcnow())
        if entry is not None and not await tokens.still_current(session, entry.account):
            entry = None
        if entry is None:
            filled = caches.versions.now()
            found = await tokens.viewer_for(session, caller.bearer)
            if found is None:
                return Identity(rejected=True)
            viewer, account = found
            entry = caches.keep_session(digest, filled, viewer, account, account.expires_at)
        viewer = entry.viewer
        if caller.access_reason and viewer.role is Role.ADMIN:
            viewer = dataclasses.replace(viewer, access_reason=caller.access_reason)
        return Identity(viewer=viewer, account=entry.account, entry=entry)

    def context(self, caller: Caller, identity: Identity, session: AsyncSession | None = None) -> Context:
        """A fresh unit of work for one operation (or one subscription event)."""
        session = session or self.runtime.sessionmaker()
        return Context(
            request=caller.request,
            runtime=self.runtime,
            session=session,
            viewer=identity.viewer,
            loaders=Loaders(session, identity.viewer),
            account=identity.account,
            access_reason=caller.access_reason,
            token_rejected=identity.rejected,
        )

    # Queries and mutations -------------------------------------------------------------------------

    async def execute(
        self, caller: Caller, request: OperationRequest, allowed: frozenset[OperationType] = READ_WRITE
    ) -> Answer:
        unit = _Unit()
        token = _current_counter.set(unit.counter)
        try:
            answer = await self._execute(caller, request, allowed, unit)
        finally:
            _current_counter.reset(token)
        self._observe(caller, answer, unit)
        return answer

    async def _execute(
        self, caller: Caller, request: OperationRequest, allowed: frozenset[OperationType], unit: _Unit
    ) -> Answer:
        session = self.runtime.sessionmaker()
        try:
            return await self._execute_in(caller, request, allowed, unit, session)
        finally:
            with contextlib.suppress(SQLAlchemyError, OSError):
                await session.close()

    async def _execute_in(
        self,
        caller: Caller,
        request: OperationRequest,
        allowed: frozenset[OperationType],
        unit: _Unit,
        session: AsyncSession,
    ) -> Answer:
        try:
            identity = await self.identify(caller, session)
        except (DBAPIError, OSError) as exc:
            log.warning("database unavailable: %s", type(exc).__name__)
            return _unavailable()
        problem = await self._persisted(request, identity.viewer)
        if problem is not None:
            return problem
        caches = self.runtime.caches
        key = self._answer_key(request, identity, caller) if caches.usable else None
        if key is not None and not caller.no_cache:
            entry = caches.answer(key)
            if entry is not None:
                unit.cache = "hit"
                return self._with_debug(
                    Answer(self._payload(entry.result, None), operation_name=entry.operation_name),
                    caller,
                    unit,
                )
        if key is not None:
            unit.cache = "miss"
        filled = caches.versions.now()
        unit.counter.read = set()  # the answer's own reads, not those of the session behind the token
        context = self.context(caller, identity, session)
        try:
            result = await self._run(request, context, allowed)
        except (InvalidOperationTypeError, CannotGetOperationTypeError, MissingQueryError) as exc:
            return self._operation_type_error(exc, caller)
        unit.executed = unit.counter.count
        unit.executor = context.executor
        unit.compared = context.compared
        answer = await self._settle(context, result)
        if (
            key is not None
            and not answer.unavailable
            and not result.errors
            and not result.extensions
            and context.operation_type == "query"
            and not unit.counter.wrote
            and not context.access.reads
        ):
            size = len(orjson.dumps(result.data))
            caches.keep_answer(
                key, filled, frozenset(unit.counter.read), result, context.operation_name, size
            )
        return self._with_debug(answer, caller, unit)

    async def _run(
        self, request: OperationRequest, context: Context, allowed: frozenset[OperationType]
    ) -> ExecutionResult:
        """The operation's result: from its plan directly when the same text was answered by one
        before, else through strawberry (parse cache, gate, validation, the compiler's hook or
        graphql-core's executor)."""
        ready_key = None
        if self._plain_schema and self.runtime.settings.compiler == "on" and request.query is not None:
            ready_key = (
                request.query,
                request.operation_name,
                gate.role_limits(context.viewer) is limits.STAFF,
            )
            ready = self._ready.get(ready_key)
            if ready is not None:
                direct = await self._answer_from_plan(request, context, *ready)
                if direct is not None:
                    return direct
                # The plan fell back at run time: the ordinary executor answers, without it.
                skipping = hook.SKIP.set(True)
                try:
                    return await self._strawberry(request, context, allowed)
                finally:
                    hook.SKIP.reset(skipping)
        answered_token = hook.ANSWERED.set(None)
        try:
            result = await self._strawberry(request, context, allowed)
            planned = hook.ANSWERED.get()
        finally:
            hook.ANSWERED.reset(answered_token)
        if ready_key is not None and planned is not None and not result.errors:
            if len(self._ready) >= READY_MAX:
                self._ready.pop(next(iter(self._ready)))
            self._ready[ready_key] = planned
        return result

    async def _strawberry(
        self, request: OperationRequest, context: Context, allowed: frozenset[OperationType]
    ) -> ExecutionResult:
        try:
            return await schema.execute(
                request.query,
                variable_values=request.variables,
                context_value=context,
                operation_name=request.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request.extensions,
            )
        finally:
            # Nothing of the operation outlives it: its reads are logged, its session is closed.
            if context.background:
                await settle_background(context.background)

    async def _answer_from_plan(
        self, request: OperationRequest, context: Context, document: Any, operation_name: str | None
    ) -> ExecutionResult | None:
        """A query whose text a plan answered before, answered by its plan again, or None.

        The document was parsed with this role's limits and validated then (validation depends
        on the document only); what depends on the viewer and the variables (the gate: text,
        limits, introspection, password change, second factor) is decided again now, by the
        same function as the gate's. Anything refused or unusual goes the whole way through
        strawberry, which answers with the gate's or the executor's own error."""
        assert request.query is not None
        viewer = context.viewer
        if gate.problems(
            request.query, document, operation_name, request.variables, viewer, production=self.production
        ):
            return None
        context.operation_name = operation_name
        context.operation_type = "query"
        prepared = hook.plan_for(
            schema._schema, document, request.query, operation_name, request.variables, context
        )
        if prepared is None:
            return None
        compiled = await hook.run_compiled(prepared[0], context, prepared[1])
        if compiled is None:
            return None
        data, access = compiled
        context.access.reads = access.reads  # nothing was read before the operation itself
        context.executor = "compiled"
        return ExecutionResult(data=data, errors=None)

    def _operation_type_error(self, exc: Exception, caller: Caller) -> Answer:
        if isinstance(exc, InvalidOperationTypeError):
            kind = exc.operation_type.value
            if kind == "subscription":
                return _request_error(
                    "Subscriptions are delivered over WebSocket (graphql-transport-ws or graphql-ws), "
                    "not over HTTP."
                )
            if caller.transport is Transport.HTTP_GET:
                return _request_error(f"A {kind} cannot be sent with GET: use POST.", status=405)
            return _request_error(f"A {kind} is not allowed here.")
        if isinstance(exc, MissingQueryError):
            return _request_error("No GraphQL query found in the request.")
        return _request_error(
            str(exc.as_http_error_reason()) if hasattr(exc, "as_http_error_reason") else str(exc)
        )

    # Subscriptions ----------------------------------------------------------------------------------

    async def subscribe(self, caller: Caller, request: OperationRequest) -> Answer | AsyncIterator[Answer]:
        """An error answer (nothing will follow), or the stream of the subscription's answers.

        Each event executes in a unit of work of its own, flushed and closed before the next."""
        try:
            identity = await self.identify(caller)
        except (DBAPIError, OSError):
            return _unavailable()
        problem = await self._persisted(request, identity.viewer)
        if problem is not None:
            return problem
        context = self.context(caller, identity)
        try:
            source = await schema.subscribe(
                request.query or "",
                variable_values=request.variables,
                context_value=context,
                operation_name=request.operation_name,
            )
        except BaseException:
            await _close(context)
            raise
        if isinstance(source, ExecutionResult):
            try:
                answer = await self._settle(context, source)
            finally:
                await _close(context)
            answer.request_error = True
            return answer
        return self._events(caller, context, source)

    async def _events(
        self, caller: Caller, context: Context, source: AsyncIterator[ExecutionResult]
    ) -> AsyncIterator[Answer]:
        first = True
        try:
            async for result in source:
                unit = _Unit()
                if context.background:  # the event's, awaited before its unit of work ends
                    await settle_background(context.background)
                    context.background.clear()
                answer = await self._settle(context, result)
                await _close(context)
                if first and result.data is None and result.errors:
                    # The stream failed before its first event (a bad `after`, no account): an
                    # `error` message, not a `next` that then completes.
                    answer.request_error = True
                    yield answer
                    return
                first = False
                self._observe(caller, answer, unit)
                yield answer
                # The next event: a new session, new loaders, a new access recorder.
                session = self.runtime.sessionmaker()
                context.session = session
                context.loaders = Loaders(session, context.viewer)
                context.access = type(context.access)()
        finally:
            with contextlib.suppress(Exception):
                await source.aclose()  # type: ignore[attr-defined]
            await _close(context)

    # Stages -------------------------------------------------------------------------------------------

    async def _persisted(self, request: OperationRequest, viewer: Viewer | None) -> Answer | None:
        """Fills the query of a hash-only request; the allow-list of partners in production."""
        try:
            problem = await persisted.resolve(self.persisted, request, viewer, allow_list=self.production)
        except (DBAPIError, OSError):
            return _unavailable()
        if problem is None:
            return None
        return Answer(
            {"errors": [format_error(problem, production=self.production, operation=None)]},
            request_error=True,
        )

    @staticmethod
    def _answer_key(request: OperationRequest, identity: Identity, caller: Caller) -> Hashable | None:
        """Everything an answer depends on besides the database: who asks, and what."""
        if request.query is None:
            return None
        try:
            variables = (
                orjson.dumps(request.variables, option=orjson.OPT_SORT_KEYS) if request.variables else b""
            )
        except TypeError:
            return None  # uploads and other non-JSON values: mutations, never cached
        return (
            identity.entry.generation if identity.entry is not None else 0,
            caller.access_reason,
            request.query,
            request.operation_name,
            variables,
        )

    async def _settle(self, context: Context, result: ExecutionResult) -> Answer:
        """Formats the errors, rolls a failed unit back, and writes the access log of what was
        read (an answer whose reads cannot be logged is not sent)."""
        errors = result.errors or []
        failed = any(code_of(e) in ("INTERNAL", "UNAVAILABLE") for e in errors)
        unavailable = any(database_unavailable(e.original_error) for e in errors)
        if failed:
            # The one place a failed unit is rolled back, before anything else touches its session.
            await _rollback(context)
        try:
            try:
                await self._flush(context)
            except PendingRollbackError:
                # A statement was cut short without an error of its own (graphql-core cancels the
                # siblings of a field that nulled their parent): roll back, then log what was read.
                await _rollback(context)
                await self._flush(context)
        except (SQLAlchemyError, OSError) as exc:
            log.warning(
                "access log not written (%s: %.200s): the answer is withheld", type(exc).__name__, exc
            )
            await _rollback(context)
            return _unavailable()
        payload = self._payload(result, context.operation_name)
        return Answer(
            payload,
            unavailable=unavailable and result.data is None,
            status=503 if unavailable and result.data is None else 200,
            operation_name=context.operation_name,
            # Parse, validation and gate errors: nothing ran (WebSocket: an `error` message).
            request_error=isinstance(result, PreExecutionError),
        )

    async def _flush(self, context: Context) -> None:
        """Writes what the operation read before its answer is sent. A mutation's rows go in its
        own transaction; on SQLite a query's, which wrote nothing, in a group with the other
        queries of the moment, once its own transaction is over (its connection back in the pool, so that
        the waiting requests never hold the connections the group's writer needs)."""
        if context.operation_type != "query" or self.access_log is None:
            await access_log.flush(
                context.session, context.access, context.viewer, context.operation_name, context.access_reason
            )
            return
        bound = access_log.pending(
            context.access,
            context.viewer,
            context.operation_name,
            context.access_reason,
            self.runtime.engine.dialect.name,
        )
        if bound is not None:
            await context.session.commit()
            await self.access_log.submit(bound)
            context.access.reads.clear()

    async def _write_access_log(self, requests: list[dict[str, Any]]) -> None:
        async with self.runtime.sessionmaker() as session:
            await access_log.write(session, requests)

    def _payload(self, result: ExecutionResult, operation: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            ordered = sorted(result.errors, key=_document_order)
            payload["errors"] = [self._format(error, operation) for error in ordered]
        if result.extensions:
            payload["extensions"] = dict(result.extensions)
        return payload

    def _format(self, error: GraphQLError, operation: str | None) -> dict[str, Any]:
        formatted = format_error(error, production=self.production, operation=operation)
        self.metrics.errors.labels(code=str(formatted["extensions"]["code"])).inc()
        return formatted

    def _with_debug(self, answer: Answer, caller: Caller, unit: _Unit) -> Answer:
        if caller.debug and not self.production:
            extensions = dict(answer.payload.get("extensions") or {})
            extensions["debug"] = {
                "sqlStatements": unit.counter.count if unit.executed is None else unit.executed,
                "durationMs": round((time.perf_counter() - unit.started) * 1000, 2),
                "cache": unit.cache,
                "executor": unit.executor,
            }
            if unit.compared:
                extensions["debug"]["compared"] = True
            answer.payload["extensions"] = extensions
        return answer

    def _observe(self, caller: Caller, answer: Answer, unit: _Unit) -> None:
        seconds = time.perf_counter() - unit.started
        operation = self.metrics.operation_label(answer.operation_name)
        status = "503" if answer.unavailable else (str(answer.status) if answer.request_error else "200")
        # The labelled children once per label pair (a bounded set: known operations, statuses),
        # not a lookup under the metric's lock for every request.
        children = self._children.get((operation, status))
        if children is None:
            children = self._children[(operation, status)] = (
                self.metrics.requests.labels(operation=operation, status=status),
                self.metrics.latency.labels(operation=operation),
            )
        children[0].inc()
        children[1].observe(seconds)
        if not log.isEnabledFor(logging.INFO):
            return
        log.info(
            "graphql %s %s %s %.1f ms",
            caller.transport.value,
            answer.operation_name or "anonymous",
            status,
            seconds * 1000,
            extra={
                "operation": operation,
                "transport": caller.transport.value,
                "status": status,
                "durationMs": round(seconds * 1000, 2),
            },
        )


def operation_type(query: str | None, operation_name: str | None) -> OperationType | None:
    """The kind of operation a document would run (None when it does not say: the executor will
    answer with the precise error)."""
    if not query:
        return None
    try:
        document = _parse(query)
    except GraphQLSyntaxError:
        return None
    chosen: OperationDefinitionNode | None = None
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation_name is None
            or (definition.name is not None and definition.name.value == operation_name)
        ):
            if chosen is not None and operation_name is None:
                return None
            chosen = definition
    return OperationType(chosen.operation.value) if chosen is not None else None


_PARSED: dict[str, Any] = {}


def _parse(query: str) -> Any:
    document = _PARSED.get(query)
    if document is None:
        document = parse(query, no_location=True, max_tokens=limits.STAFF.tokens)
        if len(_PARSED) >= 256:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[query] = document
    return document


def _document_order(error: GraphQLError) -> tuple[Any, ...]:
    """Errors in the order of the document, then of the items of a list: graphql-core records them
    as they happen, and which sibling fails first is a matter of timing (schema/execution.py makes
    the set of errors the same every time; this, their order)."""
    located = error.locations[0] if error.locations else None
    where = (located.line, located.column) if located is not None else (0, 0)
    return (*where, tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in error.path or ()))


async def _rollback(context: Context) -> None:
    with contextlib.suppress(SQLAlchemyError, OSError):
        await context.session.rollback()


async def _close(context: Context) -> None:
    with contextlib.suppress(SQLAlchemyError, OSError):
        await context.session.close()
