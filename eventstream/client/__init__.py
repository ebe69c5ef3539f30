"""The Python client of an EventStream server: typed asset events over SSE, never missed.

    from eventstream.client import EventStreamClient

    async with EventStreamClient("http://127.0.0.1:8080", token=...) as client:
        async for event in client.events(types=["update"], asset_types=["AWS::EC2::*"]):
            print(event.id, event.subject, event.attribution.method, event.changes)

Importing it loads neither the server, nor Redis, nor Starlette (`tests/test_layers.py`).
"""

from eventstream.client.backoff import Backoff
from eventstream.client.checkpoint import Checkpoint, FileCheckpoint, RedisCheckpoint
from eventstream.client.client import EventStreamClient
from eventstream.client.events import StreamEvent, StreamReset
from eventstream.client.sse import SSEEvent, SSEParser
from eventstream.client.stream import StreamOptions, StreamStats, Subscription
from eventstream.client.summary import Rule, event_line, patch_summary, rules_of
from eventstream.client.sync import SyncEventStreamClient
from eventstream.errors import (
    BadRequestError,
    ClientError,
    FilterError,
    ForbiddenError,
    NotAnEventStreamError,
    NotFoundError,
    PermanentError,
    ServerUnavailableError,
    SSEParseError,
    StreamResetError,
    UnauthorizedError,
)
from eventstream.models.event import (
    Action,
    Asset,
    AssetEvent,
    Attribution,
    Change,
    Method,
    PatchOperation,
    Principal,
)

__all__ = [
    "Action",
    "Asset",
    "AssetEvent",
    "Attribution",
    "Backoff",
    "BadRequestError",
    "Change",
    "Checkpoint",
    "ClientError",
    "EventStreamClient",
    "FileCheckpoint",
    "FilterError",
    "ForbiddenError",
    "Method",
    "NotAnEventStreamError",
    "NotFoundError",
    "PatchOperation",
    "PermanentError",
    "Principal",
    "RedisCheckpoint",
    "Rule",
    "SSEEvent",
    "SSEParseError",
    "SSEParser",
    "ServerUnavailableError",
    "StreamEvent",
    "StreamOptions",
    "StreamReset",
    "StreamResetError",
    "StreamStats",
    "Subscription",
    "SyncEventStreamClient",
    "UnauthorizedError",
    "event_line",
    "patch_summary",
    "rules_of",
]
