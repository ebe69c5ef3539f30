"""Redis Stream entry ids (`<ms>-<seq>`), which are also the SSE `id:` of each event.

Ids only increase, so a pair of integers orders them; the helpers here parse, print and step
them without a round trip to Redis.
"""

from __future__ import annotations

import re
from datetime import datetime

StreamKey = tuple[int, int]
MAX_SEQ = 2**64 - 1
ZERO: StreamKey = (0, 0)
_ID = re.compile(r"^([0-9]{1,20})(?:-([0-9]{1,20}))?$")  # ASCII digits only


def is_digits(text: str) -> bool:
    """Whether `text` is ASCII digits only (`str.isdigit` also takes superscripts and other
    scripts' digits, such as U+00B2 and U+0665)."""
    return text.isascii() and text.isdigit()


def parse(value: str) -> StreamKey:
    """`1690000000000-3` (or a bare `1690000000000`) as a pair; raises `ValueError`."""
    match = _ID.match(value.strip())
    if match is None:
        raise ValueError(f"not a stream id: {value[:40]!r}")
    ms, seq = int(match.group(1)), int(match.group(2) or 0)
    if ms > MAX_SEQ or seq > MAX_SEQ:
        raise ValueError(f"stream id out of range: {value[:40]!r}")
    return ms, seq


def text(key: StreamKey) -> str:
    return f"{key[0]}-{key[1]}"


def before(key: StreamKey) -> StreamKey:
    """The greatest id smaller than `key` (`ZERO` stays `ZERO`)."""
    ms, seq = key
    if seq > 0:
        return ms, seq - 1
    if ms > 0:
        return ms - 1, MAX_SEQ
    return ZERO


def of_time(value: str) -> StreamKey:
    """The first id at or after a time: RFC 3339 (`2024-05-01T10:00:00Z`) or epoch milliseconds."""
    raw = value.strip()
    if is_digits(raw):
        return int(raw), 0
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a time: {value[:40]!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"time without a UTC offset: {value[:40]!r}")
    return max(0, int(moment.timestamp() * 1000)), 0
