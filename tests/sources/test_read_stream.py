"""`files.read_stream`: an S3 object's bytes, read in bounded memory like a file."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Any

from eventstream import codec
from eventstream.errors import MalformedRecordError, UnreadableInputError
from eventstream.sources.files import RawRecord, read_file, read_stream


def test_the_export_files_give_what_read_file_gives(corpus: Path) -> None:
    files = sorted((corpus / "s3-export" / "invictus").glob("*.json.gz"))
    streamed = [i for f in files for i in read_stream(io.FileIO(f), str(f))]
    read = [i for f in files for i in read_file(str(f))]
    assert len(streamed) == 2900
    assert streamed == read


def test_records_before_the_bound_then_one_error_for_the_object() -> None:
    records = [{"eventID": str(i), "pad": "x" * 100} for i in range(10_000)]
    body = gzip.compress(codec.dumps({"Records": records}))
    items = list(read_stream(_bytes(body), "s3://b/k", max_bytes=600_000))
    assert all(isinstance(i, RawRecord) for i in items[:-1])
    assert 1_000 < len(items) - 1 < 6_000  # read ahead in pieces of 256 KiB
    last = items[-1]
    assert isinstance(last, MalformedRecordError)
    assert not isinstance(last, UnreadableInputError)
    assert "larger than 600000 bytes after decompression (max_object_bytes)" in last.reason
    assert f"{len(items) - 1} records before the limit" in last.reason


def test_broken_json_truncated_gzip_empty_and_json_lines() -> None:
    items = list(read_stream(_bytes(b'{"Records": [{"a": 1}, {"b": '), "k"))
    assert isinstance(items[0], RawRecord)
    assert isinstance(items[1], MalformedRecordError)
    assert items[1].reason.startswith("not JSON after record 1")
    cut = gzip.compress(b'{"Records": []}')[:-6]
    (error,) = list(read_stream(_bytes(cut), "k"))
    assert isinstance(error, UnreadableInputError)
    assert list(read_stream(_bytes(b""), "k")) == []
    lines = list(read_stream(_bytes(b'{"eventID": "1"}\n{"eventID": "2"}\n'), "k"))
    assert [i.payload["eventID"] for i in lines if isinstance(i, RawRecord)] == ["1", "2"]


class _bytes(io.RawIOBase):
    """`data` as a raw stream (what an S3 body is read through)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._data.readinto(buffer)
