"""`GET /v1/events` as Server-Sent Events: replay from the journal, then live, no gap, no dup.

A resumed stream first subscribes to the broker, then replays the journal after the client's
last id, then drains its live inbox skipping ids it already sent. Every entry the broker reads
after the subscription lands in the inbox, and every earlier one is in the journal when the
replay reads it, so the switch has neither gap nor duplicate. If the inbox overflows while a
long replay runs, the stream subscribes again and replays on from where it got to. A live
stream (no id, `from=latest`) starts at the reader's position and needs no replay at all.

The response class is EventStream's own (`_Response`), built to carry many streams per process:
the frames waiting in an inbox go out joined in one write (up to `CHUNK_BYTES`); a stream has
one task that writes and one that only waits for the client's disconnect; heartbeats, the write
deadline and the shutdown grace period are enforced by the broker's one watch task
(`Broker.watch`), not by a task or a timeout per stream or per write. Shutdown comes from the
app (`App.begin_shutdown`, called by the server on the first signal). sse-starlette is used
through its public API only: `ServerSentEvent` encodes the heartbeat, and the tests check every
frame built here against its encoder.
"""

from __future__ import annotations

import asyncio
import logging
import time
from bisect import bisect_right
from collections.abc import AsyncGenerator, Iterator
from contextlib import aclosing
from dataclasses import dataclass
from itertools import accumulate

from redis.exceptions import RedisError
from sse_starlette import ServerSentEvent
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from eventstream import codec
from eventstream.filters import EventFilter
from eventstream.journal import streamid
from eventstream.journal.reader import Entry
from eventstream.journal.streamid import StreamKey
from eventstream.serve.auth import OPEN, Grant
from eventstream.serve.broker import Abort, Signal
from eventstream.serve.context import Services
from eventstream.serve.cursor import is_sealed
from eventstream.serve.errors import ApiError
from eventstream.serve.params import check_form

log = logging.getLogger(__name__)

NO_BUFFERING = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
CHUNK_BYTES = 64 * 1024
"""Frames waiting for one subscriber are joined into writes of about this size (one frame may
be larger): fewer writes, and a stuck client holds at most about this much in its transport."""
_CATCH_UP_ATTEMPTS = 3
_CLOSE_REASONS = {
    Signal.CLOSE: "shutdown",
    Signal.OVERFLOW: "slow_subscriber",
    Signal.EXPIRE: "stream_lifetime",
    Signal.RESTART: "journal_restarted",
}


@dataclass(frozen=True, slots=True)
class Start:
    """Where a stream starts: after `after` (checked for trimming when `check`), or live."""

    after: StreamKey | None
    check: bool
    requested: str = ""


async def start_of(request: Request, svc: Services) -> Start:
    """`Last-Event-ID` header, else `last_event_id`, else `from`; default: live only. An id
    may be a sealed cursor (what a scoped stream sends as its position). Every one given is
    checked, whichever wins."""
    origin = request.query_params.get("from")
    if origin is not None:
        check_form(origin, "from", "from", _FROM_FORMS)
    start: Start | None = None
    for name, value in (
        ("Last-Event-ID", request.headers.get("last-event-id")),
        ("last_event_id", request.query_params.get("last_event_id")),
    ):
        if value is None:
            continue
        if not is_sealed(value):
            check_form(value, "id", name, f"{name} is not a stream id")
        position = await svc.opened(value, name)
        try:
            key = streamid.parse(position)
        except ValueError:
            raise ApiError(400, "bad_event_id", f"{name} is not a stream id", name) from None
        start = start or Start(key, True, value)  # echoed as sent
    if start is not None:
        return start
    if origin is None or origin == "latest":
        return Start(None, False)
    if origin == "earliest":
        return Start(streamid.ZERO, False)
    try:
        return Start(streamid.before(streamid.of_time(origin)), True, origin)
    except ValueError:
        raise ApiError(400, "bad_from", _FROM_FORMS, "from") from None


