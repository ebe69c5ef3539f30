"""What every source hands the pipeline: raw records with where they were read, and checkpoints
that acknowledge what came before them.

A source is anything with a `name` and `items()`, an async iterator of chunks (sequences) of
`Item`s, in order:

- `RawRecord`: one raw provider record (a CloudTrail record or an EventBridge envelope);
- `MalformedRecordError`: something that could not be read as a record (with its reason and
  origin), which the pipeline quarantines;
- `Checkpoint`: everything this source yielded before it is covered by its `ack`. The pipeline
  calls `ack.ack()` once every event those records produced is committed (and every malformed
  one quarantined), or `ack.release(reason)` if they will not be (shutdown, a failed commit):
  an SQS message is deleted, or made visible again, through it. A source without
  acknowledgements (files, the demo) yields no checkpoints.

Batches are committed in order, so a checkpoint is settled when the batch that holds it is.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from eventstream.errors import MalformedRecordError


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One raw record and where it was read: `line` for JSON lines, `index` within a document."""

    origin: str
    line: int | None
    index: int | None
    payload: Any


class Ack(Protocol):
    """How a source learns the fate of what it handed on."""

    async def ack(self) -> None:
        """Everything before the checkpoint is committed: the source may forget it."""

    async def release(self, reason: str) -> None:
        """It will not be committed by this process (e.g. shutdown): deliver it again later."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A point in a source's stream: what came before it is settled through `ack`."""

    ack: Ack
    label: str = ""


Item = RawRecord | MalformedRecordError | Checkpoint


class Source(Protocol):
    """A stream of raw provider records, in chunks."""

    name: str

    def items(self) -> AsyncGenerator[Sequence[Item], None]: ...


@runtime_checkable
class Watched(Protocol):
    """A source that can be unwell while it runs (an AWS source retrying a failing call)."""

    def problem(self) -> str:
        """'' while it reads; else what fails and why (shown by `/readyz`)."""
        ...
