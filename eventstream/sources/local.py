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

from eventstream.config import PipelineSettings
from eventstream.sources.base import Item
from eventstream.sources.files import ReadLimits, read_paths_async


def limits_of(settings: PipelineSettings) -> ReadLimits:
    """The read bounds of the `[pipeline]` settings."""
    return ReadLimits(settings.max_line_bytes, settings.max_document_bytes)


class FilesSource:
    """Raw records from files (as `eventstream normalize` reads them), `pace_s` apart."""

    def __init__(
        self,
        paths: Sequence[str],
        *,
        name: str = "files",
        pace_s: float = 0.0,
        limits: ReadLimits | None = None,
    ) -> None:
        self.paths = list(paths)
        self.pace_s = pace_s
        self.name = name
        self.limits = limits or ReadLimits()

    async def items(self) -> AsyncGenerator[Sequence[Item], None]:
        async with contextlib.aclosing(read_paths_async(self.paths, self.limits)) as chunks:
            async for chunk in chunks:
                if self.pace_s <= 0:
                    yield chunk
                    continue
                for item in chunk:
                    yield (item,)
                    await asyncio.sleep(self.pace_s)
