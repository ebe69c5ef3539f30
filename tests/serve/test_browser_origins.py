"""A real browser on a dashboard of another origin: Chromium's EventSource reads the stream with
credentials when the origin is listed, is kept out when it is not, and keeps retrying (rather
than giving up) while the server refuses it for too many connections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from eventstream import codec
from tests.serve.browser import Page, open_page
from tests.serve.conftest import Journal, ServerFactory
from tests.serve.raw_http import Connection, get
from tests.serve.test_protocol import TOKEN, TOKENS

_PAGE = """<!doctype html><meta charset="utf-8"><title>dashboard</title><script>
window.received = []; window.closes = []; window.opens = 0; window.errors = 0;
window.start = async (stream, token) => {
  if (token) {
    try {
      const session = await fetch(stream + "/v1/session", {
        method: "POST", credentials: "include", headers: {Authorization: "Bearer " + token}});
      window.sessionStatus = session.status;
    } catch (error) {
      window.sessionStatus = String(error);
    }
  }
  const source = new EventSource(stream + "/v1/events?from=earliest", {withCredentials: true});
  window.source = source;
  source.onopen = () => { window.opens += 1; };
  source.onerror = () => { window.errors += 1; };
  for (const action of ["create", "update", "delete"]) {
    const type = "io.eventstream.asset." + action;
    source.addEventListener(type, (m) => window.received.push(m.lastEventId));
  }
  source.addEventListener("close", (m) => window.closes.push(JSON.parse(m.data).reason));
};
</script>"""


@asynccontextmanager
async def _dashboard() -> AsyncIterator[str]:
    """A page on its own origin (another port of 127.0.0.1: the same site, another origin)."""
    app = web.Application()

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=_PAGE, content_type="text/html")

    app.router.add_get("/", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    assert runner.addresses
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def _start(page: Page, stream: str, token: str) -> None:
    """Once the page is loaded: its session (when a token is given), then its stream."""
    await _until(page, "typeof window.start === 'function'")
    await page.evaluate(f"window.start({codec.dumps(stream).decode()}, '{token}')")


async def _until(page: Page, expression: str, timeout_s: float = 15.0) -> Any:
    """The value of `expression` once it is truthy; fails after `timeout_s`."""
    for _ in range(int(timeout_s * 10)):
        value = await page.evaluate(expression)
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"never true: {expression}")


async def test_listed_dashboard_reads_the_stream_with_its_session_cookie(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """From a listed origin, the page's fetch sets the session cookie and its EventSource
    (`withCredentials`) receives every event; an unlisted origin gets neither."""
    ids = journal.append(sample_events[:5])
    async with _dashboard() as listed, _dashboard() as unlisted:
        server = serve(tokens=TOKENS, cors_origins=[listed])
        async with open_page(f"{listed}/") as page:
            await _start(page, server.url, TOKEN)
            assert await _until(page, "window.received.length >= 5 && window.received") == ids
            assert await page.evaluate("window.sessionStatus") == 204
            assert await page.evaluate("window.source.readyState") == 1  # OPEN
        async with open_page(f"{unlisted}/") as page:
            await _start(page, server.url, TOKEN)
            assert "TypeError" in await _until(page, "window.sessionStatus")
            assert await _until(page, "window.source.readyState === 2")  # CLOSED for good
            assert await page.evaluate("window.received") == []


async def test_eventsource_refused_for_too_many_connections_retries_until_admitted(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """While every connection its address may hold is taken, the page's EventSource gets the
    server's refusal (a `close` event, reason too_many_connections), and retries; once one is
    freed, it connects and receives every event."""
    ids = journal.append(sample_events[:5])
    async with _dashboard() as origin:
        server = serve(cors_origins=[origin], max_connections_per_client=2, retry_ms=200)
        held = [await Connection.open(server.port) for _ in range(2)]
        for connection in held:
            await connection.send(get("/healthz"))
            assert (await connection.answer()).status == 200
        async with open_page(f"{origin}/") as page:
            await _start(page, server.url, "")
            await _until(page, "window.errors >= 3")
            closes = await page.evaluate("window.closes")
            assert set(closes) == {"too_many_connections"}
            assert await page.evaluate("window.source.readyState") != 2  # never given up
            assert await page.evaluate("window.opens") == await page.evaluate("window.errors")
            held.pop().close()
            assert await _until(page, "window.received.length >= 5 && window.received") == ids
            assert await page.evaluate("window.source.readyState") == 1
        for connection in held:
            connection.close()
