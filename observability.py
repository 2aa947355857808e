"""Metrics (Prometheus), structured JSON logs without personal data, and the HTTP guard rails.

Kept apart from server.py so the app wiring stays readable; nothing here knows the schema.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Metrics:
    """One registry per application, so tests and several apps in a process do not collide."""

    def __init__(self, known_operations: frozenset[str] = frozenset()) -> None:
        self.registry = CollectorRegistry()
        # Operation names are the client's text: only known ones become labels, so that a client
        # sending a new name with every request cannot grow the exposition without bound.
        self.known_operations = set(known_operations)
        self.requests = Counter(
            "ansinh_graphql_requests_total",
            "GraphQL requests by operation and HTTP status.",
            ["operation", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ansinh_graphql_request_seconds",
            "GraphQL request latency by operation.",
            ["operation"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.errors = Counter(
            "ansinh_graphql_errors_total",
            "GraphQL errors by extensions.code.",
            ["code"],
            registry=self.registry,
        )
        self.subscriptions = Gauge(
            "ansinh_active_subscriptions", "Open event subscriptions in this process.", registry=self.registry
        )
        self.event_lag = Gauge(
            "ansinh_event_backlog",
            "Events committed but not yet read by this process's hub.",
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "ansinh_outbox_backlog", "SMS and e-mail waiting to be sent.", registry=self.registry
        )
        self.pool_in_use = Gauge(
            "ansinh_db_pool_checked_out", "Database connections in use.", registry=self.registry
        )
        self.cache_answers = Gauge(
            "ansinh_cache_answers",
            "Cacheable requests since start answered from the cache (hit) or executed (miss).",
            ["result"],
            registry=self.registry,
        )
        self.cache_live = Gauge(
            "ansinh_cache_live",
            "1 while this process caches (configured, and hearing every other process's writes).",
            registry=self.registry,
        )

    def operation_label(self, name: str | None) -> str:
        """The metrics label of an operation: its name when known (the allow-list, the GraphiQL
        examples), "anonymous" without one, else "other"."""
        if name is None:
            return "anonymous"
        return name if name in self.known_operations else "other"

    def render(self) -> bytes:
        return generate_latest(self.registry)


METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Records carry no personal data: usernames, codes, names and
    tokens are never passed to the logger, only roles, operation names and references."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("operation", "role", "status", "durationMs", "reference", "path"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(json_logs: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if json_logs else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
# JSON answers never need to load anything; GraphiQL's page (HTML) carries its own policy.
JSON_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [h for h in SECURITY_HEADERS if h[0] not in present]
                content_type = dict(headers).get(b"content-type", b"")
                if not content_type.startswith(b"text/html"):
                    extra.append(JSON_CSP)
                if self.production:
                    extra.append(HSTS)
                message["headers"] = headers + extra
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """413 for request bodies over the limit, before any parsing (multipart allows uploads)."""

    def __init__(self, app: ASGIApp, *, json_limit: int = 1 << 20, multipart_limit: int = 16 << 20) -> None:
        self.app = app
        self.json_limit = json_limit
        self.multipart_limit = multipart_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        multipart = headers.get(b"content-type", b"").startswith(b"multipart/")
        limit = self.multipart_limit if multipart else self.json_limit
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(send, limit)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            more = message.get("more_body", False)
            if len(body) > limit:
                await self._too_large(send, limit)
                return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send, limit: int) -> None:
        payload = json.dumps(
            {
                "errors": [
                    {
                        "message": f"The request body is larger than {limit // 1024} KiB.",
                        "extensions": {"code": "BAD_USER_INPUT"},
                    }
                ]
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


async def garbage_collector_pacing(freeze_every: float = 5.0, full_every: float = 900.0) -> None:
    """Keeps full garbage collections off the request path.

    A worker holding thousands of WebSocket connections has millions of long-lived objects; a
    full collection walks them all (about a second here), stalling every subscriber. Freezing
    the survivors every few seconds moves them out of the collector's way (cheap: a list splice),
    so collections look at new objects only. Every `full_every` seconds they are unfrozen and
    collected once, so cyclic garbage among old objects is still freed.
    """
    import asyncio
    import gc

    # Young collections less often: a request allocates thousands of short-lived objects, and
    # collecting every 700 allocations cost about a tenth of a small request's CPU here.
    gc.set_threshold(50_000, 50, 100)
    elapsed = 0.0
    while True:
        await asyncio.sleep(freeze_every)
        elapsed += freeze_every
        if elapsed >= full_every:
            elapsed = 0.0
            gc.unfreeze()
            gc.collect()
        gc.freeze()


def tracing_extensions() -> list[Any]:
    """OpenTelemetry spans for every operation, resolver and SQL-free step, when ANSINH_TRACING=1.

    Spans go to the OTLP endpoint of OTEL_EXPORTER_OTLP_ENDPOINT when the OTLP exporter package is
    installed, else to the log (console exporter). Off by default: tracing every field of a
    10,000-object view costs more than the view.
    """
    import os

    if os.environ.get("ANSINH_TRACING", "") not in ("1", "true", "otel"):
        return []
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
    from strawberry.extensions.tracing import OpenTelemetryExtension

    exporter: SpanExporter = ConsoleSpanExporter()
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
        except ImportError:
            logging.getLogger("ansinh").warning("OTLP exporter not installed: spans go to the log")
    provider = TracerProvider(resource=Resource.create({"service.name": "ansinh"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return [OpenTelemetryExtension]
