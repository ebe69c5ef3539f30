"""The broker's fan-out in memory: one frame object for all, bounded inboxes, overflow, and its
watch of the open streams (heartbeats, write deadline, shutdown grace) on a given clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventstream import codec
from eventstream.filters import EventFilter, parse_filter
from eventstream.journal.reader import Entry, JournalReader, entry_of
from eventstream.serve.broker import Abort, Broker, Signal, Subscriber
from eventstream.serve.metrics import Metrics
from eventstream.serve.sse import chunks_of


def _entries(events: list[dict[str, Any]]) -> list[Entry]:
    out = []
    for index, event in enumerate(events):
        entry = entry_of(f"1-{index}".encode(), {b"event": codec.dumps(event)})
        assert entry is not None
        out.append(entry)
    return out


def _broker(
    buffer: int, heartbeat_s: float = 15.0, write_timeout_s: float = 10.0, grace_s: float = 2.0
) -> Broker:
    reader: JournalReader = None  # type: ignore[assignment]  # dispatch never reads Redis
    return Broker(
        reader,
        Metrics(),
        buffer=buffer,
        heartbeat_s=heartbeat_s,
        write_timeout_s=write_timeout_s,
        grace_s=grace_s,
    )


def test_every_subscriber_gets_the_same_frame_bytes(sample_events: list[dict[str, Any]]) -> None:
    """Each entry is serialized once: subscribers share the very same bytes object."""
    broker = _broker(buffer=64)
    first, second = broker.subscribe(EventFilter()), broker.subscribe(EventFilter())
    broker.dispatch(_entries(sample_events[:3]))
    a, b = first.take(), second.take()
    assert len(a) == len(b) == 3
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
    assert len(fast.take()) == 3
    broker.dispatch(entries[3:])
    assert slow.done is Signal.OVERFLOW
    assert slow not in broker.subscribers
    assert fast in broker.subscribers
    assert slow.pending == entries[:4]  # four entries, then the end: memory stays bounded
    assert fast.pending == entries[3:]
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
    assert deletes.pending == []
    assert deletes.done is None
    broker.dispatch(wanted[:1])
    assert deletes.take() == wanted[:1]
    assert deletes.take() == []


def test_close_ends_every_stream_and_refuses_new_ones() -> None:
    """After close, every subscriber's last item is CLOSE, and new ones get it at once."""
    broker = _broker(buffer=4)
    before = broker.subscribe(EventFilter())
    broker.close()
    after = broker.subscribe(EventFilter())
    assert before.done is Signal.CLOSE
    assert after.done is Signal.CLOSE
    assert after not in broker.subscribers


def test_an_empty_filter_is_skipped_and_a_real_one_is_kept() -> None:
    """Subscribers without conditions take every entry untested; others keep their filter."""
    broker = _broker(buffer=4)
    assert broker.subscribe(EventFilter()).filter is None
    assert broker.subscribe(EventFilter(parts=(EventFilter(), EventFilter()))).filter is None
    deletes = parse_filter({"type": ["delete"]})
    assert broker.subscribe(deletes).filter is deletes
    assert broker.subscribe(EventFilter().both(deletes)).filter is not None


class _Stoppable:
    """Stands for a stream's task: counts the times the watch stops it."""

    def __init__(self, subscriber: Subscriber) -> None:
        self.stops = 0
        subscriber.stop = self.stop

    def stop(self) -> None:
        self.stops += 1


def test_watch_raises_each_heartbeat_when_due() -> None:
    """A stream's heartbeat is raised once heartbeat_s have passed since it opened or pinged."""
    broker = _broker(buffer=4, heartbeat_s=15.0, write_timeout_s=10.0)
    subscriber = broker.subscribe(EventFilter())
    opened = subscriber.ping_at - 15.0
    broker.check(opened + 14.0)
    assert not subscriber.ping
    broker.check(opened + 15.5)
    assert subscriber.ping
    subscriber.ping = False
    broker.check(opened + 20.0)
    assert not subscriber.ping
    broker.check(opened + 30.5)
    assert subscriber.ping


