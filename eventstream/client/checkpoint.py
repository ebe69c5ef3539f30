"""Where a script keeps the id of the last event it handled, to resume there after a restart.

The client saves an event's id only after the user's handler returned (the next iteration of
`events()`, or `run()`'s handler): at least once for the handler, never a skipped event.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

__all__ = ["Checkpoint", "FileCheckpoint", "RedisCheckpoint"]


class Checkpoint(Protocol):
    async def load(self) -> str | None: ...

    async def save(self, event_id: str) -> None: ...


class FileCheckpoint:
    """The last id in a small text file, replaced atomically (write a sibling, rename), so a
    crash leaves the old id or the new one, never half of one."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._temporary = self.path.with_name(f".{self.path.name}.tmp")

    async def load(self) -> str | None:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return text or None

    async def save(self, event_id: str) -> None:
        self._temporary.write_text(event_id + "\n", encoding="utf-8")
        os.replace(self._temporary, self.path)


class RedisCheckpoint:
    """The last id in one Redis key, through the caller's own client (`redis.asyncio.Redis`
    or any object with async `get` and `set`), so the client library itself needs no Redis."""

    def __init__(self, redis: Any, key: str) -> None:
        self.redis = redis
        self.key = key

    async def load(self) -> str | None:
        value: bytes | str | None = await self.redis.get(self.key)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        return value or None

    async def save(self, event_id: str) -> None:
        await self.redis.set(self.key, event_id)
