"""A real graphql-transport-ws client (the protocol of graphql-ws, which Apollo and urql use)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection


class GraphQLWebSocket:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self._next_id = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self, within: float = 10.0) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.connection.recv(), timeout=within)
        # graphql-ws clients (browsers) expect text frames: a binary one would be a Blob to them.
        assert isinstance(raw, str), "the server sent a binary frame"
        message: dict[str, Any] = json.loads(raw)
        if message.get("type") == "ping":
            await self.send({"type": "pong"})
            return await self.receive(within)
        return message

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._next_id += 1
        op_id = str(self._next_id)
        await self.send(
            {"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}}
        )
        return op_id

    async def events(self, count: int, within: float = 10.0) -> list[dict[str, Any]]:
        """The next `count` messages of the stream (next, error or complete)."""
        return [await self.receive(within) for _ in range(count)]


@asynccontextmanager
async def connect(url: str, token: str | None = None, init: bool = True) -> AsyncIterator[GraphQLWebSocket]:
    async with websockets.connect(
        url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
    ) as connection:
        client = GraphQLWebSocket(connection)
        if init:
            await client.send(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"} if token else {}}
            )
            ack = await client.receive()
            assert ack["type"] == "connection_ack", ack
        yield client
