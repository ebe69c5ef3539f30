"""Reading the inventory back: one asset, its kept versions, and the list of every asset.

The committer (`journal.commit`) is the only writer; this module never writes. Layout, per
asset hash (`Keys.asset`): `version` (events committed), `last` (id of the last one), `asset`
(the event's `data.asset` JSON of the newest event) and `h:<n>`, the last versions
(`enrich.inventory.Version.encode`). `Keys.asset_index` lists every asset name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from eventstream import codec
from eventstream.enrich.inventory import Version
from eventstream.journal.keys import ASSET, EVENT_FIELD, HISTORY_PREFIX, LAST, VERSION, Keys


@dataclass(frozen=True, slots=True)
class AssetState:
    """An asset as the inventory holds it now (deleted ones included)."""

    name: str
    asset: dict[str, Any]
    version: int
    last_event_id: str
    current: Version

    def document(self) -> dict[str, Any]:
        """The JSON answer of `GET /v1/assets/{name}` (configuration embedded as stored)."""
        current = self.current
        return {
            "name": self.name,
            "asset": self.asset,
            "version": self.version,
            "deleted": current.deleted,
            "time": current.time,
            "last_action": current.action,
            "last_event_id": self.last_event_id,
            "configuration": _json(current.config),
        }


@dataclass(frozen=True, slots=True)
class VersionRecord:
    """One kept version and the journal entry of the event that produced it."""

    version: Version
    journal_id: str | None  # None once the event's dedup marker has expired
    event: bytes | None  # the journal entry's event JSON; None once trimmed

    def document(self) -> dict[str, Any]:
        version = self.version
        return {
            "version": version.number,
            "time": version.time,
            "action": version.action,
            "deleted": version.deleted,
            "event_id": version.eid,
            "configuration": _json(version.config),
            "configuration_from_event": version.own,
            "synced": version.synced,
            "journal_id": self.journal_id,
            "event": _json(self.event),
        }


def _json(raw: bytes | None) -> Any:
    """Stored JSON embedded as it is by `codec.dumps` (None stays None)."""
    return codec.raw(raw) if raw is not None else None


class AssetStore:
    """Read-only access to the inventory under one prefix."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def get(self, name: str) -> AssetState | None:
        """The asset `name`, or None if the inventory never saw it."""
        found = await self.many([name])
        return found[0]

    async def many(self, names: list[str]) -> list[AssetState | None]:
        """`get` for several names, in two round trips."""
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.hmget(self.keys.asset(name), [VERSION, LAST, ASSET])
        heads: list[list[bytes | None]] = await pipe.execute()
        pipe = self.redis.pipeline(transaction=False)
        for name, (version, _, _) in zip(names, heads, strict=True):
            if version is not None:
                pipe.hget(self.keys.asset(name), HISTORY_PREFIX + version)
        entries = iter(await pipe.execute())  # one per name that has a version, in order
        states: list[AssetState | None] = []
        for name, (version, last, asset) in zip(names, heads, strict=True):
            if version is None:
                states.append(None)
                continue
            entry: bytes | None = next(entries)
            if entry is None or asset is None:
                states.append(None)  # written by a newer layout, or mid-deletion: not served
                continue
            states.append(
                AssetState(
                    name=name,
                    asset=codec.loads(asset),
                    version=int(version),
                    last_event_id=(last or b"").decode(),
                    current=Version.decode(entry),
                )
            )
        return states

    async def history(self, name: str) -> list[VersionRecord] | None:
        """The kept versions of `name`, newest first, each with its journal entry while the
        journal and the dedup marker still hold them; None for an unknown asset."""
        row: dict[bytes, bytes] = await self.redis.hgetall(self.keys.asset(name))  # type: ignore[assignment]
        if not row:
            return None
        versions = [Version.decode(v) for k, v in row.items() if k.startswith(HISTORY_PREFIX)]
        versions.sort(key=lambda version: version.number, reverse=True)
        pipe = self.redis.pipeline(transaction=False)
        for version in versions:
            pipe.get(self.keys.dedup(version.eid))
        journal_ids: list[bytes | None] = await pipe.execute()
        pipe = self.redis.pipeline(transaction=False)
        for journal_id in journal_ids:
            if journal_id is not None:
                pipe.xrange(self.keys.journal, journal_id, journal_id)
        rows = iter(await pipe.execute())  # one per version whose marker was found, in order
        records = []
        for version, journal_id in zip(versions, journal_ids, strict=True):
            event = None
            if journal_id is not None:
                entries: list[tuple[bytes, dict[bytes, bytes]]] = next(rows)
                event = entries[0][1].get(EVENT_FIELD) if entries else None
            text = journal_id.decode() if journal_id is not None else None
            records.append(VersionRecord(version, text, event))
        return records

    async def names(self, after: str | None, count: int, prefix: str = "") -> list[str]:
        """Up to `count` asset names after `after` (exclusive), in name order, optionally only
        those starting with `prefix`."""
        start = prefix.encode()
        low = b"[" + start if start else b"-"
        if after is not None and after.encode() >= start:
            low = b"(" + after.encode()
        high = b"[" + start + b"\xff" if start else b"+"
        found: list[bytes] = await self.redis.zrange(  # type: ignore[assignment]
            self.keys.asset_index, low, high, bylex=True, offset=0, num=count
        )
        return [name.decode() for name in found]

    async def count(self) -> int:
        """How many assets the inventory holds."""
        return int(await self.redis.zcard(self.keys.asset_index))
