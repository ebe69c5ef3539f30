"""What the client hands to its user: typed asset events with their journal id, and resets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventstream.models.event import (
    Action,
    Asset,
    AssetEvent,
    Association,
    Attribution,
    Change,
    PatchOperation,
)

__all__ = ["StreamEvent", "StreamReset", "order_key"]


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One asset change as the server emitted it: `event` is the validated `AssetEvent` (the
    server's own pydantic model), `id` its journal id (the SSE `id:`, usable as
    `Last-Event-ID`). The parts people use most are properties."""

    id: str
    event: AssetEvent

    @property
    def type(self) -> str:
        return self.event.type

    @property
    def action(self) -> Action:
        return self.event.data.change.action

    @property
    def subject(self) -> str:
        """The stable asset name."""
        return self.event.subject

    @property
    def time(self) -> str:
        return self.event.time

    @property
    def asset(self) -> Asset:
        return self.event.data.asset

    @property
    def change(self) -> Change:
        return self.event.data.change

    @property
    def attribution(self) -> Attribution:
        return self.event.data.attribution

    @property
    def associations(self) -> list[Association]:
        return self.event.data.associations

    @property
    def configuration(self) -> dict[str, Any] | None:
        return self.event.data.configuration

    @property
    def previous_configuration(self) -> dict[str, Any] | None:
        return self.event.data.previous_configuration

    @property
    def changes(self) -> list[PatchOperation] | None:
        """The RFC 6902 patch from the previous to the new configuration, when both are known."""
        return self.event.data.changes

    @property
    def raw(self) -> dict[str, Any]:
        """The provider's event, unchanged."""
        return self.event.data.raw

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data (what the server sent)."""
        return self.event.model_dump(mode="json", by_alias=True)


@dataclass(frozen=True, slots=True)
class StreamReset:
    """The server's `reset` event: history after `requested` up to `resume_after` is gone
    (trimmed by retention, or lost in a failover); the stream goes on after `resume_after`."""

    reason: str
    requested: str
    resume_after: str


def order_key(event_id: str) -> tuple[int, int] | None:
    """A journal id (`<ms>-<seq>`) as a pair that orders ids; None for any other id."""
    ms, dash, seq = event_id.partition("-")
    if ms.isdigit() and ms.isascii() and (not dash or (seq.isdigit() and seq.isascii())):
        return int(ms), int(seq or 0)
    return None
