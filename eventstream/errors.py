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
    ├── SyncError               an inventory sync that cannot run (busy, no credentials)
    ├── EmbeddedRedisError      the embedded redis-server cannot be found or started
    │                           (being moved here from `eventstream.journal.embedded`)
    ├── ApiError                an HTTP error answer (`eventstream.serve.errors`, server only)
    ├── SSEParseError           an event stream the client cannot parse (a line or event too long)
    └── ClientError             the client library (`eventstream.client`)
        ├── PermanentError          an answer that retrying cannot change (names url and status)
        │   ├── BadRequestError         400: a bad filter or parameter (names the parameter)
        │   ├── UnauthorizedError       401: no token, or an unknown one
        │   ├── ForbiddenError          403: outside the token's scope
        │   ├── NotFoundError           404: no such asset, event or endpoint
        │   └── NotAnEventStreamError   a 200 whose content type is not text/event-stream
        ├── ServerUnavailableError  the server cannot be reached, or keeps failing (url, reason)
        └── StreamResetError        the server signalled a gap in history and no callback took it
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


class SSEParseError(EventStreamError):
    """An event stream that cannot be parsed within the client's limits; `last_event_id` is
    where a new connection would resume."""

    def __init__(self, reason: str, last_event_id: str) -> None:
        self.reason = reason
        self.last_event_id = last_event_id
        super().__init__(f"event stream (last_event_id={last_event_id or '-'}): {reason}")


class ClientError(EventStreamError):
    """Base of the errors of the client library."""


class PermanentError(ClientError):
    """An HTTP answer that no retry can change: `status`, the server's error `code` and
    `parameter` (from its JSON body, when it has one)."""

    def __init__(
        self, url: str, status: int, reason: str, *, code: str = "", parameter: str = ""
    ) -> None:
        self.url = url
        self.status = status
        self.reason = reason
        self.code = code
        self.parameter = parameter
        named = f" parameter={parameter}" if parameter else ""
        super().__init__(f"url={url} status={status}{named}: {reason}")


class BadRequestError(PermanentError):
    """400: a filter or parameter the server refuses."""


class UnauthorizedError(PermanentError):
    """401: a missing or unknown bearer token."""


class ForbiddenError(PermanentError):
    """403: what was asked is outside the token's scope."""


class NotFoundError(PermanentError):
    """404: no such asset, event or endpoint."""


class NotAnEventStreamError(PermanentError):
    """A 200 answer to the stream request whose content type is not `text/event-stream`."""


class ServerUnavailableError(ClientError):
    """The server cannot be reached or answers 5xx, more often than the client may retry."""

    def __init__(self, url: str, reason: str, *, attempts: int = 1) -> None:
        self.url = url
        self.reason = reason
        self.attempts = attempts
        super().__init__(f"server unavailable at url={url} after {attempts} attempt(s): {reason}")


class StreamResetError(ClientError):
    """The server's `reset` event: history between `requested` and `resume_after` is gone
    (trimmed, or lost in a failover). Raised when the subscriber gave no `on_reset` callback."""

    def __init__(self, url: str, reason: str, requested: str, resume_after: str) -> None:
        self.url = url
        self.reason = reason
        self.requested = requested
        self.resume_after = resume_after
        super().__init__(
            f"stream reset at url={url}: reason={reason} requested={requested or '-'} "
            f"resume_after={resume_after}"
        )


class ObjectReadError(EventStreamError):
    """Downloading an S3 object failed part way (the connection dropped): the source makes its
    message visible again, and the whole object is read again later. `origin` names it."""

    def __init__(self, origin: str, reason: str) -> None:
        self.origin = origin
        self.reason = reason
        super().__init__(f"{origin}: download failed: {reason}")


class SyncError(EventStreamError):
    """An inventory sync that cannot run: another sync holds the lock, or AWS refuses every
    call (no credentials). Carries the deployment's key prefix."""

    def __init__(self, message: str, *, prefix: str) -> None:
        super().__init__(f"{message} (prefix={prefix})")
        self.prefix = prefix
