"""An S3 object's records, read in bounded memory through `files.read_stream` (gunzip,
`{"Records": [...]}` parsed record by record, at most `max_bytes` after decompression).

Two ways, by the object's stored size:
- up to `INLINE_BYTES` (a CloudTrail file is far smaller: it is gzipped, about 10:1): the body
  is downloaded whole, then parsed in the event loop, handed on in slices of `chunk` records
  with the loop handed back between slices. No thread: the parser holds the GIL anyway, and a
  thread hand-off costs more per record than the parse itself. A body of at most `WHOLE_BYTES`
  once decompressed (every CloudTrail file of a usual trail) is parsed whole by the codec
  (`_whole`: half the CPU of parsing it record by record); anything else (larger, not a
  `{"Records": [...]}` document, not valid JSON, a truncated or multi-member gzip) goes
  through `files.read_stream` record by record (ijson), which bounds memory and says what is
  wrong with an object, after the records before the fault.
- larger: streamed. The body is read piece by piece into a small bounded pipe (`_Pipe`) that a
  worker thread reads as a byte stream, handing chunks of items back (`files.read_async`), so
  memory is bounded by the pipe and the chunks, never by the size of the object.

A failure to download (the connection drops) raises `ObjectReadError` out of `object_items`,
after the records read before it: the caller retries the whole object (duplicates are
absorbed).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import queue
import threading
import zlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from eventstream import codec
from eventstream.errors import ObjectReadError
from eventstream.sources.files import (
    GZIP_MAGIC,
    RECORDS_START,
    Item,
    RawRecord,
    ReadLimits,
    read_async,
    read_stream,
)

INLINE_BYTES = 32 * 2**20
"""Objects up to this size (as stored) are downloaded whole, then parsed in the loop."""
WHOLE_BYTES = 4 * 2**20
"""Downloaded objects up to this size once decompressed are parsed whole (`_whole`): about
30 ms of one core, with the parsed records about 4 times as large in memory."""
_RECORDS_KEY = b'"Records"'
_GZIP_WINDOW = 31  # zlib's wbits for a gzip member
_PIPE_PIECES = 8
_PIECE_BYTES = 1 << 20
_POLL_S = 0.1
_FEED_WAIT_S = 0.002


class _Failed:
    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Pipe(io.RawIOBase):
    """Bytes put by the event loop (`put`), read by a worker thread (`readinto`)."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self._queue: queue.Queue[bytes | _Failed | None] = queue.Queue(maxsize=_PIPE_PIECES)
        self._piece = memoryview(b"")
        self._ended = False
        self.stopped = threading.Event()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._piece and not self._ended:
            try:
                piece = self._queue.get(timeout=_POLL_S)
            except queue.Empty:
                if self.stopped.is_set():
                    raise ObjectReadError(self.origin, "reading stopped") from None
                continue
            if piece is None:
                self._ended = True
            elif isinstance(piece, _Failed):
                raise ObjectReadError(self.origin, piece.reason)
            else:
                self._piece = memoryview(piece)
        size = min(len(buffer), len(self._piece))
        buffer[:size] = self._piece[:size]
        self._piece = self._piece[size:]
        return size

    async def put(self, piece: bytes | _Failed | None) -> None:
        """Event loop: queue `piece` (None: the end), waiting without blocking for room."""
        while not self.stopped.is_set():
            try:
                self._queue.put_nowait(piece)
                return
            except queue.Full:
                await asyncio.sleep(_FEED_WAIT_S)


async def _feed(chunks: AsyncIterator[bytes], pipe: _Pipe) -> None:
    try:
        async for chunk in chunks:
            await pipe.put(chunk)
    except asyncio.CancelledError:
        pipe.stopped.set()
        raise
    except Exception as error:  # the download failed: the reader raises it
        await pipe.put(_Failed(f"{type(error).__name__}: {error}"))
        return
    await pipe.put(None)


class _Memory(io.RawIOBase):
    """Downloaded bytes as a raw stream."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._data.readinto(buffer)


async def object_items(
    chunks: AsyncIterator[bytes],
    origin: str,
    limits: ReadLimits,
    *,
    max_bytes: int,
    size: int = -1,
    chunk: int = 256,
) -> AsyncGenerator[list[Item], None]:
    """The items of one object of `size` bytes as stored (-1: unknown) whose body arrives as
    `chunks`; raises `ObjectReadError`."""
    if 0 <= size <= INLINE_BYTES:
        async with contextlib.aclosing(_inline(chunks, origin, limits, max_bytes, chunk)) as got:
            async for batch in got:
                yield batch
        return
    async with contextlib.aclosing(_streamed(chunks, origin, limits, max_bytes, chunk)) as got:
        async for batch in got:
            yield batch


async def _inline(
    chunks: AsyncIterator[bytes], origin: str, limits: ReadLimits, max_bytes: int, chunk: int
) -> AsyncGenerator[list[Item], None]:
    pieces: list[bytes] = []
    try:
        async for piece in chunks:
            pieces.append(piece)
    except Exception as error:  # the download failed: the caller retries the object
        raise ObjectReadError(origin, f"{type(error).__name__}: {error}") from error
    data = b"".join(pieces)
    del pieces
    records = _whole(data, max_bytes)
    if records is not None:
        del data
        for start in range(0, len(records), chunk):
            yield [
                RawRecord(origin, None, index, records[index])
                for index in range(start, min(start + chunk, len(records)))
            ]
            await asyncio.sleep(0)  # the loop's other work between slices
        return
    items = read_stream(_Memory(data), origin, limits, max_bytes=max_bytes)
    del data
    batch: list[Item] = []
    for item in items:
        batch.append(item)
        if len(batch) >= chunk:
            yield batch
            batch = []
            await asyncio.sleep(0)  # the loop's other work between slices
    if batch:
        yield batch


def _whole(data: bytes, max_bytes: int) -> list[Any] | None:
    """The records of a `{"Records": [...]}` object (plain or one gzip member) parsed whole, if
    it is at most `WHOLE_BYTES` (and `max_bytes`, unless 0) decompressed and valid; else None:
    the record-by-record reader then handles it (and says what is wrong with it)."""
    bound = min(WHOLE_BYTES, max_bytes) if max_bytes else WHOLE_BYTES
    document = data
    if data[: len(GZIP_MAGIC)] == GZIP_MAGIC:
        inflate = zlib.decompressobj(_GZIP_WINDOW)
        try:
            document = inflate.decompress(data, bound + 1)
        except zlib.error:
            return None
        if not inflate.eof or inflate.unused_data or inflate.unconsumed_tail:
            return None  # larger than the bound, truncated, or several gzip members
    if len(document) > bound or not RECORDS_START.match(document):
        return None
    if document.count(_RECORDS_KEY) != 1:
        return None  # "Records" twice (the streamed reader reads every such list) or in a value
    try:
        value = codec.loads(document)
    except codec.JSONDecodeError:
        return None
    records = value.get("Records") if isinstance(value, dict) else None
    return records if isinstance(records, list) else None


async def _streamed(
    chunks: AsyncIterator[bytes], origin: str, limits: ReadLimits, max_bytes: int, chunk: int
) -> AsyncGenerator[list[Item], None]:
    pipe = _Pipe(origin)
    feeder = asyncio.create_task(_feed(chunks, pipe), name=f"download:{origin}")
    reader = read_async(read_stream(pipe, origin, limits, max_bytes=max_bytes), chunk)
    try:
        async with contextlib.aclosing(reader) as batches:
            async for batch in batches:
                yield batch
    finally:
        pipe.stopped.set()
        if not feeder.done():
            feeder.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feeder
