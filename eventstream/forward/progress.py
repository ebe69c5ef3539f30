"""How far each destination's consumer group is in the journal, from `XINFO STREAM` and
`XINFO GROUPS` read in one transaction, without relying on the group's `lag` field: Redis 6.2
does not give it, and Redis 7 gives nil after some trims and deletions.

- caught up: the group's last-delivered-id is at (or past) the journal's last entry;
- drained: caught up, and nothing pending (every entry read was settled);
- lag (entries not read yet): `lag` when Redis gives it; 0 when caught up; the journal's
  length when the group is before its first entry; else counted by `XRANGE` up to a bound
  (`lag_bound`: the count reached it, the lag is at least that);
- trimmed: the group's last-delivered-id is older than the journal's first entry, so entries
  the destination never read were trimmed (`MAXLEN`, `MINID`); how many is known when Redis
  (7 or later) gives the stream's `entries-added` and the group's `entries-read`. A group
  that has read nothing yet (`0-0`, `start = "all"`) starts at the first entry: not trimmed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from eventstream.journal import streamid

LAG_COUNT_MAX = 1000
"""Most entries `XRANGE`d to count a lag Redis does not give (beyond: `>= LAG_COUNT_MAX`)."""


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True, slots=True)
class Ends:
    """The journal's length, first and last entry ids, and entries ever added (Redis >= 7)."""

    length: int
    first_id: str | None
    last_id: str | None
    entries_added: int | None

    @classmethod
    def of(cls, info: Mapping[str, Any] | None) -> Ends:
        if not info:
            return cls(0, None, None, None)
        first, last = info.get("first-entry"), info.get("last-entry")
        added = info.get("entries-added")
        return cls(
            int(info.get("length") or 0),
            text(first[0]) if first else None,
            text(last[0]) if last else None,
            int(added) if added is not None else None,
        )


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The journal's ends and its consumer groups (by name), read atomically."""

    ends: Ends
    groups: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, info: Mapping[str, Any] | None, groups: list[Any]) -> Snapshot:
        """From the replies of `XINFO STREAM` and `XINFO GROUPS`."""
        return cls(Ends.of(info), {text(group["name"]): dict(group) for group in groups})


async def read_snapshot(redis: Redis, journal: str) -> Snapshot:
    """`XINFO STREAM` and `XINFO GROUPS` in one transaction (no journal yet: empty)."""
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.xinfo_stream(journal)
            pipe.xinfo_groups(journal)
            info, groups = await pipe.execute()
    except ResponseError as error:
        if "no such key" not in str(error).lower():
            raise
        return Snapshot.of(None, [])
    return Snapshot.of(info, groups)


@dataclass(frozen=True, slots=True)
class Progress:
    """One group's position in the journal (see the module's doc)."""

    last_delivered_id: str
    pending: int
    lag: int | None
    lag_bound: bool = False
    trimmed: bool = False
    trimmed_after: str = ""
    """Lost entries are after this id (the group's last-delivered-id) ..."""
    trimmed_before: str = ""
    """... and before this one (the journal's first entry)."""
    trimmed_count: int | None = None

    @property
    def caught_up(self) -> bool:
        return self.lag == 0

    @property
    def drained(self) -> bool:
        return self.caught_up and self.pending == 0

    @property
    def lag_text(self) -> str:
        if self.lag is None:
            return "unknown"
        return f">= {self.lag}" if self.lag_bound else str(self.lag)


def progress_of(group: Mapping[str, Any], ends: Ends) -> Progress:
    """A group's progress from its `XINFO GROUPS` row and the journal's ends, without I/O;
    `lag` is None when it must be counted (`counted`)."""
    last = text(group.get("last-delivered-id") or "0-0")
    pending = int(group.get("pending") or 0)
    if ends.last_id is None or streamid.parse(last) >= streamid.parse(ends.last_id):
        return Progress(last, pending, 0)
    if ends.first_id is not None and streamid.parse(last) < streamid.parse(ends.first_id):
        read = group.get("entries-read")
        lost = None
        if ends.entries_added is not None and read is not None:
            lost = max(0, ends.entries_added - ends.length - int(read))
        if last == "0-0" or lost == 0:  # it starts at the journal's first entry: nothing lost
            return Progress(last, pending, ends.length)
        return Progress(
            last,
            pending,
            ends.length,  # every entry the journal holds is after the group's position
            trimmed=True,
            trimmed_after=last,
            trimmed_before=ends.first_id,
            trimmed_count=lost,
        )
    lag = group.get("lag")
    return Progress(last, pending, int(lag) if lag is not None else None)


async def counted(
    redis: Redis, journal: str, progress: Progress, bound: int = LAG_COUNT_MAX
) -> Progress:
    """`progress` with its lag counted (`XRANGE` after the last-delivered-id, up to `bound`
    entries) when Redis did not give it."""
    if progress.lag is not None:
        return progress
    rows: Any = await redis.xrange(journal, f"({progress.last_delivered_id}", "+", count=bound)
    return replace(progress, lag=len(rows), lag_bound=len(rows) >= bound)


@dataclass(frozen=True, slots=True)
class Gap:
    """Entries trimmed before a destination read them: after `after_id`, before `before_id`;
    `count` when Redis can tell."""

    after_id: str
    before_id: str
    count: int | None

    @classmethod
    def of(cls, progress: Progress) -> Gap | None:
        if not progress.trimmed:
            return None
        return cls(progress.trimmed_after, progress.trimmed_before, progress.trimmed_count)

    @property
    def range(self) -> str:
        return f"after {self.after_id}, before {self.before_id}"
