"""A destination's progress in the journal without the group's `lag` field (Redis 6.2 does not
give it): drained, lag counted up to a bound, against a real redis-server whose `XINFO GROUPS`
rows have `lag` removed (the seam: `progress_of` and `Forwarding.settled` take the rows)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from eventstream.commands.webhooks import status_rows
from eventstream.forward.progress import Snapshot, counted, progress_of, read_snapshot
from eventstream.forward.service import Forwarding
from eventstream.journal.keys import Keys
from tests.forward.conftest import Receiver, commit, delivered_ids, destination, start, until


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
    group = keys.webhook_group("siem")
    snapshot = without_lag(await read_snapshot(aredis, keys.journal))
    assert "lag" not in snapshot.groups[group]
    assert progress_of(snapshot.groups[group], snapshot.ends).drained
    await until_true(lambda: settled_without_lag(running.forwarding, aredis, keys))
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
