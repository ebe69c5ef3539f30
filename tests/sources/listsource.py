"""A source over a fixed list of items, with acknowledgements the tests can read."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field

from eventstream.sources.base import Item


@dataclass
class Recorded:
    """An `Ack` that remembers what the pipeline told it."""

    label: str
    acked: bool = False
    released: str = ""

    async def ack(self) -> None:
        self.acked = True

    async def release(self, reason: str) -> None:
        self.released = reason


@dataclass
class ListSource:
    """Yields `items` in chunks of `chunk`."""

    name: str
    items_: Sequence[Item] = field(default_factory=list)
    chunk: int = 64

    async def items(self) -> AsyncGenerator[Sequence[Item], None]:
        for start in range(0, len(self.items_), self.chunk):
            yield self.items_[start : start + self.chunk]
