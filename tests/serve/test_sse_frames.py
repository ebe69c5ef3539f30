"""Every frame and the response head the server builds, checked against sse-starlette's own
public encoder: the server owns its response class and relies on no sse-starlette internals,
so these are the only points where the two meet."""

from __future__ import annotations

from typing import Any

import pytest
from sse_starlette import EventSourceResponse, ServerSentEvent

from eventstream import codec
from eventstream.journal.keys import EVENT_FIELD, ID_FIELD, SUBJECT_FIELD
from eventstream.journal.reader import entry_of
from eventstream.serve import sse

EVENTS: list[dict[str, Any]] = [
    {"type": "update", "id": "e-1", "subject": "arn:aws:s3:::bucket", "data": {"k": "v"}},
    {"type": "create", "id": "e-2", "data": {"text": "line one\nline two\r\n"}},
    {"type": "delete", "id": "e-3", "data": {"unicode": "é ✓ \u2028"}},
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda event: str(event["type"]))
def test_journal_frames_are_what_the_sse_encoder_writes(event: dict[str, Any]) -> None:
    raw = codec.dumps(event)
    fields = {EVENT_FIELD: raw, SUBJECT_FIELD: b"s", ID_FIELD: event["id"].encode()}
    entry = entry_of(b"1700000000000-7", fields)
    assert entry is not None
    expected = ServerSentEvent(data=raw.decode(), event=event["type"], id="1700000000000-7")
    assert entry.frame == expected.encode().replace(b"\r\n", b"\n")


def test_a_journal_entry_with_raw_newlines_is_reencoded_on_one_line() -> None:
    raw = b'{"type":"update",\n"id":"e-9"}'
    entry = entry_of(b"5-0", {EVENT_FIELD: raw})
    assert entry is not None
    expected = ServerSentEvent(data='{"type":"update","id":"e-9"}', event="update", id="5-0")
    assert entry.frame == expected.encode().replace(b"\r\n", b"\n")


def test_control_frames_and_head_blocks_parse_to_their_fields() -> None:
    close = sse.control_frame("close", {"reason": "shutdown"}, 3000)
    assert close == b'event: close\ndata: {"reason":"shutdown"}\nretry: 3000\n\n'
    reset = sse.control_frame("reset", {"reason": "trimmed"}, None, "9-0")
    assert reset == b'id: 9-0\nevent: reset\ndata: {"reason":"trimmed"}\n\n'
    assert sse.head_block(2500) == b"retry: 2500\n\n"
    assert sse.head_block(2500, "4-1") == b"id: 4-1\nretry: 2500\n\n"
    assert sse.PING == b": ping\n\n"


def test_response_head_is_the_one_sse_starlette_sends_for_the_same_headers() -> None:
    theirs = EventSourceResponse(iter(()), headers=sse.NO_BUFFERING).raw_headers
    assert sorted(sse.RAW_HEADERS) == sorted(theirs)
    names = [name for name, _ in sse.RAW_HEADERS]
    assert b"content-length" not in names
    assert len(names) == len(set(names))


def test_an_entry_of_another_shape_is_served_not_fatal() -> None:
    """A journal entry whose `data` is not an object (written by another tool) still frames."""
    entry = entry_of(b"7-0", {EVENT_FIELD: b'{"type":"x.asset.update","data":[1,2]}'})
    assert entry is not None
    assert entry.meta.asset_type == ""
    assert entry.frame.startswith(b"id: 7-0\nevent: x.asset.update\n")
