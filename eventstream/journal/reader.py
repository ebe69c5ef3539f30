"""Reading the journal (the Redis Stream of `eventstream.journal.keys`) for serving.

Each entry becomes an `Entry` once: its filterable `Meta` and its SSE frame bytes, shared by
every subscriber. Readers never re-serialize the event JSON; the frame embeds the stored bytes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from eventstream import codec
from eventstream.filters import Meta, meta_of
from eventstream.journal import streamid
from eventstream.journal.keys import EVENT_FIELD, Keys
from eventstream.journal.streamid import StreamKey

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Entry:
    """One journal entry ready to serve."""

    key: StreamKey
    id: str
    meta: Meta
    event: bytes
    frame: bytes


def event_of(fields: dict[bytes, bytes] | None) -> tuple[bytes, dict[str, Any]]:
    """A journal entry's event JSON and its parse; `ValueError` (with why) when the entry has
    no `event` field or it is not a JSON object. Every reader of the journal reads it so."""
    event = (fields or {}).get(EVENT_FIELD)
    if event is None:
        raise ValueError("no event field")
    parsed = codec.loads(event)
    if not isinstance(parsed, dict):
        raise ValueError("event is not a JSON object")
    return event, parsed


def entry_of(raw_id: bytes, fields: dict[bytes, bytes]) -> Entry | None:
    """An `Entry` from XRANGE/XREAD output; None (and a warning) for an unreadable entry."""
    entry_id = raw_id.decode()
    try:
        event, parsed = event_of(fields)
    except ValueError as error:
        log.warning("unreadable journal entry", extra={"entry_id": entry_id, "error": str(error)})
        return None
    if b"\n" in event or b"\r" in event:
        event = codec.dumps(parsed)  # SSE data must stay on one line
    kind = str(parsed.get("type", "message"))
    return Entry(
        streamid.parse(entry_id), entry_id, meta_of(parsed), event, frame(raw_id, kind, event)
    )


def frame(raw_id: bytes, kind: str, event: bytes) -> bytes:
    """The SSE frame of one journal entry: its id, the event's type and its JSON on one line."""
    kind = kind.replace("\n", " ").replace("\r", " ")
    return b"".join((b"id: ", raw_id, b"\nevent: ", kind.encode(), b"\ndata: ", event, b"\n\n"))


Rows = list[tuple[bytes, dict[bytes, bytes]]]
FIRST_PAGE = 32
"""Entries in the first page of a replay (`JournalReader.replay`)."""


def _entries(rows: Rows) -> list[Entry]:
    out = []
    for raw_id, fields in rows:
        entry = entry_of(raw_id, fields)
        if entry is not None:
            out.append(entry)
    return out


@dataclass(frozen=True, slots=True)
class Position:
    """What the journal holds now: its first entry, the newest id ever given, XDEL's mark, and
    whether any entry was ever removed (trimmed or deleted: more added than it holds)."""

    first: StreamKey | None
    last: StreamKey
    max_deleted: StreamKey
    removed: bool = True


@dataclass(frozen=True, slots=True)
class Resume:
    """Where a resumed subscriber continues, and why it got a reset (empty: no reset)."""

    after: StreamKey
    reset_reason: str = ""


class JournalReader:
    """Reads ranges, single entries and the tail of the journal."""

    def __init__(self, redis: Redis, keys: Keys, page_size: int = 500) -> None:
        self.redis = redis
        self.key = keys.journal
        self.page_size = page_size

    async def position(self) -> Position:
        try:
            info: dict[str, Any] = await self.redis.xinfo_stream(self.key)
        except ResponseError as error:
            if "no such key" not in str(error):
                raise
            return Position(None, streamid.ZERO, streamid.ZERO, removed=False)
        first = info.get("first-entry")
        added = info.get("entries-added")
        return Position(
            streamid.parse(first[0].decode()) if first else None,
            streamid.parse(info["last-generated-id"].decode()),
            streamid.parse(info.get("max-deleted-entry-id", b"0-0").decode()),
            removed=added is None or int(added) > int(info.get("length", 0)),
        )

    async def resume(self, after: StreamKey) -> Resume:
        """Check that nothing after `after` was trimmed or lost; if it was, say where to go on."""
        position = await self.position()
        if after > position.last:
            return Resume(position.last, "the journal does not hold this id (history was lost)")
        if not position.removed:
            return Resume(after)  # nothing was ever trimmed or deleted: all of it is there
        if position.first is None:
            if after < position.last:
                return Resume(position.last, "the journal was trimmed past this id")
            return Resume(after)
        start = streamid.before(position.first)
        if after < start:
            return Resume(start, "the journal was trimmed past this id")
        if after < position.max_deleted:
            return Resume(position.max_deleted, "entries after this id were deleted")
        return Resume(after)

    async def page(self, after: StreamKey, count: int) -> list[Entry]:
        """Up to `count` entries with ids greater than `after`."""
        return _entries(await self._range(f"({streamid.text(after)}", "+", count))

    async def _range(self, start: str, end: str, count: int) -> Rows:
        return cast(Rows, await self.redis.xrange(self.key, start, end, count=count) or [])

    async def replay(self, after: StreamKey) -> AsyncGenerator[tuple[StreamKey, list[Entry]], None]:
        """Every entry after `after`, a page at a time, up to the end of the journal when each
        page is read: (id of the page's last row, readable or not; the page's entries).

        Pages start small and double up to `page_size`: a subscriber that leaves at once (a
        browser tab closed while its replay starts) costs one small page, not `page_size`
        entries read and parsed for nobody, times every such stream in flight."""
        size = min(FIRST_PAGE, self.page_size)
        while True:
            rows = await self._range(f"({streamid.text(after)}", "+", size)
            if not rows:
                return
            after = streamid.parse(rows[-1][0].decode())
            yield after, _entries(rows)
            if len(rows) < size:
                return
            size = min(size * 2, self.page_size)

    async def get(self, key: StreamKey) -> Entry | None:
        text = streamid.text(key)
        entries = _entries(await self._range(text, text, 1))
        return entries[0] if entries else None

    async def tail(
        self, after: StreamKey, block_ms: int, count: int
    ) -> tuple[StreamKey, list[Entry]]:
        """Entries after `after`, waiting up to `block_ms` for the first (XREAD BLOCK), and the
        id of the last entry read (readable or not), where the next call goes on."""
        reply: Any = await self.redis.xread(
            {self.key: streamid.text(after)}, count=count, block=block_ms
        )
        if not reply:
            return after, []
        rows: Rows = reply[0][1]
        return streamid.parse(rows[-1][0].decode()), _entries(rows)

    async def last_key(self) -> StreamKey:
        return (await self.position()).last