_FROM_FORMS = "from is earliest, latest, an RFC 3339 time or epoch ms"


def _ping_event() -> ServerSentEvent:
    return ServerSentEvent(comment="ping", sep="\n")


PING = _ping_event().encode()
RAW_SEND = "eventstream.raw_send"
"""Scope key of the server's own ASGI `send`, set by `app.App` for every HTTP request."""

MEDIA_TYPE = "text/event-stream; charset=utf-8"
RAW_HEADERS: list[tuple[bytes, bytes]] = [
    *((name.lower().encode(), value.encode()) for name, value in NO_BUFFERING.items()),
    (b"connection", b"keep-alive"),
    (b"content-type", MEDIA_TYPE.encode()),
]
"""The response head of every stream, built once and shared: no caching, no proxy buffering
(`X-Accel-Buffering: no` for nginx), and no `content-length` (the body is open-ended)."""


def control_frame(
    event: str, payload: dict[str, str], retry_ms: int | None, id_: str = ""
) -> bytes:
    """A control frame (`close`, `reset`), encoded by sse-starlette's public encoder."""
    data = codec.dumps(payload).decode()
    frame = ServerSentEvent(data=data, event=event, id=id_ or None, retry=retry_ms, sep="\n")
    return frame.encode()


def head_block(retry_ms: int, id_: str | None = None) -> bytes:
    """A stream's first block: the reconnection delay, and a live stream's position."""
    return ServerSentEvent(id=id_, retry=retry_ms, sep="\n").encode()


def _check_cancelled() -> None:
    """Raise `CancelledError` if this task was asked to stop. A cancellation can be lost on the
    way (`asyncio.wait_for` on Python 3.11 drops one that meets the result, as inside the Redis
    pool): a stream whose client left would then replay on, or wait forever on its subscriber
    until the garbage collector destroys the pending task."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def chunks_of(frames: list[bytes], limit: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The frames joined into as few byte strings as possible of at most `limit` bytes each
    (a frame longer than `limit` is a chunk by itself)."""
    ends = list(accumulate(map(len, frames)))
    if ends[-1] <= limit:
        yield b"".join(frames)
        return
    start, base = 0, 0
    while start < len(frames):
        stop = max(start + 1, bisect_right(ends, base + limit, start))
        yield b"".join(frames[start:stop])
        base = ends[stop - 1]
        start = stop


