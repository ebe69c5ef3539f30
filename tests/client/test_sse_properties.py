"""Property tests of the SSE parser: whatever the chunk boundaries and line ends, the events
decoded are the events encoded, both for the server's own frames and for any valid stream."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from eventstream import codec
from eventstream.client.sse import SSEEvent, SSEParser
from eventstream.journal.reader import entry_of
from eventstream.serve.sse import PING, control_frame


def split_at(stream: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(stream) + 1) for cut in cuts})
    return [stream[start:end] for start, end in pairwise([0, *points, len(stream)])]


def decode(chunks: list[bytes]) -> tuple[list[SSEEvent], SSEParser]:
    parser = SSEParser()
    events = [event for chunk in chunks for event in parser.feed(chunk)]
    return events, parser


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
server_items = st.lists(
    st.one_of(
        st.tuples(st.just("event"), st.sampled_from(["create", "update", "delete"]), json_values),
        st.tuples(st.just("ping"), st.none(), st.none()),
        st.tuples(st.just("reset"), st.none(), st.none()),
    ),
    max_size=25,
)


def server_stream(items: list[tuple[str, Any, Any]], retry_ms: int) -> tuple[bytes, list[SSEEvent]]:
    """The bytes the server sends for these items (head block, event frames, heartbeats, a
    reset, a final close), and the events a client must decode from them."""
    frames = [f"retry: {retry_ms}\nid: 1-0\n\n".encode()]
    expected: list[SSEEvent] = []
    last = "1-0"
    for index, (kind, action, payload) in enumerate(items, start=2):
        if kind == "ping":
            frames.append(PING)
        elif kind == "reset":
            body = {"reason": "trimmed", "requested": last, "resume_after": f"{index}-0"}
            last = f"{index}-0"
            frames.append(control_frame("reset", body, None, last))
            expected.append(SSEEvent("reset", codec.dumps(body).decode(), last))
        else:
            type_ = f"io.eventstream.asset.{action}"
            event = {"type": type_, "data": {"value": payload}}
            entry = entry_of(f"{index}-7".encode(), {b"event": codec.dumps(event)})
            assert entry is not None
            last = entry.id
            frames.append(entry.frame)
            expected.append(SSEEvent(type_, entry.event.decode(), last))
    close = {"reason": "shutdown"}
    frames.append(control_frame("close", close, retry_ms))
    expected.append(SSEEvent("close", codec.dumps(close).decode(), last))
    return b"".join(frames), expected


@settings(max_examples=300, deadline=None)
@given(server_items, st.integers(0, 10**6), st.lists(st.integers(0, 10**7), max_size=40))
def test_server_frames_decode_whatever_the_chunks(
    items: list[tuple[str, Any, Any]], retry_ms: int, cuts: list[int]
) -> None:
    """The server's frames decode to the same events, ids and retry hint at any chunking."""
    stream, expected = server_stream(items, retry_ms)
    events, parser = decode(split_at(stream, cuts))
    assert events == expected
    assert parser.retry_ms == retry_ms
    assert parser.comments == sum(1 for kind, _, _ in items if kind == "ping")
    assert [codec.loads(e.data) for e in events if e.type.startswith("io.")] == [
        {"type": f"io.eventstream.asset.{action}", "data": {"value": payload}}
        for kind, action, payload in items
        if kind == "event"
    ]


field_text = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\x00"), max_size=12
)
data_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r"))
generic_events = st.lists(
    st.tuples(
        st.none() | field_text,  # event type
        data_text,  # data (may hold LF: several data lines)
        st.none() | field_text,  # id
        st.none() | st.integers(0, 10**9),  # retry
        st.lists(field_text, max_size=2),  # comments before the event
    ),
    max_size=15,
)


@settings(max_examples=300, deadline=None)
@given(
    generic_events,
    st.lists(st.sampled_from([b"\n", b"\r", b"\r\n"]), min_size=1, max_size=8),
    st.booleans(),
    st.booleans(),
    st.lists(st.integers(0, 10**7), max_size=40),
)
def test_any_encoded_stream_decodes_whatever_the_chunks(
    items: list[tuple[str | None, str, str | None, int | None, list[str]]],
    ends: list[bytes],
    bom: bool,
    tight: bool,
    cuts: list[int],
) -> None:
    """Any events, encoded with any mix of CR, LF and CRLF, with or without a BOM, a space after
    the colon or not, comments between them, decode to the same events at any chunking."""
    lines: list[str] = []
    expected: list[SSEEvent] = []
    last_id, last_retry = "", None

    def field(name: str, value: str) -> str:
        # without the optional space only when the value does not itself start with a space
        return f"{name}:{value}" if tight and not value.startswith(" ") else f"{name}: {value}"

    for kind, data, event_id, retry, comments in items:
        lines += [f":{comment}" for comment in comments]
        if kind is not None:
            lines.append(field("event", kind) if kind else "event")
        if event_id is not None:
            lines.append(field("id", event_id))
            last_id = event_id
        if retry is not None:
            lines.append(field("retry", str(retry)))
            last_retry = retry
        lines += [field("data", line) for line in data.split("\n")]
        lines.append("")
        expected.append(SSEEvent(kind or "message", data, last_id))
    encoded, previous = [], b""
    for index, line in enumerate(lines):
        end = ends[index % len(ends)]
        if previous == b"\r" and not line and end.startswith(b"\n"):
            end = b"\r"  # CR then LF would be one line end: an encoder never writes that
        encoded.append(line.encode() + end)
        previous = end
    body = b"".join(encoded)
    stream = (b"\xef\xbb\xbf" if bom else b"") + body
    events, parser = decode(split_at(stream, cuts))
    assert events == expected
    assert parser.retry_ms == last_retry
    assert parser.last_event_id == last_id
