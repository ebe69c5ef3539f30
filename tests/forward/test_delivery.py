"""Delivery against real receivers and a real Redis: retries, order, isolation, dead letters,
replay, reclaim, shared consumers, 410."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from aiohttp import web
from redis.asyncio import Redis
from standardwebhooks.webhooks import Webhook

from eventstream.forward.deadletters import DeadLetters
from eventstream.forward.replay import replay
from eventstream.forward.retry import Schedule
from eventstream.forward.service import sender_of
from eventstream.forward.state import DestinationState
from eventstream.journal.keys import Keys
from tests.forward.conftest import (
    SECRET,
    Received,
    Receiver,
    commit,
    delivered_ids,
    destination,
    lines,
    start,
    until,
)


async def test_500_then_429_then_200_delivers_everything_in_order(
    aredis: Redis, keys: Keys, sample_events: list[dict[str, Any]]
) -> None:
    """500s, then a 429 with Retry-After, then 200: every event arrives once accepted, in
    journal order, and every retry of one delivery carries the same webhook-id."""

    def policy(request: Received, number: int) -> web.Response:
        Webhook(SECRET).verify(
            request.body, request.headers, json_parse=False
        )  # raises on a bad signature
        if number < 3:
            return web.Response(status=500, text="down")
        if number == 3:
            return web.Response(status=429, headers={"Retry-After": "1"})
        return web.Response(status=200)

    receiver = await Receiver(policy).start()
    try:
        running = await start(aredis, keys, destination(receiver.url, batch_max_events=40))
        expected = await commit(aredis, keys, sample_events[:120])
        await until(lambda: len(delivered_ids(receiver, lambda n: n >= 4)) >= len(expected))
        await running.stop()
    finally:
        await receiver.stop()
    assert delivered_ids(receiver, lambda n: n >= 4) == expected
    first = receiver.requests[:5]
    assert len({request.headers["webhook-id"] for request in first}) == 1
    assert {request.body for request in first} == {first[0].body}
    assert first[4].at - first[3].at >= 0.9  # Retry-After: 1 honoured
    state = await DestinationState(aredis, keys, "siem").read()
    assert int(state["delivered"]) == len(expected)
    assert "HTTP 429" in state["last_error"]
    pending: Any = await aredis.xpending(keys.journal, keys.webhook_group("siem"))
    assert pending["pending"] == 0


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_a_down_destination_never_delays_another(
    aredis: Redis, keys: Keys, receiver: Receiver, sample_events: list[dict[str, Any]]
) -> None:
    """One destination refuses connections for the whole test; the other gets every event
    as soon as it is committed, while the down one keeps its entries pending."""
    down = destination(
        f"http://127.0.0.1:{closed_port()}/x", name="down", retry_schedule_s=[0, 0.05] + [60] * 3
    )
    running = await start(aredis, keys, down, destination(receiver.url, name="up"))
    expected: list[str] = []
    for start_at in range(0, 200, 50):
        expected = await commit(aredis, keys, sample_events[: start_at + 50])
        count = len(expected)
        await until(lambda: len(delivered_ids(receiver)) == count, timeout_s=3)  # noqa: B023
    await running.stop()
    assert delivered_ids(receiver) == expected
    state = await DestinationState(aredis, keys, "down").read()
    assert "connection failed" in state["last_error"]
    pending: Any = await aredis.xpending(keys.journal, keys.webhook_group("down"))
    groups: Any = await aredis.xinfo_groups(keys.journal)
    lag = {group["name"].decode(): group["lag"] for group in groups}
    assert pending["pending"] + lag["webhook:down"] == len(expected)
    assert pending["pending"] <= 2 * 50  # bounded: the batch retried and the one read ahead
    assert lag["webhook:up"] == 0


async def test_retry_budget_exhausted_then_replay(
    aredis: Redis, keys: Keys, sample_events: list[dict[str, Any]]
) -> None:
    """After the last attempt, entries go to the dead-letter list with the last error (and
    leave the group); replay delivers them once the receiver is back, and empties the list."""
    healthy = False

    def policy(request: Received, number: int) -> web.Response:
        return web.Response(status=200 if healthy else 503, text="maintenance")

    receiver = await Receiver(policy).start()
    settings = destination(receiver.url, retry_schedule_s=[0, 0.05, 0.05])
    try:
        running = await start(aredis, keys, settings)
        expected = await commit(aredis, keys, sample_events[:60])
        dead = DeadLetters(aredis, keys, "siem")
        await until(lambda: len(receiver.requests) >= 6)
        await until_async(dead.count, len(expected))
        await running.stop()
        letters = await dead.page()
        rows: Any = await aredis.xrange(keys.journal)
        assert [letter.entry_id for letter in letters] == [row[0].decode() for row in rows]
        assert {letter.attempts for letter in letters} == {3}
        assert all("HTTP 503: maintenance" in letter.error for letter in letters)
        pending: Any = await aredis.xpending(keys.journal, keys.webhook_group("siem"))
        assert pending["pending"] == 0
        assert len(receiver.requests) == 6  # 2 batches x 3 attempts

        healthy = True
        receiver.requests.clear()
        state = DestinationState(aredis, keys, "siem")
        sender = sender_of(settings, {})
        try:
            result = await replay(settings, dead, state, sender)
        finally:
            await sender.close()
        assert result.delivered == len(expected)
        assert await dead.count() == 0
        assert delivered_ids(receiver) == expected
        for request in receiver.requests:
            Webhook(SECRET).verify(request.body, request.headers, json_parse=False)
    finally:
        await receiver.stop()


async def until_async(read: Any, expected: int, timeout_s: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while await read() != expected:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"never reached {expected}: {await read()}")
        await asyncio.sleep(0.02)


async def test_pending_entries_of_a_crashed_consumer_are_reclaimed(
    aredis: Redis, keys: Keys, receiver: Receiver, sample_events: list[dict[str, Any]]
) -> None:
    """Entries a consumer read and never acknowledged (it died) are delivered by another,
    oldest first, before new entries."""
    settings = destination(receiver.url, claim_idle_s=1.5, timeout_s=1)
    running = await start(aredis, keys, settings, consumer="live")
    await running.stop()  # the group exists; nobody reads now
    first = await commit(aredis, keys, sample_events[:30])
    group = keys.webhook_group("siem")
    taken: Any = await aredis.xreadgroup(group, "crashed", {keys.journal: ">"}, count=30)
    assert len(taken[0][1]) == 30  # read by a consumer that will never acknowledge
    later = await commit(aredis, keys, sample_events[:50])
    await asyncio.sleep(1.6)  # the crashed consumer's entries are idle past claim_idle_s
    running = await start(aredis, keys, settings, consumer="restarted")
    await until(lambda: len(delivered_ids(receiver)) >= 50)
    await running.stop()
    assert delivered_ids(receiver) == first + later[len(first) :]
    pending: Any = await aredis.xpending(keys.journal, group)
    assert pending["pending"] == 0


async def test_two_forwarders_share_a_destination_without_duplicates(
    aredis: Redis, keys: Keys, receiver: Receiver, sample_events: list[dict[str, Any]]
) -> None:
    """Two consumers of one destination's group split the work: each event arrives once."""
    settings = destination(receiver.url, batch_max_events=10)
    one = await start(aredis, keys, settings, consumer="one")
    two = await start(aredis, keys, settings, consumer="two")
    expected = await commit(aredis, keys, sample_events[:200])
    await until(lambda: len(delivered_ids(receiver)) >= len(expected))
    await asyncio.sleep(0.2)
    await one.stop()
    await two.stop()
    got = delivered_ids(receiver)
    assert sorted(got) == sorted(expected)
    assert len(got) == len(set(got))


