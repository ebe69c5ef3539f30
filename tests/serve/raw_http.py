"""A raw HTTP/1.1 client for tests of the protocol's bounds: bytes as written, answers as read."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from eventstream import codec


@dataclass
class Answer:
    """One response read off a connection."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> dict[str, str]:
        found: dict[str, str] = codec.loads(self.body)
        return found


class Connection:
    """One TCP connection to 127.0.0.1, from `source` (another loopback address is another
    client to the server)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int, source: str = "127.0.0.1") -> Connection:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, local_addr=(source, 0), limit=1 << 20
        )
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def answer(self, timeout_s: float = 5.0) -> Answer:
        """The next response (its body by Content-Length, else up to the end)."""
        async with asyncio.timeout(timeout_s):
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ")[1])
            headers = {}
            for line in lines[1:]:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            if status in (204, 304):
                body = b""
            elif "content-length" in headers:
                body = await self.reader.readexactly(int(headers["content-length"]))
            else:
                body = await self.reader.read()
            return Answer(status, headers, body)

    async def closed(self, timeout_s: float = 5.0) -> bool:
        """Whether the server closes the connection within `timeout_s` (what it still sends
        is read and dropped)."""
        try:
            async with asyncio.timeout(timeout_s):
                while await self.reader.read(65536):
                    pass
        except TimeoutError:
            return False
        except ConnectionError:
            return True
        return True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.writer.close()


def get(path: str, *headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()
