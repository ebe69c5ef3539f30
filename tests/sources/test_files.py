"""Reading raw records from files: every accepted shape, and clear failures."""

from __future__ import annotations

import gzip
from pathlib import Path

from eventstream.errors import MalformedRecordError
from eventstream.sources.base import RawRecord
from eventstream.sources.files import UnreadableInputError, read_paths


def _payloads(*paths: Path) -> list[object]:
    return [item.payload for item in read_paths(map(str, paths)) if isinstance(item, RawRecord)]


def test_pretty_printed_document_and_array(tmp_path: Path) -> None:
    """A pretty-printed S3 export and a JSON array are each read whole."""
    export = tmp_path / "export.json"
    export.write_text('{\n  "Records": [\n    {"eventID": "a"},\n    {"eventID": "b"}\n  ]\n}\n')
    array = tmp_path / "array.json"
    array.write_text('[\n {"eventID": "c"}\n]')
    assert _payloads(export, array) == [{"eventID": "a"}, {"eventID": "b"}, {"eventID": "c"}]


def test_folder_is_read_recursively_in_name_order(tmp_path: Path) -> None:
    """A folder yields its record files in name order, gzip included, origin files excluded."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "b.jsonl").write_text('{"eventID": "b"}\n')
    (tmp_path / "sub" / "a.json.gz").write_bytes(gzip.compress(b'{"Records": [{"eventID": "a"}]}'))
    (tmp_path / "b.origin.jsonl").write_text('{"line": 1}\n')
    (tmp_path / "notes.txt").write_text("ignored")
    assert _payloads(tmp_path) == [{"eventID": "b"}, {"eventID": "a"}]


def test_bad_line_yields_error_with_line_number(tmp_path: Path) -> None:
    """A broken line becomes a `MalformedRecordError` carrying origin and line; reading goes on."""
    path = tmp_path / "x.jsonl"
    path.write_text('{"eventID": "a"}\n\n{"eventID": \n{"eventID": "c"}\n')
    items = list(read_paths([str(path)]))
    assert [type(i) for i in items] == [RawRecord, MalformedRecordError, RawRecord]
    error = items[1]
    assert isinstance(error, MalformedRecordError)
    assert (error.origin, error.line) == (str(path), 3)


def test_corrupt_gzip_is_unreadable(tmp_path: Path) -> None:
    """A file with a gzip header but broken data is yielded as an error naming the path."""
    path = tmp_path / "broken.json.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    items = list(read_paths([str(path)]))
    assert len(items) == 1
    assert isinstance(items[0], UnreadableInputError)
    assert items[0].origin == str(path)
    assert "broken.json.gz" in str(items[0])
