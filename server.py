"""The ASGI application: /graphql (HTTP and WebSocket), the health checks and the metrics."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from graphql import GraphQLError
from sqlalchemy import func, select, text
from sqlalchemy.exc import (
    DBAPIError,
    InterfaceError,
    OperationalError,
    PendingRollbackError,
    SQLAlchemyError,
)
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult

from auth import access_log, tokens
from auth.viewer import Role
from infra import persisted
from infra.broker import make_broker
from infra.cache import Caches, SessionEntry
from infra.graphiql import graphiql_assets_route, graphiql_html
from infra.hub import EventHub
from infra.lifecycle import stop_all
from infra.outbox import MessageLogSender, Outbox
from infra.persisted import PersistedQueries
from models.engine import (
    StatementCounter,
    _current_counter,
    make_engine,
    make_sessionmaker,
    on_events_committed,
    on_tables_committed,
)
from models.migrate import migrations_current
from models.tables import event_t, outbox_t
from models.types import utcnow
from observability import (
    METRICS_CONTENT_TYPE,
    BodyLimit,
    Metrics,
    SecurityHeaders,
    garbage_collector_pacing,
)
from resolvers.context import Context, Runtime
from resolvers.loaders import Loaders
from schema import schema
from settings import Settings

log = logging.getLogger("ansinh")

CODES = frozenset(
    {
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "BAD_USER_INPUT",
        "NOT_FOUND",
        "RATE_LIMITED",
        "QUERY_TOO_COMPLEX",
        "INTERNAL",
        # The database is down or restarting: retry (the HTTP answer is 503 with Retry-After).
        "UNAVAILABLE",
        # Apollo's automatic persisted queries: clients react to these two by name.
        "PERSISTED_QUERY_NOT_FOUND",
        "PERSISTED_QUERY_NOT_SUPPORTED",
    }
)


GRAPHQL_RESPONSE = "application/graphql-response+json"


def database_unavailable(error: BaseException | None) -> bool:
    """The database is down or the connection was lost (not a bug of ours, such as bad SQL).

    Looks through the chain of causes for a lost connection or a PostgreSQL state of class 08
    (connection exception) or 57P (the server is shutting down, starting, or was stopped).
    """
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OperationalError | InterfaceError | PendingRollbackError | OSError):
            return True
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        state = str(getattr(error, "sqlstate", "") or "")
        if state.startswith(("08", "57P")) or type(error).__name__ in (
            "InterfaceError",
            "ConnectionDoesNotExistError",
        ):
            return True
        error = getattr(error, "orig", None) or error.__cause__
        seen += 1
    return False


def unavailable() -> Response:
    """The database cannot be reached: 503 and Retry-After, so clients and balancers retry."""
    body = {
        "errors": [
            {
                "message": "The database is unavailable; try again shortly.",
                "extensions": {"code": "UNAVAILABLE"},
            }
        ]
    }
    return JSONResponse(body, status_code=503, headers={"Retry-After": "1"})


EXAMPLES = Path(__file__).resolve().parent / "docs" / "graphiql-examples.graphql"


def wants_graphql_response(accept: str) -> bool:
    """Whether the client prefers application/graphql-response+json to application/json."""
    best: tuple[float, int] | None = None
    chosen = None
    for position, part in enumerate(accept.split(",")):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.strip().lower()
        if media in (GRAPHQL_RESPONSE, "application/json") and quality > 0:
            rank = (quality, -position)
            if best is None or rank > best:
                best, chosen = rank, media
    return chosen == GRAPHQL_RESPONSE


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI view with our per-request context, error codes and debug output."""

    def __init__(self, runtime: Runtime, metrics: Metrics) -> None:
        super().__init__(schema, graphql_ide="graphiql", multipart_uploads_enabled=True)
        self.runtime = runtime
        self.metrics = metrics
        self.persisted = PersistedQueries(runtime.sessionmaker)

    async def execute_operation(  # type: ignore[override]
        self,
        request: Request,
        request_adapter: Any,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: Any,
        sub_response: Response,
    ) -> Any:
        if not isinstance(request_data, GraphQLRequestData):
            return await super().execute_operation(
                request, request_adapter, request_data, context, root_value, sub_response
            )
        problem = await persisted.resolve(
            self.persisted, request_data, context.viewer, allow_list=self.runtime.settings.production
        )
        if problem is not None:
            return ExecutionResult(data=None, errors=[problem])
        caches = self.runtime.caches
        key = self._answer_key(request, request_data, context) if caches.usable else None
        if key is None:
            return await super().execute_operation(
                request, request_adapter, request_data, context, root_value, sub_response
            )
        if "no-cache" not in request.headers.get("cache-control", ""):
            entry = caches.answer(key)
            if entry is not None:
                context.operation_name = entry.operation_name
                context.extra["cache"] = "hit"
                return entry.result
        context.extra["cache"] = "miss"
        counter: StatementCounter = context.extra["counter"]
        counter.read = set()  # the answer's own reads, not the session's
        filled = caches.versions.now()
        result = await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )
        if (
            isinstance(result, ExecutionResult)
            and not result.errors
            and not result.extensions
            and context.extra.get("operation_type") == "query"
            and not counter.wrote
            and not context.access.reads
        ):
            size = len(orjson.dumps(result.data))
            caches.keep_answer(key, filled, frozenset(counter.read), result, context.operation_name, size)
        return result

    @staticmethod
    def _answer_key(request: Request, data: GraphQLRequestData, context: Context) -> tuple[Any, ...] | None:
        """Everything an answer depends on besides the database: who asks, and what."""
        if data.query is None:
            return None
        try:
            variables = orjson.dumps(data.variables, option=orjson.OPT_SORT_KEYS) if data.variables else b""
        except TypeError:
            return None  # uploads and other non-JSON values: mutations, never cached
        session: SessionEntry | None = context.extra.get("session")
        return (
            session.generation if session is not None else 0,
            context.access_reason,
            data.query,
            data.operation_name,
            variables,
        )

    async def run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:  # type: ignore[override]
        counter = StatementCounter()
        token = _current_counter.set(counter)
        started = time.perf_counter()
        session = self.runtime.sessionmaker()
        try:
            try:
                ctx = await self._context(request, session)
            except (DBAPIError, OSError) as exc:
                if isinstance(request, WebSocket):
                    raise
                log.warning("database unavailable: %s", type(exc).__name__)
                return unavailable()
            ctx.extra["counter"] = counter
            ctx.extra["started"] = started
            request.scope["ansinh.context"] = ctx
            response = await super().run(request, context=ctx)
            if not isinstance(request, WebSocket):
                try:
                    await access_log.flush(
                        session, ctx.access, ctx.viewer, ctx.operation_name, ctx.access_reason
                    )
                except (DBAPIError, OSError):
                    # Reads of other people's data that cannot be logged are not answered.
                    log.warning("access log not written: the answer is withheld")
                    return unavailable()
                self._observe(ctx, getattr(response, "status_code", 200), started)
            return response
        finally:
            with contextlib.suppress(SQLAlchemyError, OSError):
                await session.close()
            _current_counter.reset(token)

    def _observe(self, ctx: Context, status: int, started: float) -> None:
        seconds = time.perf_counter() - started
        operation = ctx.operation_name or "anonymous"
        metrics = self.metrics
        metrics.requests.labels(operation=operation, status=str(status)).inc()
        metrics.latency.labels(operation=operation).observe(seconds)
        log.info(
            "graphql %s %s %.1f ms",
            operation,
            status,
            seconds * 1000,
            extra={
                "operation": operation,
                "role": ctx.viewer.role.value if ctx.viewer else "ANONYMOUS",
                "status": status,
                "durationMs": round(seconds * 1000, 2),
            },
        )

    @property
    def graphql_ide_html(self) -> str:
        """GraphiQL opening on how to sign in and the analysts' ready-made aggregates."""
        return graphiql_html(EXAMPLES.read_text(encoding="utf-8"))

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A hash-only GET (persisted query) is an operation, not a browser asking for GraphiQL.
        return super().should_render_graphql_ide(request) and request.query_params.get("extensions") is None

    async def render_graphql_ide(self, request: Request) -> Response:
        if self.runtime.settings.production:
            # Production: GraphiQL only for staff, who send their token; nobody anonymous.
            bearer = tokens.bearer(request.headers.get("authorization"))
            viewer = None
            if bearer is not None:
                async with self.runtime.sessionmaker() as session:
                    found = await tokens.viewer_for(session, bearer)
                viewer = found[0] if found else None
            if viewer is None or not viewer.is_staff:
                return JSONResponse(
                    {
                        "errors": [
                            {
                                "message": "GraphiQL is for staff accounts.",
                                "extensions": {"code": "FORBIDDEN"},
                            }
                        ]
                    },
                    status_code=403,
                )
        return await super().render_graphql_ide(request)

    async def _context(self, request: Request | WebSocket, session: Any) -> Context:
        headers = request.headers
        viewer, account = None, None
        bearer = tokens.bearer(headers.get("authorization"))
        reason = (headers.get("x-ansinh-access-reason") or "").strip()[:500] or None
        # Cache-Control: no-cache asks for everything afresh, the session behind the token included.
        fresh = "no-cache" in headers.get("cache-control", "")
        entry = await self._session(session, bearer, fresh) if bearer is not None else None
        if entry is not None:
            viewer, account = entry.viewer, entry.account
            if reason and viewer.role is Role.ADMIN:
                viewer = dataclasses.replace(viewer, access_reason=reason)
        return Context(
            request=request,
            response=None,
            runtime=self.runtime,
            session=session,
            viewer=viewer,
            loaders=Loaders(session, viewer),
            access_reason=reason,
            account=account,
            extra={"token_rejected": bearer is not None and viewer is None, "session": entry},
        )

    async def _session(self, session: Any, bearer: str, fresh: bool) -> SessionEntry | None:
        """The session of a token: from the cache while nothing it was read from changed."""
        caches = self.runtime.caches
        digest = tokens.hash_token(bearer)
        entry = None if fresh else caches.session(digest, utcnow())
        if entry is not None:
            return entry
        filled = caches.versions.now()
        found = await tokens.viewer_for(session, bearer)
        if found is None:
            return None
        viewer, account = found
        return caches.keep_session(digest, filled, viewer, account, account.expires_at)

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:  # type: ignore[override]
        """The token of `connection_init` ({"Authorization": "Bearer …"}) signs the connection in."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        raw = params.get("Authorization") or params.get("authorization")
        bearer = tokens.bearer(raw) if isinstance(raw, str) else None
        if bearer is None:
            return None  # anonymous: each subscription that needs an account says so
        found = await tokens.viewer_for(context.session, bearer)
        await context.session.close()
        if found is None:
            raise ConnectionRejectionError(
                {"code": "UNAUTHENTICATED", "message": "The token is expired or revoked."}
            )
        context.viewer, context.account = found
        context.loaders = Loaders(context.session, context.viewer)
        return None

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = None
        request.scope["ansinh.sub_response"] = sub_response
        return sub_response

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type:
            response.headers["content-type"] = sub_response.media_type
        return response

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:  # type: ignore[override]
        response: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            response["errors"] = [self._format_error(e) for e in result.errors]
        sub_response: Response | None = request.scope.get("ansinh.sub_response")
        if sub_response is not None and wants_graphql_response(request.headers.get("accept", "")):
            # GraphQL over HTTP: a request error (unparsable, invalid, bad variables: no data was
            # executed) is a 400 without a data entry for clients that accept the new media type.
            sub_response.media_type = GRAPHQL_RESPONSE
            if result.errors and result.data is None and all(e.path is None for e in result.errors):
                sub_response.status_code = 400
                del response["data"]
        extensions: dict[str, Any] = dict(result.extensions or {})
        ctx: Context | None = request.scope.get("ansinh.context")
        if (
            ctx is not None
            and not self.runtime.settings.production
            and request.headers.get("x-ansinh-debug") == "1"
        ):
            counter: StatementCounter = ctx.extra["counter"]
            extensions["debug"] = {
                "sqlStatements": counter.count,
                "durationMs": round((time.perf_counter() - ctx.extra["started"]) * 1000, 2),
                "cache": ctx.extra.get("cache", "off"),
            }
        if extensions:
            response["extensions"] = extensions
        return response

    def encode_json(self, data: object) -> str:
        # Large views are megabytes of JSON: orjson encodes them several times faster. A str, so
        # that WebSocket messages go out as text frames, as graphql-ws clients expect.
        return orjson.dumps(data).decode()

    def _format_error(self, error: GraphQLError) -> dict[str, Any]:
        formatted: dict[str, Any] = dict(error.formatted)
        extensions: dict[str, Any] = dict(formatted.get("extensions") or {})
        code = extensions.get("code")
        if code not in CODES:
            original = error.original_error
            if database_unavailable(original):
                extensions["code"] = "UNAVAILABLE"
                formatted["message"] = "The database is unavailable; try again shortly."
            elif original is None or isinstance(original, GraphQLError):
                # Parse and validation errors: the request itself is wrong.
                extensions["code"] = "BAD_USER_INPUT"
            else:
                reference = uuid.uuid4().hex[:12]
                log.error("internal error %s at %s", reference, error.path, exc_info=original)
                extensions["code"] = "INTERNAL"
                extensions["reference"] = reference
                if self.runtime.settings.production:
                    formatted["message"] = f"Internal error (reference {reference})."
        if self.runtime.settings.production and extensions.get("code") == "BAD_USER_INPUT":
            # No field suggestions in production: they map the schema for whoever probes it.
            formatted["message"] = formatted["message"].split(" Did you mean")[0]
        formatted["extensions"] = extensions
        self.metrics.errors.labels(code=str(extensions.get("code"))).inc()
        return formatted


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    broker = make_broker(settings.broker_url, settings.database_url)
    caches = Caches(broker, enabled=settings.cache_enabled(broker.shared), ttl=settings.cache_ttl)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessionmaker=sessions,
        outbox=Outbox(sessions, MessageLogSender(settings.message_log)),
        hub=EventHub(sessions, broker),
        broker=broker,
        caches=caches,
    )
    on_tables_committed(engine, caches.committed)
    on_events_committed(engine, runtime.events_committed)
    metrics = Metrics()
    graphql = GraphQLApp(runtime, metrics)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            current = await migrations_current(engine)
        except Exception as exc:  # any failure to reach the database means "not ready"
            return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, status_code=503)
        if not current:
            return JSONResponse({"status": "unavailable", "migrations": "behind"}, status_code=503)
        return JSONResponse({"status": "ready"})

    async def metrics_endpoint(_: Request) -> Response:
        metrics.subscriptions.set(len(runtime.hub.subscribers))
        metrics.cache_answers.labels(result="hit").set(caches.hits)
        metrics.cache_answers.labels(result="miss").set(caches.misses)
        metrics.cache_live.set(1 if caches.usable else 0)
        pool = engine.sync_engine.pool
        checked_out = getattr(pool, "checkedout", None)
        if callable(checked_out):
            metrics.pool_in_use.set(checked_out())
        try:
            async with runtime.sessionmaker() as session:
                backlog = await session.scalar(select(func.count()).where(outbox_t.c.sent_at.is_(None)))
                newest = await session.scalar(select(func.coalesce(func.max(event_t.c.id), 0)))
            metrics.outbox_backlog.set(int(backlog or 0))
            if runtime.hub.position:
                metrics.event_lag.set(max(0, int(newest or 0) - runtime.hub.position))
        except Exception as exc:  # the database may be away: the other figures still count
            log.warning("metrics: %s", exc)
        return Response(metrics.render(), media_type=METRICS_CONTENT_TYPE)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        sender = asyncio.create_task(runtime.outbox.run(), name="outbox")
        await runtime.hub.start()
        pacing = asyncio.create_task(garbage_collector_pacing(), name="gc-pacing")
        follower = asyncio.create_task(caches.follow(), name="cache-invalidation")
        try:
            yield
        finally:
            # Bounded: a database that does not answer must not keep the process from exiting.
            await stop_all(
                [sender, pacing, follower], [runtime.hub.stop, caches.close, broker.close, engine.dispose]
            )

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            graphiql_assets_route(),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
        ],
        lifespan=lifespan,
        middleware=[
            *(
                [
                    Middleware(
                        CORSMiddleware,
                        allow_origins=list(settings.cors_origins),
                        allow_methods=["GET", "POST"],
                        allow_headers=[
                            "Authorization",
                            "Content-Type",
                            "Apollo-Require-Preflight",
                            "X-Apollo-Operation-Name",
                        ],
                        allow_credentials=False,
                        max_age=600,
                    )
                ]
                if settings.cors_origins
                else []
            ),
            Middleware(SecurityHeaders, production=settings.production),
            Middleware(BodyLimit),
        ],
    )
    app.state.runtime = runtime
    return app
