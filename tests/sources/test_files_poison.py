"""Poison input for the file readers: corrupt and truncated gzip, over-long lines, over-size
documents and decompression bombs are yielded as errors, in bounded memory, and reading goes on."""

from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path

from eventstream import codec
from eventstream.errors import MalformedRecordError, UnreadableInputError
from eventstream.sources.files import Item, RawRecord, ReadLimits, read_paths

DEFAULT = ReadLimits()
SMALL = ReadLimits(max_line_bytes=1024, max_document_bytes=4096)


def _good(tmp_path: Path, name: str, count: int = 3) -> tuple[Path, list[str]]:
    """A small JSON-lines file of `count` records, and their event ids."""
    ids = [f"{name}-{n}" for n in range(count)]
    path = tmp_path / f"{name}.jsonl"
    path.write_bytes(b"".join(codec.dumps({"eventID": i}) + b"\n" for i in ids))
    return path, ids


def _ids(items: list[Item]) -> list[str]:
    return [item.payload["eventID"] for item in items if isinstance(item, RawRecord)]


def _read(*paths: Path, limits: ReadLimits = DEFAULT) -> list[Item]:
    return list(read_paths([str(p) for p in paths], limits=limits))


def _between_good_files(tmp_path: Path, bad: Path) -> UnreadableInputError:
    """Read `bad` between two good files: all good records, and one unreadable error for it."""
    before, ids_before = _good(tmp_path, "before")
    after, ids_after = _good(tmp_path, "after")
    items = _read(before, bad, after)
    assert _ids(items) == ids_before + ids_after
    errors = [item for item in items if isinstance(item, MalformedRecordError)]
    assert len(errors) == 1
    assert isinstance(errors[0], UnreadableInputError)
    assert errors[0].origin == str(bad)
    assert errors[0].reason
    assert str(bad) in str(errors[0])
    return errors[0]


def _export_gzip(corpus: Path) -> bytes:
    """The largest gzipped S3 export of the corpus."""
    files = sorted((corpus / "s3-export" / "invictus").glob("*.json.gz"))
    return max((p.read_bytes() for p in files), key=len)


def test_corrupt_gzip_between_good_files(tmp_path: Path, corpus: Path) -> None:
    """A real S3 export gzip with bytes flipped mid-stream is one error; the files around read."""
    data = bytearray(_export_gzip(corpus))
    middle = len(data) // 2
    data[middle : middle + 8] = bytes(b ^ 0xFF for b in data[middle : middle + 8])
    bad = tmp_path / "corrupt.json.gz"
    bad.write_bytes(data)
    assert "gzip data" in _between_good_files(tmp_path, bad).reason


def test_bad_deflate_block_between_good_files(tmp_path: Path, corpus: Path) -> None:
    """A gzip whose first deflate block is invalid (a `zlib.error`) is one error, not a crash."""
    data = bytearray(gzip.compress(gzip.decompress(_export_gzip(corpus))))  # no file name
    data[10] = 0xFF  # just after the 10-byte header: final block of the reserved type 3
    bad = tmp_path / "bad-block.json.gz"
    bad.write_bytes(data)
    assert "corrupt gzip data" in _between_good_files(tmp_path, bad).reason


