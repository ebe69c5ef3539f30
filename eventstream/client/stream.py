"""One subscription to `GET /v1/events`, kept alive across connections.

Each connection sends the last event id seen (`Last-Event-ID`), so the server resumes its
journal right after it; an event whose id is not after the last one delivered is a duplicate
and is dropped. Between connections the subscription waits (`Backoff`): the server's `retry:`
hint after a clean end (its `close` event, which ends the connection even if the body stays
open, or end of body), growing after failures. A connection with no byte for `idle_timeout_s`
(heartbeats come every 15 s) is dropped and retried; there is no total timeout, so a healthy
stream runs for ever. Permanent answers (401, 403, 404, not an event stream) raise at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from pydantic import ValidationError

from eventstream import codec
from eventstream.client.backoff import Backoff
from eventstream.client.checkpoint import Checkpoint
from eventstream.client.events import StreamEvent, StreamReset, order_key
from eventstream.client.http import Retryable, check_answer
from eventstream.client.sse import SSEEvent, SSEParser
from eventstream.errors import ServerUnavailableError, StreamResetError
from eventstream.models.event import AssetEvent

__all__ = ["ResetHandler", "StreamOptions", "StreamStats", "Subscription"]

log = logging.getLogger(__name__)

ResetHandler = Callable[[StreamReset], Awaitable[None] | None]
MalformedHandler = Callable[[str, Exception], None]
_RECENT_IDS = 4096
_FAILURES = (aiohttp.ClientError, TimeoutError, Retryable, ConnectionError)
# The model's own validator, called without `model_validate_json`'s Python wrapper (about
# 1 us of a ~20 us validation): the same `AssetEvent`, validated the same way.
_validate_event = AssetEvent.__pydantic_validator__.validate_json


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """How a subscription connects and waits (seconds)."""

    idle_timeout_s: float = 45.0
    connect_timeout_s: float = 10.0
    initial_delay_s: float = 1.0
    max_delay_s: float = 30.0
    jitter: float = 0.5
    max_attempts: int | None = None
    """Failed connection attempts in a row before `ServerUnavailableError`; None: for ever."""


@dataclass
class StreamStats:
    """Counters of one subscription, for logs and tests."""

    connections: int = 0
    failures: int = 0
    events: int = 0
    duplicates: int = 0
    malformed: int = 0
    resets: int = 0
    closes: int = 0
    heartbeats: int = 0


class Subscription:
    """`async for event in Subscription(...)`: typed events, exactly once and in order from
    the client's point of view, across any number of reconnections."""

    def __init__(
        self,
        session: Callable[[], aiohttp.ClientSession],
        url: str,
        *,
        params: dict[str, str],
        headers: dict[str, str],
        start: str | None,
        last_event_id: str | None,
        options: StreamOptions,
        checkpoint: Checkpoint | None = None,
        on_reset: ResetHandler | None = None,
        on_malformed: MalformedHandler | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.session = session
        self.url = url
        self.params = params
        self.headers = headers
        self.start = start
        self.options = options
        self.checkpoint = checkpoint
        self.on_reset = on_reset
        self.on_malformed = on_malformed
        self.backoff = backoff or Backoff(
            options.initial_delay_s, options.max_delay_s, jitter=options.jitter
        )
        self.parser = SSEParser(last_event_id or "")
        # Where a new connection resumes: the id of the last event this subscription dealt
        # with (handed out, skipped as malformed, or a reset's `resume_after`), not the
        # parser's, which has already read past the events of a chunk not yet handed out.
        self._resume_id = last_event_id or ""
        self.stats = StreamStats()
        self._last_key = order_key(last_event_id) if last_event_id else None
        self._recent: deque[str] = deque(maxlen=_RECENT_IDS)
        self._loaded = last_event_id is not None
        self._handled: str | None = None  # yielded, its handler maybe still running
        self._events: AsyncGenerator[StreamEvent, None] | None = None

    @property
    def last_event_id(self) -> str:
        return self._resume_id

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> StreamEvent:
        """The next event; loops that leave and come back go on with the same stream, also
        after an error or a cancelled wait (which end the connection, not the subscription)."""
        if self._events is None:
            self._events = self._run()
        try:
            return await anext(self._events)
        except BaseException:
            self._events = None  # that generator is finished: the next call starts anew
            raise

    async def aclose(self) -> None:
        """Close the connection (the subscription can be iterated again: it resumes)."""
        if self._events is not None:
            events, self._events = self._events, None
            await events.aclose()

    async def _run(self) -> AsyncGenerator[StreamEvent, None]:
        if not self._loaded and self.checkpoint is not None:
            saved = await self.checkpoint.load()
            if saved:
                self.parser = SSEParser(saved)
                self._resume_id = saved
                self._last_key = order_key(saved)
        self._loaded = True  # a later run goes on from memory, not from an older checkpoint
        while True:
            floor_s = 0.0
            try:
                async with contextlib.aclosing(self._connection()) as events:
                    async for event in events:
                        self._handled = event.id
                        yield event
                        await self.commit()
            except _FAILURES as error:
                floor_s = self._failed(error)
            await asyncio.sleep(self.backoff.delay(self.parser.retry_ms, floor_s))

    async def commit(self) -> None:
        """Save the id of the last event handed out to the checkpoint. The loop does it when
        it asks for the next event; call it after leaving the loop with `break` once that
        last event is handled (else a restart sees it again: at least once)."""
        if self.checkpoint is not None and self._handled is not None:
            await self.checkpoint.save(self._handled)
            self._handled = None

    def _failed(self, error: BaseException) -> float:
        self.stats.failures += 1
        self.backoff.failed()
        attempts = self.backoff.failures
        reason = str(error) or type(error).__name__
        log.warning(
            "event stream connection failed (attempt %d, reconnecting): %s",
            attempts,
            reason,
            extra={"url": self.url, "reason": reason, "attempt": attempts},
        )
        limit = self.options.max_attempts
        if limit is not None and attempts >= limit:
            raise ServerUnavailableError(self.url, reason, attempts=attempts) from error
        return error.retry_after_s if isinstance(error, Retryable) else 0.0

    def _request(self) -> tuple[dict[str, str], dict[str, str]]:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache", **self.headers}
        params = dict(self.params)
        if self._resume_id:
            headers["Last-Event-ID"] = self._resume_id
        elif self.start is not None:
            params["from"] = self.start
        return headers, params

    async def _connection(self) -> AsyncGenerator[StreamEvent, None]:
        headers, params = self._request()
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None,
            sock_connect=self.options.connect_timeout_s,
            sock_read=self.options.idle_timeout_s,
        )
        async with self.session().get(
            self.url, params=params, headers=headers, timeout=timeout
        ) as response:
            await check_answer(response, stream=True)
            self.stats.connections += 1
            self.parser.reset()
            async for chunk in response.content.iter_any():
                self.backoff.succeeded()
                closes = self.stats.closes
                for sse in self.parser.feed(chunk):
                    event = await self._handle(sse)
                    if event is not None:
                        yield event
                self.stats.heartbeats = self.parser.comments
                if self.stats.closes != closes:
                    return  # the server's `close`: reconnect, even if the body stays open

    async def _handle(self, sse: SSEEvent) -> StreamEvent | None:
        if sse.type == "reset":
            await self._reset(sse)
            return None
        if sse.type == "close":
            self.stats.closes += 1
            return None
        if self._seen(sse.id):
            self.stats.duplicates += 1
            return None
        if sse.id:
            self._resume_id = sse.id  # handed out next (or skipped: it would be again)
        try:
            event = StreamEvent(sse.id, _validate_event(sse.data))
        except ValidationError as error:
            self._malformed(sse, error)
            return None
        self.stats.events += 1
        return event

    def _seen(self, event_id: str) -> bool:
        """Whether this id was delivered already (journal ids only increase; other ids are
        remembered, the last few thousand)."""
        if not event_id:
            return False
        key = order_key(event_id)
        if key is not None:
            if self._last_key is not None and key <= self._last_key:
                return True
            self._last_key = key
            return False
        if event_id in self._recent:
            return True
        self._recent.append(event_id)
        return False

    def _malformed(self, sse: SSEEvent, error: Exception) -> None:
        self.stats.malformed += 1
        if self.on_malformed is not None:
            self.on_malformed(sse.id, error)
            return
        log.warning(
            "event stream: an event that is not an AssetEvent, skipped",
            extra={"url": self.url, "event_id": sse.id, "sse_type": sse.type},
        )

    async def _reset(self, sse: SSEEvent) -> None:
        self.stats.resets += 1
        try:
            body = codec.loads(sse.data)
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        reset = StreamReset(
            reason=str(body.get("reason", "")),
            requested=str(body.get("requested", "")),
            resume_after=str(body.get("resume_after", sse.id)),
        )
        if reset.resume_after:
            self._resume_id = reset.resume_after  # the server goes on after the gap
        if self.on_reset is None:
            raise StreamResetError(self.url, reset.reason, reset.requested, reset.resume_after)
        key = order_key(reset.resume_after)
        if key is not None:
            self._last_key = key  # the stream goes on after this id, older ones are gone
        outcome = self.on_reset(reset)
        if inspect.isawaitable(outcome):
            await outcome
