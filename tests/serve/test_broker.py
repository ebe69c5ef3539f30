"""The broker's fan-out in memory: one frame object for all, bounded queues, overflow."""

from __future__ import annotations

from typing import Any

from eventstream import codec
from eventstream.serve.broker import Broker, Signal
from eventstream.serve.filters import EventFilter, parse_filter
from eventstream.serve.journal import Entry, JournalReader, entry_of
from eventstream.serve.metrics import Metrics


def _entries(events: list[dict[str, Any]]) -> list[Entry]:
    out = []
    for index, event in enumerate(events):
        entry = entry_of(f"1-{index}".encode(), {b"event": codec.dumps(event)})
        assert entry is not None
        out.append(entry)
    return out


def _broker(buffer: int) -> Broker:
    reader: JournalReader = None  # type: ignore[assignment]  # dispatch never reads Redis
    return Broker(reader, Metrics(), buffer=buffer)


def test_every_subscriber_gets_the_same_frame_bytes(sample_events: list[dict[str, Any]]) -> None:
    """Each entry is serialized once: subscribers share the very same bytes object."""
    broker = _broker(buffer=64)
    first, second = broker.subscribe(EventFilter()), broker.subscribe(EventFilter())
    broker.dispatch(_entries(sample_events[:3]))
    a = [first.queue.get_nowait() for _ in range(3)]
    b = [second.queue.get_nowait() for _ in range(3)]
    for x, y in zip(a, b, strict=True):
        assert isinstance(x, Entry)
        assert isinstance(y, Entry)
        assert x.frame is y.frame
        assert x.frame.startswith(b"id: 1-")
        assert x.frame.count(b"\n") == 4


def test_overflow_cuts_one_subscriber_and_not_the_other(
    sample_events: list[dict[str, Any]],
) -> None:
    """A subscriber whose queue is full is ended with OVERFLOW; others keep every entry."""
    broker = _broker(buffer=4)
    slow, fast = broker.subscribe(EventFilter()), broker.subscribe(EventFilter())
    entries = _entries(sample_events[:6])
    broker.dispatch(entries[:3])
    for _ in range(3):
        fast.queue.get_nowait()
    broker.dispatch(entries[3:])
    assert slow.done is Signal.OVERFLOW
    assert slow not in broker.subscribers
    assert fast in broker.subscribers
    assert slow.queue.qsize() == 5  # four entries, then the signal: memory stays bounded
    assert broker.metrics.slow_disconnects._value.get() == 1


def test_filtered_entries_do_not_fill_the_queue(sample_events: list[dict[str, Any]]) -> None:
    """Entries a subscriber does not want are never queued for it, so they cannot overflow it."""
    broker = _broker(buffer=2)
    deletes = broker.subscribe(parse_filter({"type": ["delete"]}))
    entries = _entries(sample_events)
    others = [entry for entry in entries if entry.meta.action != "delete"]
    wanted = [entry for entry in entries if entry.meta.action == "delete"]
    assert len(others) > 2
    assert wanted
    broker.dispatch(others)
    assert deletes.queue.qsize() == 0
    assert deletes.done is None
    broker.dispatch(wanted[:1])
    assert deletes.queue.get_nowait() is wanted[0]


def test_close_ends_every_stream_and_refuses_new_ones() -> None:
    """After close, every subscriber's last item is CLOSE, and new ones get it at once."""
    broker = _broker(buffer=4)
    before = broker.subscribe(EventFilter())
    broker.close()
    after = broker.subscribe(EventFilter())
    assert before.queue.get_nowait() is Signal.CLOSE
    assert after.queue.get_nowait() is Signal.CLOSE
