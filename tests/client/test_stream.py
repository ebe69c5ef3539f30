"""`EventStreamClient.events()` against real servers on a real Redis: restarts, idle
connections, close events, resets, permanent errors, checkpoints."""

from __future__ import annotations

import asyncio
import time
from itertools import pairwise
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from redis.asyncio import Redis

from eventstream import codec
from eventstream.client import (
    BadRequestError,
    EventStreamClient,
    FileCheckpoint,
    FilterError,
    ForbiddenError,
    NotAnEventStreamError,
    NotFoundError,
    RedisCheckpoint,
    ServerUnavailableError,
    StreamEvent,
    StreamOptions,
    StreamReset,
    StreamResetError,
    Subscription,
    UnauthorizedError,
)
from eventstream.config.serve import TokenSettings, token_hash
from tests.client.conftest import RestartableServer
from tests.serve.conftest import Journal, ServerFactory
from tests.serve.servers import RedisServer

FAST = StreamOptions(idle_timeout_s=5.0, initial_delay_s=0.05, max_delay_s=0.3)
TOKEN = "client-token-0123456789"
ACCOUNT = "123837392027"


async def take(subscription: Subscription, count: int, timeout_s: float = 20.0) -> list[str]:
    """The ids of the next `count` events of `subscription`."""
    got: list[str] = []

    async def run() -> None:
        async for event in subscription:
            got.append(event.id)
            if len(got) == count:
                return

    try:
        await asyncio.wait_for(run(), timeout_s)
    except TimeoutError:
        pytest.fail(f"got {len(got)} of {count} events in {timeout_s} s: {subscription.stats}")
    return got


