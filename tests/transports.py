"""One operation sent over any way in: HTTP POST, graphql-transport-ws or the legacy graphql-ws.

A rule proved on HTTP only is unproved: the policy, access-log, limit and error tests send the same
operation over all three and expect the same answer.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets

from tests.conftest import Api

HTTP = "http"
TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
TRANSPORTS = (HTTP, TRANSPORT_WS, LEGACY_WS)


async def receive(connection: Any, within: float = 10.0) -> dict[str, Any]:
    """The next message that is not a keep-alive."""
    while True:
        raw = await asyncio.wait_for(connection.recv(), timeout=within)
        assert isinstance(raw, str), "the server sent a binary frame"
        message: dict[str, Any] = json.loads(raw)
        if message.get("type") in ("ka", "pong"):
            continue
        if message.get("type") == "ping":
            await connection.send(json.dumps({"type": "pong"}))
            continue
        return message


async def ws_execute(
    url: str, protocol: str, payload: dict[str, Any], token: str | None, init: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Runs one query or mutation over a new connection; the payload the server answered with
    (`next`/`data`), or {"errors": [...]} for an `error` message."""
    async with websockets.connect(url, subprotocols=[websockets.Subprotocol(protocol)]) as connection:
        params = dict(init or {})
        if token is not None:
            params["Authorization"] = f"Bearer {token}"
        await connection.send(json.dumps({"type": "connection_init", "payload": params}))
        ack = await receive(connection)
        assert ack["type"] == "connection_ack", ack
        start = "subscribe" if protocol == TRANSPORT_WS else "start"
        await connection.send(json.dumps({"id": "1", "type": start, "payload": payload}))
        answer: dict[str, Any] | None = None
        while True:
            message = await receive(connection)
            assert message.get("id") == "1", message
            if message["type"] in ("next", "data"):
                assert answer is None, "a query answers once"
                answer = message["payload"]
            elif message["type"] == "error":
                errors = message["payload"]
                return {"errors": errors if isinstance(errors, list) else [errors]}
            elif message["type"] == "complete":
                assert answer is not None, "complete before any answer"
                return answer


class Ways:
    """The same operation over each transport, signed in as a demo account (or anonymous)."""

    def __init__(self, api: Api, ws_url: str) -> None:
        self.api = api
        self.ws_url = ws_url

    async def post(
        self,
        transport: str,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        as_: str | None = None,
        operation_name: str | None = None,
        extensions: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        init: dict[str, Any] | None = None,
        url: str | None = None,
        client: Any = None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation_name is not None:
            payload["operationName"] = operation_name
        if extensions is not None:
            payload["extensions"] = extensions
        token = await self.api.token(as_) if as_ is not None else None
        if transport == HTTP:
            sent = dict(headers or {})
            if token is not None:
                sent["Authorization"] = f"Bearer {token}"
            response = await (client or self.api.client).post("/graphql", json=payload, headers=sent)
            assert response.status_code < 500 or response.status_code == 503, response.text
            body: dict[str, Any] = response.json()
            return body
        return await ws_execute(url or self.ws_url, transport, payload, token, init)
