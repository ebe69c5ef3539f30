"""Error types. Every error carries the identifiers needed to find what failed.

Every error EventStream raises on purpose is an `EventStreamError`, so a command can catch them
all at its edge and print `error: <message>`:

    EventStreamError
    ├── MalformedRecordError    a raw record that cannot be read (skipped or quarantined)
    │   └── UnreadableInputError    a path that cannot be opened or decompressed
    │                               (being moved here from `eventstream.sources.files`)
    ├── ConfigError             a setting that is missing, unknown or invalid
    ├── RedisUnavailableError   Redis cannot be reached or stopped answering
    ├── CommitError             an asset event that could not be committed to the journal
    ├── FilterError             a filter condition that cannot be used (names the parameter)
    ├── ObjectReadError         downloading an S3 object failed part way (the source retries)
    ├── EmbeddedRedisError      the embedded redis-server cannot be found or started
    │                           (being moved here from `eventstream.journal.embedded`)
    └── ApiError                an HTTP error answer (`eventstream.serve.errors`, server only)
"""

from __future__ import annotations

from pathlib import Path


class EventStreamError(Exception):
    """Base of every error EventStream raises on purpose."""


class MalformedRecordError(EventStreamError):
    """A raw record that cannot be read as a CloudTrail record or EventBridge envelope."""

    def __init__(
        self, reason: str, *, origin: str = "", line: int | None = None, data: bytes | None = None
    ) -> None:
        self.reason = reason
        self.origin = origin
        self.line = line
        self.data = data  # the first bytes of what could not be read, when there are any
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


class EmbeddedRedisError(EventStreamError):
    """The embedded redis-server (`journal.embedded`, used when no `REDIS_URL` is set) cannot
    be found or started: the binary is missing, exits at once, or does not answer in time.
    `data_dir` is the server's folder (its `redis.log` says more); `reason` is what went wrong."""

    def __init__(self, data_dir: Path, reason: str) -> None:
        self.data_dir = data_dir
        self.reason = reason
        super().__init__(f"embedded Redis (data_dir={data_dir}): {reason}")


class FilterError(EventStreamError):
    """A filter parameter with a value that cannot be used; names the parameter."""

    def __init__(self, parameter: str, reason: str) -> None:
        self.parameter = parameter
        self.reason = reason
        super().__init__(f"parameter={parameter}: {reason}")


class ObjectReadError(EventStreamError):
    """Downloading an S3 object failed part way (the connection dropped): the source makes its
    message visible again, and the whole object is read again later. `origin` names it."""

    def __init__(self, origin: str, reason: str) -> None:
        self.origin = origin
        self.reason = reason
        super().__init__(f"{origin}: download failed: {reason}")
