"""REST over the journal on a real server: paged JSON replay, single events, JSON errors."""

from __future__ import annotations

from typing import Any

import aiohttp

from eventstream import codec
from tests.serve.conftest import Journal, ServerFactory


async def _get(session: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with session.get(url) as response:
        return response.status, codec.loads(await response.read())


async def test_paged_replay_walks_the_whole_journal_by_cursor(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """Pages of `limit` items follow `next` to the end, where `next` is null; nothing repeats."""
    server = serve()
    written = journal.append(sample_events[:25])
    seen: list[str] = []
    url = f"{server.url}/v1/events?since=earliest&limit=10"
    async with aiohttp.ClientSession() as session:
        for _page in range(5):
            status, page = await _get(session, url)
            assert status == 200
            seen += [item["id"] for item in page["items"]]
            for item in page["items"]:
                assert item["event"] == sample_events[written.index(item["id"])]
            if page["next"] is None:
                break
            url = f"{server.url}/v1/events?since={page['next']}&limit=10"
        assert page["next"] is None
        assert page["last"] == written[-1]
    assert seen == written


async def test_since_time_and_filters_on_pages(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """`since` takes a time; filters apply to pages as to streams."""
    server = serve()
    written = journal.append(sample_events[:40])
    moment = written[20].split("-")[0]
    deletes = [
        i
        for i, e in zip(written, sample_events, strict=False)
        if e["data"]["change"]["action"] == "delete"
    ]
    async with aiohttp.ClientSession() as session:
        _, page = await _get(session, f"{server.url}/v1/events?since={moment}&limit=1000")
        assert [item["id"] for item in page["items"]] == [
            w for w in written if w.split("-")[0] >= moment
        ]
        _, page = await _get(session, f"{server.url}/v1/events?since=earliest&type=delete")
        assert [item["id"] for item in page["items"]] == deletes


async def test_event_by_id_and_errors(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """GET /v1/events/{id} returns the entry; unknown is 404, malformed 400, all JSON errors."""
    server = serve()
    written = journal.append(sample_events[:3])
    async with aiohttp.ClientSession() as session:
        status, item = await _get(session, f"{server.url}/v1/events/{written[1]}")
        assert status == 200
        assert item == {"id": written[1], "event": sample_events[1]}
        status, error = await _get(session, f"{server.url}/v1/events/1-1")
        assert (status, error["code"]) == (404, "event_not_found")
        status, error = await _get(session, f"{server.url}/v1/events/abc")
        assert (status, error["parameter"]) == (400, "id")
        status, error = await _get(session, f"{server.url}/v1/events?since=never")
        assert (status, error["parameter"]) == (400, "since")
        status, error = await _get(session, f"{server.url}/v1/events?since=earliest&limit=0")
        assert (status, error["parameter"]) == (400, "limit")
        status, error = await _get(session, f"{server.url}/v1/nothing")
        assert (status, error["code"]) == (404, "not_found")


async def test_page_reports_trimmed_history(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """A page asked after a trimmed id says so in `reset` and continues from what is kept."""
    server = serve()
    written = journal.append(sample_events[:8])
    journal.client.xtrim(journal.keys.journal, maxlen=3, approximate=False)
    async with aiohttp.ClientSession() as session:
        _, page = await _get(session, f"{server.url}/v1/events?since={written[0]}")
    assert page["reset"]["reason"]
    assert [item["id"] for item in page["items"]] == written[5:]
