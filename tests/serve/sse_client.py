"""A small SSE client over aiohttp, for tests: frames as the spec parses them, bounded waits."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from types import TracebackType

import aiohttp


@dataclass
class Frame:
    """One dispatched SSE block: fields as sent (None when absent), comments kept."""

    id: str | None = None
    event: str | None = None
    data: str | None = None
    retry: int | None = None
    comments: list[str] = field(default_factory=list)


def parse_block(block: str) -> Frame:
    frame = Frame()
    data: list[str] = []
    for line in block.split("\n"):
        if line.startswith(":"):
            frame.comments.append(line[1:].strip())
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "id":
            frame.id = value
        elif name == "event":
            frame.event = value
        elif name == "data":
            data.append(value)
        elif name == "retry" and value.isdigit():
            frame.retry = int(value)
    frame.data = "\n".join(data) if data else None
    return frame


class SSEStream:
    """`async with SSEStream(url) as s:` then `await s.collect(...)`."""

    def __init__(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        read_timeout_s: float = 20.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.url = url
        self.ssl_context = ssl_context
        self.headers = {"Accept": "text/event-stream", **(headers or {})}
        self.timeout = aiohttp.ClientTimeout(total=None, sock_read=read_timeout_s)
        self.session: aiohttp.ClientSession | None = None
        self.response: aiohttp.ClientResponse | None = None
        self.buffer = b""
        self.ended = False

    async def __aenter__(self) -> SSEStream:
        connector = aiohttp.TCPConnector(ssl=self.ssl_context or True)
        self.session = aiohttp.ClientSession(
            timeout=self.timeout, auto_decompress=False, connector=connector
        )
        self.response = await self.session.get(self.url, headers=self.headers)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.response is not None:
            self.response.close()
        if self.session is not None:
            await self.session.close()

    @property
    def status(self) -> int:
        assert self.response is not None
        return self.response.status

    async def frames(self) -> AsyncIterator[Frame]:
        assert self.response is not None
        while True:
            while b"\n\n" in self.buffer:
                block, _, self.buffer = self.buffer.partition(b"\n\n")
                yield parse_block(block.decode())
            chunk = await self.response.content.readany()
            if not chunk:
                self.ended = True
                return
            self.buffer += chunk.replace(b"\r\n", b"\n")

    async def collect(
        self,
        timeout_s: float,
        until: Callable[[list[Frame]], bool],
        events_only: bool = True,
    ) -> list[Frame]:
        """Frames until `until(frames)` holds or the stream ends; fails after `timeout_s`."""
        got: list[Frame] = []

        async def run() -> None:
            async for frame in self.frames():
                if events_only and frame.data is None:
                    continue
                got.append(frame)
                if until(got):
                    return

        await asyncio.wait_for(run(), timeout_s)
        return got

    async def drain(self, seconds: float) -> list[Frame]:
        """Every frame (events and others) that arrives within `seconds`."""
        got: list[Frame] = []

        async def run() -> None:
            async for frame in self.frames():
                got.append(frame)

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(run(), seconds)
        return got


def ids(frames: list[Frame]) -> list[str]:
    return [frame.id for frame in frames if frame.id is not None and frame.event != "reset"]
