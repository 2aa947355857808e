"""The throughput baseline: a plain Starlette app with one JSON route, nothing else.

``bench.throughput`` serves it with the same uvicorn, on the same core, as the GraphQL app, and
divides: only that ratio means something on a shared machine. The route reads and parses the JSON
body the load generator posts, as the GraphQL endpoint must, and answers a small JSON document::

    python -m uvicorn bench.plain_app:app --port 8001 --log-level warning
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def plain(request: Request) -> Response:
    if request.method == "POST":
        await request.json()
    return JSONResponse({"data": {"hello": "world"}})


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/graphql", plain, methods=["GET", "POST"]),
        Route("/healthz", healthz),
    ]
)
