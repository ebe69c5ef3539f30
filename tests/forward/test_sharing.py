"""Against real receivers and a real Redis: two consumers sharing a destination, a consumer
waiting on a retry keeping its entries, a slow destination not delaying a fast one, and the
request limits (`batch_max_bytes`, extra `headers`, `timeout_s`)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

from aiohttp import web
from redis.asyncio import Redis

from eventstream.forward.state import DestinationState
from eventstream.journal.keys import Keys
from tests.forward.conftest import (
    Received,
    Receiver,
    commit,
    delivered_ids,
    destination,
    lines,
    start,
    until,
)


def by_consumer(receiver: Receiver, accepted: set[int] | None = None) -> dict[str, list[str]]:
    """Event ids per `X-Consumer` header (each forwarder sends its own), in arrival order."""
    found: dict[str, list[str]] = {}
    for number, request in enumerate(receiver.requests):
        if accepted is None or number in accepted:
            ids = [event["id"] for event in lines(request.body)]
            found.setdefault(request.headers["X-Consumer"], []).extend(ids)
    return found


async def slow_ok(request: Received, number: int) -> web.Response:
    await asyncio.sleep(0.02)
    return web.Response(status=200)


async def test_two_consumers_both_deliver_and_none_twice(
    aredis: Redis, keys: Keys, sample_events: list[dict[str, Any]]
) -> None:
    """Two forwarders (distinct consumer names) of one destination: each delivers part of
    the journal, together all of it, no event twice."""
    receiver = await Receiver(slow_ok).start()
    try:
        one = await start(
            aredis,
            keys,
            destination(receiver.url, batch_max_events=10, headers={"X-Consumer": "one"}),
            consumer="one",
        )
        two = await start(
            aredis,
            keys,
            destination(receiver.url, batch_max_events=10, headers={"X-Consumer": "two"}),
            consumer="two",
        )
        expected = await commit(aredis, keys, sample_events[:300])
        await until(lambda: len(delivered_ids(receiver)) >= len(expected))
        await asyncio.sleep(0.3)  # a duplicate would arrive now
        await one.stop()
        await two.stop()
    finally:
        await receiver.stop()
    got = by_consumer(receiver)
    assert set(got) == {"one", "two"}
    assert len(got["one"]) > 0
    assert len(got["two"]) > 0
    every = got["one"] + got["two"]
    assert sorted(every) == sorted(expected)
    assert [event for event, count in Counter(every).items() if count > 1] == []


async def test_a_consumer_waiting_to_retry_keeps_its_entries(
    aredis: Redis, keys: Keys, sample_events: list[dict[str, Any]]
) -> None:
    """A consumer waits 3 s to retry a batch (twice `claim_idle_s`); the other consumer,
    sweeping for idle entries meanwhile and delivering newer ones, does not take that batch:
    it stays with the first consumer, which retries it."""
    idle_s = 1.5

    def policy(request: Received, number: int) -> web.Response:
        return web.Response(status=500 if number == 0 else 200)

    receiver = await Receiver(policy).start()
    running = []
    try:
        for name in ("one", "two"):
            settings = destination(
                receiver.url,
                claim_idle_s=idle_s,
                timeout_s=1,
                retry_schedule_s=[0, 3, 3],
                headers={"X-Consumer": name},
            )
            running.append(await start(aredis, keys, settings, consumer=name))
        first = await commit(aredis, keys, sample_events[:10])
        await until(lambda: len(receiver.requests) >= 1)
        holder = receiver.requests[0].headers["X-Consumer"]
        other = "two" if holder == "one" else "one"
        began = receiver.requests[0].at
        later = (await commit(aredis, keys, sample_events[:30]))[10:]
        await until(lambda: len(delivered_ids(receiver, lambda n: n > 0)) >= len(later))
        await asyncio.sleep(max(0.0, began + 2 * idle_s - time.time()))  # past claim_idle_s
        rows: Any = await aredis.xpending_range(
            keys.journal, keys.webhook_group("siem"), "-", "+", 100
        )
        owners = {row["consumer"].decode() for row in rows}
        assert len(rows) == len(first)
        assert owners == {holder}
        assert max(row["time_since_delivered"] for row in rows) < idle_s * 1000
        await until(lambda: len(delivered_ids(receiver, lambda n: n > 0)) >= 30, timeout_s=5)
        for forwarder in running:
            await forwarder.stop()
    finally:
        await receiver.stop()
    retried = [r for r in receiver.requests if {e["id"] for e in lines(r.body)} & set(first)]
    assert [r.headers["X-Consumer"] for r in retried] == [holder, holder]
    assert retried[1].at - retried[0].at >= 2.9  # the scheduled 3 s, not a steal
    assert retried[0].headers["webhook-id"] == retried[1].headers["webhook-id"]
    assert sorted(by_consumer(receiver)[other]) == sorted(later)


async def test_a_slow_destination_does_not_delay_a_fast_one(
    aredis: Redis, keys: Keys, receiver: Receiver, sample_events: list[dict[str, Any]]
) -> None:
    """A receiver taking 2 s per request (4 requests: 8 s for the journal) next to a fast
    one: the fast one has every event in well under one slow request."""

    async def slow(request: Received, number: int) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(status=200)

    slow_receiver = await Receiver(slow).start()
    try:
        settings = {"timeout_s": 5, "claim_idle_s": 10}
        running = await start(
            aredis,
            keys,
            destination(slow_receiver.url, name="slow", **settings),
            destination(receiver.url, name="fast", **settings),
        )
        began = time.monotonic()
        expected = await commit(aredis, keys, sample_events[:200])
        await until(lambda: len(delivered_ids(receiver)) >= len(expected), timeout_s=8)
        fast_s = time.monotonic() - began
        assert delivered_ids(receiver) == expected
        assert fast_s < 1.5
        assert len(slow_receiver.requests) <= 1  # still in its first request
        await until(lambda: len(slow_receiver.requests) >= 2, timeout_s=5)  # and going on
        began = time.monotonic()
        await running.stop()  # after the request in flight
        assert time.monotonic() - began < 3
    finally:
        await slow_receiver.stop()


async def test_batch_bytes_headers_and_timeout(
    aredis: Redis, keys: Keys, sample_events: list[dict[str, Any]]
) -> None:
    """`batch_max_bytes` cuts batches below `batch_max_events`; extra headers are on every
    request; a receiver hanging past `timeout_s` is cut and the same delivery retried."""

    async def policy(request: Received, number: int) -> web.Response:
        if number == 0:
            await asyncio.sleep(3)  # hangs, past timeout_s
        return web.Response(status=200)

    receiver = await Receiver(policy).start()
    limit = 8192
    try:
        settings = destination(
            receiver.url,
            batch_max_events=50,
            batch_max_bytes=limit,
            batch_max_wait_s=0.5,
            timeout_s=0.5,
            claim_idle_s=5,
            headers={"X-Tenant": "acme", "Authorization": "ApiKey abc123"},
        )
        running = await start(aredis, keys, settings)
        expected = await commit(aredis, keys, sample_events[:100])
        await until(lambda: len(delivered_ids(receiver, lambda n: n > 0)) >= len(expected))
        await running.stop()
        state = await DestinationState(aredis, keys, "siem").read()
    finally:
        await receiver.stop()
    requests = receiver.requests
    assert delivered_ids(receiver, lambda n: n > 0) == expected
    sizes = [len(lines(request.body)) for request in requests[1:]]
    assert len(sizes) > 2  # 100 events: 2 requests by count alone
    assert max(sizes) < 50
    assert all(len(r.body) <= limit for r in requests if len(lines(r.body)) > 1)
    assert any(len(r.body) + 2000 > limit for r in requests)  # cut near the limit
    for request in requests:
        assert request.headers["X-Tenant"] == "acme"
        assert request.headers["Authorization"] == "ApiKey abc123"
    assert 0.45 <= requests[1].at - requests[0].at < 1.5  # cut at timeout_s, retried at once
    assert requests[1].headers["webhook-id"] == requests[0].headers["webhook-id"]
    assert requests[1].body == requests[0].body
    assert state["last_error"] == "no answer within timeout_s=0.5"
