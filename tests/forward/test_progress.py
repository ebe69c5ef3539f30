"""A destination's progress in the journal without the group's `lag` field (Redis 6.2 does not
give it): drained, lag counted up to a bound, against a real redis-server whose `XINFO GROUPS`
rows have `lag` removed (the seam: `progress_of` and `Forwarding.settled` take the rows)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from eventstream.commands.webhooks import status_rows
from eventstream.forward.metrics import ForwardMetrics
from eventstream.forward.progress import Snapshot, counted, progress_of, read_snapshot
from eventstream.forward.service import Forwarding
from eventstream.journal.keys import Keys
from tests.forward.conftest import (
    STARTED,
    Receiver,
    Running,
    commit,
    delivered_ids,
    destination,
    start,
    until,
)


def without_lag(snapshot: Snapshot) -> Snapshot:
    """The snapshot as Redis 6.2 gives it: no `lag` (nor `entries-read`) in the groups."""
    groups = {
        name: {key: value for key, value in group.items() if key not in ("lag", "entries-read")}
        for name, group in snapshot.groups.items()
    }
    return Snapshot(snapshot.ends, groups)


async def test_drained_and_lag_without_the_lag_field(
    aredis: Redis, keys: Keys, receiver: Receiver, sample_events: list[dict[str, Any]]
) -> None:
    """Once every entry is delivered, `Forwarding.settled` says drained from rows without
    `lag` (it said never before); with entries unread, the lag is counted by XRANGE, exact
    under the bound and `>= bound` beyond it."""
    settings = destination(receiver.url)
    running = await start(aredis, keys, settings)
    expected = await commit(aredis, keys, sample_events[:60])
    await until(lambda: len(delivered_ids(receiver)) >= len(expected))
    await until_true(lambda: settled_without_lag(running.forwarding, aredis, keys))
    group = keys.webhook_group("siem")
    snapshot = without_lag(await read_snapshot(aredis, keys.journal))
    assert "lag" not in snapshot.groups[group]
    assert progress_of(snapshot.groups[group], snapshot.ends).drained
    assert await running.forwarding.drained()
    await running.stop()

    more = await commit(aredis, keys, sample_events[:100])  # 40 new entries, nobody reading
    unread = len(more) - len(expected)
    snapshot = without_lag(await read_snapshot(aredis, keys.journal))
    assert not await running.forwarding.settled(snapshot)
    progress = progress_of(snapshot.groups[group], snapshot.ends)
    assert progress.lag is None
    assert not progress.drained
    exact = await counted(aredis, keys.journal, progress)
    assert (exact.lag, exact.lag_bound, exact.lag_text) == (unread, False, str(unread))
    bounded = await counted(aredis, keys.journal, progress, bound=10)
    assert (bounded.lag, bounded.lag_text) == (10, ">= 10")
    real = await read_snapshot(aredis, keys.journal)
    if "lag" in real.groups[group]:  # Redis >= 7: the count agrees with Redis's own lag
        assert real.groups[group]["lag"] == unread

    rows = await status_rows(aredis, keys, [settings])
    assert rows[0]["lag"] == unread
    assert rows[0]["lag_text"] == str(unread)


async def settled_without_lag(forwarding: Forwarding, redis: Redis, keys: Keys) -> bool:
    return await forwarding.settled(without_lag(await read_snapshot(redis, keys.journal)))


async def until_true(check: Callable[[], Awaitable[bool]], timeout_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("never true")
        await asyncio.sleep(0.05)


async def test_entries_trimmed_before_a_destination_read_them_are_reported(
    aredis: Redis,
    keys: Keys,
    receiver: Receiver,
    sample_events: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The journal trimmed past a stopped destination: `status` shows the unread entries
    gone; restarted, the forwarder counts them (metric, state), logs a warning naming the
    destination and the id range, and delivers what is left."""
    settings = destination(receiver.url)
    running = await start(aredis, keys, settings, consumer="before")
    first = await commit(aredis, keys, sample_events[:30])
    await until(lambda: len(delivered_ids(receiver)) >= len(first))
    await running.stop()
    everything = await commit(aredis, keys, sample_events[:90])  # 60 unread
    await aredis.xtrim(keys.journal, maxlen=40, approximate=False)  # 20 unread ones go
    rows: Any = await aredis.xrange(keys.journal)
    kept = [row[0].decode() for row in rows]
    info: Any = await aredis.xinfo_groups(keys.journal)
    last_read = info[0]["last-delivered-id"].decode()
    redis7 = "entries-read" in info[0]

    status = (await status_rows(aredis, keys, [settings]))[0]
    assert status["trimmed_now"] == {
        "after_id": last_read,
        "before_id": kept[0],
        "entries": 20 if redis7 else None,
    }
    assert status["lag"] == 40

    registry = CollectorRegistry()
    forwarding = Forwarding(
        [settings],
        redis=aredis,
        keys=keys,
        consumer="after",
        environ={},
        metrics=ForwardMetrics(registry),
    )
    await forwarding.prepare()
    receiver.requests.clear()
    with caplog.at_level(logging.WARNING, logger="eventstream.forward"):
        restarted = Running(forwarding, asyncio.create_task(forwarding.run()))
        STARTED.add(restarted)
        await until(lambda: len(delivered_ids(receiver)) >= len(kept))
        await restarted.stop()
    assert delivered_ids(receiver) == everything[-40:]
    warnings = [r for r in caplog.records if "trimmed from the journal" in r.getMessage()]
    assert len(warnings) == 1
    record: Any = warnings[0]
    assert (record.destination, record.after_id, record.before_id) == ("siem", last_read, kept[0])
    assert record.entries == (20 if redis7 else "unknown")
    labels = {"destination": "siem"}
    assert registry.get_sample_value("eventstream_webhook_trim_gaps_total", labels) == 1
    lost = registry.get_sample_value("eventstream_webhook_events_trimmed_unread_total", labels)
    assert lost == (20 if redis7 else None)

    status = (await status_rows(aredis, keys, [settings]))[0]
    assert status["trimmed_now"] is None
    assert status["trim_gaps"] == 1
    assert status["trimmed_unread"] == (20 if redis7 else 0)
    assert status["last_trim"] == f"after {last_read}, before {kept[0]}"
    assert status["lag"] == 0
