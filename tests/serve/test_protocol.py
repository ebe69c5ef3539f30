"""The bounds a connection is held to before the app sees it, on a real server: head size and
time, body size, connections per client address and in total."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
import uvicorn
from prometheus_client import REGISTRY
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from eventstream import codec
from eventstream.config import ServeSettings
from eventstream.config.serve import TokenSettings, token_hash
from eventstream.serve.limits import Admission, Guard, Limits, client_key
from eventstream.serve.protocol import GuardedProtocol, GuardedState
from tests.serve.conftest import ServerFactory
from tests.serve.raw_http import Connection, get
from tests.serve.servers import ThreadServer

TOKEN = "ops-token-0123456789"
TOKENS = [TokenSettings(name="ops", sha256=token_hash(TOKEN), accounts=["*"])]


def _refusals(server: ThreadServer, reason: str) -> float:
    value = server.services.metrics.registry.get_sample_value(
        "eventstream_http_refusals_total", {"reason": reason}
    )
    return value or 0.0


async def _healthz(port: int, source: str = "127.0.0.1") -> int:
    connection = await Connection.open(port, source)
    try:
        await connection.send(get("/healthz"))
        return (await connection.answer()).status
    finally:
        connection.close()


async def test_request_head_over_the_bound_is_answered_431_before_auth(
    serve: ServerFactory,
) -> None:
    """A 1 MB header gets 431 (not the app's 401) and a closed connection; 64 KiB is read."""
    server = serve(tokens=TOKENS, max_head_bytes=16384)
    connection = await Connection.open(server.port)
    await connection.send(get("/v1/events", "X-Filler: " + "a" * (1 << 20)))
    answer = await connection.answer()
    assert answer.status == 431
    assert answer.json()["code"] == "request_head_too_large"
    assert answer.headers["connection"] == "close"
    assert await connection.closed()
    connection.close()
    assert _refusals(server, "head_too_large") == 1
    small = await Connection.open(server.port)
    await small.send(get("/v1/events", "X-Filler: " + "a" * 8000))
    assert (await small.answer()).status == 401  # within the bound: the app answers
    small.close()


async def test_incomplete_request_head_is_cut_after_the_head_timeout(
    serve: ServerFactory,
) -> None:
    """A partial head gets 408 and a closed connection after `head_timeout_s`, on the first
    request and on a keep-alive one, however steadily its bytes trickle in."""
    server = serve(head_timeout_s=1.0)
    first = await Connection.open(server.port)
    started = time.monotonic()
    for byte in b"GET /healthz HTTP/1.1\r\nHost: 1":
        await first.send(bytes([byte]))
        await asyncio.sleep(0.05)
        if first.reader.at_eof():
            break
    answer = await first.answer()
    assert answer.status == 408
    assert answer.json()["code"] == "request_timeout"
    assert await first.closed(2.0)
    assert 0.9 < time.monotonic() - started < 2.5
    first.close()

    kept = await Connection.open(server.port)
    await kept.send(get("/healthz"))
    assert (await kept.answer()).status == 200
    await asyncio.sleep(0.5)  # less than uvicorn's keep-alive timeout (5 s)
    started = time.monotonic()
    await kept.send(b"GET /healthz HTTP/1.1\r\n")
    answer = await kept.answer()
    assert answer.status == 408
    assert 0.9 < time.monotonic() - started < 2.5
    assert await kept.closed(2.0)
    kept.close()
    assert _refusals(server, "head_timeout") == 2


async def test_trickling_request_body_is_cut_at_the_head_timeout(serve: ServerFactory) -> None:
    """A body that trickles in is cut `head_timeout_s` after its request began: closed, since
    `POST /v1/session` answered without waiting for it; no trickle keeps a connection open."""
    server = serve(tokens=TOKENS, head_timeout_s=1.0)
    connection = await Connection.open(server.port)
    started = time.monotonic()
    await connection.send(
        b"POST /v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4000\r\n"
        + f"Authorization: Bearer {TOKEN}\r\n\r\n".encode()
    )
    assert (await connection.answer()).status == 204
    with contextlib.suppress(ConnectionError):
        for _ in range(40):
            await connection.send(b"x")
            await asyncio.sleep(0.1)
            if connection.reader.at_eof():
                break
    assert await connection.closed(1.0)
    assert 0.9 < time.monotonic() - started < 2.5
    connection.close()
    assert _refusals(server, "head_timeout") == 1


async def test_connections_over_the_per_client_limit_are_answered_429(
    serve: ServerFactory,
) -> None:
    """The fourth connection from one address gets 429 with Retry-After (an SSE request: 200,
    a retry hint and a `close` event); another address is served; a freed slot is reused."""
    server = serve(max_connections_per_client=3, retry_ms=2500)
    held = [await Connection.open(server.port) for _ in range(3)]
    for connection in held:  # one request each, so the server has counted all three
        await connection.send(get("/healthz"))
        assert (await connection.answer()).status == 200

    extra = await Connection.open(server.port)
    await extra.send(get("/healthz"))
    answer = await extra.answer()
    assert answer.status == 429
    assert answer.headers["retry-after"] == "3"
    assert answer.json()["code"] == "too_many_connections"
    assert await extra.closed()
    extra.close()

    stream = await Connection.open(server.port)
    await stream.send(get("/v1/events", "Accept: text/event-stream"))
    answer = await stream.answer()
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    lines = answer.body.decode().split("\n")
    assert "retry: 2500" in lines
    assert "event: close" in lines
    data = next(line for line in lines if line.startswith("data: "))
    assert codec.loads(data[6:])["reason"] == "too_many_connections"
    stream.close()

    assert await _healthz(server.port, source="127.0.0.2") == 200
    held.pop().close()
    await asyncio.sleep(0.2)
    assert await _healthz(server.port) == 200
    for connection in held:
        connection.close()
    assert _refusals(server, "client_limit") == 2


async def test_connections_over_the_total_limit_are_answered_503(serve: ServerFactory) -> None:
    """Past `max_connections` open connections, every address gets 503 with Retry-After."""
    server = serve(max_connections=3, max_connections_per_client=0)
    held = [await Connection.open(server.port, f"127.0.0.{n}") for n in (1, 2, 3)]
    for connection in held:
        await connection.send(get("/healthz"))
        assert (await connection.answer()).status == 200
    open_gauge = server.services.metrics.registry.get_sample_value("eventstream_http_connections")
    assert open_gauge == 3
    for source in ("127.0.0.1", "127.0.0.4"):
        extra = await Connection.open(server.port, source)
        await extra.send(get("/healthz"))
        answer = await extra.answer()
        assert answer.status == 503
        assert answer.headers["retry-after"] == "3"
        assert answer.json()["code"] == "server_busy"
        extra.close()
    for connection in held:
        connection.close()
    await asyncio.sleep(0.2)
    assert await _healthz(server.port) == 200
    assert _refusals(server, "total_limit") == 2
    for _ in range(100):  # the server sees the last close a moment later
        if server.server.guard.total == 0 and server.server.guard.refusing == 0:
            break
        await asyncio.sleep(0.02)
    assert (server.server.guard.total, server.server.guard.clients) == (0, {})
    assert server.server.guard.refusing == 0


async def test_session_body_over_the_bound_is_answered_413(serve: ServerFactory) -> None:
    """`POST /v1/session` with a body past `max_body_bytes` gets 413, by its Content-Length or
    (chunked) as it arrives; a small body reaches the app."""
    server = serve(tokens=TOKENS, max_body_bytes=4096)
    head = f"POST /v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"

    declared = await Connection.open(server.port)
    await declared.send(f"{head}Content-Length: 10000000\r\n\r\n".encode() + b"x" * 65536)
    answer = await declared.answer()
    assert answer.status == 413
    assert answer.json()["code"] == "request_body_too_large"
    assert await declared.closed()
    declared.close()

    chunks = b"800\r\n" + b"x" * 2048 + b"\r\n"
    chunked = await Connection.open(server.port)
    await chunked.send(f"{head}Transfer-Encoding: chunked\r\n\r\n".encode() + chunks * 3)
    answer = await chunked.answer()
    assert answer.status == 413
    assert await chunked.closed()
    chunked.close()

    late = await Connection.open(server.port)  # the app answers before the body is in:
    await late.send(f"{head}Transfer-Encoding: chunked\r\n\r\n".encode())
    assert (await late.answer()).status == 204
    for _ in range(3):
        await late.send(chunks)
    assert await late.closed()  # cut when the body passes the bound, with no second answer
    assert late.reader.at_eof()
    late.close()

    small = await Connection.open(server.port)
    await small.send(f"{head}Content-Length: 2\r\n\r\n{{}}".encode())
    assert (await small.answer()).status == 204
    small.close()
    assert _refusals(server, "body_too_large") == 3


def test_uvicorn_internals_the_protocol_relies_on() -> None:
    """`GuardedProtocol` overrides these callbacks and reads these attributes of uvicorn's
    httptools protocol: a uvicorn release that changes them fails here, loudly."""
    for name in (
        "connection_made",
        "connection_lost",
        "data_received",
        "on_headers_complete",
        "on_body",
        "on_message_complete",
    ):
        assert callable(getattr(HttpToolsProtocol, name)), name
    config = uvicorn.Config(lambda scope, receive, send: None, http=GuardedProtocol)
    loop = asyncio.new_event_loop()
    try:
        protocol = GuardedProtocol(config, GuardedState(Guard(Limits())), {}, _loop=loop)
        for name in ("parser", "cycle", "headers", "transport", "server_state", "loop", "client"):
            assert hasattr(protocol, name), name
        assert protocol.server_state.default_headers == []
        for name in ("disconnected", "response_started", "response_complete", "message_event"):
            assert name in RequestResponseCycle.__init__.__code__.co_names, name
        with pytest.raises(TypeError, match="eventstream"):
            GuardedProtocol(config, uvicorn.server.ServerState(), {}, _loop=loop)
    finally:
        loop.close()


def test_guard_counts_clients_by_address_and_ipv6_network() -> None:
    """IPv4 addresses (mapped or not) count each on their own, IPv6 ones by /64, so that one
    IPv6 client cannot take a fresh address per connection; a release frees the slot."""
    guard = Guard(Limits(max_connections=100, max_connections_per_client=2))
    keys = [
        client_key(address)
        for address in ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:2::7")
    ]
    assert len(set(keys)) == 1
    assert [guard.admit(key) for key in keys] == [
        Admission.ADMITTED,
        Admission.ADMITTED,
        Admission.CLIENT_LIMIT,
    ]
    assert guard.admit(client_key("2001:db8:1:3::1")) is Admission.ADMITTED
    assert client_key("::ffff:192.0.2.7") == client_key("192.0.2.7") == "192.0.2.7"
    guard.release(keys[0], Admission.ADMITTED)
    guard.release(keys[2], Admission.CLIENT_LIMIT)
    assert guard.admit(keys[0]) is Admission.ADMITTED
    assert (guard.total, guard.refusing) == (3, 0)


def test_limits_follow_the_settings() -> None:
    """`Limits.of` carries every bound of `[serve]`; Retry-After rounds the retry hint up."""
    settings = ServeSettings(
        max_head_bytes=2048,
        head_timeout_s=3.5,
        max_body_bytes=10,
        max_connections=7,
        max_connections_per_client=2,
        retry_ms=1200,
    )
    limits = Limits.of(settings)
    assert (limits.max_head_bytes, limits.head_timeout_s, limits.max_body_bytes) == (2048, 3.5, 10)
    assert (limits.max_connections, limits.max_connections_per_client) == (7, 2)
    assert limits.retry_after_s == 2
    defaults = Limits.of(ServeSettings())
    assert defaults == Limits()  # the same defaults on both sides
    assert (defaults.max_head_bytes, defaults.head_timeout_s) == (65536, 10.0)
    assert REGISTRY.get_sample_value("eventstream_http_refusals_total") is None  # no globals
