"""What the local servers of AWS JSON-protocol APIs (LookupEvents, Cloud Control) share: the
error answer AWS sends, and serving one handler over HTTP on 127.0.0.1 (which the other local
servers of these tests use too)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web

from eventstream import codec


def error(status: int, code: str, message: str, content_type: str) -> web.Response:
    """An AWS JSON error: `{"__type": code, "message": message}`, with a request id."""
    return web.Response(
        status=status,
        body=codec.dumps({"__type": code, "message": message}),
        content_type=content_type,
        headers={"x-amzn-RequestId": "00000000-0000-0000-0000-000000000000"},
    )


@asynccontextmanager
async def served(
    handle: Callable[[web.Request], Awaitable[web.Response]],
    method: str = "POST",
    path: str = "/",
) -> AsyncIterator[str]:
    """`method path` (by default `POST /`, the JSON protocol's) answered by `handle` on a free
    port of 127.0.0.1; yields the endpoint URL."""
    app = web.Application()
    app.router.add_route(method, path, handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    site = web.SockSite(runner, listening)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
