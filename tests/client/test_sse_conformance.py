"""The SSE parser against the public conformance cases: the web-platform-tests
`eventsource/format-*` payloads and the fixtures of the JavaScript `eventsource-parser`,
re-stated here as byte streams and the events a spec-exact parser must dispatch (the WPT
MIME cases and the reconnection time of format-field-retry need a connection: they are in
`test_stream.py`)."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from eventstream.client.sse import SSEEvent, SSEParser
from eventstream.errors import SSEParseError

BOM = b"\xef\xbb\xbf"


def parse(chunks: Iterable[bytes | str], parser: SSEParser | None = None) -> list[SSEEvent]:
    parser = parser or SSEParser()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events.extend(parser.feed(chunk.encode() if isinstance(chunk, str) else chunk))
    return events


def datas(chunks: Iterable[bytes | str]) -> list[str]:
    return [event.data for event in parse(chunks)]


def one_byte_at_a_time(stream: bytes) -> list[bytes]:
    return [stream[index : index + 1] for index in range(len(stream))]


# --- web-platform-tests eventsource/format-* (message.py appends "\n\n" then "\n") ---------

WPT: dict[str, tuple[bytes, list[str]]] = {
    "format-bom": (BOM + b"data:1\n\n" + BOM + b"data:2\n\ndata:3\n\n\n", ["1", "3"]),
    "format-bom-2": (BOM + BOM + b"data:1\n\ndata:2\n\ndata:3\n\n\n", ["2", "3"]),
    "format-comments": (
        b"data:1\r:\x00\n:\r\ndata:2\n:"
        + b"x" * 2048
        + b"\rdata:3\n:data:fail\r:"
        + b"x" * 2048
        + b"\ndata:4\n\n",
        ["1\n2\n3\n4"],
    ),
    "format-field-data": (b"data:\n\ndata\ndata\n\ndata:test\n\n\n", ["", "\n", "test"]),
    "format-field-event-empty": (b"event: \ndata:data\n\n\n", ["data"]),
    "format-null-character": (b"data:\x00\n\n\n", ["\x00"]),
    "format-utf-8": (b"data:ok\xe2\x80\xa6\n\n\n", ["ok\u2026"]),
    # message.py?...&newline=none: the message, then one "\n"
    "format-field-parsing": (
        b"data:\x00\ndata:  2\rData:1\ndata\x00:2\ndata:1\r\x00data:4\nda-ta:3\rdata_5\n"
        b"data:3\rdata:\r\n data:32\ndata:4\n\n",
        ["\x00\n 2\n1\n3\n\n4"],
    ),
    "format-field-unknown": (
        b"data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test\n\n\n",
        ["test\n\ntest"],
    ),
    "format-leading-space": (b"data:\ttest\rdata: \ndata:test\n\n\n", ["\ttest\n\ntest"]),
    "format-newlines": (b"data:test\r\ndata\ndata:test\r\n\r\n", ["test\n\ntest"]),
    "format-field-retry-empty": (b"retry\ndata:test\n\n\n", ["test"]),
}


@pytest.mark.parametrize("name", sorted(WPT))
@pytest.mark.parametrize("split", ["whole", "bytes"])
def test_wpt_format_payloads(name: str, split: str) -> None:
    """Each WPT format-* payload dispatches the data the browser tests expect, however split."""
    stream, expected = WPT[name]
    chunks = [stream] if split == "whole" else one_byte_at_a_time(stream)
    assert datas(chunks) == expected


def test_wpt_format_field_event_custom_type_then_message() -> None:
    """format-field-event: `event:test` names the first event; the next is a `message`."""
    events = parse([b"event:test\ndata:x\n\ndata:x\n\n\n"])
    assert [(event.type, event.data) for event in events] == [("test", "x"), ("message", "x")]


def test_wpt_format_data_before_final_empty_line() -> None:
    """An event (and its id) not ended by an empty line is dropped when the stream ends, and a
    reconnection sends the last *dispatched* id."""
    parser = SSEParser()
    events = parse([b"retry:1000\ndata:test1\n\nid:test\ndata:test2\n"], parser)
    assert [(event.data, event.id) for event in events] == [("test1", "")]
    assert parser.retry_ms == 1000
    parser.reset()  # the connection ended
    assert parser.last_event_id == ""
    assert parse([b"data:test1\n\n"], parser)[0].id == ""


def test_wpt_format_field_id_survives_reconnection() -> None:
    """format-field-id(-2): the id `…` is kept across a reconnection for events without id."""
    parser = SSEParser()
    first = parse(["id: \u2026\nretry: 200\ndata: hello\n\n"], parser)
    assert first == [SSEEvent("message", "hello", "\u2026")]
    assert parser.retry_ms == 200
    parser.reset()
    assert parser.last_event_id == "\u2026"  # what the client sends as Last-Event-ID
    assert parse(["data: \u2026\n\n"], parser) == [SSEEvent("message", "\u2026", "\u2026")]


@pytest.mark.parametrize(
    ("stream", "ids"),
    [
        ("id: 1\ndata: 1\n\ndata:2\n\n", ["1", "1"]),  # persists
        ("id: 1\ndata: 1\n\nid: 2\ndata:2\n\ndata:3\n\n", ["1", "2", "2"]),  # changes, persists
        ("id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n", ["1", "", ""]),  # resets
    ],
)
def test_wpt_format_field_id_3(stream: str, ids: list[str]) -> None:
    """format-field-id-3: the last event id persists, changes, and an empty `id:` resets it."""
    assert [event.id for event in parse([stream])] == ids


def test_id_containing_null_in_the_same_block_keeps_the_buffered_id() -> None:
    """eventsource-parser: `id: 123` then `id: bad\0id` in one block: the event has id 123."""
    assert parse([b"id: 123\nid: bad\x00id\ndata: hello\n\n"]) == [
        SSEEvent("message", "hello", "123")
    ]


def test_cr_separating_chunks_of_the_same_event() -> None:
    """eventsource-parser issue 17: a CR ending a chunk may be half of a CRLF; with the LF
    in the next chunk, A, B and C are one event, not two."""
    events = parse(["data: A\r\n", "data: B\r", "\n", "data: C\r\n", "\n"])
    assert [event.data for event in events] == ["A\nB\nC"]


def test_fixture_field_parsing_stream() -> None:
    """eventsource-parser's field-parsing fixture (the WPT payload with a bare `data` line
    added), then a named `done` event."""
    stream = (
        b"data:\x00\ndata:  2\rData:1\ndata\x00:2\ndata:1\r\x00data:4\nda-ta:3\rdata_5\n"
        b"data:3\rdata\ndata:\r\n data:32\ndata:4\n\n"
    )
    events = parse([stream, "event: done\ndata: \u2714\n\n"])
    assert [(event.type, event.data) for event in events] == [
        ("message", "\x00\n 2\n1\n3\n\n\n4"),
        ("done", "\u2714"),
    ]


def test_partially_incorrect_retry_fields() -> None:
    """eventsource-parser: `retry:1000` then `retry:2000x`: the bogus one is ignored."""
    parser = SSEParser()
    assert parse([b"retry:1000\nretry:2000x\ndata:x\n\n"], parser) == [SSEEvent("message", "x", "")]
    assert parser.retry_ms == 1000


def test_id_containing_null_is_ignored() -> None:
    """format-field-id-null: an `id` with U+0000 does not change the last event id."""
    parser = SSEParser()
    events = parse([b"id: 1\ndata: a\n\nid: x\x00y\ndata: b\n\nid: \x00\x00\n\n"], parser)
    assert [event.id for event in events] == ["1", "1"]
    assert parser.last_event_id == "1"


@pytest.mark.parametrize(
    ("stream", "retry_ms"),
    [
        (b"retry:02000\ndata:x\n\n", 2000),  # format-field-retry: decimal, not octal
        (b"retry:2000\nretry:1000x\ndata:x\n\n", 2000),  # format-field-retry-bogus
        (b"retry: 500\n\nretry: 50x\n\n", 500),
        (b"retry:1000\nretry:\n\n", 1000),  # an empty retry is not a number
        (b"retry: 1000\n\nretry:  2000\n\n", 1000),  # only one space is dropped
        ("retry:\u0661\u0662\n\n".encode(), None),  # Arabic-Indic digits are not ASCII digits
        (b"retry:-1\n\n", None),
    ],
)
def test_retry_only_when_all_ascii_digits(stream: bytes, retry_ms: int | None) -> None:
    """`retry` sets the reconnection time only when its value is all ASCII digits."""
    parser = SSEParser()
    parse([stream], parser)
    assert parser.retry_ms == retry_ms


def test_invalid_utf8_becomes_replacement_character() -> None:
    """The stream is UTF-8; invalid bytes decode as U+FFFD."""
    assert datas([b"data: a\xffb\n\n"]) == ["a\ufffdb"]


# --- eventsource-parser fixtures -------------------------------------------------------------


def test_basic_unnamed_events() -> None:
    """Five unnamed events then a named `done`."""
    chunks = [f"data: {index}\n\n" for index in range(5)] + ["event: done\ndata: \u2714\n\n"]
    events = parse(chunks)
    assert [(event.type, event.data) for event in events] == [
        *[("message", str(index)) for index in range(5)],
        ("done", "\u2714"),
    ]
    assert all(event.id == "" for event in events)


def test_identified_events_and_retry() -> None:
    """Ids, named events and a retry interval on every event."""
    parser = SSEParser()
    chunks = [f"id: {n}\nevent: tick\nretry: 50\ndata: {n}\n\n" for n in (1337, 1338)]
    events = parse(chunks, parser)
    assert events == [SSEEvent("tick", "1337", "1337"), SSEEvent("tick", "1338", "1338")]
    assert parser.retry_ms == 50


def test_heartbeat_comments_are_counted_not_dispatched() -> None:
    """Comments between events are counted (heartbeats) and never become events."""
    parser = SSEParser()
    chunks = []
    for index in range(5):
        chunks += [": \u2665\n", f"data: {chr(65 + index)}\n\n"]
    events = parse([*chunks, "event: done\ndata: \u2714\n\n"], parser)
    assert [event.data for event in events] == ["A", "B", "C", "D", "E", "\u2714"]
    assert parser.comments == 5


def test_multiline_data() -> None:
    """Several `data` lines join with LF, chunked by line."""
    chunks = ["event: stock\n", "data: YHOO\n", "data: +2\n", "data: 10\n\n"]
    chunks += ["event: stock\n", "data: GOOG\n", "data: -8\n", "data: 1881\n\n"]
    events = parse(chunks)
    assert [(event.type, event.data) for event in events] == [
        ("stock", "YHOO\n+2\n10"),
        ("stock", "GOOG\n-8\n1881"),
    ]


def test_multibyte_characters_split_across_chunks() -> None:
    """A multi-byte character cut in two by a chunk boundary decodes whole."""
    stream = "id: 1\ndata: \u6211\u73fe\u5728\u90fd\u770b\u5be6\u6cc1 \U0001f600\n\n".encode()
    assert parse(one_byte_at_a_time(stream)) == [
        SSEEvent("message", "\u6211\u73fe\u5728\u90fd\u770b\u5be6\u6cc1 \U0001f600", "1")
    ]


def test_multibyte_with_leading_empty_lines() -> None:
    """Empty lines before any field dispatch nothing."""
    events = parse(["\n\n\n\nid: 1\ndata: \u6211\u73fe\u5728\n\n", "event: done\ndata: x\n\n"])
    assert [(event.data, event.id) for event in events] == [("\u6211\u73fe\u5728", "1"), ("x", "1")]


@pytest.mark.parametrize("split", ["whole", "bytes"])
def test_one_leading_bom_is_dropped_later_ones_are_not(split: str) -> None:
    """A leading BOM is dropped (even split over chunks); a BOM later starts an unknown field."""
    stream = BOM + b"data: bomful 1\n\n" + BOM + b"data: bomful 2\n\ndata: bomless 3\n\n"
    chunks = [stream] if split == "whole" else one_byte_at_a_time(stream)
    assert datas(chunks) == ["bomful 1", "bomless 3"]


def test_stream_shorter_than_a_bom() -> None:
    """Bytes that might start a BOM are held, then parsed when they turn out not to be one."""
    assert datas([b"\xef", b"\xbb"]) == []
    assert datas([b"d", b"ata: x\n\n"]) == ["x"]


LINE_ENDS = {
    "CR": (
        ["data: dog\r", "data: bark\r\r", "data: cat\r", "data: meow\r\r"],
        ["dog\nbark", "cat\nmeow"],
    ),
    "LF": (
        ["data: cow\n", "data: moo\n\n", "data: horse\n", "data: neigh\n\n"],
        ["cow\nmoo", "horse\nneigh"],
    ),
    "CRLF": (
        ["data: sheep\r\n", "data: bleat\r\n\r\n", "data: pig\r\n", "data: oink\r\n\r\n"],
        ["sheep\nbleat", "pig\noink"],
    ),
}


@pytest.mark.parametrize("name", sorted(LINE_ENDS))
def test_line_ends(name: str) -> None:
    """CR, LF and CRLF each end a line."""
    chunks, expected = LINE_ENDS[name]
    assert datas(chunks) == expected


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        (["data: one\n:", "ignored\r", "\ndata: two\n\n"], ["one\ntwo"]),
        (["data: one\n:", "ignored\r", "data: two\n\n"], ["one\ntwo"]),
        (["data: one\n:ignored\r", "data: two\n\n"], ["one\ntwo"]),
        (["data: one\n:ignored\r", "\ndata: two\n\n"], ["one\ntwo"]),
        (["data: one\ndata\r", "\ndata: two\n\n"], ["one\n\ntwo"]),
        (["data: one\r", "\r", "\n"], ["one"]),
        (["data: one\r", "\n", "\r\n"], ["one"]),
        (["data: one\r", "\n\r", "\n"], ["one"]),
    ],
)
def test_crlf_split_across_chunks_is_one_line_end(chunks: list[str], expected: list[str]) -> None:
    """A CR ending one chunk and an LF starting the next are one line end, not an empty line."""
    assert datas(chunks) == expected


def test_id_from_block_with_cr_and_crlf_line_ends() -> None:
    """An id-only block ended by CR CR or CRLF CRLF moves the last event id, dispatching nothing."""
    for end in ("\r", "\r\n"):
        parser = SSEParser()
        assert parse([f"id: 42{end}{end}"], parser) == []
        assert parser.last_event_id == "42"


def test_odd_comments() -> None:
    """Comments of every shape, some split over chunks, never end or corrupt an event."""
    chunks = [": Hello\n\n", ":" * 300, "\n", "data: First\n\n", ": \u041f\u0435\u0440"]
    chunks += [": \u7b2c\u4e8c", "\n", "data: Second\n\n", *[": Moop \n"] * 10]
    chunks += [": \u062b\u0627\u0644\u062b", "\n", "data: Third\n\n", ":\u0d28\u0d3e\u0d32", "\n"]
    chunks += ["data: Fourth\n\n", ": \U0001f600 \U0001f601 :", "\n", "data: Fifth\n\n"]
    assert datas(chunks) == ["First", "Second", "Third", "Fourth", "Fifth"]


def test_mixed_comments_and_unterminated_last_event() -> None:
    """The comment fest in chunks; the last event has no empty line and is not dispatched."""
    long = "x" * (2 * 1024 + 1)
    chunks = ["data:1\r\r:\x00\n:\r\ndata:2\n\n:", long, "\rdata:3\n\n:data:fail\r:", long]
    chunks += ["\ndata:4\n\n", "data:5"]
    assert datas(chunks) == ["1", "2", "3", "4"]


def test_empty_event_field_means_message() -> None:
    """`event:` with no value is a `message`; an event without data is not dispatched."""
    events = parse(["event:\ndata: Hello 1\n\n", "event:\n\n", "event: done\ndata: x\n\n"])
    assert [(event.type, event.data) for event in events] == [
        ("message", "Hello 1"),
        ("done", "x"),
    ]


def test_empty_event_type_does_not_leak_into_next_event() -> None:
    """An `event:` in a block without data is dropped with that block."""
    assert [event.type for event in parse(["event: ghost\n\ndata: x\n\n"])] == ["message"]


def test_empty_retry_keeps_previous_interval() -> None:
    """`retry:` without a value leaves the interval as it was."""
    parser = SSEParser()
    events = parse(
        ["id: 1\nretry: 500\ndata: a\n\n", "id:2\nretry:\ndata:b\n\n", "id: 3\ndata: c\n\n"], parser
    )
    assert [(event.id, event.data) for event in events] == [("1", "a"), ("2", "b"), ("3", "c")]
    assert parser.retry_ms == 500  # fmt: skip


def test_unknown_fields_and_fields_without_colon() -> None:
    """Unknown fields are ignored; `data` without a colon appends an empty line; a line with a
    leading space is an unknown field."""
    stream = "data:abc\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:123\n\n"
    assert datas([stream]) == ["abc\n\n123"]


def test_only_one_space_after_the_colon_is_dropped() -> None:
    """`data:  x` keeps one space; `data:x` has none; a tab is kept."""
    assert datas(["data:  x\n\ndata:x\n\ndata:\tx\n\n"]) == [" x", "x", "\tx"]


def test_invalid_stream_without_newline_dispatches_nothing() -> None:
    """A JSON error body (no field, no line end) gives no event."""
    parser = SSEParser()
    assert parse(['{"error":"Internal Server Error","message":"no"}'], parser) == []
    assert parse(["Well, this is not what I expected\n"], parser) == []


def test_huge_event_within_the_limit() -> None:
    """A 4 MiB data line in 64 KiB chunks arrives whole."""
    payload = b"y" * (4 * 1024 * 1024)
    stream = b": hello\n\ndata: " + payload + b"\n\n: END\n\nevent: done\ndata: ok\n\n"
    chunks = [stream[index : index + 65536] for index in range(0, len(stream), 65536)]
    events = parse(chunks)
    assert [len(event.data) for event in events] == [len(payload), 2]


def test_line_over_the_limit_raises_and_parser_recovers() -> None:
    """A line longer than `max_event_bytes` is an `SSEParseError`; after `reset()`, it parses."""
    parser = SSEParser(max_event_bytes=64)
    parser.feed(b"id: 7\n\n")
    with pytest.raises(SSEParseError) as raised:
        parser.feed(b"data: " + b"z" * 100)
    assert raised.value.last_event_id == "7"
    parser.reset()
    assert parser.feed(b"data: ok\n\n") == [SSEEvent("message", "ok", "7")]


def test_data_over_the_limit_raises() -> None:
    """Many short `data` lines adding up past the limit raise too (no unbounded buffer)."""
    parser = SSEParser(max_event_bytes=32)
    lines = "".join(f"data: chunk-{index}\n" for index in range(50)).encode()
    with pytest.raises(SSEParseError):
        parser.feed(lines)


def test_last_event_id_given_at_start() -> None:
    """A parser made for a resumed stream starts from the id it resumes after."""
    parser = SSEParser(last_event_id="5-0")
    assert parser.feed(b"data: x\n\n") == [SSEEvent("message", "x", "5-0")]
