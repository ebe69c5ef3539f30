"""Read raw records from files, folders and standard input, safely against poison input.

Accepted, in any mix: CloudTrail JSON lines, CloudTrail S3 export files (`{"Records": [...]}`,
gzipped or not), EventBridge envelopes one per line, a JSON array of records, and `-` for
standard input (read line by line, so it can follow a live pipe). A folder is read recursively
(`*.json`, `*.jsonl`, `*.gz`), in name order. Gzip is detected by its magic bytes.

Files are streamed in pieces of at most `_PIECE` bytes (through `gzip.GzipFile` when gzipped),
so memory is bounded by `ReadLimits`, never by the size of a file or of its decompressed data:

- JSON lines are yielded one by one as they are read. A line that is not JSON, or is longer
  than `max_line_bytes` (skipped without being held), is yielded as a `MalformedRecordError`
  with its origin and line number; reading goes on with the next line.
- A file that starts with `{` or `[` and parses as one JSON value (an S3 export, an array, a
  pretty-printed record) is a document, read whole up to `max_document_bytes` after
  decompression; a larger one is one `MalformedRecordError` for the file. A file that does not
  parse as one value is JSON lines. The reader decides as early as it can: a complete first line
  that parses, followed by more content, or a first line that cannot begin any JSON value, means
  JSON lines, so a big JSON-lines file is never buffered.
- An input that cannot be opened or decompressed (missing path, corrupt or truncated gzip) is
  yielded as an `UnreadableInputError` (a `MalformedRecordError`), after whatever records were
  read before the failure; reading goes on with the next path. Nothing raises out of the readers.

`read_paths_async` runs `read_paths` in a worker thread and hands batches to an event loop, so
reading, decompressing and parsing never block the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import io
import queue
import re
import sys
import threading
import time
import zlib
from collections.abc import AsyncGenerator, Generator, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO, Literal, Protocol

import ijson

from eventstream import codec
from eventstream.errors import MalformedRecordError, UnreadableInputError
from eventstream.sources.base import RawRecord

__all__ = [
    "GZIP_MAGIC",
    "RECORDS_START",
    "STDIN",
    "Item",
    "RawRecord",
    "ReadLimits",
    "UnreadableInputError",
    "expand",
    "read_async",
    "read_file",
    "read_lines",
    "read_paths",
    "read_paths_async",
    "read_stream",
]

STDIN = "-"
_SUFFIXES = (".json", ".jsonl", ".ndjson", ".gz")
_STDIN_ORIGIN = "<stdin>"
GZIP_MAGIC = b"\x1f\x8b"
"""The first bytes of a gzip member (a gzipped file or object is told by them, not its name)."""
_PIECE = 1 << 20
"""Most bytes read (and decompressed) in one call: every buffer grows by at most this much."""
_GZIP_BUFFER = 1 << 18
"""Decompressed bytes buffered at a time from a gzip file."""
_QUEUED_BATCHES = 4
"""Batches `read_paths_async` reads ahead of its consumer."""
_BATCH_WAIT_S = 0.005
"""Longest a partial batch from a file waits for more items while the consumer is idle."""
_POLL_S = 0.1
"""How often a worker blocked on a full hand-off checks whether its consumer went away."""


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Bounds on what is held in memory at once (`[pipeline]` settings of the same names)."""

    max_line_bytes: int = 64 * 2**20
    max_document_bytes: int = 256 * 2**20


Item = RawRecord | MalformedRecordError


class _Readable(Protocol):
    def readline(self, size: int = -1, /) -> bytes: ...


