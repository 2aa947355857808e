"""The ASGI application: /graphql (HTTP and WebSocket), the health checks and the metrics."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from graphql import OperationDefinitionNode, parse
from sqlalchemy import func, select, text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from auth import tokens
from auth.card_keys import CardKeys
from auth.startup import production_checks
from gateway.http import EXAMPLES, GraphQLView
from gateway.pipeline import Pipeline
from infra import uploads
from infra.broker import make_broker
from infra.cache import Caches
from infra.graphiql import graphiql_assets_route
from infra.hub import EventHub
from infra.lifecycle import stop_all
from infra.outbox import MessageLogSender, Outbox
from models.engine import make_engine, make_sessionmaker, on_events_committed, on_tables_committed
from models.migrate import migrations_current
from models.tables import event_t, outbox_t, persisted_t
from observability import METRICS_CONTENT_TYPE, BodyLimit, Metrics, SecurityHeaders, garbage_collector_pacing
from resolvers import ecard
from resolvers.context import Runtime
from settings import Settings

log = logging.getLogger("ansinh")


def operation_names(document: str) -> set[str]:
    """The names of a document's operations (none when it does not parse)."""
    try:
        parsed = parse(document, no_location=True)
    except Exception:  # a stored document that no longer parses names nothing
        return set()
    return {
        d.name.value
        for d in parsed.definitions
        if isinstance(d, OperationDefinitionNode) and d.name is not None
    }


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
        card_keys=CardKeys(settings.secret_key, settings.card_key_ids),
    )
    on_tables_committed(engine, caches.committed)
    on_events_committed(engine, runtime.events_committed)
    metrics = Metrics(known_operations=frozenset(operation_names(EXAMPLES.read_text(encoding="utf-8"))))
    pipeline = Pipeline(runtime, metrics)
    graphql = GraphQLView(pipeline)

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

    async def card_keys(_: Request) -> Response:
        """The e-card's public keys: what a counter needs to verify e-cards offline."""
        return JSONResponse(
            {
                "keys": runtime.card_keys.public_keys(),
                "format": "ANSINH1.<base64url claims>.<base64url Ed25519>",
            },
            headers={"Cache-Control": "public, max-age=86400"},
        )

    async def card_revocations(_: Request) -> Response:
        """Cards changed after issue: a QR issued before `since` is void. Counters cache it."""
        async with sessions() as session:
            revoked = await ecard.revocations(session)
        return JSONResponse(
            {"generatedAt": ecard.now_iso(), "revoked": revoked},
            headers={"Cache-Control": "public, max-age=300"},
        )

    async def metrics_endpoint(request: Request) -> Response:
        # The figures describe the service to whoever would attack it: a token, or development only.
        expected = settings.metrics_token
        if expected is not None:
            given = tokens.bearer(request.headers.get("authorization")) or ""
            if not hmac.compare_digest(given.encode(), expected.encode()):
                return JSONResponse(
                    {
                        "errors": [
                            {
                                "message": "/metrics needs its bearer token.",
                                "extensions": {"code": "UNAUTHENTICATED"},
                            }
                        ]
                    },
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        elif settings.production:
            return JSONResponse(
                {
                    "errors": [
                        {
                            "message": "/metrics is off in production until ANSINH_METRICS_TOKEN is set.",
                            "extensions": {"code": "FORBIDDEN"},
                        }
                    ]
                },
                status_code=403,
            )
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
        await production_checks(settings, sessions)  # no demo password or secret in production
        runtime.outbox.start()
        with contextlib.suppress(Exception):  # the database may be away: the labels can wait
            async with sessions() as session:
                allowed = (
                    await session.execute(select(persisted_t.c.query).where(persisted_t.c.allowed))
                ).scalars()
                for query in allowed:
                    metrics.known_operations |= operation_names(query)
        await runtime.hub.start()
        pacing = asyncio.create_task(garbage_collector_pacing(), name="gc-pacing")
        follower = asyncio.create_task(caches.follow(), name="cache-invalidation")
        try:
            yield
        finally:
            # Bounded: a database that does not answer must not keep the process from exiting.
            await stop_all(
                [pacing, follower],
                [runtime.outbox.stop, runtime.hub.stop, caches.close, broker.close, engine.dispose],
            )

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            graphiql_assets_route(),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/.well-known/ansinh-card-keys", card_keys),
            Route("/.well-known/ansinh-card-revocations", card_revocations),
            Route("/documents/{sha256}", uploads.document_endpoint(settings, runtime.sessionmaker)),
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
    app.state.pipeline = pipeline
    return app
