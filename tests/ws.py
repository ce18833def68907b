"""A minimal graphql-transport-ws client for the tests (the protocol of graphql-ws, by hand)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from bench.harness import live_subscriptions

PROTOCOL = "graphql-transport-ws"


@dataclass
class Subscription:
    socket: ClientConnection
    id: str = "1"

    async def next(self, within: float = 5.0) -> dict[str, Any]:
        """The next ``next``/``error``/``complete`` message for this operation."""
        while True:
            message = json.loads(await asyncio.wait_for(self.socket.recv(), within))
            if message["type"] == "ping":
                await self.socket.send(json.dumps({"type": "pong"}))
                continue
            if message.get("id") == self.id:
                return dict(message)

    async def data(self, within: float = 5.0) -> dict[str, Any]:
        message = await self.next(within)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        payload: dict[str, Any] = message["payload"]["data"]
        return payload

    async def nothing(self, seconds: float) -> None:
        """Assert that nothing arrives for ``seconds``."""
        with contextlib.suppress(TimeoutError):
            message = await self.next(within=seconds)
            raise AssertionError(f"expected nothing, got {message}")


def ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://", 1) + "/graphql"


def open_socket(http_url: str, protocol: str = PROTOCOL) -> websockets.connect:
    """A WebSocket to /graphql offering one subprotocol (nothing sent yet)."""
    return websockets.connect(ws_url(http_url), subprotocols=[Subprotocol(protocol)])


@contextlib.asynccontextmanager
async def connect(http_url: str, token: str | None) -> AsyncIterator[ClientConnection]:
    """An acknowledged graphql-transport-ws connection (the token in connection_init)."""
    async with open_socket(http_url) as socket:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await asyncio.wait_for(socket.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        yield socket


@contextlib.asynccontextmanager
async def subscribe(http_url: str, token: str, query: str,
                    variables: dict[str, Any] | None = None) -> AsyncIterator[Subscription]:
    async with connect(http_url, token) as socket:
        await socket.send(json.dumps({"id": "1", "type": "subscribe",
                                      "payload": {"query": query,
                                                  "variables": variables or {}}}))
        yield Subscription(socket)


async def ready(http_url: str, count: int = 1, seconds: float = 10.0) -> None:
    """Wait until the server holds ``count`` live subscriptions (each has its cursor)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while await live_subscriptions(http_url) < count:
        assert asyncio.get_running_loop().time() < deadline, "the subscription never went live"
        await asyncio.sleep(0.05)
