"""A Server-Sent Events parser without I/O, exactly as the WHATWG HTML standard interprets an
event stream (section 9.2.6, "Interpreting an event stream").

Feed it the bytes of a response body in chunks of any size; it returns the events each chunk
completes. The rules it follows:

- the stream is UTF-8 (invalid bytes become U+FFFD); one leading byte order mark is dropped,
  even when its bytes arrive in several chunks; a BOM anywhere else is an ordinary character;
- lines end with CRLF, LF or CR; a CR that ends one chunk and an LF that starts the next are
  one line end, not two;
- a line starting with `:` is a comment (returned by `comments`, never an event);
- `name: value` sets a field; one space after the colon is dropped, no more; a line without a
  colon is a field with an empty value; unknown fields are ignored;
- `data` lines are joined with LF; `event` sets the type (default `message`); `id` sets the
  last event id (from the next empty line on), unless it contains U+0000; `retry` sets the
  reconnection time only if it is all ASCII digits;
- an empty line dispatches: the last event id is kept across events (an `id:` block with no
  data still moves it), and an event whose data buffer is empty is not dispatched;
- an event that was not ended by an empty line when the stream ends is discarded.

A line or an event's data longer than `max_event_bytes` raises `SSEParseError`, so a broken
or hostile stream cannot grow the buffers without bound.
"""

from __future__ import annotations

from dataclasses import dataclass

from eventstream.errors import SSEParseError

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "SSEEvent", "SSEParser"]

DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event: its type, its data and the last event id when it was dispatched."""

    type: str
    data: str
    id: str


class SSEParser:
    """`events = parser.feed(chunk)`; `parser.last_event_id` and `parser.retry_ms` follow the
    stream; `parser.comments` counts comment lines (heartbeats)."""

    __slots__ = (
        "_cr",
        "_data",
        "_data_size",
        "_head",
        "_id",
        "_kind",
        "_max",
        "_parts",
        "_parts_size",
        "_started",
        "comments",
        "last_event_id",
        "retry_ms",
    )

    def __init__(
        self, last_event_id: str = "", max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    ) -> None:
        self.last_event_id = last_event_id
        self._id = last_event_id  # the spec's "last event ID buffer": committed on dispatch
        self.retry_ms: int | None = None
        self.comments = 0
        self._max = max_event_bytes
        self._parts: list[bytes] = []  # the incomplete last line, in the chunks it came in
        self._parts_size = 0
        self._head = b""  # before the start: bytes that may be a BOM
        self._cr = False  # the last chunk ended with CR: an LF starting the next is its pair
        self._started = False  # the BOM question is settled
        self._data: list[str] = []
        self._data_size = 0
        self._kind = ""

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """The events completed by `chunk` (possibly none)."""
        if not self._started:
            chunk = self._start(chunk)
        if not chunk:
            return []
        if self._cr:
            self._cr = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
        if b"\r" in chunk:
            self._cr = chunk[-1] == 0x0D
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        end = chunk.find(b"\n")
        if end < 0:
            self._pending(chunk)  # a long line: joined once, when it ends
            return []
        if self._parts:
            self._parts.append(chunk)
            size = self._parts_size
            chunk = b"".join(self._parts)
            self._parts, self._parts_size = [], 0
            end += size
        return self._lines(chunk, end)

    def _lines(self, chunk: bytes, end: int) -> list[SSEEvent]:
        """The events of the complete lines of `chunk`, the first ending at `end`; the bytes
        after the last line end wait for the next chunk."""
        # Lines are found with `find` (memchr) and values decoded straight from the chunk by
        # offsets: no copy of each line first (bytes.split compares byte by byte and copies).
        with memoryview(chunk) as view:
            find = chunk.find
            events: list[SSEEvent] = []
            start = 0
            while end >= 0:
                if end == start:
                    self.last_event_id = self._id
                    if self._data:
                        events.append(self._dispatch())
                    else:
                        self._kind = ""
                elif chunk.startswith(b"data: ", start):  # the common line, without a call
                    self._data_size += end - start
                    if self._data_size > self._max:
                        self._data_overflow()
                    self._data.append(str(view[start + 6 : end], "utf-8", "replace"))
                else:
                    self._field(chunk, view, start, end)
                start = end + 1
                end = find(b"\n", start)
        if start < len(chunk):
            self._pending(chunk[start:])
        return events

    def _pending(self, part: bytes) -> None:
        self._parts.append(part)
        self._parts_size += len(part)
        if self._parts_size > self._max:
            self._parts, self._parts_size = [], 0
            raise SSEParseError(f"a line longer than {self._max} bytes", self.last_event_id)

    def _start(self, chunk: bytes) -> bytes:
        """The first bytes of the stream without their BOM (b"" while it may be one)."""
        chunk = self._head + chunk
        self._head = b""
        if len(chunk) < len(_BOM) and _BOM.startswith(chunk):
            self._head = chunk  # maybe the start of a BOM: wait for more
            return b""
        self._started = True
        return chunk[len(_BOM) :] if chunk.startswith(_BOM) else chunk

    def _field(self, chunk: bytes, view: memoryview, start: int, end: int) -> None:
        # Field names are compared as bytes (a name with any non-ASCII byte is unknown
        # anyway); only the value is decoded, straight from the chunk's buffer (one copy).
        colon = chunk.find(b":", start, end)
        if colon == start:
            self.comments += 1
            return
        if colon < 0:
            name, value = chunk[start:end], end
        else:
            name, value = chunk[start:colon], colon + 1
            if value < end and chunk[value] == 0x20:
                value += 1
        if name == b"data":
            self._data_size += end - start
            if self._data_size > self._max:
                self._data_overflow()
            self._data.append(_text(view, value, end))
        elif name == b"event":
            self._kind = _text(view, value, end)
        elif name == b"id":
            if chunk.find(b"\x00", value, end) < 0:
                self._id = _text(view, value, end)
        elif name == b"retry":
            digits = chunk[value:end]
            if digits.isdigit():  # bytes.isdigit: ASCII digits only
                self.retry_ms = int(digits)

    def _data_overflow(self) -> None:
        self._data.clear()
        self._data_size = 0
        raise SSEParseError(f"an event's data longer than {self._max} bytes", self.last_event_id)

    def _dispatch(self) -> SSEEvent:
        data = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
        event = SSEEvent(self._kind or "message", data, self.last_event_id)
        self._data = []
        self._data_size = 0
        self._kind = ""
        return event

    def reset(self) -> None:
        """Forget a partial line and event (a new connection starts clean): an `id` not yet
        committed by an empty line is dropped; the last event id and the reconnection time
        stay."""
        self._id = self.last_event_id
        self._parts, self._parts_size = [], 0
        self._head = b""
        self._cr = False
        self._started = False
        self._data = []
        self._data_size = 0
        self._kind = ""


def _text(view: memoryview, start: int, end: int) -> str:
    """The bytes `view[start:end]` decoded as UTF-8 (invalid bytes as U+FFFD)."""
    if start >= end:
        return ""
    return str(view[start:end], "utf-8", "replace")