class _ReadFailed(Exception):
    """Reading or decompressing failed; `reason` says how (internal: becomes an item)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def expand(paths: Iterable[str]) -> Iterator[str]:
    """Paths as given, with folders replaced by the record files below them."""
    for path in paths:
        if path != STDIN and Path(path).is_dir():
            found = sorted(
                str(p)
                for p in Path(path).rglob("*")
                if p.is_file() and p.name.endswith(_SUFFIXES) and ".origin." not in p.name
            )
            yield from found
        else:
            yield path


def read_paths(
    paths: Iterable[str], stdin: BinaryIO | None = None, limits: ReadLimits = ReadLimits()
) -> Generator[Item, None, None]:
    """Every record of every path, in order; bad input is yielded as errors, never raised."""
    for path in expand(paths):
        if path == STDIN:
            yield from read_lines(_pieces(stdin or sys.stdin.buffer), _STDIN_ORIGIN, limits)
        else:
            yield from read_file(path, limits)


def read_file(path: str, limits: ReadLimits = ReadLimits()) -> Iterator[Item]:
    """The records of one file (plain or gzip): a JSON document or JSON lines."""
    try:
        stream = _open(path)
    except OSError as error:
        yield UnreadableInputError(path, error.strerror or str(error))
        return
    with stream:
        yield from _read_stream(stream, path, limits)


RECORDS_START = re.compile(rb'\s*\{\s*"Records"\s*:\s*\[')
"""How a CloudTrail export (`{"Records": [...]}`) begins."""
_STREAM_PEEK = 64


def read_stream(
    stream: io.RawIOBase, origin: str, limits: ReadLimits = ReadLimits(), *, max_bytes: int = 0
) -> Generator[Item, None, None]:
    """The records of one byte stream (an S3 object: plain or gzip), in bounded memory.

    A CloudTrail export (`{"Records": [...]}`) is parsed record by record as it streams in, so
    memory does not grow with the object; anything else is read as a file is (`read_file`).
    More than `max_bytes` (0: no bound) after decompression ends the object with one
    `MalformedRecordError` saying so, after the records read before it. A failure of `stream`
    itself that is not an `OSError` propagates (the caller retries the whole object). `stream`
    is closed at the end."""
    opened: list[io.IOBase] = [stream]
    try:
        raw = io.BufferedReader(stream, buffer_size=_PIECE)
        opened.append(raw)
        gzipped = raw.peek(len(GZIP_MAGIC))[: len(GZIP_MAGIC)] == GZIP_MAGIC
        inner: io.RawIOBase | io.BufferedIOBase = gzip.GzipFile(fileobj=raw) if gzipped else raw
        opened.append(inner)
        bounded = io.BufferedReader(_Bounded(inner, max_bytes), buffer_size=_GZIP_BUFFER)
        opened.append(bounded)
        head = bounded.peek(_STREAM_PEEK)
    except (OSError, EOFError, zlib.error) as error:
        _close(opened)
        yield _unreadable_or_large(origin, error, 0)
        return
    try:
        if RECORDS_START.match(head):
            yield from _stream_records(bounded, origin)
        else:
            yield from _read_stream(bounded, origin, limits)
    finally:
        _close(opened)


def _close(opened: list[io.IOBase]) -> None:
    """Close the wrappers of a stream, outermost first (the stream itself last)."""
    for layer in reversed(opened):
        with contextlib.suppress(OSError, EOFError, zlib.error, ValueError):
            layer.close()


class ObjectTooLargeError(OSError):
    """A stream gave more bytes than its bound (internal to `read_stream`)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes after decompression")
        self.limit = limit


class _Bounded(io.RawIOBase):
    """`inner`, failing with `ObjectTooLargeError` once more than `limit` bytes were read."""

    def __init__(self, inner: io.RawIOBase | io.BufferedIOBase, limit: int) -> None:
        self.inner = inner
        self.limit = limit
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        size = len(data) if data else 0
        self.count += size
        if self.limit and self.count > self.limit:
            raise ObjectTooLargeError(self.limit)
        buffer[:size] = data or b""
        return size


def _unreadable_or_large(origin: str, error: Exception, read: int) -> MalformedRecordError:
    if isinstance(error, ObjectTooLargeError):
        return MalformedRecordError(
            f"{_describe(error)}; {read} records before the limit were read", origin=origin
        )
    return UnreadableInputError(origin, _describe(error))


def _stream_records(stream: io.BufferedReader[Any], origin: str) -> Iterator[Item]:
    """Each record of a `{"Records": [...]}` document, parsed one at a time (ijson, in C)."""
    index = 0
    try:
        for record in ijson.items(stream, "Records.item", use_float=True):
            yield RawRecord(origin, None, index, record)
            index += 1
    except (OSError, EOFError, zlib.error) as error:
        yield _unreadable_or_large(origin, error, index)
    except ijson.JSONError as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        yield MalformedRecordError(f"not JSON after record {index}: {reason}", origin=origin)


