"""GraphQL over WebSocket: `graphql-transport-ws` (graphql-ws, Apollo, urql) and the legacy `graphql-ws`
(subscriptions-transport-ws), as thin adapters of the operation pipeline.

Both protocols run queries, mutations and subscriptions through `Pipeline` exactly as HTTP does
(the gate, the allow-list, the access log, fresh loaders per operation and per event). An
operation's messages are sent only while it is registered: once the client completes (or stops)
it, nothing more is ever sent for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.types.graphql import OperationType

from auth import tokens
from gateway.errors import client_error
from gateway.pipeline import Answer, Caller, Pipeline, operation_type
from gateway.request import OperationRequest, RequestShapeError, Transport, operation_request

log = logging.getLogger("ansinh.ws")

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
# Offered both, the server takes the modern protocol, whatever order the client listed them in.
PREFERENCE = (TRANSPORT_WS, LEGACY_WS)
MAX_OPERATIONS = 100
INIT_TIMEOUT = 30.0


def pick_subprotocol(offered: list[str]) -> str | None:
    return next((protocol for protocol in PREFERENCE if protocol in offered), None)


@dataclass(eq=False)
class _Operation:
    id: str
    task: asyncio.Task[None] | None = None


@dataclass(eq=False)
class _Connection:
    """One socket: its caller (the token of `connection_init`) and its running operations."""

    websocket: WebSocket
    pipeline: Pipeline
    transport: Transport
    caller: Caller
    operations: dict[str, _Operation] = field(default_factory=dict)
    acknowledged: bool = False
    initialised: bool = False
    # The last message was a binary frame (a protocol violation: the socket is closed).
    binary: bool = False

    async def send(self, message: dict[str, Any]) -> None:
        if self.websocket.application_state is not WebSocketState.CONNECTED:
            return
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            # orjson: compact and several times faster, for 5,000 subscribers an event.
            await self.websocket.send_text(orjson.dumps(message, default=str).decode())

    async def send_for(self, operation: _Operation, message: dict[str, Any]) -> bool:
        """Sends a message of an operation that is still registered; False once it is not."""
        if self.operations.get(operation.id) is not operation:
            return False
        await self.send(message)
        return True

    async def receive(self, within: float | None = None) -> dict[str, Any] | str | None:
        """The next message: a JSON object with a string `type`, the reason it is not one (a
        string), or None once the socket is gone. TimeoutError after `within` seconds."""
        try:
            raw = await asyncio.wait_for(self.websocket.receive(), within)
        except (WebSocketDisconnect, RuntimeError):
            return None
        if raw["type"] == "websocket.disconnect":
            return None
        text = raw.get("text")
        if text is None:
            self.binary = True
            return "WebSocket messages must be text frames holding JSON."
        try:
            message = json.loads(text)
        except ValueError:
            return "WebSocket message must be valid JSON."
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return "A message is a JSON object with a string `type`."
        return message

    async def close(self, code: int, reason: str) -> None:
        if self.websocket.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, OSError):
                await self.websocket.close(code=code, reason=reason)

    async def sign_in(self, payload: object) -> bool:
        """Takes the token of `connection_init`; False when a token came and is no good."""
        params = payload if isinstance(payload, dict) else {}
        raw = params.get("Authorization") or params.get("authorization")
        self.caller.bearer = tokens.bearer(raw) if isinstance(raw, str) else None
        reason = params.get("X-Ansinh-Access-Reason") or params.get("accessReason")
        if isinstance(reason, str) and reason.strip():
            self.caller.access_reason = reason.strip()[:500]
        if self.caller.bearer is None:
            return True  # anonymous: each operation that needs an account says so
        identity = await self.pipeline.identify(self.caller)
        return identity.viewer is not None

    def start(self, operation: _Operation, work: Callable[[_Operation], Awaitable[None]]) -> None:
        self.operations[operation.id] = operation

        async def run() -> None:
            try:
                await work(operation)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("WebSocket operation %s failed", operation.id)
            finally:
                if self.operations.get(operation.id) is operation:
                    del self.operations[operation.id]

        operation.task = asyncio.create_task(run(), name=f"ws-operation-{operation.id}")

    def stop(self, operation_id: str) -> bool:
        """Forgets an operation first (so nothing more goes out for it), then cancels it."""
        operation = self.operations.pop(operation_id, None)
        if operation is None:
            return False
        if operation.task is not None:
            operation.task.cancel()
        return True

    async def shutdown(self) -> None:
        running = [op.task for op in self.operations.values() if op.task is not None]
        self.operations.clear()
        for task in running:
            task.cancel()
        for task in running:
            with contextlib.suppress(BaseException):
                await task

    async def answers(self, request: OperationRequest) -> AsyncIterator[Answer]:
        """The answers of one operation: one for a query or mutation, one per event for a
        subscription (the first with `request_error` when it never started)."""
        if operation_type(request.query, request.operation_name) is OperationType.SUBSCRIPTION:
            outcome = await self.pipeline.subscribe(self.caller, request)
            if isinstance(outcome, Answer):
                yield outcome
                return
            async for answer in outcome:
                yield answer
        else:
            yield await self.pipeline.execute(self.caller, request)


async def serve(websocket: WebSocket, pipeline: Pipeline, caller: Caller, subprotocol: str | None) -> None:
    """Accepts the socket with the chosen protocol and runs it until either side closes."""
    if subprotocol is None:
        await websocket.accept()
        await websocket.close(
            code=4406, reason="Subprotocol not acceptable: graphql-transport-ws or graphql-ws"
        )
        return
    await websocket.accept(subprotocol=subprotocol)
    transport = Transport.TRANSPORT_WS if subprotocol == TRANSPORT_WS else Transport.LEGACY_WS
    caller.transport = transport
    connection = _Connection(websocket, pipeline, transport, caller)
    protocol = _TransportWS(connection) if transport is Transport.TRANSPORT_WS else _LegacyWS(connection)
    try:
        await protocol.run()
    finally:
        await connection.shutdown()


class _TransportWS:
    """https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md"""

    def __init__(self, connection: _Connection) -> None:
        self.c = connection

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + INIT_TIMEOUT
        while True:
            within = None if self.c.initialised else max(0.0, deadline - loop.time())
            try:
                message = await self.c.receive(within)
            except TimeoutError:
                await self.c.close(4408, "Connection initialisation timeout")
                return
            if message is None:
                return
            if isinstance(message, str):
                await self.c.close(4400, message)
                return
            if not await self.handle(message):
                return

    async def handle(self, message: dict[str, Any]) -> bool:
        """Handles one message; False once the socket is closed."""
        kind = message["type"]
        if kind == "connection_init":
            if self.c.initialised:
                await self.c.close(4429, "Too many initialisation requests")
                return False
            self.c.initialised = True
            payload = message.get("payload")
            if payload is not None and not isinstance(payload, dict):
                await self.c.close(4400, "The connection_init payload must be an object.")
                return False
            if not await self.c.sign_in(payload):
                await self.c.close(4403, "Forbidden: the token is expired or revoked.")
                return False
            self.c.acknowledged = True
            await self.c.send({"type": "connection_ack"})
        elif kind == "ping":
            await self.c.send({"type": "pong"})
        elif kind == "pong":
            pass
        elif kind == "subscribe":
            return await self.subscribe(message)
        elif kind == "complete":
            operation_id = message.get("id")
            if isinstance(operation_id, str):
                self.c.stop(operation_id)
        else:
            await self.c.close(4400, f"Unknown message type {kind!r}.")
            return False
        return True

    async def subscribe(self, message: dict[str, Any]) -> bool:
        if not self.c.acknowledged:
            await self.c.close(4401, "Unauthorized")
            return False
        operation_id = message.get("id")
        if not isinstance(operation_id, str) or not operation_id:
            await self.c.close(4400, "A subscribe message needs a string `id`.")
            return False
        if operation_id in self.c.operations:
            await self.c.close(4409, f"Subscriber for {operation_id} already exists")
            return False
        try:
            request = operation_request(message.get("payload"))
        except RequestShapeError as problem:
            await self.c.send({"id": operation_id, "type": "error", "payload": [client_error(str(problem))]})
            return True
        if len(self.c.operations) >= MAX_OPERATIONS:
            error = client_error(
                f"At most {MAX_OPERATIONS} operations at once on one connection.", "RATE_LIMITED"
            )
            await self.c.send({"id": operation_id, "type": "error", "payload": [error]})
            return True
        self.c.start(_Operation(operation_id), lambda op: self.run_operation(op, request))
        return True

    async def run_operation(self, operation: _Operation, request: OperationRequest) -> None:
        async for answer in self.c.answers(request):
            if answer.request_error:
                # `error` ends the operation: no `complete` follows it.
                await self.c.send_for(
                    operation, {"id": operation.id, "type": "error", "payload": answer.errors}
                )
                return
            if not await self.c.send_for(
                operation, {"id": operation.id, "type": "next", "payload": answer.payload}
            ):
                return
        await self.c.send_for(operation, {"id": operation.id, "type": "complete"})


class _LegacyWS:
    """The Apollo subscriptions-transport-ws protocol ("graphql-ws"), for older clients."""

    def __init__(self, connection: _Connection) -> None:
        self.c = connection

    async def run(self) -> None:
        while True:
            message = await self.c.receive()
            if message is None:
                return
            if isinstance(message, str):
                if self.c.binary:
                    await self.c.close(1003, message)
                    return
                await self.c.send(_legacy_error(None, message))
                continue
            if not await self.handle(message):
                return

    async def handle(self, message: dict[str, Any]) -> bool:
        kind = message["type"]
        operation_id = message.get("id")
        if kind == "connection_init":
            payload = message.get("payload")
            if payload is not None and not isinstance(payload, dict):
                await self.c.send(
                    {"type": "connection_error", "payload": client_error("The payload must be an object.")}
                )
                await self.c.close(1000, "")
                return False
            if not await self.c.sign_in(payload):
                await self.c.send(
                    {
                        "type": "connection_error",
                        "payload": client_error("The token is expired or revoked.", "UNAUTHENTICATED"),
                    }
                )
                await self.c.close(1011, "")
                return False
            self.c.initialised = self.c.acknowledged = True
            await self.c.send({"type": "connection_ack"})
        elif kind == "connection_terminate":
            await self.c.close(1000, "")
            return False
        elif kind == "start":
            if not self.c.acknowledged:
                await self.c.close(4401, "Unauthorized")
                return False
            if not isinstance(operation_id, str) or not operation_id:
                await self.c.send(_legacy_error(None, "A start message needs a string `id`."))
                return True
            self.c.stop(operation_id)  # the protocol lets a client restart an id
            try:
                request = operation_request(message.get("payload"))
            except RequestShapeError as problem:
                await self.c.send(_legacy_error(operation_id, str(problem)))
                return True
            if len(self.c.operations) >= MAX_OPERATIONS:
                await self.c.send(
                    _legacy_error(
                        operation_id,
                        f"At most {MAX_OPERATIONS} operations at once on one connection.",
                        "RATE_LIMITED",
                    )
                )
                return True
            self.c.start(_Operation(operation_id), lambda op: self.run_operation(op, request))
        elif kind == "stop":
            if isinstance(operation_id, str) and self.c.stop(operation_id):
                await self.c.send({"type": "complete", "id": operation_id})
        else:
            await self.c.send(_legacy_error(operation_id, f"Unknown message type {kind!r}."))
        return True

    async def run_operation(self, operation: _Operation, request: OperationRequest) -> None:
        async for answer in self.c.answers(request):
            if answer.request_error:
                error = answer.errors[0] if answer.errors else client_error("The operation failed.")
                await self.c.send_for(operation, {"id": operation.id, "type": "error", "payload": error})
                return
            if not await self.c.send_for(
                operation, {"id": operation.id, "type": "data", "payload": answer.payload}
            ):
                return
        await self.c.send_for(operation, {"id": operation.id, "type": "complete"})


def _legacy_error(operation_id: str | None, message: str, code: str = "BAD_USER_INPUT") -> dict[str, Any]:
    error: dict[str, Any] = {"type": "error", "payload": client_error(message, code)}
    if operation_id is not None:
        error["id"] = operation_id
    return error
