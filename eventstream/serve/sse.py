"""`GET /v1/events` as Server-Sent Events: replay from the journal, then live, no gap, no dup.

A resumed stream first subscribes to the broker, then replays the journal after the client's
last id, then drains its live queue skipping ids it already sent. Every entry the broker reads
after the subscription lands in the queue, and every earlier one is in the journal when the
replay reads it, so the switch has neither gap nor duplicate. If the live queue overflows while
a long replay runs, the stream subscribes again and replays on from where it got to.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sse_starlette import EventSourceResponse, ServerSentEvent
from sse_starlette.sse import SendTimeoutError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from eventstream import codec
from eventstream.serve import streamid
from eventstream.serve.broker import Signal
from eventstream.serve.context import Services, services
from eventstream.serve.errors import ApiError
from eventstream.serve.filters import EventFilter
from eventstream.serve.streamid import StreamKey

log = logging.getLogger(__name__)

NO_BUFFERING = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
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


def start_of(request: Request) -> Start:
    """`Last-Event-ID` header, else `last_event_id`, else `from`; default: live only."""
    for name, value in (
        ("Last-Event-ID", request.headers.get("last-event-id")),
        ("last_event_id", request.query_params.get("last_event_id")),
    ):
        if value:
            try:
                return Start(streamid.parse(value), True, value)
            except ValueError:
                raise ApiError(400, "bad_event_id", f"{name} is not a stream id", name) from None
    origin = request.query_params.get("from")
    if origin is None or origin == "latest":
        return Start(None, False)
    if origin == "earliest":
        return Start(streamid.ZERO, False)
    try:
        return Start(streamid.before(streamid.of_time(origin)), True, origin)
    except ValueError:
        raise ApiError(
            400, "bad_from", "from is earliest, latest, an RFC 3339 time or epoch ms", "from"
        ) from None


def _frame(event: str, payload: dict[str, str], retry_ms: int | None, id_: str = "") -> bytes:
    head = f"retry: {retry_ms}\n" if retry_ms is not None else ""
    if id_:
        head += f"id: {id_}\n"
    return f"{head}event: {event}\ndata: ".encode() + codec.dumps(payload) + b"\n\n"


class _Session:
    """One subscriber's stream: its filter, inbox and the last id it was sent."""

    def __init__(self, svc: Services, event_filter: EventFilter, start: Start) -> None:
        self.svc = svc
        self.filter = event_filter
        self.start = start
        self.last: StreamKey = streamid.ZERO
        self.subscriber = svc.broker.subscribe(event_filter)
        # Everything after the reader's position at this moment will reach the queue.
        self.position = svc.broker.cursor
        self.expiry: asyncio.TimerHandle | None = None

    def resubscribe(self) -> None:
        self.svc.broker.unsubscribe(self.subscriber)
        self.subscriber = self.svc.broker.subscribe(self.filter)

    async def frames(self) -> AsyncIterator[bytes]:
        settings = self.svc.settings
        if settings.stream_max_s > 0:
            self.expiry = asyncio.get_running_loop().call_later(settings.stream_max_s, self._expire)
        try:
            head = f"retry: {settings.retry_ms}\n"
            if self.start.after is None:
                # A live stream starts at the reader's position, sent as an id-only block: a
                # client that reconnects before its first event resumes from there, no gap.
                after = self.position or await self.svc.reader.last_key()
                self.start = Start(after, False)
                head += f"id: {streamid.text(after)}\n"
            yield (head + "\n").encode()
            async for frame in self._catch_up():
                yield frame
            async for frame in self._live():
                yield frame
        finally:
            if self.expiry is not None:
                self.expiry.cancel()
            self.svc.broker.unsubscribe(self.subscriber)

    def _expire(self) -> None:
        self.subscriber.end(Signal.EXPIRE)

    async def _catch_up(self) -> AsyncIterator[bytes]:
        assert self.start.after is not None
        self.last = self.start.after
        if self.start.check:
            resume = await self.svc.reader.resume(self.last)
            if resume.reset_reason:
                self.last = resume.after
                yield _frame(
                    "reset",
                    {
                        "reason": resume.reset_reason,
                        "requested": self.start.requested,
                        "resume_after": streamid.text(resume.after),
                    },
                    None,
                    streamid.text(resume.after),
                )
        for _attempt in range(_CATCH_UP_ATTEMPTS):
            async for entry in self.svc.reader.replay(self.last):
                self.last = entry.key
                if self.filter.matches(entry.meta):
                    yield entry.frame
            if self.subscriber.done is not Signal.OVERFLOW:
                return
            self.resubscribe()

    async def _live(self) -> AsyncIterator[bytes]:
        while True:
            item = await self.subscriber.next()
            if isinstance(item, Signal):
                yield _frame("close", {"reason": _CLOSE_REASONS[item]}, self.svc.settings.retry_ms)
                return
            if item.key > self.last:
                self.last = item.key
                yield item.frame


class _Response(EventSourceResponse):
    """Counts a write that missed its deadline as a slow-subscriber disconnect."""

    def __init__(self, svc: Services, frames: AsyncIterator[bytes]) -> None:
        settings = svc.settings
        super().__init__(
            frames,
            headers=NO_BUFFERING,
            ping=settings.heartbeat_s,
            sep="\n",
            ping_message_factory=lambda: ServerSentEvent(comment="ping", sep="\n"),
            send_timeout=settings.write_timeout_s,
            shutdown_event=svc.shutdown,
            shutdown_grace_period=settings.shutdown_grace_s,
        )
        self.svc = svc

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except SendTimeoutError:
            self.svc.metrics.slow_disconnects.inc()
            log.info("slow subscriber cut off", extra={"client": str(scope.get("client"))})


def stream_response(svc: Services, event_filter: EventFilter, start: Start) -> Response:
    session = _Session(svc, event_filter, start)
    return _Response(svc, session.frames())


async def events_stream(request: Request, event_filter: EventFilter) -> Response:
    return stream_response(services(request), event_filter, start_of(request))