def _open(path: str) -> io.BufferedReader[Any]:
    """`path` opened for reading, decompressed on the fly if it starts with the gzip magic."""
    handle = io.BufferedReader(io.FileIO(path, "r"), buffer_size=_PIECE)
    try:
        gzipped = handle.peek(len(GZIP_MAGIC))[: len(GZIP_MAGIC)] == GZIP_MAGIC
    except OSError:
        handle.close()
        raise
    if not gzipped:
        return handle
    handle.close()
    # GzipFile's own buffer is 8 KiB: a bigger one reads lines about twice as fast.
    return io.BufferedReader(gzip.open(path, "rb"), buffer_size=_GZIP_BUFFER)


def _pieces(stream: _Readable) -> Iterator[bytes]:
    """`stream` as `readline(_PIECE)` returns it; a failure to read becomes `_ReadFailed`."""
    while True:
        try:
            piece = stream.readline(_PIECE)
        except (OSError, EOFError, zlib.error) as error:
            raise _ReadFailed(_describe(error)) from None
        if not piece:
            return
        yield piece


def _describe(error: Exception) -> str:
    """A one-line reason for a read failure."""
    if isinstance(error, ObjectTooLargeError):
        return f"object larger than {error.limit} bytes after decompression (max_object_bytes)"
    if isinstance(error, EOFError):
        return f"truncated gzip data: {error}"
    if isinstance(error, zlib.error):
        return f"corrupt gzip data: {error}"
    if isinstance(error, gzip.BadGzipFile):
        return f"bad gzip data: {error}"
    return (error.strerror if isinstance(error, OSError) else None) or str(error)


def _read_stream(stream: _Readable, origin: str, limits: ReadLimits) -> Iterator[Item]:
    """One opened file: sniffed as a document or JSON lines, then read as such."""
    pieces = _pieces(stream)
    sniff = _Sniff(limits)
    try:
        kind = _sniff_all(sniff, pieces)
    except _ReadFailed as failed:
        yield UnreadableInputError(origin, failed.reason)
        return
    if kind == "document":
        document, sniff.head = sniff.value, bytearray()
        yield from _document(document, origin)
    elif kind == "too_large":
        reason = (
            f"document larger than {limits.max_document_bytes} bytes after decompression "
            "(pipeline.max_document_bytes)"
        )
        yield MalformedRecordError(reason, origin=origin)
    else:
        head, sniff.value = _buffer_pieces(sniff.head), None
        yield from read_lines(chain(head, pieces), origin, limits, first_line=sniff.skipped + 1)


_Kind = Literal["document", "lines", "too_large"]


def _sniff_all(sniff: _Sniff, pieces: Iterator[bytes]) -> _Kind:
    """Feed pieces to `sniff` until it decides (at the latest, at the end of the file)."""
    for piece in pieces:
        kind = sniff.feed(piece)
        if kind is not None:
            return kind
    return sniff.finish()


class _Sniff:
    """Decides, piece by piece, whether a file is one JSON document or JSON lines.

    It holds what it has read (`head`, leading blank lines dropped and counted in `skipped`),
    at most `max_document_bytes` of it, to be parsed whole or replayed as lines."""

    def __init__(self, limits: ReadLimits) -> None:
        self.limits = limits
        self.head = bytearray()
        self.skipped = 0
        self.value: Any = None
        self._first: Literal["parsed", "prefix"] | None = None
        self._line_start = 0
        self._second_parses = False
        self._lines_done = 0
        self._blank = True

    def feed(self, piece: bytes) -> _Kind | None:
        """Take the next piece; the kind of file once it is known, else None."""
        blank = piece.isspace()
        if not self.head:
            if blank:
                self.skipped += piece.endswith(b"\n")
                return None
            piece = piece.lstrip()
            if piece[:1] not in (b"{", b"["):
                self.head += piece
                return "lines"
        self.head += piece
        if self._first == "parsed" and not blank:
            return "lines"  # a complete value followed by more: not one document
        self._blank = self._blank and blank
        if piece.endswith(b"\n"):
            kind = self._line_ended(piece)
            if kind is not None:
                return kind
        if len(self.head) > self.limits.max_document_bytes:
            return self._over_limit()
        return None

    def _line_ended(self, last: bytes) -> _Kind | None:
        """Judge the first two non-blank lines as they complete (`last`: the line's last piece)."""
        line = memoryview(self.head)[self._line_start :]
        blank, self._blank, self._line_start = self._blank, True, len(self.head)
        if self._lines_done >= 2 or blank:
            return None
        self._lines_done += 1
        verdict, value = _judge(line, len(line) - len(last) + len(last.rstrip()))
        if self._lines_done == 2:
            self._second_parses = verdict == "parsed"
            return None
        if verdict == "other":
            return "lines"  # the first line cannot begin a JSON value
        self._first, self.value = verdict, value
        return None

    def _over_limit(self) -> _Kind:
        """Too big to parse whole: JSON lines if it looks like them, else a too-large document."""
        looks_like_lines = self._first == "parsed" or self._second_parses
        return "lines" if looks_like_lines else "too_large"

    def finish(self) -> _Kind:
        """The end of the file: parse what was read whole, or else it is JSON lines."""
        if not self.head:
            return "lines"
        if self._first == "parsed":
            return "document"  # one complete value, then only whitespace
        try:
            self.value = codec.loads(self.head)
        except codec.JSONDecodeError:
            return "lines"  # several JSON values (or broken ones): JSON lines
        return "document"