async def test_filter_forwards_only_matching_events(
    aredis: Redis, keys: Keys, receiver: Receiver, sample_events: list[dict[str, Any]]
) -> None:
    """The destination's filter (SSE vocabulary) decides; refused entries are acknowledged."""
    settings = destination(receiver.url, filter="type=create,delete")
    running = await start(aredis, keys, settings)
    await commit(aredis, keys, sample_events)
    rows: Any = await aredis.xrange(keys.journal)
    wanted = [
        event["id"]
        for event in (lines(fields[b"event"])[0] for _, fields in rows)
        if event["data"]["change"]["action"] in ("create", "delete")
    ]
    assert 0 < len(wanted) < len(rows)
    await until(lambda: len(delivered_ids(receiver)) >= len(wanted))
    await asyncio.sleep(0.1)
    await running.stop()
    assert delivered_ids(receiver) == wanted
    pending: Any = await aredis.xpending(keys.journal, keys.webhook_group("siem"))
    assert pending["pending"] == 0


async def test_410_disables_the_destination_until_enabled(
    aredis: Redis, keys: Keys, sample_events: list[dict[str, Any]]
) -> None:
    """A 410 Gone disables the destination: nothing is acknowledged or dead-lettered; once
    enabled again, the entries it held are delivered at once (handed back, not waiting for
    `claim_idle_s`)."""
    gone = True

    def policy(request: Received, number: int) -> web.Response:
        return web.Response(status=410 if gone else 200)

    receiver = await Receiver(policy).start()
    try:
        running = await start(aredis, keys, destination(receiver.url))
        expected = await commit(aredis, keys, sample_events[:20])
        state = DestinationState(aredis, keys, "siem")
        await until(lambda: len(receiver.requests) >= 1)
        await until_async(lambda: _disabled(state), 1)
        await asyncio.sleep(0.3)
        assert len(receiver.requests) == 1
        assert await DeadLetters(aredis, keys, "siem").count() == 0
        gone = False
        assert await state.enable()
        await until(lambda: len(delivered_ids(receiver, lambda n: n >= 1)) >= len(expected))
        await running.stop()
    finally:
        await receiver.stop()
    assert delivered_ids(receiver, lambda n: n >= 1) == expected


