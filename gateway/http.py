"""GraphQL over HTTP (GET, POST, multipart uploads) and the WebSocket handshake: a thin adapter.

Strawberry's view parses the HTTP request (the GraphQL-over-HTTP and multipart request specs) and
renders GraphiQL, except a JSON POST of one operation, which the view reads itself; every
operation then goes to the pipeline (`gateway/pipeline.py`), as those of the WebSocket protocols
do. This module only maps the pipeline's answer to HTTP: status, media
type, Retry-After.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types.graphql import OperationType

from auth import tokens
from gateway import websocket
from gateway.errors import client_error
from gateway.pipeline import QUERIES_ONLY, READ_WRITE, Answer, Caller, Pipeline
from gateway.request import RequestShapeError, Transport, operation_request
from infra.graphiql import graphiql_html
from schema import schema

GRAPHQL_RESPONSE = "application/graphql-response+json"
EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "graphiql-examples.graphql"
# The headers a browser cannot set on a cross-site "simple" request without a CORS preflight.
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")
JSON_TYPES = frozenset({"application/json", GRAPHQL_RESPONSE})


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


def _error_response(message: str, status: int, code: str = "BAD_USER_INPUT", **extensions: Any) -> Response:
    return JSONResponse({"errors": [client_error(message, code, **extensions)]}, status_code=status)


def caller_of(request: Request | WebSocket, transport: Transport) -> Caller:
    headers = request.headers
    return Caller(
        transport=transport,
        request=request,
        bearer=tokens.bearer(headers.get("authorization")),
        access_reason=(headers.get("x-ansinh-access-reason") or "").strip()[:500] or None,
        # Cache-Control: no-cache asks for everything afresh, the session behind the token included.
        no_cache="no-cache" in headers.get("cache-control", ""),
        debug=headers.get("x-ansinh-debug") == "1",
    )


class GraphQLView(GraphQL[Caller, None]):
    """Strawberry's ASGI view, with every operation handed to the pipeline."""

    def __init__(self, pipeline: Pipeline) -> None:
        super().__init__(schema, graphql_ide="graphiql", multipart_uploads_enabled=True)
        self.pipeline = pipeline
        self.runtime = pipeline.runtime

    async def run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:  # type: ignore[override]
        if isinstance(request, WebSocket):
            if not self._check_websocket_origin(request):
                return await self.reject_websocket(request)
            subprotocol = websocket.pick_subprotocol(list(request.scope.get("subprotocols") or []))
            await websocket.serve(
                request, self.pipeline, caller_of(request, Transport.TRANSPORT_WS), subprotocol
            )
            return request
        refused = self._refuse_simple_request(request)
        if refused is not None:
            return refused
        if request.method == "POST":
            answered = await self._post_json(request)
            if answered is not None:
                return answered
        try:
            return await super().run(request, context=caller_of(request, _transport(request)))
        except HTTPException as exc:
            # Strawberry's own refusals (bad JSON, a method or content type it does not take) are
            # client errors with a code, like every other.
            return _error_response(exc.reason, exc.status_code)

    async def _post_json(self, request: Request) -> Response | None:
        """A JSON POST of one operation (nearly every request): read and answered here, the
        way strawberry's view would, without its request adapters. Anything else (a batch, a body
        that does not parse, a parameter of the wrong type) is left to the view, which answers
        it as it always has."""
        media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media != "application/json":
            return None
        try:
            # The json module, as the view: the same numbers (integers of any size), the same
            # strings (escaped surrogates, which the gate then refuses).
            data = json.loads(await request.body())
        except (ValueError, RecursionError):
            return None  # the view says what is wrong
        if not isinstance(data, dict):
            return None
        query, variables, extensions = data.get("query"), data.get("variables"), data.get("extensions")
        if not (
            isinstance(query, str | None)
            and isinstance(variables, dict | None)
            and isinstance(extensions, dict | None)
        ):
            return None
        sub_response = await self.get_sub_response(request)
        answer = await self.execute_operation(
            request,
            None,
            GraphQLRequestData(
                query=query,
                variables=variables,
                operation_name=data.get("operationName"),
                extensions=extensions,
                protocol="http",
            ),
            caller_of(request, Transport.HTTP_POST),
            None,
            sub_response,
        )
        return self.create_response(answer.payload, sub_response)

    @staticmethod
    def _refuse_simple_request(request: Request) -> Response | None:
        """A POST any web page could send cross-site without a preflight (a form, text/plain,
        multipart) must carry a preflight header: otherwise it could be a forged form post."""
        if request.method != "POST":
            return None
        content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type in JSON_TYPES:
            return None
        if any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
            return None
        if content_type not in ("multipart/form-data", "application/x-www-form-urlencoded", "text/plain", ""):
            return None  # not a CORS-safelisted type: the browser asks first; answered as unsupported
        return _error_response(
            "A request that is not JSON needs a non-empty `Apollo-Require-Preflight` (or "
            "`X-Apollo-Operation-Name`) header: without it, it could be a cross-site form post.",
            403,
            "FORBIDDEN",
            reason="CSRF_PREFLIGHT_REQUIRED",
        )

    async def execute_operation(  # type: ignore[override]
        self,
        request: Request,
        request_adapter: Any,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Caller,
        root_value: Any,
        sub_response: Response,
    ) -> Answer:
        if isinstance(request_data, list):
            answer = Answer(
                {
                    "errors": [
                        client_error("Batched requests are not supported: send one operation per request.")
                    ]
                },
                request_error=True,
                status=400,
            )
        else:
            try:
                operation = operation_request(
                    {
                        "query": request_data.query,
                        "variables": request_data.variables,
                        "operationName": request_data.operation_name,
                        "extensions": request_data.extensions,
                    }
                )
            except RequestShapeError as problem:
                answer = Answer({"errors": [client_error(str(problem))]}, request_error=True, status=400)
            else:
                allowed: frozenset[OperationType] = QUERIES_ONLY if request.method == "GET" else READ_WRITE
                answer = await self.pipeline.execute(context, operation, allowed)
        self._shape(request, answer, sub_response)
        return answer

    @staticmethod
    def _shape(request: Request, answer: Answer, sub_response: Response) -> None:
        """The HTTP status and media type of an answer (GraphQL over HTTP)."""
        graphql_response = wants_graphql_response(request.headers.get("accept", ""))
        sub_response.media_type = GRAPHQL_RESPONSE if graphql_response else "application/json"
        if answer.unavailable:
            sub_response.status_code = 503
            sub_response.headers["Retry-After"] = "1"
        elif answer.status != 200:
            # The request itself is wrong (its shape, a mutation over GET): a 4xx on either media type.
            sub_response.status_code = answer.status
            if answer.status == 405:
                sub_response.headers["Allow"] = "POST"
        elif graphql_response and answer.payload.get("data") is None and _before_execution(answer):
            # The newer media type: a request error (nothing executed) is a 400 without `data`.
            sub_response.status_code = 400
        if graphql_response and sub_response.status_code and sub_response.status_code >= 400:
            answer.payload.pop("data", None)

    async def process_result(self, request: Request, result: Any) -> GraphQLHTTPResponse:  # type: ignore[override]
        payload: GraphQLHTTPResponse = result.payload
        return payload

    def _handle_errors(self, errors: Any, response_data: Any) -> None:
        """Errors were formatted, counted and logged by the pipeline."""

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        # orjson's bytes as the body: large views are megabytes, encoded several times faster.
        response = Response(
            orjson.dumps(response_data),
            status_code=sub_response.status_code or 200,
            media_type=sub_response.media_type or "application/json",
        )
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        return response

    def encode_json(self, data: object) -> str:
        # Large views are megabytes of JSON: orjson encodes them several times faster.
        return orjson.dumps(data).decode()

    # GraphiQL ------------------------------------------------------------------------------------

    @property
    def graphql_ide_html(self) -> str:
        """GraphiQL served from the package (no CDN), opening on how to sign in and the analysts'
        ready-made aggregates."""
        return graphiql_html(EXAMPLES.read_text(encoding="utf-8"))

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A hash-only GET (persisted query) is an operation, not a browser asking for GraphiQL.
        return super().should_render_graphql_ide(request) and request.query_params.get("extensions") is None

    async def render_graphql_ide(self, request: Request) -> Response:
        if self.runtime.settings.production:
            # Production: GraphiQL only for staff, who send their token; nobody anonymous.
            identity = await self.pipeline.identify(caller_of(request, Transport.HTTP_GET))
            if identity.viewer is None or not identity.viewer.is_staff:
                return _error_response("GraphiQL is for staff accounts.", 403, "FORBIDDEN")
        return await super().render_graphql_ide(request)


def _transport(request: Request) -> Transport:
    if request.method == "GET":
        return Transport.HTTP_GET
    if request.headers.get("content-type", "").startswith("multipart/"):
        return Transport.MULTIPART
    return Transport.HTTP_POST


def _before_execution(answer: Answer) -> bool:
    """Parse, validation and gate errors carry no path: nothing was executed."""
    return all("path" not in error for error in answer.errors)
