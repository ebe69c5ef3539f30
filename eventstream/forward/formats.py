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


DATA_MEMBER = b',"data":'
TIMES_CACHED = 4096


def head_item(entry_id: str, event: bytes) -> Item | None:
    """The `Item` of an event read from its head only, without parsing its `data`: the
    members before `"data"` (EventStream writes `id`, `time` and the other CloudEvents
    attributes first) closed into an object and parsed, about a tenth of the cost of the
    whole event. None (parse the whole event) when the event is not an object of that layout
    or its head has no string `id` and `time`.

    The first `,"data":` is a member named `data` (a quote inside a JSON string is escaped);
    if it belongs to a nested object, the head's braces do not balance and it does not parse,
    so a head that parses ends at a top-level member."""
    if event[:1] != b"{" or event[-1:] != b"}":
        return None
    end = event.find(DATA_MEMBER)
    if end < 0:
        return None
    try:
        head = codec.loads(event[:end] + b"}")
    except ValueError:
        return None
    event_id, time = head.get("id"), head.get("time")
    if not isinstance(event_id, str) or not isinstance(time, str) or not event_id:
        return None
    return Item(entry_id, event, event_id, time)


def parsed_epoch_s(time: str) -> float:
    """An RFC 3339 time in epoch seconds (millisecond precision); `ValueError` if it is not."""
    return round(datetime.fromisoformat(time.replace("Z", "+00:00")).timestamp(), 3)


def epoch_s(time: str, entry_id: str) -> float:
    """An event's RFC 3339 time in epoch seconds (millisecond precision); the journal entry's
    own time when the event has none that parses."""
    try:
        return parsed_epoch_s(time)
    except ValueError:
        return int(entry_id.partition("-")[0]) / 1000


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
        # `{"time":<t>,"host":...,"index":...,"event":<event>}`: the constant middle encoded once
        self._middle = b"," + codec.dumps(self.fields)[1:-1] + b',"event":'

        self._prefix = b'{"time":'
        self._times: dict[str, bytes] = {}
        """`"time":` values by event time, for times of the cached form (many events share
        one: CloudTrail times are to the second)."""

    def piece(self, item: Item) -> bytes:
        time = self._times.get(item.time)
        if time is None:
            try:
                time = codec.dumps(parsed_epoch_s(item.time))
            except ValueError:  # the entry's own time: not cached
                time = codec.dumps(epoch_s(item.time, item.entry_id))
            else:
                if len(self._times) >= TIMES_CACHED:
                    self._times.clear()
                self._times[item.time] = time
        return b"".join((self._prefix, time, self._middle, item.event, b"}"))


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