async def _disabled(state: DestinationState) -> int:
    return 1 if await state.disabled() else 0


def test_schedule_default_and_retry_after() -> None:
    """The documented default schedule; Retry-After replaces a delay, capped."""
    schedule = Schedule((0, 5, 300, 1800, 7200, 18000, 36000, 36000), 0.2, 600)
    assert len(schedule) == 8
    assert schedule.delay(0) == 0
    assert 4.0 <= schedule.delay(1) <= 6.0
    assert schedule.delay(3, retry_after_s=30) == 30
    assert schedule.delay(3, retry_after_s=10_000) == 600


async def test_a_stopped_forwarder_hands_its_entries_to_the_next(
    aredis: Redis, keys: Keys, sample_events: list[dict[str, Any]]
) -> None:
    """Stopped while waiting to retry, a forwarder returns at once and marks what it holds
    as idle, so the next one delivers it first without waiting for `claim_idle_s`."""
    healthy = False

    def policy(request: Received, number: int) -> web.Response:
        return web.Response(status=200 if healthy else 500)

    receiver = await Receiver(policy).start()
    settings = destination(receiver.url, claim_idle_s=30, retry_schedule_s=[0, 60, 60])
    try:
        first = await start(aredis, keys, settings, consumer="first")
        expected = await commit(aredis, keys, sample_events[:20])
        await until(lambda: len(receiver.requests) >= 1)
        began = asyncio.get_running_loop().time()
        await first.stop()
        assert asyncio.get_running_loop().time() - began < 5
        rows: Any = await aredis.xpending_range(
            keys.journal, keys.webhook_group("siem"), "-", "+", 100
        )
        assert len(rows) == len(expected)
        assert min(row["time_since_delivered"] for row in rows) >= 30_000
        healthy = True
        second = await start(aredis, keys, settings, consumer="second")
        await until(lambda: len(delivered_ids(receiver, lambda n: n >= 1)) >= 20, timeout_s=5)
        await second.stop()
    finally:
        await receiver.stop()
    assert delivered_ids(receiver, lambda n: n >= 1) == expected
