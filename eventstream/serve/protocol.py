"""uvicorn's httptools protocol, held to the bounds of `limits.py` before the app sees a byte.

- a request head (request line and headers) larger than `max_head_bytes` is answered 431,
  after reading no more than that of it;
- a head not complete `head_timeout_s` after the connection (first request) or after the first
  byte of a keep-alive request is answered 408; so is a body (if the request has one) not
  complete by then, or the connection is closed if the app answered without waiting for it;
- a body larger than `max_body_bytes` (by its `Content-Length`, or as it arrives) is answered
  413, without reading it;
- a connection over the per-client or total limit has its request answered 429 or 503 with
  `Retry-After`; an SSE request (`Accept: text/event-stream`) is answered instead `200` with a
  `retry:` hint and a `close` event, because a browser's `EventSource` gives up for good on any
  other status and retries after this one.

Each refusal is a JSON `{"code", "message"}` body with `Connection: close` (and the CORS
allowance of a listed `Origin`, as the app's responses have it); the connection then
reads and discards what the client still sends for a moment (so that the client reads the
answer rather than a reset) and closes. Refusals are counted in
`eventstream_http_refusals_total{reason}`.

This relies on uvicorn's `HttpToolsProtocol` (its httptools callbacks, `parser`, `cycle`,
`headers`, `transport`, `server_state`): `tests/serve/test_protocol.py` checks that they are
still there, and pyproject bounds uvicorn's version.
"""

from __future__ import annotations

import asyncio
import http
import logging
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from eventstream import codec
from eventstream.serve.limits import (
    LINGER_BYTES,
    LINGER_S,
    Admission,
    Guard,
    Limits,
    client_key,
)
from eventstream.serve.metrics import Metrics

log = logging.getLogger(__name__)


class GuardedState(ServerState):
    """uvicorn's state shared by the connections of one server, with that server's `Guard`."""

    def __init__(self, guard: Guard) -> None:
        super().__init__()
        self.guard = guard


class Refusal:
    """One answer the protocol gives instead of the app: status, code, message."""

    __slots__ = ("code", "message", "reason", "status")

    def __init__(self, reason: str, status: int, code: str, message: str) -> None:
        self.reason = reason  # the metric label
        self.status = status
        self.code = code
        self.message = message


HEAD_TOO_LARGE = Refusal(
    "head_too_large", 431, "request_head_too_large", "the request line and headers are too large"
)
HEAD_TIMEOUT = Refusal(
    "head_timeout", 408, "request_timeout", "the request was not received in time"
)
BODY_TOO_LARGE = Refusal(
    "body_too_large", 413, "request_body_too_large", "the request body is too large"
)
CLIENT_LIMIT = Refusal(
    "client_limit", 429, "too_many_connections", "too many open connections from this address"
)
TOTAL_LIMIT = Refusal(
    "total_limit", 503, "server_busy", "the server has as many open connections as it takes"
)
_OVER_LIMIT = {Admission.CLIENT_LIMIT: CLIENT_LIMIT, Admission.TOTAL_LIMIT: TOTAL_LIMIT}


