"""Wire formats of the destinations: how one journal entry becomes a piece of a request body,
and how pieces become the body. The event JSON stored in the journal is embedded as it is,
never re-serialized (`codec.raw`).

- `cloudevents`: one CloudEvent per request, `application/cloudevents+json`;
- `cloudevents-batch`: a JSON array of CloudEvents, `application/cloudevents-batch+json`;
- `splunk-hec`: `{"time": <epoch s>, "host", "source", "sourcetype", "index"?, "event": ...}`
  objects concatenated without separators (HEC's batch form);
- `elastic-bulk`: NDJSON `create` action (`_id`: the CloudEvents id, so a repeat is a 409,
  not a second document) and document pairs, each line ending in `\\n`;
- `jsonl`: one event per line, `application/x-ndjson`.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from eventstream import codec
from eventstream.config.webhooks import WebhookSettings


@dataclass(frozen=True, slots=True)
class Item:
    """One journal entry on its way to a destination."""

    entry_id: str
    event: bytes
    event_id: str
    time: str


def item_of(entry_id: str, event: bytes, parsed: dict[str, Any]) -> Item:
    return Item(entry_id, event, str(parsed.get("id") or entry_id), str(parsed.get("time") or ""))


def epoch_s(time: str, entry_id: str) -> float:
    """An event's RFC 3339 time in epoch seconds (millisecond precision); the journal entry's
    own time when the event has none that parses."""
    try:
        return round(datetime.fromisoformat(time.replace("Z", "+00:00")).timestamp(), 3)
    except ValueError:
        return int(entry_id.partition("-")[0]) / 1000


class EpochCache:
    """`epoch_s` for the event times of one stream: events come in bursts of the same second,
    so the second (`YYYY-MM-DDTHH:MM:SS`) is converted once and the milliseconds added."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.seconds: dict[str, float] = {}

    def __call__(self, time: str, entry_id: str) -> float:
        if len(time) != 24 or time[19] != "." or time[23] != "Z" or not time[20:23].isdigit():
            return epoch_s(time, entry_id)
        second = time[:19]
        base = self.seconds.get(second)
        if base is None:
            base = epoch_s(second + "Z", entry_id)
            if len(self.seconds) >= self.size:
                self.seconds.clear()
            self.seconds[second] = base
        return round(base + int(time[20:23]) / 1000, 3)


class Format(Protocol):
    content_type: str

    def piece(self, item: Item) -> bytes: ...

    def body(self, pieces: list[bytes]) -> bytes: ...


class Lines:
    """Pieces that end with their own separator, joined as they are."""

    content_type = "application/x-ndjson"

    def piece(self, item: Item) -> bytes:
        return item.event + b"\n"

    def body(self, pieces: list[bytes]) -> bytes:
        return b"".join(pieces)


class CloudEvent:
    content_type = "application/cloudevents+json"

    def piece(self, item: Item) -> bytes:
        return item.event

    def body(self, pieces: list[bytes]) -> bytes:
        if len(pieces) != 1:
            raise ValueError("the cloudevents format sends one event per request")
        return pieces[0]


class CloudEventBatch:
    content_type = "application/cloudevents-batch+json"

    def piece(self, item: Item) -> bytes:
        return item.event

    def body(self, pieces: list[bytes]) -> bytes:
        return b"[" + b",".join(pieces) + b"]"


class SplunkHec(Lines):
    content_type = "application/json"

    def __init__(self, settings: WebhookSettings) -> None:
        self.fields: dict[str, str] = {
            "host": settings.host or socket.gethostname(),
            "source": settings.source,
            "sourcetype": settings.sourcetype,
        }
        if settings.index:
            self.fields["index"] = settings.index
        self.epoch_s = EpochCache()
        # `{"time":<t>,"host":...,"index":...,"event":<event>}`: the constant middle encoded once
        self._middle = b"," + codec.dumps(self.fields)[1:-1] + b',"event":'

    def piece(self, item: Item) -> bytes:
        time = codec.dumps(self.epoch_s(item.time, item.entry_id))
        return b"".join((b'{"time":', time, self._middle, item.event, b"}"))


class ElasticBulk(Lines):
    def __init__(self, settings: WebhookSettings) -> None:
        self.index = settings.index

    def piece(self, item: Item) -> bytes:
        action: dict[str, str] = {"_id": item.event_id}
        if self.index:
            action = {"_index": self.index, **action}
        return b"".join((codec.dumps({"create": action}), b"\n", item.event, b"\n"))


def format_of(settings: WebhookSettings) -> Format:
    if settings.format == "splunk-hec":
        return SplunkHec(settings)
    if settings.format == "elastic-bulk":
        return ElasticBulk(settings)
    if settings.format == "cloudevents":
        return CloudEvent()
    if settings.format == "cloudevents-batch":
        return CloudEventBatch()
    return Lines()


def overhead(settings: WebhookSettings) -> int:
    """Bytes a body adds to its pieces (the batch array's brackets and commas, per piece)."""
    return 1 if settings.format == "cloudevents-batch" else 0
