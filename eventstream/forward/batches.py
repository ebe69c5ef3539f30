"""Journal rows to requests, without I/O: each entry parsed once, filtered, encoded in the
destination's format, and cut into chunks by the event and byte limits."""

from __future__ import annotations

from dataclasses import dataclass

from eventstream.config.webhooks import WebhookSettings
from eventstream.filters import meta_of, parse_filter_text
from eventstream.forward.formats import Item, format_of, head_item, item_of, overhead
from eventstream.journal.keys import EVENT_FIELD
from eventstream.journal.reader import event_of

PER_EVENT_ANSWERS = frozenset({"splunk-hec", "elastic-bulk", "cloudevents"})

Rows = list[tuple[bytes, dict[bytes, bytes] | None]]


@dataclass(frozen=True, slots=True)
class Piece:
    """An event and its bytes in the destination's format."""

    item: Item
    data: bytes


@dataclass(frozen=True, slots=True)
class Batch:
    """Journal rows ready to send: refused by the filter, unreadable, and encoded chunks;
    `full` when the read returned a whole batch (so more is probably waiting)."""

    skipped: list[str]
    unreadable: list[tuple[str, bytes, str]]
    chunks: list[list[Piece]]
    full: bool


class Encoder:
    def __init__(self, settings: WebhookSettings) -> None:
        self.settings = settings
        self.format = format_of(settings)
        self.filter = parse_filter_text(settings.filter)
        self.everything = self.filter.matches_everything()
        self.overhead = overhead(settings)
        # read from the head only where the destination answers for each event on its own
        self.heads = self.everything and settings.format in PER_EVENT_ANSWERS

    def encode(self, rows: Rows) -> Batch:
        """Parse, filter and encode journal rows; an entry that is not a JSON object is
        `unreadable` (with the reason), one the filter refuses is `skipped`. Without a
        filter, for a destination that answers for each event (`PER_EVENT_ANSWERS`), an event
        is read from its head only (`head_item`): its `data` is embedded unparsed, and if it
        is not valid JSON the destination refuses that event alone (HEC code 6 with
        `invalid-event-number`, an Elastic item error, a 4xx to its own request), which is
        then dead-lettered."""
        skipped: list[str] = []
        unreadable: list[tuple[str, bytes, str]] = []
        pieces: list[Piece] = []
        for raw_id, fields in rows:
            entry_id = raw_id.decode()
            if self.heads and fields is not None:
                event = fields.get(EVENT_FIELD)
                item = head_item(entry_id, event) if event is not None else None
                if item is not None:
                    pieces.append(Piece(item, self.format.piece(item)))
                    continue
            try:
                event, parsed = event_of(fields)
            except ValueError as error:
                raw = (fields or {}).get(EVENT_FIELD) or b""
                unreadable.append((entry_id, raw, f"unreadable journal entry: {error}"))
                continue
            if not self.everything and not self.filter.matches(meta_of(parsed)):
                skipped.append(entry_id)
                continue
            item = item_of(entry_id, event, parsed)
            pieces.append(Piece(item, self.format.piece(item)))
        full = len(rows) >= self.settings.max_events
        return Batch(skipped, unreadable, self.chunks(pieces), full)

    def chunks(self, pieces: list[Piece]) -> list[list[Piece]]:
        """Consecutive runs within the event and byte limits (a lone oversized event alone)."""
        chunks: list[list[Piece]] = []
        current: list[Piece] = []
        size = 2
        for piece in pieces:
            cost = len(piece.data) + self.overhead
            if current and (
                len(current) >= self.settings.max_events
                or size + cost > self.settings.batch_max_bytes
            ):
                chunks.append(current)
                current, size = [], 2
            current.append(piece)
            size += cost
        if current:
            chunks.append(current)
        return chunks