def _head(status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
    phrase = http.HTTPStatus(status).phrase
    lines = [f"HTTP/1.1 {status} {phrase}".encode()]
    lines += [name + b": " + value for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def refusal_bytes(
    refusal: Refusal,
    default_headers: list[tuple[bytes, bytes]],
    limits: Limits,
    request_headers: list[tuple[bytes, bytes]],
) -> bytes:
    """The whole response of `refusal` to a request with `request_headers` (so far): for an
    SSE request over a limit, a 200 stream that only says when to retry; for a request from a
    listed origin, with its CORS allowance (else its page could not read it, and a
    cross-origin `EventSource` would give up rather than retry)."""
    headers = [*default_headers, (b"connection", b"close"), (b"cache-control", b"no-store")]
    sse, origin = False, None
    for name, value in request_headers:
        if name == b"accept" and b"text/event-stream" in value:
            sse = True
        elif name == b"origin":
            origin = value
    if origin is not None and origin.decode("latin-1") in limits.cors_origins:
        headers += [
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-credentials", b"true"),
            (b"vary", b"Origin"),
        ]
    status = refusal.status
    retryable = status in (429, 503)
    if retryable:
        headers.append((b"retry-after", str(limits.retry_after_s).encode()))
    if sse and retryable:
        status = 200
        reason = codec.dumps({"reason": refusal.code, "message": refusal.message})
        body = b"retry: %d\nevent: close\ndata: %s\n\n" % (limits.retry_ms, reason)
        headers.append((b"content-type", b"text/event-stream; charset=utf-8"))
    else:
        body = codec.dumps({"code": refusal.code, "message": refusal.message})
        headers.append((b"content-type", b"application/json"))
    headers.append((b"content-length", str(len(body)).encode()))
    return _head(status, headers) + body


class GuardedProtocol(HttpToolsProtocol):
    """One HTTP/1.1 connection, within its server's limits (see the module's docstring)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        if not isinstance(server_state, GuardedState):
            raise TypeError("GuardedProtocol runs under eventstream.serve.server.Server")
        self.guard = server_state.guard
        self.limits = server_state.guard.limits
        metrics = app_state.get("metrics")
        self.metrics = metrics if isinstance(metrics, Metrics) else None
        self.address = ""
        self.admission = Admission.DROPPED  # until connection_made counts it
        self.over_limit: Refusal | None = None  # the answer to this connection's request
        self.awaiting_head = True
        self.head_bytes = 0
        self.body_bytes = 0
        self.head_timer: asyncio.TimerHandle | None = None
        self.linger_timer: asyncio.TimerHandle | None = None
        self.refused = False  # a refusal was written: input is discarded until the close
        self.discarded = 0

    # Connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.address = client_key(self.client[0]) if self.client else ""
        self.admission = self.guard.admit(self.address)
        if self.admission is Admission.ADMITTED:
            if self.metrics is not None:
                self.metrics.connections.inc()
        elif self.admission is Admission.DROPPED:
            self._count("dropped")
            self.refused = True
            transport.close()
            return
        else:
            self.over_limit = _OVER_LIMIT[self.admission]
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        if self.linger_timer is not None:
            self.linger_timer.cancel()
            self.linger_timer = None
        self.guard.release(self.address, self.admission)
        if self.admission is Admission.ADMITTED and self.metrics is not None:
            self.metrics.connections.dec()
        self.admission = Admission.DROPPED  # released once
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            self.discarded += len(data)
            if self.discarded > LINGER_BYTES:
                self.transport.close()
            return
        while data and not self.refused:
            if not self.awaiting_head:
                super().data_received(data)
                return
            if self.head_timer is None:  # the first byte of a keep-alive request
                self._start_head_timer()
            room = self.limits.max_head_bytes - self.head_bytes
            if len(data) <= room:
                self.head_bytes += len(data)
                super().data_received(data)
                return
            self.head_bytes += room
            super().data_received(data[:room])
            if self.refused or self.transport.is_closing():
                return
            if self.awaiting_head:
                self._refuse(HEAD_TOO_LARGE)
                return
            data = data[room:]  # the head is in: the rest is its body, or the next request

    # httptools callbacks

    def on_headers_complete(self) -> None:
        if self.refused:
            return
        self.awaiting_head = False  # the timer runs on until the body is in
        self.body_bytes = 0
        if self.over_limit is not None:
            self._refuse(self.over_limit)
        elif self._declared_length() > self.limits.max_body_bytes:
            self._refuse(BODY_TOO_LARGE)
        else:
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if self.refused:
            return
        self.body_bytes += len(body)
        if self.body_bytes > self.limits.max_body_bytes:
            self._refuse(BODY_TOO_LARGE, in_body=True)  # a chunked body, past the bound
            return
        super().on_body(body)

    def on_message_complete(self) -> None:
        if self.refused:
            return
        self._stop_head_timer()
        self.awaiting_head = True
        self.head_bytes = 0
        super().on_message_complete()

    # Refusals

    def _declared_length(self) -> int:
        for name, value in self.headers:
            if name == b"content-length":
                return int(value) if value.strip().isdigit() else 0  # llhttp vetted it
        return 0

    def _start_head_timer(self) -> None:
        self.head_timer = self.loop.call_later(self.limits.head_timeout_s, self._head_timeout)

    def _stop_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timeout(self) -> None:
        self.head_timer = None
        if not self.refused and not self.transport.is_closing():
            self._refuse(HEAD_TIMEOUT, in_body=not self.awaiting_head)

    def _refuse(self, refusal: Refusal, in_body: bool = False) -> None:
        """Answer `refusal`, then linger and close; or just close if a response was already
        sent to this request (`in_body`: its head is in, and the app answered without waiting
        for its body) or is still being sent to the previous one."""
        self.refused = True
        self._stop_head_timer()
        self._count(refusal.reason)
        cycle = self.cycle
        if cycle is not None and not (cycle.response_complete and not in_body):
            cycle.disconnected = True  # its app sees the disconnect; its writes are dropped
            cycle.message_event.set()
            if cycle.response_started:  # no room for an answer
                self.transport.close()
                return
        answer = refusal_bytes(
            refusal, self.server_state.default_headers, self.limits, self.headers or []
        )
        self.transport.write(answer)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.linger_timer = self.loop.call_later(LINGER_S, self.transport.close)

    def _count(self, reason: str) -> None:
        if self.metrics is not None:
            self.metrics.refusals.labels(reason).inc()
        log.debug("connection refused", extra={"reason": reason, "client": self.address})
