"""Error types. Every error carries the identifiers needed to find what failed."""

from __future__ import annotations


class EventStreamError(Exception):
    """Base of every error EventStream raises on purpose."""


class MalformedRecordError(EventStreamError):
    """A raw record that cannot be read as a CloudTrail record or EventBridge envelope."""

    def __init__(self, reason: str, *, origin: str = "", line: int | None = None) -> None:
        self.reason = reason
        self.origin = origin
        self.line = line
        where = origin if line is None else f"{origin}:{line}"
        super().__init__(f"{where}: {reason}" if where else reason)


class ConfigError(EventStreamError):
    """A configuration value that is missing, unknown or invalid."""
