"""Read raw records from files, folders and standard input.

Accepted, in any mix: CloudTrail JSON lines, CloudTrail S3 export files (`{"Records": [...]}`,
gzipped or not), EventBridge envelopes one per line, a JSON array of records, and `-` for
standard input (read line by line, so it can follow a live pipe). A folder is read recursively
(`*.json`, `*.jsonl`, `*.gz`), in name order. A line that is not JSON is yielded as a
`MalformedRecordError` with its origin and line number; reading goes on.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import sys
from collections.abc import AsyncGenerator, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from eventstream import codec
from eventstream.errors import EventStreamError, MalformedRecordError
from eventstream.sources.base import RawRecord

STDIN = "-"
_SUFFIXES = (".json", ".jsonl", ".ndjson", ".gz")
_GZIP_MAGIC = b"\x1f\x8b"


class UnreadableInputError(EventStreamError):
    """A path that cannot be opened or decompressed."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot read {path}: {reason}")


Item = RawRecord | MalformedRecordError


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


def read_paths(paths: Iterable[str], stdin: BinaryIO | None = None) -> Iterator[Item]:
    """Every record of every path, in order. Raises `UnreadableInputError` for a bad path."""
    for path in expand(paths):
        if path == STDIN:
            yield from read_lines(stdin or sys.stdin.buffer, "<stdin>")
        else:
            yield from read_file(path)


def read_file(path: str) -> Iterator[Item]:
    data = _load(path)
    stripped = data.lstrip()
    if stripped[:1] in (b"{", b"["):
        try:
            document = codec.loads(data)
        except codec.JSONDecodeError:
            document = None  # several JSON values: JSON lines
        else:
            yield from _document(document, path)
            return
    yield from read_lines(iter(data.splitlines(keepends=True)), path)


def _load(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise UnreadableInputError(path, error.strerror or str(error)) from None
    if data[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise UnreadableInputError(path, f"bad gzip data: {error}") from None
    return data


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


def read_lines(lines: Iterable[bytes], origin: str) -> Iterator[Item]:
    """JSON lines; a line holding an S3 export document yields each of its records."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = codec.loads(line)
        except codec.JSONDecodeError as error:
            yield MalformedRecordError(f"not JSON: {error}", origin=origin, line=number)
            continue
        if isinstance(value, dict) and isinstance(value.get("Records"), list):
            for index, record in enumerate(value["Records"]):
                yield RawRecord(origin, number, index, record)
        else:
            yield RawRecord(origin, number, None, value)


async def read_paths_async(
    paths: Iterable[str], chunk: int = 256
) -> AsyncGenerator[list[Item], None]:
    """Placeholder: `read_paths` in chunks, each read in a worker thread."""
    items = read_paths(paths)
    while True:
        block = await asyncio.to_thread(lambda: list(itertools.islice(items, chunk)))
        if not block:
            return
        yield block