def test_truncated_gzip_between_good_files(tmp_path: Path, corpus: Path) -> None:
    """A gzip cut in half (an `EOFError` while decompressing) is one error naming the file."""
    data = _export_gzip(corpus)
    bad = tmp_path / "truncated.json.gz"
    bad.write_bytes(data[: len(data) // 2])
    assert "truncated gzip data" in _between_good_files(tmp_path, bad).reason


def test_missing_path_between_good_files(tmp_path: Path) -> None:
    """A path that cannot be opened is one error and the next path is still read."""
    error = _between_good_files(tmp_path, tmp_path / "nope.jsonl")
    assert error.line is None
    assert "No such file" in error.reason


def test_records_before_truncation_stay_yielded(tmp_path: Path, corpus: Path) -> None:
    """The records of a truncated JSON-lines gzip read before the cut come first, then the error
    with the line reached."""
    lines = (corpus / "cloudtrail" / "invictus.jsonl").read_bytes().splitlines(keepends=True)
    data = gzip.compress(b"".join(lines))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    items = _read(path)
    *records, error = items
    assert all(isinstance(item, RawRecord) for item in records)
    assert len(records) > 100
    assert [item.payload for item in records if isinstance(item, RawRecord)] == [
        codec.loads(line) for line in lines[: len(records)]
    ]
    assert isinstance(error, UnreadableInputError)
    assert error.line == len(records) + 1
    assert "truncated" in error.reason


def test_long_line_in_the_middle_is_skipped(tmp_path: Path) -> None:
    """A line over `max_line_bytes` is one error with its line number; the lines after it read."""
    path = tmp_path / "long.jsonl"
    long_line = b'{"eventID": "' + b"x" * 5000 + b'"}\n'
    path.write_bytes(b'{"eventID": "a"}\n' + long_line + b'{"eventID": "c"}\n')
    items = _read(path, limits=SMALL)
    assert _ids(items) == ["a", "c"]
    error = items[1]
    assert isinstance(error, MalformedRecordError)
    assert not isinstance(error, UnreadableInputError)
    assert (error.origin, error.line) == (str(path), 2)
    assert error.reason == "line longer than 1024 bytes (pipeline.max_line_bytes)"


def test_line_longer_than_a_read_is_joined(tmp_path: Path) -> None:
    """A line spanning several reads (3 MiB) is still one record, and line numbers stay right."""
    path = tmp_path / "wide.jsonl"
    wide = codec.dumps({"eventID": "wide", "pad": "y" * (3 << 20)})
    path.write_bytes(b"\n\n" + wide + b'\n{"eventID": "next"}')
    items = _read(path)
    assert _ids(items) == ["wide", "next"]
    assert [item.line for item in items if isinstance(item, RawRecord)] == [3, 4]


def test_oversize_document_is_one_error(tmp_path: Path) -> None:
    """A pretty-printed document over `max_document_bytes` is one error for the file."""
    records = [{"eventID": f"r{n}", "pad": "z" * 50} for n in range(100)]
    path = tmp_path / "big.json"
    path.write_bytes(codec.dumps_pretty({"Records": records}))
    after, ids_after = _good(tmp_path, "after")
    items = _read(path, after, limits=SMALL)
    assert _ids(items) == ids_after
    error = items[0]
    assert isinstance(error, MalformedRecordError)
    assert (error.origin, error.line) == (str(path), None)
    assert "pipeline.max_document_bytes" in error.reason
    assert "4096" in error.reason


def test_big_pretty_document_within_limit_is_read_whole(tmp_path: Path) -> None:
    """A pretty-printed gzipped document larger than one read is still parsed as one document."""
    records = [{"eventID": f"r{n}", "pad": "z" * 1000} for n in range(3000)]
    path = tmp_path / "export.json.gz"
    path.write_bytes(gzip.compress(codec.dumps_pretty({"Records": records})))
    items = _read(path)
    assert _ids(items) == [r["eventID"] for r in records]
    assert [item.index for item in items if isinstance(item, RawRecord)][-1] == 2999


def test_json_lines_with_a_broken_first_line_over_the_limit(tmp_path: Path) -> None:
    """JSON lines bigger than `max_document_bytes` whose first line is cut are still lines."""
    _, ids = _good(tmp_path, "x", count=200)
    path = tmp_path / "lines.jsonl"
    path.write_bytes(b'{"eventID": \n' + (tmp_path / "x.jsonl").read_bytes())
    items = _read(path, limits=SMALL)
    assert _ids(items) == ids
    assert isinstance(items[0], MalformedRecordError)
    assert items[0].line == 1


def test_zero_bomb_is_one_error_in_bounded_memory(tmp_path: Path) -> None:
    """A ~300 KB gzip of 300 MB of zeros is one over-long line, read with well under 150 MB."""
    path = tmp_path / "bomb.json.gz"
    zeros = bytes(1 << 20)
    with gzip.GzipFile(path, "wb", compresslevel=9) as bomb:
        for _ in range(300):
            bomb.write(zeros)
    assert path.stat().st_size < 2 << 20
    tracemalloc.start()
    try:
        items = _read(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 150 << 20, f"peak {peak >> 20} MiB"
    assert len(items) == 1
    error = items[0]
    assert isinstance(error, MalformedRecordError)
    assert (error.origin, error.line) == (str(path), 1)
    assert "pipeline.max_line_bytes" in error.reason


def test_bomb_of_short_lines_is_many_records(tmp_path: Path) -> None:
    """A gzip expanding to many short valid lines is just records, yielded as they are read."""
    path = tmp_path / "lines.jsonl.gz"
    block = b'{"eventID": "e"}\n' * 2_000
    with gzip.GzipFile(path, "wb", compresslevel=9) as bomb:
        for _ in range(100):
            bomb.write(block)
    tracemalloc.start()
    try:
        count = sum(1 for item in read_paths([str(path)]) if isinstance(item, RawRecord))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert peak < 50 << 20, f"peak {peak >> 20} MiB"
