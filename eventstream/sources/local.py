"""The files source: trail files, folders and standard input, read off the event loop.

The same inputs as `eventstream normalize` (`sources.files`), read in a worker thread and
handed on in chunks, so a huge or compressed file never blocks the loop and memory stays
bounded by the chunk. Unreadable files and malformed lines are items like any other, which the
pipeline quarantines; reading goes on with the next line or file.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Sequence

from eventstream.sources.base import Item
from eventstream.sources.files import read_paths_async


class FilesSource:
    """Raw records from files (as `eventstream normalize` reads them), `pace_s` apart."""

    def __init__(self, paths: Sequence[str], *, name: str = "files", pace_s: float = 0.0) -> None:
        self.paths = list(paths)
        self.pace_s = pace_s
        self.name = name

    async def items(self) -> AsyncGenerator[Sequence[Item], None]:
        async with contextlib.aclosing(read_paths_async(self.paths)) as chunks:
            async for chunk in chunks:
                if self.pace_s <= 0:
                    yield chunk
                    continue
                for item in chunk:
                    yield (item,)
                    await asyncio.sleep(self.pace_s)
