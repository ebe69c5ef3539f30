"""The reference of the serving benchmarks: a minimal raw ASGI streamer of the same journal.

No framework, no filters, no heartbeat, no per-subscriber limit: one `XREAD BLOCK` loop (the
same redis-py client and batch size as the real broker) builds each entry's SSE frame once,
byte for byte what the real server sends (`id:`, `event:` = the event type, `data:` = the stored
JSON), and puts the same bytes object on every connection's queue; each connection writes its
frames straight to the ASGI `send`, one `http.response.body` message per frame. It answers
`GET /healthz` and every other GET with the stream, whose head block is the real server's:
`retry: 3000` and the `id:` of the journal position. It runs under uvicorn with the settings of
`eventstream serve` (`lifespan="on"`, `log_config=None`, `access_log=False`, httptools, uvloop).

    python bench/_rawstream.py --port 8081 --redis-url redis://127.0.0.1:6379 \
        --journal '{es}:journal'
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
import uvicorn
from redis.asyncio import Redis

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]
BATCH = 256  # the real broker's batch with its default buffer (1024 // 4)


class RawStreamer:
    def __init__(self, redis_url: str, journal: str) -> None:
        self.redis_url = redis_url
        self.journal = journal
        self.queues: set[asyncio.Queue[bytes]] = set()
        self.cursor = b"0-0"
        self.reader: asyncio.Task[None] | None = None

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        elif scope["type"] == "http":
            if scope["path"] == "/healthz":
                await send({"type": "http.response.start", "status": 200, "headers": []})
                await send({"type": "http.response.body", "body": b"ok"})
            else:
                await self.stream(receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        redis = Redis.from_url(self.redis_url)
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                info = (
                    await redis.xinfo_stream(self.journal)
                    if await redis.exists(self.journal)
                    else {"last-generated-id": b"0-0"}
                )
                self.cursor = info["last-generated-id"]
                self.reader = asyncio.create_task(self.read(redis))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.reader is not None:
                    self.reader.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self.reader
                await redis.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def read(self, redis: Redis) -> None:
        while True:
            reply: Any = await redis.xread({self.journal: self.cursor}, count=BATCH, block=1000)
            if not reply:
                continue
            rows: list[tuple[bytes, dict[bytes, bytes]]] = reply[0][1]
            self.cursor = rows[-1][0]
            frames = []
            for raw_id, fields in rows:
                event = fields[b"event"]
                kind = str(orjson.loads(event).get("type", "message")).encode()
                parts = (b"id: ", raw_id, b"\nevent: ", kind, b"\ndata: ", event, b"\n\n")
                frames.append(b"".join(parts))
            for queue in self.queues:
                for frame in frames:
                    queue.put_nowait(frame)

    async def stream(self, receive: Receive, send: Send) -> None:
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        head = b"retry: 3000\nid: " + self.cursor + b"\n\n"
        self.queues.add(queue)
        writer = asyncio.create_task(self.write(queue, head, send))
        try:
            while (await receive())["type"] != "http.disconnect":
                pass
        finally:
            self.queues.discard(queue)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await writer

    async def write(self, queue: asyncio.Queue[bytes], head: bytes, send: Send) -> None:
        await send({"type": "http.response.body", "body": head, "more_body": True})
        while True:
            frame = await queue.get()
            await send({"type": "http.response.body", "body": frame, "more_body": True})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--journal", required=True)
    args = parser.parse_args()
    config = uvicorn.Config(
        RawStreamer(args.redis_url, args.journal),
        host=args.host,
        port=args.port,
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
