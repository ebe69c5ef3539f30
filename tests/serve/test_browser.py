"""A real browser: Chromium's EventSource receives, is cut off by the server, reconnects by
itself with Last-Event-ID, and goes on with no gap and no duplicate."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.serve.browser import open_page
from tests.serve.conftest import Journal, ServerFactory

_TOTAL = 150


async def test_browser_eventsource_reconnects_without_gap_or_duplicate(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """The page's EventSource sees every journal id exactly once across server-side closes."""
    server = serve(stream_max_s=1.0, retry_ms=100)
    journal.append(sample_events[:20])
    async with open_page(f"{server.url}/?from=earliest") as page:
        with journal.paced(sample_events, 20, _TOTAL):
            received: list[str] = []
            for _ in range(300):
                received = await page.evaluate("window.esReceived || []")
                if len(received) >= _TOTAL:
                    break
                await asyncio.sleep(0.1)
            opens = await page.evaluate("window.esOpens")
            closes = await page.evaluate("window.esCloses")
    assert received == journal.ids()
    assert len(received) == _TOTAL
    assert opens >= 3
    assert "stream_lifetime" in closes