class _Stream:
    """One subscriber's stream: where it starts, its inbox and the last id it was sent."""

    __slots__ = ("ended", "grant", "last", "position", "scope", "start", "subscriber", "svc")

    def __init__(
        self, svc: Services, event_filter: EventFilter, start: Start, grant: Grant = OPEN
    ) -> None:
        self.svc = svc
        self.grant = grant if grant.may_redact else None  # None: every frame as journaled
        self.scope = grant  # whose positions are sealed (`Services.shown`)
        self.ended = False  # ended before going live (the journal could not be read)
        self.start = start
        self.last: StreamKey = streamid.ZERO
        self.subscriber = svc.broker.subscribe(event_filter)
        # Everything after the reader's position at this moment will reach the inbox.
        self.position = svc.broker.cursor

    async def _head(self) -> tuple[bytes, bool]:
        """The head block (retry hint, and a live stream's position), and whether to replay."""
        retry_ms = self.svc.settings.retry_ms
        if self.start.after is not None:
            return head_block(retry_ms), True
        # A live stream starts at the reader's position, sent as an id-only block: a client
        # that reconnects before its first event resumes from there, no gap. The inbox gets
        # every later entry, so there is nothing to replay, unless the reader has no position
        # yet (then the journal's end, and a replay from there).
        position = self.position
        replay = position is None
        after = await self.svc.reader.last_key() if position is None else position
        self.start = Start(after, False)
        self.last = after
        shown = await self.svc.shown(self.scope, streamid.text(after))
        return head_block(retry_ms, shown), replay

    async def chunks(self) -> AsyncGenerator[bytes, None]:
        """The stream's bytes: the head block, the replay, then live frames and heartbeats."""
        # Nested generators are closed explicitly: left to the garbage collector, one closed
        # while its stream is mid-write fails ("aclose(): ... already running").
        async with aclosing(self._opening()) as opening:
            async for chunk in opening:
                yield chunk
        if self.ended:
            return
        # Live: drain the inbox, skipping what the replay sent (inlined: one generator less).
        subscriber = self.subscriber
        while True:
            if not subscriber.ready():
                _check_cancelled()  # before waiting on a subscriber nobody may wake any more
                try:
                    await subscriber.arm()
                finally:
                    subscriber.waiter = None
            frames: list[bytes] = []
            entries = subscriber.take()
            if entries:
                if entries[0].key <= self.last:
                    entries = [entry for entry in entries if entry.key > self.last]
                if entries:
                    self.last = entries[-1].key
                    frames = self._frames(entries)
            if subscriber.ping:
                subscriber.ping = False
                frames.append(PING)
            if frames:
                for chunk in chunks_of(frames):
                    yield chunk
            if subscriber.done is not None and not subscriber.pending:
                reason = _CLOSE_REASONS[subscriber.done]
                yield control_frame("close", {"reason": reason}, self.svc.settings.retry_ms)
                return

    def _frames(self, entries: list[Entry]) -> list[bytes]:
        grant = self.grant
        if grant is None:
            return [entry.frame for entry in entries]
        redactions = self.svc.redactions
        return [
            redactions.of(entry).frame if grant.redacts(entry.meta) else entry.frame
            for entry in entries
        ]

    async def _opening(self) -> AsyncGenerator[bytes, None]:
        """The head block and the replay. If the journal cannot be read (Redis down) before
        the stream is live, it ends with a `close` event saying so (the client retries and
        resumes by id), not with a broken body."""
        try:
            head, replay = await self._head()
            yield head
            if replay:
                async with aclosing(self._catch_up()) as replayed:
                    async for chunk in replayed:
                        yield chunk
        except RedisError as error:
            log.warning(
                "stream ended: journal unavailable",
                extra={"error": f"{type(error).__name__}: {error}"[:300]},
            )
            self.ended = True
            yield control_frame(
                "close", {"reason": "journal_unavailable"}, self.svc.settings.retry_ms
            )

    async def _catch_up(self) -> AsyncGenerator[bytes, None]:
        assert self.start.after is not None
        self.last = self.start.after
        if self.start.check:
            resume = await self.svc.resume(self.scope, self.last)
            if resume.reset_reason:
                self.last = resume.after
                position = await self.svc.shown(self.scope, streamid.text(resume.after))
                yield control_frame(
                    "reset",
                    {
                        "reason": resume.reset_reason,
                        "requested": self.start.requested,
                        "resume_after": position,
                    },
                    None,
                    position,
                )
        subscriber = self.subscriber
        for _attempt in range(_CATCH_UP_ATTEMPTS):
            async with aclosing(self.svc.reader.replay(self.last)) as pages:
                async for after, page in pages:
                    _check_cancelled()  # a stream that left stops replaying into the void
                    self.last = after
                    wanted = subscriber.filter
                    frames = self._frames(
                        [e for e in page if wanted is None or wanted.matches(e.meta)]
                    )
                    if frames:
                        for chunk in chunks_of(frames):
                            yield chunk
                            # A replay writes without ever waiting: let the loop see a client
                            # that left before the next write (asyncio warns after five
                            # writes to a lost connection), once per chunk of 64 KiB.
                            await asyncio.sleep(0)
            if subscriber.done is not Signal.OVERFLOW:
                return
            self.svc.broker.resubscribe(subscriber)


