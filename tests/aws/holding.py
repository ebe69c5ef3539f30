"""A real HTTP proxy in front of moto that holds chosen SQS calls: each request whose JSON
protocol action (`X-Amz-Target: AmazonSQS.<Action>`) is held waits at the proxy until the test
lets it through, so a test knows that call is in flight on the source's client (sent, not yet
answered) while it does something else, such as stopping the source."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from tests.aws.awsjson import served

_HOP = frozenset({"host", "content-length", "transfer-encoding", "connection"})


@dataclass
class Holding:
    """The proxy's endpoint, and the held actions' state."""

    endpoint: str = ""
    held: set[str] = field(default_factory=set)  # actions to hold
    arrived: dict[str, asyncio.Event] = field(default_factory=dict)  # a held call came
    go: asyncio.Event = field(default_factory=asyncio.Event)  # lets held calls through
    seen: list[str] = field(default_factory=list)  # every action, in order

    def hold(self, action: str) -> asyncio.Event:
        self.held.add(action)
        return self.arrived.setdefault(action, asyncio.Event())


@asynccontextmanager
async def holding_proxy(upstream: str) -> AsyncIterator[Holding]:
    state = Holding()
    async with aiohttp.ClientSession() as client:

        async def forward(request: web.Request) -> web.Response:
            action = request.headers.get("X-Amz-Target", "").rpartition(".")[2]
            state.seen.append(action)
            body = await request.read()
            if action in state.held:
                state.arrived[action].set()
                await state.go.wait()
            headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
            async with client.request(
                request.method, upstream + request.path_qs, data=body, headers=headers
            ) as answer:
                payload = await answer.read()
                kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP}
                return web.Response(status=answer.status, body=payload, headers=kept)

        async with served(forward, "*", "/{tail:.*}") as endpoint:
            state.endpoint = endpoint
            try:
                yield state
            finally:
                state.go.set()
