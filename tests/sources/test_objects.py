"""`objects.object_items`: an S3 body, downloaded whole and parsed in the loop, or streamed
through a worker thread: the same items either way; a dropped download raises."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from eventstream.errors import ObjectReadError
from eventstream.sources.files import Item, RawRecord, ReadLimits, read_file
from eventstream.sources.objects import object_items


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
