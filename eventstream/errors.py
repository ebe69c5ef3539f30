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


class UnreadableInputError(MalformedRecordError):
    """An input that cannot be opened, read or decompressed (a missing path, corrupt gzip data).

    Yielded by the file readers like any malformed record, so it is quarantined and reading goes
    on with the next path; `line` is the line being read when it failed, if known."""

    def __init__(self, path: str, reason: str, *, line: int | None = None) -> None:
        super().__init__(reason, origin=path, line=line)
        self.path = path
        where = path if line is None else f"{path}:{line}"
        self.args = (f"cannot read {where}: {reason}",)


class ConfigError(EventStreamError):
    """A configuration value that is missing, unknown or invalid."""


class RedisUnavailableError(EventStreamError):
    """Redis cannot be reached (or stopped answering): nothing was acknowledged past this."""

    def __init__(self, redis_url: str, reason: str) -> None:
        self.redis_url = redis_url
        self.reason = reason
        super().__init__(f"Redis unavailable at redis_url={redis_url}: {reason}")


class CommitError(EventStreamError):
    """An asset event that could not be committed to the journal."""

    def __init__(self, reason: str, *, event_id: str, subject: str) -> None:
        self.reason = reason
        self.event_id = event_id
        self.subject = subject
        super().__init__(f"commit failed for event_id={event_id} subject={subject}: {reason}")