async def until(predicate: Any, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("condition not reached in time")
        await asyncio.sleep(0.02)


async def test_server_killed_and_restarted_mid_stream_every_event_once_in_order(
    restartable: RestartableServer, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """SIGKILL the server mid-stream, commit events while it is down, start it again: the
    client ends with every journal entry exactly once, in order."""
    journal.append(sample_events[:60])
    got: list[StreamEvent] = []
    async with EventStreamClient(restartable.url, options=FAST) as client:
        subscription = client.subscribe(start="earliest")

        async def consume() -> None:
            async for event in subscription:
                got.append(event)

        task = asyncio.create_task(consume())
        with journal.paced(sample_events, 60, 120, pace_s=0.005):
            await until(lambda: len(got) >= 80)
            await asyncio.to_thread(restartable.kill)
        journal.append(sample_events[120:180])  # while the server is down
        await asyncio.sleep(0.5)  # the client retries against a closed port
        await asyncio.to_thread(restartable.start)
        journal.append(sample_events[180:240])
        expected = journal.ids()
        try:
            await until(lambda: len(got) >= len(expected), timeout_s=30)
            await asyncio.sleep(0.3)  # anything more would be a duplicate
        finally:
            task.cancel()
    assert len(expected) > 200
    assert [event.id for event in got] == expected
    assert len({event.event.id for event in got}) == len(got)
    assert subscription.stats.connections >= 2
    assert subscription.stats.failures >= 1


async def test_idle_connection_is_dropped_and_resumed(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """No byte (not even a heartbeat) for `idle_timeout_s`: the client reconnects by itself,
    resumes by id and loses nothing."""
    server = serve(heartbeat_s=60, retry_ms=20)
    first = journal.append(sample_events[:3])
    options = StreamOptions(idle_timeout_s=0.4, initial_delay_s=0.05, max_delay_s=0.2)
    async with EventStreamClient(server.url, options=options) as client:
        subscription = client.subscribe(start="earliest")
        assert await take(subscription, 3) == first
        started = time.monotonic()
        waiting = asyncio.create_task(take(subscription, 3))
        await asyncio.sleep(1.5)  # idle: several timeouts and reconnections
        later = journal.append(sample_events[3:6])
        assert await waiting == later
    assert subscription.stats.failures >= 2
    assert subscription.stats.connections >= 3
    assert time.monotonic() - started < 10


async def test_heartbeats_keep_an_idle_stream_open(serve: ServerFactory) -> None:
    """Heartbeats more frequent than the idle timeout keep one connection for the whole wait."""
    server = serve(heartbeat_s=0.1)
    options = StreamOptions(idle_timeout_s=0.6, initial_delay_s=0.05)
    async with EventStreamClient(server.url, options=options) as client:
        subscription = client.subscribe()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(take(subscription, 1, timeout_s=60), 2.0)
    assert subscription.stats.connections == 1
    assert subscription.stats.failures == 0
    assert subscription.stats.heartbeats >= 5


async def test_close_event_reconnects_without_gap(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """The server's `close` event (here: stream lifetime) makes the client reconnect, and the
    events committed around the switch arrive once each."""
    server = serve(stream_max_s=0.3, retry_ms=20)
    async with EventStreamClient(server.url, options=FAST) as client:
        subscription = client.subscribe(start="earliest")
        with journal.paced(sample_events, 0, 60, pace_s=0.02):
            got = await take(subscription, 60)
    assert got == journal.ids()
    assert subscription.stats.closes >= 2
    assert subscription.stats.connections >= 3


async def test_reset_reaches_the_callback_then_the_stream_goes_on(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """A resume id older than the journal's retention: the `reset` reaches `on_reset` with the
    gap, then the retained events follow; without a callback it raises."""
    server = serve()
    written = journal.append(sample_events[:10], [f"1700000000000-{n}" for n in range(1, 11)])
    journal.client.xtrim(journal.keys.journal, maxlen=5, approximate=False)
    resets: list[StreamReset] = []

    async def on_reset(reset: StreamReset) -> None:
        resets.append(reset)

    async with EventStreamClient(server.url, options=FAST) as client:
        subscription = client.subscribe(last_event_id=written[1], on_reset=on_reset)
        assert await take(subscription, 5) == written[5:]
        assert len(resets) == 1
        assert resets[0].requested == written[1]
        assert resets[0].reason
        assert resets[0].resume_after == written[4]
        assert subscription.stats.resets == 1
        strict = client.subscribe(last_event_id=written[1])
        with pytest.raises(StreamResetError) as raised:
            await take(strict, 1)
    assert raised.value.requested == written[1]
    assert raised.value.resume_after == written[4]


@pytest.fixture
def secured(serve: ServerFactory) -> Any:
    token = TokenSettings(name="client", sha256=token_hash(TOKEN), accounts=[ACCOUNT])
    return serve(tokens=[token])


async def test_401_403_404_and_400_raise_instead_of_retrying(secured: Any) -> None:
    """Permanent answers raise at once, with the status and the server's reason."""
    async with EventStreamClient(secured.url, options=FAST) as anonymous:
        with pytest.raises(UnauthorizedError) as unauthorized:
            await take(anonymous.subscribe(), 1, timeout_s=10)
    assert unauthorized.value.status == 401
    async with EventStreamClient(secured.url, token=TOKEN, options=FAST) as client:
        with pytest.raises(ForbiddenError) as forbidden:
            await take(client.subscribe(accounts=["111111111111"]), 1, timeout_s=10)
        assert forbidden.value.status == 403
        assert forbidden.value.parameter == "account"
        with pytest.raises(BadRequestError) as bad:
            await take(client.subscribe(last_event_id="not-an-id"), 1, timeout_s=10)
        assert bad.value.parameter == "Last-Event-ID"
        with pytest.raises(FilterError) as bad_filter:
            client.subscribe(types=["modify"])  # refused before any request
        assert bad_filter.value.parameter == "type"
    async with EventStreamClient(f"{secured.url}/nothing-here", token=TOKEN) as lost:
        with pytest.raises(NotFoundError) as missing:
            await take(lost.subscribe(), 1, timeout_s=10)
    assert missing.value.status == 404


async def _sse_app(handler: Any, **routes: Any) -> tuple[web.AppRunner, str]:
    """A plain aiohttp server answering `/v1/events` with `handler`, and each other path in
    `routes` (`{"/v1/assets/{name}": asset}` passed as `**`) with its own (for answers the
    real server never gives: a proxy in between, a hand-made stream)."""
    app = web.Application()
    app.router.add_get("/v1/events", handler)
    for path, route in routes.items():
        app.router.add_get(path, route)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def test_an_answer_that_is_not_an_event_stream_raises() -> None:
    """A 200 with another content type (a proxy's login page, say) is a permanent error."""

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<html>sign in</html>", content_type="text/html")

    runner, url = await _sse_app(page)
    try:
        async with EventStreamClient(url, options=FAST) as client:
            with pytest.raises(NotAnEventStreamError) as raised:
                await take(client.subscribe(), 1, timeout_s=10)
    finally:
        await runner.cleanup()
    assert "text/html" in str(raised.value)


async def test_5xx_is_retried_with_backoff_then_gives_up_when_asked() -> None:
    """A server answering 503 is retried (honouring Retry-After: 0 here), and with
    `max_attempts` the client ends with `ServerUnavailableError` naming the attempts."""
    calls: list[float] = []

    async def busy(request: web.Request) -> web.Response:
        calls.append(time.monotonic())
        return web.Response(status=503, headers={"Retry-After": "0"})

    runner, url = await _sse_app(busy)
    options = StreamOptions(initial_delay_s=0.05, max_delay_s=0.4, max_attempts=5)
    try:
        async with EventStreamClient(url, options=options) as client:
            with pytest.raises(ServerUnavailableError) as raised:
                await take(client.subscribe(), 1, timeout_s=20)
    finally:
        await runner.cleanup()
    assert raised.value.attempts == 5
    assert len(calls) == 5
    gaps = [later - earlier for earlier, later in pairwise(calls)]
    assert gaps[-1] > gaps[0]  # backoff grows


async def test_file_checkpoint_resumes_a_restarted_consumer_without_gap_or_duplicate(
    serve: ServerFactory,
    journal: Journal,
    sample_events: list[dict[str, Any]],
    tmp_path: Any,
) -> None:
    """A consumer that stops and starts again with the same checkpoint file sees every event
    once: the id is saved only after the handler returned."""
    server = serve()
    checkpoint = FileCheckpoint(tmp_path / "last-id")
    journal.append(sample_events[:20])
    seen: list[str] = []
    async with EventStreamClient(server.url, options=FAST) as client:
        first = client.subscribe(start="earliest", checkpoint=checkpoint)
        seen += await take(first, 12)
        await first.commit()  # left the loop after handling the twelfth
    journal.append(sample_events[20:30])
    async with EventStreamClient(server.url, options=FAST) as client:
        second = client.subscribe(start="earliest", checkpoint=checkpoint)
        seen += await take(second, 18)
    assert seen == journal.ids()
    assert await checkpoint.load() == seen[-2]  # the last one's handler has not returned


async def test_redis_checkpoint_and_run_handler(
    serve: ServerFactory,
    journal: Journal,
    sample_events: list[dict[str, Any]],
    redis_srv: RedisServer,
) -> None:
    """`run(handler)` saves each id in a Redis key after the handler returned; a handler that
    fails leaves its event unsaved, so a restart hands it over again."""
    server = serve()
    ids = journal.append(sample_events[:8])
    redis = Redis.from_url(redis_srv.url)
    checkpoint = RedisCheckpoint(redis, f"{journal.keys.prefix}:client-checkpoint")
    handled: list[str] = []

    async def handler(event: StreamEvent) -> None:
        if event.id == ids[5] and ids[5] not in handled:
            handled.append(event.id)
            raise RuntimeError("handler failed")
        handled.append(event.id)

    try:
        async with EventStreamClient(server.url, options=FAST) as client:
            with pytest.raises(RuntimeError):
                await client.run(handler, start="earliest", checkpoint=checkpoint)
            assert await checkpoint.load() == ids[4]
            task = asyncio.create_task(client.run(handler, checkpoint=checkpoint))
            await until(lambda: len(handled) == 9)
            task.cancel()
    finally:
        await redis.aclose()
    assert handled == [*ids[:6], *ids[5:]]


async def test_duplicates_from_the_server_are_dropped(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """Resuming from an id already delivered (a stale checkpoint) repeats nothing already
    handed out by this subscription: ids only increase."""
    server = serve()
    ids = journal.append(sample_events[:6])
    async with EventStreamClient(server.url, options=FAST) as client:
        subscription = client.subscribe(last_event_id=ids[2])
        subscription._resume_id = ids[0]  # as if the server had been sent an old id
        assert await take(subscription, 3) == ids[3:]
    assert subscription.stats.duplicates == 2


async def test_no_total_timeout_cuts_a_healthy_stream(serve: ServerFactory) -> None:
    """Even on a session whose default total timeout is 1 s, a stream with heartbeats stays on
    one connection for longer: streams set no total timeout, only the idle one (45 s by
    default), and the client's own session has none at all."""
    server = serve(heartbeat_s=0.2)
    options = StreamOptions(idle_timeout_s=1.0, initial_delay_s=0.05)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as session:
        client = EventStreamClient(server.url, options=options, session=session)
        subscription = client.subscribe()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(take(subscription, 1, timeout_s=60), 2.5)
        await client.close()
        assert not session.closed  # the caller's session stays the caller's
    assert subscription.stats.connections == 1
    assert subscription.stats.failures == 0
    async with EventStreamClient(server.url) as own:
        assert own.session.timeout.total is None
        assert own.options.idle_timeout_s == 45.0


async def test_an_event_that_is_not_an_asset_event_is_counted_and_skipped(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """A journal entry that is JSON but not a valid `AssetEvent` goes to `on_malformed` with
    its id and the validation error; the stream goes on with the next event."""
    server = serve()
    bad = {"type": "io.eventstream.asset.update", "subject": "aws/x", "id": "not-an-event"}
    ids = journal.append([bad, sample_events[0]])
    malformed: list[tuple[str, Exception]] = []
    async with EventStreamClient(server.url, options=FAST) as client:
        subscription = client.subscribe(
            start="earliest", on_malformed=lambda id_, error: malformed.append((id_, error))
        )
        assert await take(subscription, 1) == ids[1:]
    assert subscription.stats.malformed == 1
    assert [id_ for id_, _ in malformed] == ids[:1]
    assert "data" in str(malformed[0][1])


async def _held_open(request: web.Request, head: bytes, pings: int) -> web.StreamResponse:
    """An event stream answer: `head` in one write, then a ping every 50 ms, `pings` times
    (kept open, as a buffering proxy might), or until the client goes."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(head)
    try:
        for _ in range(pings):
            await response.write(b": ping\n\n")
            await asyncio.sleep(0.05)
    except (ConnectionResetError, aiohttp.ClientConnectionResetError):
        pass
    return response


async def test_close_event_reconnects_even_if_the_connection_stays_open(
    sample_events: list[dict[str, Any]],
) -> None:
    """A `close` event ends the connection on the client's side: a proxy that keeps the body
    open (heartbeats and all) after it does not hold the client on a dead stream; the next
    connection resumes after the last id."""
    asked: list[str | None] = []

    async def events(request: web.Request) -> web.StreamResponse:
        asked.append(request.headers.get("Last-Event-ID"))
        number = len(asked)
        body = codec.dumps(sample_events[number]).decode()
        head = (
            f"retry: 20\nid: 10-{number}\nevent: {sample_events[number]['type']}\n"
            f"data: {body}\n\nevent: close\ndata: {{}}\n\n"
        )
        return await _held_open(request, head.encode(), 200)  # open after the close

    runner, url = await _sse_app(events)
    try:
        async with EventStreamClient(url, options=FAST) as client:
            subscription = client.subscribe()
            got = await take(subscription, 3, timeout_s=4)
    finally:
        await runner.cleanup()
    assert got == ["10-1", "10-2", "10-3"]
    assert asked[:3] == [None, "10-1", "10-2"]
    assert subscription.stats.closes >= 2


async def test_leaving_the_loop_mid_chunk_resumes_after_the_last_event_handed_out(
    sample_events: list[dict[str, Any]],
) -> None:
    """Five events arrive in one chunk and the loop leaves after the first: iterating again
    resumes after that first one (the parser had read all five; resuming from its last id
    lost the four never handed out)."""
    asked: list[str | None] = []

    async def events(request: web.Request) -> web.StreamResponse:
        resume = request.headers.get("Last-Event-ID")
        asked.append(resume)
        after = int(resume.split("-")[1]) if resume else 0
        frames = [
            f"id: 10-{n}\nevent: {sample_events[n]['type']}\n"
            f"data: {codec.dumps(sample_events[n]).decode()}\n\n"
            for n in range(after + 1, 6)
        ]
        return await _held_open(request, "".join(frames).encode(), 100)  # one chunk

    runner, url = await _sse_app(events)
    try:
        async with EventStreamClient(url, options=FAST) as client:
            subscription = client.subscribe()
            first = await take(subscription, 1, timeout_s=4)
            await subscription.aclose()
            assert subscription.last_event_id == "10-1"
            rest = await take(subscription, 4, timeout_s=4)
    finally:
        await runner.cleanup()
    assert first == ["10-1"]
    assert rest == ["10-2", "10-3", "10-4", "10-5"]
    assert asked[:2] == [None, "10-1"]


async def test_reconnection_waits_the_servers_retry_time() -> None:
    """WPT format-field-retry at the client: `retry:0800` (decimal, not octal) sets the wait
    between connections to 0.8 s, kept for later connections that send no `retry`; jitter
    only ever shortens it, to no less than half."""
    opened: list[float] = []

    async def events(request: web.Request) -> web.Response:
        opened.append(time.monotonic())
        body = "retry:0800\n: hello\n\n" if len(opened) == 1 else ": hello\n\n"
        return web.Response(body=body.encode(), headers={"Content-Type": "text/event-stream"})

    runner, url = await _sse_app(events)
    try:
        for jitter, low, high in ((0.0, 0.72, 1.2), (0.5, 0.36, 1.2)):
            opened.clear()
            options = StreamOptions(initial_delay_s=0.05, max_delay_s=5.0, jitter=jitter)
            async with EventStreamClient(url, options=options) as client:
                task = asyncio.create_task(take(client.subscribe(), 1, timeout_s=30))
                await until(lambda: len(opened) >= 4, timeout_s=10)
                task.cancel()
            gaps = [later - earlier for earlier, later in pairwise(opened[:4])]
            assert all(low <= gap <= high for gap in gaps), (jitter, gaps)
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("content_type", "accepted"),
    [
        ("text/event-stream;", True),  # WPT format-mime-trailing-semicolon
        ("text/event-stream; charset=utf-8", True),
        ("text/x-bogus", False),  # WPT format-mime-valid-bogus
        ("x bogus", False),  # WPT format-mime-bogus
    ],
)
async def test_content_type_of_the_stream(
    content_type: str, accepted: bool, sample_events: list[dict[str, Any]]
) -> None:
    """The WPT MIME cases: parameters after `text/event-stream` are fine, any other type
    fails the connection for good (`NotAnEventStreamError`, no retry)."""
    calls: list[int] = []
    event = sample_events[0]

    async def events(request: web.Request) -> web.Response:
        calls.append(1)
        body = f"id: 3-0\nevent: {event['type']}\ndata: {codec.dumps(event).decode()}\n\n"
        return web.Response(body=body.encode(), headers={"Content-Type": content_type})

    runner, url = await _sse_app(events)
    try:
        async with EventStreamClient(url, options=FAST) as client:
            if accepted:
                assert await take(client.subscribe(), 1, timeout_s=10) == ["3-0"]
            else:
                with pytest.raises(NotAnEventStreamError):
                    await take(client.subscribe(), 1, timeout_s=10)
                assert len(calls) == 1
    finally:
        await runner.cleanup()


async def test_compressed_answers_are_read_and_streams_ask_for_none(
    sample_events: list[dict[str, Any]],
) -> None:
    """Behind a proxy that compresses: a gzip REST answer is decompressed, the stream asks
    for `Accept-Encoding: identity` (a compressed stream waits in the compressor), and a
    stream gzipped all the same still decodes to its events."""
    event = sample_events[0]
    asked: list[str] = []

    async def stream(request: web.Request) -> web.StreamResponse:
        asked.append(request.headers.get("Accept-Encoding", ""))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        response.enable_compression(web.ContentCoding.gzip, strategy=None)  # even if not asked
        await response.prepare(request)
        body = f"id: 4-0\nevent: {event['type']}\ndata: {codec.dumps(event).decode()}\n\n"
        await response.write(body.encode())
        return response

    async def asset(request: web.Request) -> web.Response:
        response = web.json_response({"name": request.match_info["name"], "version": 3})
        response.enable_compression(strategy=None)  # gzip when the client accepts it
        return response

    runner, url = await _sse_app(stream, **{"/v1/assets/{name}": asset})
    try:
        async with EventStreamClient(url, options=FAST) as client:
            found = await client.asset("a")
            got = await take(client.subscribe(), 1, timeout_s=10)
    finally:
        await runner.cleanup()
    assert found == {"name": "a", "version": 3}
    assert got == ["4-0"]
    assert asked[0] == "identity"


async def test_iterating_again_after_an_error_or_a_cancelled_wait_goes_on(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]], tmp_path: Any
) -> None:
    """A subscription whose iteration raised (`StreamResetError`) or whose `anext` was
    cancelled (`wait_for` with a timeout) is not left ended: iterating again reconnects and
    goes on after the last id, without replaying from the checkpoint."""
    server = serve()
    written = journal.append(sample_events[:10], [f"1700000000000-{n}" for n in range(1, 11)])
    journal.client.xtrim(journal.keys.journal, maxlen=5, approximate=False)
    checkpoint = FileCheckpoint(tmp_path / "last-id")
    await checkpoint.save(written[1])
    async with EventStreamClient(server.url, options=FAST) as client:
        subscription = client.subscribe(checkpoint=checkpoint)
        with pytest.raises(StreamResetError):
            await take(subscription, 1)
        assert await take(subscription, 5) == written[5:]  # after the gap, as the server said
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(subscription), 0.3)  # a wait cut short...
        later = journal.append(sample_events[10:12])
        assert await take(subscription, 2) == later  # ...is not the end
    assert subscription.stats.duplicates == 0


async def test_204_no_content_stops_for_good() -> None:
    """WPT request-status-error: a 204 tells an event stream client not to reconnect; here it
    is a permanent error after one request, not a retry loop."""
    calls: list[int] = []

    async def events(request: web.Request) -> web.Response:
        calls.append(1)
        return web.Response(status=204)

    runner, url = await _sse_app(events)
    try:
        async with EventStreamClient(url, options=FAST) as client:
            with pytest.raises(NotAnEventStreamError) as raised:
                await take(client.subscribe(), 1, timeout_s=10)
    finally:
        await runner.cleanup()
    assert raised.value.status == 204
    assert len(calls) == 1