def _judge(line: memoryview, content: int) -> tuple[Literal["parsed", "prefix", "other"], Any]:
    """Whether one line (`content` bytes before trailing whitespace) parses, may begin a
    longer JSON value (it fails only at its end), or neither."""
    try:
        return "parsed", codec.loads(line)
    except codec.JSONDecodeError as error:
        at_end = error.pos >= content or "end of data" in error.msg
        return ("prefix" if at_end else "other"), None


def _buffer_pieces(buffer: bytearray) -> Iterator[bytes]:
    """`buffer` cut as `_pieces` would have read it: at newlines, at most `_PIECE` bytes."""
    start = 0
    view = memoryview(buffer)
    while start < len(buffer):
        end = buffer.find(b"\n", start, start + _PIECE)
        stop = start + _PIECE if end < 0 else end + 1
        yield view[start:stop].tobytes()
        start = stop


def _document(document: Any, origin: str) -> Iterator[Item]:
    """A whole-file JSON value: an S3 export, an array of records, or a single record."""
    if isinstance(document, dict) and isinstance(document.get("Records"), list):
        for index, record in enumerate(document["Records"]):
            yield RawRecord(origin, None, index, record)
    elif isinstance(document, list):
        for index, record in enumerate(document):
            yield RawRecord(origin, None, index, record)
    else:
        yield RawRecord(origin, 1, None, document)


def read_lines(
    pieces: Iterable[bytes],
    origin: str,
    limits: ReadLimits = ReadLimits(),
    *,
    first_line: int = 1,
) -> Iterator[Item]:
    """JSON lines; a line holding an S3 export document yields each of its records.

    `pieces` are lines as `readline(n)` returns them: a piece that does not end with a newline
    is continued by the next one. A line longer than `max_line_bytes` is one error, skipped."""
    number = first_line - 1
    try:
        for number, line in _lines(pieces, limits.max_line_bytes, first_line):
            if line is None:
                reason = f"line longer than {limits.max_line_bytes} bytes (pipeline.max_line_bytes)"
                yield MalformedRecordError(reason, origin=origin, line=number)
            elif line.strip():
                yield from _line_items(line, origin, number)
    except _ReadFailed as failed:
        yield UnreadableInputError(origin, failed.reason, line=number + 1)


