"""A burst of streams opened at once: every one stays open and receives what is committed next.

Live streams (no id) need no Redis query; resumed ones replay from the journal through a small
blocking pool, where a burst waits for a connection instead of failing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.serve.conftest import Journal, ServerFactory

_LIVE = 200
_RESUMED = 100
_TIMEOUT_S = 60.0


class _RawStream:
    """One stream on a plain socket: the bytes it received, read until a marker shows up."""

    def __init__(self, port: int, headers: str = "") -> None:
        self.port = port
        self.headers = headers
        self.received = b""
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(
            f"GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
            f"{self.headers}\r\n".encode()
        )
        await self.writer.drain()

    async def read_until(self, marker: bytes) -> bool:
        """Read until `marker` was received: True, or False if the stream ended first."""
        assert self.reader is not None
        while marker not in self.received:
            chunk = await self.reader.read(1 << 16)
            if not chunk:
                return False
            self.received += chunk
        return True

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def test_a_burst_of_streams_all_receive_the_next_event(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """300 streams opened at once (a third resuming by id) each get the event committed next."""
    server = serve(
        redis={"max_connections": 4, "pool_timeout_s": 30.0},
        max_connections_per_client=_LIVE + _RESUMED,  # every stream comes from 127.0.0.1
    )
    (before,) = journal.append(sample_events[:1])
    resume = f"Last-Event-ID: {before}\r\n"
    streams = [_RawStream(server.port) for _ in range(_LIVE)]
    streams += [_RawStream(server.port, resume) for _ in range(_RESUMED)]
    try:
        async with asyncio.timeout(_TIMEOUT_S):
            await asyncio.gather(*(stream.open() for stream in streams))
            # Every head block (`retry:`) is sent after the stream subscribed to the broker.
            heads = await asyncio.gather(*(stream.read_until(b"retry: ") for stream in streams))
            assert heads.count(True) == len(streams)
            assert len(server.services.broker.subscribers) == len(streams)
            (after,) = await asyncio.to_thread(journal.append, sample_events[1:2])
            marker = f"\nid: {after}\n".encode()
            got = await asyncio.gather(*(stream.read_until(marker) for stream in streams))
            ended = [
                stream.received[-200:] for stream, ok in zip(streams, got, strict=True) if not ok
            ]
            assert not ended, f"{len(ended)} of {len(streams)} streams ended: {ended[0]!r}"
    finally:
        for stream in streams:
            stream.close()
    for stream in streams:
        assert stream.received.startswith(b"HTTP/1.1 200")
        assert stream.received.count(marker) == 1
        assert f"\nid: {before}\nevent:".encode() not in stream.received  # nothing replayed twice
