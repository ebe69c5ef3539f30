"""SSE on a real uvicorn server and a real Redis: frames, headers, resume, reset, heartbeat."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from typing import Any

import aiohttp
import pytest

from eventstream import codec
from eventstream.journal import streamid
from tests.serve.conftest import Journal, ServerFactory
from tests.serve.sse_client import SSEStream, ids


def _has(n: int) -> Any:
    return lambda frames: len(ids(frames)) >= n


async def _wait_subscribed(server: Any, count: int = 1) -> None:
    """Wait (bounded) until the broker has `count` subscribers, so live events reach them."""
    for _ in range(200):
        if len(server.services.broker.subscribers) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} subscribers never registered")


async def test_live_frames_carry_id_type_and_event_json(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """Each live event is one frame: id = journal id, event = CloudEvents type, data = the JSON."""
    server = serve()
    async with SSEStream(f"{server.url}/v1/events") as stream:
        assert stream.status == 200
        await _wait_subscribed(server)
        written = journal.append(sample_events[:5])
        frames = await stream.collect(10, _has(5))
    assert ids(frames) == written
    for frame, event in zip(frames, sample_events[:5], strict=True):
        assert frame.event == event["type"]
        assert frame.data is not None
        assert codec.loads(frame.data) == event


async def test_stream_headers_stop_buffering_and_compression(serve: ServerFactory) -> None:
    """The stream is text/event-stream, uncached, unbuffered, never compressed, with a retry."""
    server = serve(retry_ms=1234)
    headers = {"Accept-Encoding": "gzip, br"}
    async with SSEStream(f"{server.url}/v1/events", headers) as stream:
        assert stream.response is not None
        got = stream.response.headers
        assert got["Content-Type"].startswith("text/event-stream")
        assert got["Cache-Control"] == "no-cache"
        assert got["X-Accel-Buffering"] == "no"
        assert "Content-Encoding" not in got
        first = await stream.collect(5, lambda f: True, events_only=False)
    assert first[0].retry == 1234


async def test_heartbeat_comment_when_idle(serve: ServerFactory) -> None:
    """An idle stream gets a comment line at the configured heartbeat interval."""
    server = serve(heartbeat_s=0.2)
    async with SSEStream(f"{server.url}/v1/events") as stream:
        frames = await stream.collect(5, lambda f: any(x.comments for x in f), events_only=False)
    assert any("ping" in frame.comments for frame in frames)


async def test_resume_at_every_position(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """Last-Event-ID at each position replays exactly the entries after it."""
    server = serve()
    journal.append(sample_events[:12])
    for position in range(12):
        written = journal.ids()
        last = written[position]
        expected = written[position + 1 :]
        url = f"{server.url}/v1/events"
        async with SSEStream(url, {"Last-Event-ID": last}) as stream:
            if expected:
                frames = await stream.collect(10, _has(len(expected)))
                assert ids(frames) == expected
            await _wait_subscribed(server)
            more = journal.append(sample_events[12 + position : 13 + position])
            frames = await stream.collect(10, _has(1))
            assert ids(frames) == more


async def test_resume_by_query_and_from(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """last_event_id and from=earliest|<time> replay; the Last-Event-ID header wins."""
    server = serve()
    written = journal.append(sample_events[:6])
    base = f"{server.url}/v1/events"
    cases = [
        (f"{base}?last_event_id={written[2]}", {}, written[3:]),
        (f"{base}?from=earliest", {}, written),
        (
            f"{base}?from={written[4].split('-')[0]}",
            {},
            [w for w in written if w >= written[4].split("-")[0]],
        ),
        (f"{base}?last_event_id={written[0]}", {"Last-Event-ID": written[3]}, written[4:]),
        (f"{base}?from=earliest", {"Last-Event-ID": written[1]}, written[2:]),
    ]
    for url, headers, expected in cases:
        async with SSEStream(url, headers) as stream:
            frames = await stream.collect(10, _has(len(expected)))
        assert ids(frames) == expected, url


async def test_replay_to_live_switch_has_no_gap_and_no_duplicate(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """Clients resuming while events are being written get every later entry exactly once."""
    server = serve(replay_page_size=7)
    journal.append(sample_events[:50])
    total = 400
    stop = threading.Event()

    def writer() -> None:
        for index in range(total):
            if stop.is_set():
                return
            journal.append([sample_events[(50 + index) % len(sample_events)]])
            time.sleep(0.002)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        results = []
        for _round in range(6):
            await asyncio.sleep(0.05)
            written = journal.ids()
            start = written[len(written) // 3]
            async with SSEStream(f"{server.url}/v1/events", {"Last-Event-ID": start}) as stream:
                frames = await stream.collect(30, lambda f: len(ids(f)) >= 40)
            results.append((start, ids(frames)))
    finally:
        stop.set()
        thread.join(timeout=30)
    final = journal.ids()
    for start, got in results:
        position = final.index(start)
        assert got == final[position + 1 : position + 1 + len(got)]
        assert len(set(got)) == len(got)


async def test_expired_id_gets_reset_event_first(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """An id older than the journal's retention gets a reset event, then what is retained.

    The entries share one millisecond, so the id right before the first kept one provably
    missed nothing (across milliseconds the journal cannot tell, and resets to be safe)."""
    server = serve()
    written = journal.append(sample_events[:10], [f"1700000000000-{n}" for n in range(1, 11)])
    journal.client.xtrim(journal.keys.journal, maxlen=5, approximate=False)
    url = f"{server.url}/v1/events"
    async with SSEStream(url, {"Last-Event-ID": written[1]}) as stream:
        frames = await stream.collect(10, _has(5))
    assert frames[0].event == "reset"
    assert frames[0].data is not None
    reset = codec.loads(frames[0].data)
    assert reset["requested"] == written[1]
    assert ids(frames[1:]) == written[5:]
    async with SSEStream(url, {"Last-Event-ID": frames[0].id or ""}) as stream:
        again = await stream.collect(10, _has(5))
    assert [frame.event for frame in again].count("reset") == 0
    assert ids(again) == written[5:]
    async with SSEStream(url, {"Last-Event-ID": written[4]}) as stream:
        kept = await stream.collect(10, _has(5))
    assert kept[0].event != "reset"


async def test_oldest_positions_on_an_untrimmed_journal_replay_without_reset(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """`Last-Event-ID: 0-0`, an old `from=` time and `since=0-0` on a journal that never lost an
    entry replay it from the start: no reset claiming it was trimmed."""
    server = serve()
    written = journal.append(sample_events[:6], [f"1700000000000-{n}" for n in range(1, 7)])
    url = f"{server.url}/v1/events"
    for headers, query in (
        ({"Last-Event-ID": "0-0"}, ""),
        ({}, "?from=2001-01-01T00:00:00Z"),
        ({}, "?from=0"),
    ):
        async with SSEStream(url + query, headers) as stream:
            frames = await stream.collect(10, _has(6), events_only=False)
        assert [frame.event for frame in frames].count("reset") == 0, (headers, query)
        assert ids(frames) == written
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{url}?since=0-0") as response,
    ):
        page = await response.json()
    assert "reset" not in page
    assert [item["id"] for item in page["items"]] == written


async def test_id_ahead_of_journal_gets_reset(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """An id the journal never gave (history lost in a failover) is answered with a reset."""
    server = serve()
    journal.append(sample_events[:2])
    url = f"{server.url}/v1/events"
    async with SSEStream(url, {"Last-Event-ID": "99999999999999-0"}) as stream:
        frames = await stream.collect(10, lambda f: len(f) >= 1)
        assert frames[0].event == "reset"
        await _wait_subscribed(server)
        more = journal.append(sample_events[2:3])
        live = await stream.collect(10, _has(1))
    assert ids(live) == more


async def test_stream_lifetime_ends_with_close_and_retry(serve: ServerFactory) -> None:
    """With stream_max_s, the server ends the stream with a close event and a retry hint."""
    server = serve(stream_max_s=0.3, retry_ms=50)
    async with SSEStream(f"{server.url}/v1/events") as stream:
        frames = await stream.collect(10, lambda f: any(x.event == "close" for x in f))
        rest = await stream.collect(5, lambda f: False, events_only=False)
    close = frames[-1]
    assert close.retry == 50
    assert close.data is not None
    assert codec.loads(close.data)["reason"] == "stream_lifetime"
    assert rest == []
    assert stream.ended


async def test_bad_ids_and_params_are_400_naming_the_parameter(serve: ServerFactory) -> None:
    """A malformed id, from, or an unknown parameter is a JSON 400 that names it."""
    server = serve()
    cases = [
        ("/v1/events", {"Last-Event-ID": "nope"}, "Last-Event-ID"),
        ("/v1/events?last_event_id=x-y", {}, "last_event_id"),
        ("/v1/events?from=yesterday", {}, "from"),
        ("/v1/events?acount=1", {}, "acount"),
        ("/v1/events?type=modify", {}, "type"),
        ("/v1/events?method=mouse", {}, "method"),
    ]
    async with aiohttp.ClientSession() as session:
        for path, headers, parameter in cases:
            async with session.get(server.url + path, headers=headers) as response:
                assert response.status == 400, path
                body = codec.loads(await response.read())
                assert body["parameter"] == parameter
                assert body["code"]
                assert body["message"]


async def test_live_stream_sends_its_position_so_a_quick_reconnect_has_no_gap(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """A live stream opens with an id-only block; resuming from it misses nothing."""
    server = serve()
    journal.append(sample_events[:3])
    async with SSEStream(f"{server.url}/v1/events") as stream:
        head = await stream.collect(5, lambda f: True, events_only=False)
    position = head[0].id
    assert position in journal.ids()  # where the reader was when the stream subscribed
    assert head[0].data is None
    journal.append(sample_events[3:5])
    expected = [i for i in journal.ids() if streamid.parse(i) > streamid.parse(position)]
    async with SSEStream(f"{server.url}/v1/events", {"Last-Event-ID": position}) as stream:
        frames = await stream.collect(10, _has(len(expected)))
    assert ids(frames) == expected


async def test_streams_closed_straight_after_opening_leave_nothing_behind(
    serve: ServerFactory,
    journal: Journal,
    sample_events: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """200 `from=earliest` streams, each closed by the client as soon as it opens, mid-replay:
    no warning or error is logged (no task destroyed while pending, no generator closed while
    running, no writes to lost connections), and every stream is released."""
    server = serve()
    journal.append(sample_events * 5)
    caplog.set_level(logging.WARNING)
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            response = await session.get(f"{server.url}/v1/events?from=earliest")
            response.close()
    for _ in range(200):
        if not server.services.broker.streams:
            break
        await asyncio.sleep(0.02)
    assert not server.services.broker.streams
    gc.collect()
    await asyncio.sleep(0.3)
    assert [record.getMessage()[:200] for record in caplog.records] == []
