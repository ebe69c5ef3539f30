"""Quarantined and unmapped records as the offline commands report them: a line on stderr
each (`malformed: <origin>:<line>: <reason>`), and with `--rejects FILE`, JSON lines."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import BinaryIO

from eventstream import codec
from eventstream.journal.quarantine import Quarantined
from eventstream.normalize.normalizer import Result
from eventstream.pipeline.runner import Rejects
from eventstream.sources.base import RawRecord


def where(entry: Quarantined) -> str:
    return entry.origin if entry.line is None else f"{entry.origin}:{entry.line}"


def _record(entry: Quarantined) -> object:
    if entry.truncated:
        return entry.record.decode(errors="replace")
    try:
        return codec.loads(entry.record) if entry.record else None
    except codec.JSONDecodeError:
        return entry.record.decode(errors="replace")


class PrintedRejects:
    """Prints each quarantined record, writes it to `file` if given, then passes it on to
    `then` (the Redis quarantine) if given."""

    def __init__(self, file: BinaryIO | None = None, then: Rejects | None = None) -> None:
        self.file = file
        self.then = then

    async def add(self, entries: Sequence[Quarantined]) -> None:
        if self.then is not None:
            await self.then.add(entries)
        for entry in entries:
            print(f"malformed: {where(entry)}: {entry.reason}", file=sys.stderr)
            if self.file is not None:
                line = {
                    "origin": entry.origin,
                    "line": entry.line,
                    "index": entry.index,
                    "outcome": "malformed",
                    "reason": entry.reason,
                    "record": _record(entry),
                }
                self.file.write(codec.dumps(line) + b"\n")

    def unmapped(self, source: str, item: RawRecord, result: Result) -> None:
        if self.file is None:
            return
        line = {
            "origin": item.origin,
            "line": item.line,
            "index": item.index,
            "outcome": "unmapped",
            "reason": result.reason,
            "record": item.payload,
        }
        self.file.write(codec.dumps(line) + b"\n")