class _Response(Response):
    """One stream's response, carrying many streams per process.

    The request's own task only waits for the client's disconnect (`receive()`), and one writer
    task, started on a short stack so each wake-up is cheap, drains the stream:
    `_write` sends each chunk with one `send` and marks when the write began, so the broker's
    watch can stop a stream whose write misses `write_timeout_s`. Writes come from that one
    task, so the response needs no send lock. (Starlette's `Response.__init__` is not called:
    it would render a body and a `content-length`; the attributes Starlette reads are set here.)
    """

    media_type = MEDIA_TYPE

    def __init__(self, svc: Services, stream: _Stream) -> None:
        self.status_code = 200
        self.raw_headers = RAW_HEADERS  # the same for every stream: one shared list
        self.background = None
        self.chunks = stream.chunks()
        self.svc = svc
        self.stream = stream
        self.subscriber = stream.subscriber
        self.listening: asyncio.Task[None] | None = None  # the request's task, while it waits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        subscriber = self.subscriber
        loop = asyncio.get_running_loop()
        max_s = self.svc.settings.stream_max_s
        expiry = loop.call_later(max_s, subscriber.end, Signal.EXPIRE) if max_s > 0 else None
        writer = loop.create_task(self._write(send, scope.get(RAW_SEND, send)))
        subscriber.stop = writer.cancel
        writer.add_done_callback(self._writer_done)
        task = self.listening = asyncio.current_task()
        assert task is not None
        try:
            # Until `http.disconnect`: the client left, or the response is complete (inlined,
            # rather than `_listen_for_disconnect`: one frame less kept per idle stream).
            while (await receive())["type"] != "http.disconnect":
                pass
        except asyncio.CancelledError:
            if not writer.done() or self.listening is not None:
                raise  # not woken by the writer: the server cancels the request
            task.uncancel()
        finally:
            self.listening = None
            subscriber.stop = None
            writer.cancel()
            if expiry is not None:
                expiry.cancel()
            self.svc.broker.release(subscriber)
        failure = writer.exception() if writer.done() and not writer.cancelled() else None
        if failure is not None:
            raise failure
        if subscriber.aborted is not None:
            self._aborted(scope, subscriber.aborted)

    def _writer_done(self, writer: asyncio.Task[None]) -> None:
        """A writer that ended without completing the response (stopped by the watch, or
        failed) wakes the request's task, which would otherwise wait for the client forever."""
        stopped = writer.cancelled() or writer.exception() is not None  # (retrieves it)
        listening = self.listening
        if listening is not None and stopped:
            self.listening = None
            listening.cancel()

    async def _write(self, send: Send, direct: Send | None = None) -> None:
        """The response start through `send` (the middleware see it), the body through
        `direct`, the server's own `send` when the app provides it (`RAW_SEND`)."""
        direct = send if direct is None else direct
        subscriber = self.subscriber
        try:
            subscriber.writing_since = time.monotonic()
            start = {"type": "http.response.start", "status": self.status_code}
            await send({**start, "headers": self.raw_headers})
            async for chunk in self.chunks:
                subscriber.writing_since = time.monotonic()
                await direct({"type": "http.response.body", "body": chunk, "more_body": True})
                subscriber.writing_since = 0.0
            subscriber.writing_since = time.monotonic()
            await direct({"type": "http.response.body", "body": b"", "more_body": False})
            subscriber.writing_since = 0.0
        except GeneratorExit:
            raise  # the task is being destroyed with its loop: nothing can be awaited any more
        except BaseException:
            # Stopped or failed while the stream was suspended at a yield: run its cleanup.
            await self.chunks.aclose()
            raise

    def _aborted(self, scope: Scope, reason: Abort) -> None:
        if reason is Abort.STALLED:
            self.svc.metrics.slow_disconnects.inc()
            log.info(
                "slow subscriber cut off",
                extra={
                    "client": str(scope.get("client")),
                    "reason": "write_timeout",
                    "last_id": streamid.text(self.stream.last),
                },
            )
        elif reason is Abort.GRACE:
            log.info("stream stopped after the shutdown grace period")


def stream_response(
    svc: Services, event_filter: EventFilter, start: Start, grant: Grant = OPEN
) -> Response:
    return _Response(svc, _Stream(svc, event_filter, start, grant))
