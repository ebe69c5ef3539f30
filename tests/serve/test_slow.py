"""A subscriber that stops reading is cut off, while a fast one receives everything."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

from tests.serve.conftest import Journal, ServerFactory
from tests.serve.sse_client import SSEStream, ids
from tests.serve.test_sse import _wait_subscribed

_TOTAL = 3000


def _slow_socket(port: int) -> socket.socket:
    """A client with a tiny receive window that sends its request and then never reads."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    return sock


def _read_to_eof(sock: socket.socket, timeout_s: float) -> bytes:
    sock.settimeout(0.5)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(1 << 16)
        except TimeoutError:
            continue
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
    raise AssertionError("the server never closed the slow subscriber's connection")


async def test_slow_subscriber_is_cut_off_and_fast_one_gets_everything(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """Overflowing its buffer ends the slow stream; the fast stream misses nothing."""
    server = serve(subscriber_buffer=256, write_timeout_s=1.0)
    slow = _slow_socket(server.port)
    try:
        async with SSEStream(f"{server.url}/v1/events") as fast:
            await _wait_subscribed(server, 2)
            written: list[str] = []
            receive = asyncio.create_task(fast.collect(60, lambda f: len(ids(f)) >= _TOTAL))
            for start in range(0, _TOTAL, 100):
                batch = [sample_events[(start + i) % len(sample_events)] for i in range(100)]
                written += await asyncio.to_thread(journal.append, batch)
            frames = await receive
            assert ids(frames) == written
            assert len(server.services.broker.subscribers) == 1
        metrics = server.services.metrics
        assert metrics.slow_disconnects._value.get() >= 1
        received = await asyncio.to_thread(_read_to_eof, slow, 30)
    finally:
        slow.close()
    assert 0 < received.count(b"\nid: ") + received.startswith(b"id: ") < _TOTAL


async def test_a_write_past_its_deadline_cuts_the_stream_off(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """With a buffer too large to overflow, a client that stops reading is still cut off: its
    write stays pending past write_timeout_s, and the broker's watch ends the stream."""
    server = serve(subscriber_buffer=100_000, write_timeout_s=0.5)
    slow = _slow_socket(server.port)
    try:
        await _wait_subscribed(server, 1)
        total = 5000  # ~15 MB: more than the socket buffers and the transport's high-water mark
        for start in range(0, total, 500):
            batch = [sample_events[(start + i) % len(sample_events)] for i in range(500)]
            await asyncio.to_thread(journal.append, batch)
        broker = server.services.broker
        for _ in range(300):
            if not broker.streams:
                break
            await asyncio.sleep(0.05)
        assert not broker.streams
        assert server.services.metrics.slow_disconnects._value.get() == 1
        received = await asyncio.to_thread(_read_to_eof, slow, 30)
    finally:
        slow.close()
    assert 0 < received.count(b"\nid: ") < total