def _lines(pieces: Iterable[bytes], limit: int, first: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) joined from pieces; None, once, for a line longer than `limit`."""
    number, parts, size, over = first, list[bytes](), 0, False
    for piece in pieces:
        ended = piece.endswith(b"\n")
        size += len(piece) - ended
        if not over:
            if size > limit:
                over, parts = True, []
                yield number, None
            else:
                parts.append(piece)
        if ended:
            if not over:
                yield number, b"".join(parts)
            number, parts, size, over = number + 1, [], 0, False
    if parts:
        yield number, b"".join(parts)


def _line_items(line: bytes, origin: str, number: int) -> Iterator[Item]:
    """The record (or S3 export records) of one JSON line, or why it is malformed."""
    try:
        value = codec.loads(line)
    except codec.JSONDecodeError as error:
        yield MalformedRecordError(f"not JSON: {error}", origin=origin, line=number)
        return
    if isinstance(value, dict) and isinstance(value.get("Records"), list):
        for index, record in enumerate(value["Records"]):
            yield RawRecord(origin, number, index, record)
    else:
        yield RawRecord(origin, number, None, value)


async def read_paths_async(
    paths: Iterable[str],
    limits: ReadLimits = ReadLimits(),
    *,
    chunk: int = 256,
    stdin: BinaryIO | None = None,
) -> AsyncGenerator[list[Item], None]:
    """`read_paths` in a worker thread, as lists of up to `chunk` items; never blocks the loop.

    At most `_QUEUED_BATCHES` lists wait for the consumer. Stopping early (`aclose`, `break`,
    cancellation) stops the worker at its next item."""
    async with contextlib.aclosing(read_async(read_paths(paths, stdin, limits), chunk)) as batches:
        async for batch in batches:
            yield batch


async def read_async(
    items: Generator[Item, None, None], chunk: int = 256
) -> AsyncGenerator[list[Item], None]:
    """Any reader's `items` (`read_paths`, `read_stream`), run in a worker thread and handed on
    as lists of up to `chunk` items, as `read_paths_async` does."""
    handoff = _Handoff(asyncio.get_running_loop())
    worker = threading.Thread(
        target=handoff.fill, args=(items, chunk), name="eventstream-read", daemon=True
    )
    worker.start()
    try:
        while (batch := await handoff.get()) is not None:
            yield batch
    finally:
        handoff.stop()


def _due(item: Item, opened: float) -> bool:
    """Whether a partial batch should go now: at once from stdin (the next line may be long in
    coming), else once it has been open `_BATCH_WAIT_S`."""
    return item.origin == _STDIN_ORIGIN or time.monotonic() - opened >= _BATCH_WAIT_S


@dataclass(frozen=True, slots=True)
class _End:
    """The worker is done; `error` is what it raised, if anything."""

    error: Exception | None = None


class _Handoff:
    """Batches from a worker thread to an event loop: bounded, and never stuck when either side
    goes away (the worker polls `_stopped` while it waits for room)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: queue.Queue[list[Item] | _End] = queue.Queue(maxsize=_QUEUED_BATCHES)
        self._ready = asyncio.Event()
        self._stopped = threading.Event()

    def fill(self, items: Generator[Item, None, None], chunk: int) -> None:
        """Worker thread: batch `items` into the queue until done or stopped."""
        end = _End()
        try:
            self._batches(items, chunk)
        except Exception as error:  # handed to the consumer, raised there
            end = _End(error)
        finally:
            items.close()
        self._put(end)

    def _batches(self, items: Iterator[Item], chunk: int) -> None:
        """Send a batch when it is full, or when the consumer has nothing to do and the batch
        is due (`_due`): a live pipe is never held back, a fast file not sent item by item."""
        batch: list[Item] = []
        opened = 0.0
        for item in items:
            if self._stopped.is_set():
                return
            if not batch:
                opened = time.monotonic()
            batch.append(item)
            if len(batch) >= chunk or (self._queue.empty() and _due(item, opened)):
                if not self._put(batch):
                    return
                batch = []
        if batch:
            self._put(batch)

    def _put(self, value: list[Item] | _End) -> bool:
        """Queue `value`, waiting for room; False if the consumer stopped meanwhile."""
        while not self._stopped.is_set():
            try:
                self._queue.put(value, timeout=_POLL_S)
            except queue.Full:
                continue
            try:
                self._loop.call_soon_threadsafe(self._ready.set)
            except RuntimeError:  # the loop is closed: nobody is listening
                self._stopped.set()
            return True
        return False

    async def get(self) -> list[Item] | None:
        """Event loop: the next batch, None at the end; re-raises what the worker raised."""
        while True:
            try:
                value = self._queue.get_nowait()
            except queue.Empty:
                self._ready.clear()
                await self._ready.wait()
                continue
            if not isinstance(value, _End):
                return value
            if value.error is not None:
                raise value.error
            return None

    def stop(self) -> None:
        """Event loop: tell the worker to stop, and drop what it queued."""
        self._stopped.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return
