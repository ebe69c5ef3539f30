"""`objects.object_items`: an S3 body, downloaded whole and parsed in the loop, or streamed
through a worker thread: the same items either way; a dropped download raises."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from eventstream import codec
from eventstream.errors import ObjectReadError
from eventstream.sources.files import Item, RawRecord, ReadLimits, read_file
from eventstream.sources.objects import WHOLE_BYTES, _whole, object_items


async def _pieces(data: bytes, fail_after: int = -1) -> AsyncIterator[bytes]:
    for n, start in enumerate(range(0, len(data), 1000)):
        if n == fail_after:
            raise ConnectionResetError("connection reset by peer")
        yield data[start : start + 1000]


async def _items(data: bytes, size: int, fail_after: int = -1) -> list[Item]:
    got: list[Item] = []
    async for batch in object_items(
        _pieces(data, fail_after), "s3://b/k", ReadLimits(), max_bytes=0, size=size, chunk=7
    ):
        assert len(batch) <= 7
        got.extend(batch)
    return got


@pytest.mark.parametrize("streamed", [False, True])
async def test_inline_and_streamed_give_the_file_reader_items(corpus: Path, streamed: bool) -> None:
    for path in sorted((corpus / "s3-export" / "invictus").glob("*.json.gz"))[:10]:
        data = path.read_bytes()
        got = await _items(data, -1 if streamed else len(data))
        want = [(i.index, i.payload) for i in read_file(str(path)) if isinstance(i, RawRecord)]
        assert [(i.index, i.payload) for i in got if isinstance(i, RawRecord)] == want
        assert len(got) == len(want)
        assert got


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_dropped_download_raises(corpus: Path, streamed: bool) -> None:
    path = max(
        (corpus / "s3-export" / "invictus").glob("*.json.gz"), key=lambda p: p.stat().st_size
    )
    data = path.read_bytes()
    with pytest.raises(ObjectReadError, match="connection reset by peer"):
        await _items(data, -1 if streamed else len(data), fail_after=2)


def _doc(*records: object) -> bytes:
    return b'{"Records": [' + b",".join(codec.dumps(r) for r in records) + b"]}"


_RECORD = {"eventID": "e-1", "eventName": "CreateBucket", "n": 1.5}
_EDGES = {
    "plain": _doc(_RECORD, {"eventID": "e-2"}),
    "gzipped": gzip.compress(_doc(_RECORD, {"eventID": "e-2"})),
    "not objects": gzip.compress(_doc(1, "x", None, _RECORD)),
    "Records twice": b'{"Records": [{"eventID": "a"}], "Records": [{"eventID": "b"}]}',
    "broken after a record": gzip.compress(_doc(_RECORD)[:-2] + b", {oops]}"),
    "truncated gzip": gzip.compress(_doc(_RECORD, {"eventID": "e-2"}))[:-12],
    "two gzip members": gzip.compress(_doc(_RECORD)) + gzip.compress(b" "),
    "not an export": gzip.compress(b'{"eventID": "a"}\n{"eventID": "b"}\n'),
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(_EDGES))
async def test_parsed_whole_or_streamed_the_items_are_the_same(name: str) -> None:
    """Small objects are parsed whole (`_whole`); whatever that path cannot take exactly as the
    record-by-record reader does falls back to it: the items are those of the streamed path."""
    data = _EDGES[name]
    whole = await _items(data, len(data))
    streamed = await _items(data, -1)
    assert [_described(i) for i in whole] == [_described(i) for i in streamed]


def test_only_plain_exports_within_the_bound_are_parsed_whole() -> None:
    assert _whole(_EDGES["gzipped"], 0) == [_RECORD, {"eventID": "e-2"}]
    assert _whole(_EDGES["not objects"], 0) == [1, "x", None, _RECORD]
    for name in ("Records twice", "broken after a record"):
        assert _whole(_EDGES[name], 0) is None, name
    for name in ("truncated gzip", "two gzip members", "not an export", "empty"):
        assert _whole(_EDGES[name], 0) is None, name
    big = gzip.compress(_doc(*([_RECORD] * (WHOLE_BYTES // len(codec.dumps(_RECORD)) + 1))))
    assert _whole(big, 0) is None  # beyond WHOLE_BYTES: streamed, memory bounded
    assert _whole(_EDGES["gzipped"], 10) is None  # beyond max_bytes: the reader says so


def _described(item: Item) -> tuple[object, ...]:
    if isinstance(item, RawRecord):
        return ("record", item.origin, item.index, item.payload)
    return ("error", type(item).__name__, item.reason, item.origin)


async def test_parsed_whole_as_replay_reads_a_file(tmp_path: Path) -> None:
    """An integer beyond 64 bits: the codec reads it as a float, as `replay` of the same file
    does (the record-by-record reader would give an int)."""
    data = gzip.compress(_doc(_RECORD)[:-2] + b', {"big": 123456789012345678901234567890}]}')
    (tmp_path / "export.json.gz").write_bytes(data)
    replayed = [
        i.payload for i in read_file(str(tmp_path / "export.json.gz")) if isinstance(i, RawRecord)
    ]
    got = [i.payload for i in await _items(data, len(data)) if isinstance(i, RawRecord)]
    assert got == replayed == [_RECORD, {"big": 1.2345678901234568e29}]