def test_watch_stops_a_write_past_its_deadline_and_only_it() -> None:
    """A write pending for write_timeout_s stops its stream (STALLED); a recent one does not."""
    broker = _broker(buffer=4, heartbeat_s=15.0, write_timeout_s=10.0)
    stuck, busy, idle = (broker.subscribe(EventFilter()) for _ in range(3))
    tasks = {subscriber: _Stoppable(subscriber) for subscriber in (stuck, busy, idle)}
    stuck.writing_since, busy.writing_since = 100.0, 109.0
    broker.check(110.5)
    assert stuck.aborted is Abort.STALLED
    assert tasks[stuck].stops == 1
    assert busy.aborted is None
    assert idle.aborted is None
    broker.check(111.0)
    assert tasks[stuck].stops == 1  # stopped once
    assert tasks[busy].stops == tasks[idle].stops == 0


def test_watch_stops_what_is_left_after_the_shutdown_grace() -> None:
    """After close(), streams get grace_s to send their last event; then they are stopped."""
    broker = _broker(buffer=4, grace_s=2.0)
    subscriber = broker.subscribe(EventFilter())
    task = _Stoppable(subscriber)
    broker.close()
    assert subscriber.done is Signal.CLOSE
    broker.check(broker.closed_at + 1.0)
    assert subscriber.aborted is None
    broker.check(broker.closed_at + 2.5)
    assert subscriber.aborted is Abort.GRACE
    assert task.stops == 1
    broker.release(subscriber)
    assert subscriber not in broker.streams


def test_resubscribe_after_overflow_starts_an_empty_inbox(
    sample_events: list[dict[str, Any]],
) -> None:
    """A replaying stream that overflowed is fed again from now on, with nothing old queued."""
    broker = _broker(buffer=2)
    subscriber = broker.subscribe(EventFilter())
    entries = _entries(sample_events[:5])
    broker.dispatch(entries[:3])
    assert subscriber.done is Signal.OVERFLOW
    broker.resubscribe(subscriber)
    assert subscriber.done is None
    assert subscriber.pending == []
    broker.dispatch(entries[3:])
    assert subscriber.take() == entries[3:]


def test_chunks_join_frames_up_to_the_limit_in_order() -> None:
    """Waiting frames go out in as few writes as the limit allows; a big frame goes alone."""
    frames = [b"a" * 40, b"b" * 40, b"c" * 30, b"d" * 150, b"e" * 10]
    assert list(chunks_of(frames[:3], limit=200)) == [b"".join(frames[:3])]
    chunks = list(chunks_of(frames, limit=100))
    assert chunks == [frames[0] + frames[1], frames[2], frames[3], frames[4]]
    assert b"".join(chunks) == b"".join(frames)
    assert all(len(chunk) <= 100 for chunk in chunks if len(chunk) != 150)


async def test_an_idle_stream_is_woken_by_entries_heartbeat_or_end(
    sample_events: list[dict[str, Any]],
) -> None:
    """The future a waiting stream holds resolves on new entries, a heartbeat, or its end."""
    broker = _broker(buffer=4)
    subscriber = broker.subscribe(EventFilter())
    entries = _entries(sample_events[:1])

    def new_entry() -> None:
        broker.dispatch(entries)

    def lifetime() -> None:
        subscriber.end(Signal.EXPIRE)

    wakes: list[Callable[[], None]] = [new_entry, subscriber.heartbeat, lifetime]
    for wake in wakes:
        assert not subscriber.ready()
        waiter = subscriber.arm()
        assert not waiter.done()
        wake()
        assert waiter.done()
        assert subscriber.ready()
        subscriber.take()
        subscriber.ping = False
        subscriber.done = None
