"""The quarantine: records that could not be read or normalized, kept in Redis with why.

A Redis Stream (`Keys.quarantine`), trimmed to about `quarantine_max_entries`; each entry
holds the source, the origin (file, queue, object key), the line and index within it, the
reason, when it was quarantined, and the record's first `quarantine_record_bytes` bytes (with
`truncated` set when cut). `eventstream quarantine list` reads it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from eventstream import codec
from eventstream.errors import RedisUnavailableError
from eventstream.journal.keys import Keys

_REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)
_FIELDS = ("source", "origin", "line", "index", "reason", "record", "truncated")


@dataclass(frozen=True, slots=True)
class Quarantined:
    """One record set aside, with why and where it came from."""

    source: str
    origin: str
    line: int | None
    index: int | None
    reason: str
    record: bytes
    truncated: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "origin": self.origin,
            "line": self.line,
            "index": self.index,
            "reason": self.reason,
            "record": self.record.decode(errors="replace"),
            "truncated": self.truncated,
        }


def _fields(entry: Quarantined) -> dict[str, bytes | str]:
    return {
        "source": entry.source,
        "origin": entry.origin,
        "line": "" if entry.line is None else str(entry.line),
        "index": "" if entry.index is None else str(entry.index),
        "reason": entry.reason,
        "record": entry.record,
        "truncated": "1" if entry.truncated else "",
    }


def _number(value: bytes | None) -> int | None:
    return int(value) if value else None


class RedisQuarantine:
    """Writes quarantined records to one deployment's quarantine stream, and lists them."""

    def __init__(self, redis: Redis, keys: Keys, max_entries: int, redis_url: str = "") -> None:
        self.redis = redis
        self.key = keys.quarantine
        self.max_entries = max_entries
        self.redis_url = redis_url

    async def add(self, entries: Sequence[Quarantined]) -> None:
        """Append `entries` in one round trip; raises `RedisUnavailableError`."""
        if not entries:
            return
        pipe = self.redis.pipeline(transaction=False)
        for entry in entries:
            pipe.xadd(self.key, _fields(entry), maxlen=self.max_entries, approximate=True)  # type: ignore[arg-type]
        try:
            await pipe.execute()
        except _REDIS_DOWN as error:
            raise RedisUnavailableError(
                self.redis_url, str(error) or type(error).__name__
            ) from None

    async def entries(self, limit: int) -> list[tuple[str, Quarantined]]:
        """The newest `limit` entries, newest first, with their stream ids."""
        rows: Any = await self.redis.xrevrange(self.key, count=limit)
        found = []
        for raw_id, fields in rows:
            found.append((raw_id.decode(), _entry(fields)))
        return found

    async def count(self) -> int:
        return int(await self.redis.xlen(self.key))


def _entry(fields: dict[bytes, bytes]) -> Quarantined:
    text = {name: fields.get(name.encode(), b"") for name in _FIELDS}
    return Quarantined(
        source=text["source"].decode(errors="replace"),
        origin=text["origin"].decode(errors="replace"),
        line=_number(text["line"]),
        index=_number(text["index"]),
        reason=text["reason"].decode(errors="replace"),
        record=text["record"],
        truncated=bool(text["truncated"]),
    )


def first_bytes(payload: Any, limit: int) -> tuple[bytes, bool]:
    """A record's first `limit` bytes as JSON (or its text, if it cannot be encoded), and
    whether it was cut."""
    if isinstance(payload, bytes | bytearray):
        data = bytes(payload)
    else:
        try:
            data = codec.dumps(payload)
        except (TypeError, ValueError):
            data = repr(payload)[: limit + 1].encode(errors="replace")
    return data[:limit], len(data) > limit
