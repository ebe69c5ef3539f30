"""Redis killed under a running forwarder and started again: the forwarder waits, then goes on
where the group left off; nothing is lost."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

from eventstream.config import RedisSettings
from eventstream.journal.connect import client
from eventstream.journal.keys import Keys
from tests.forward.conftest import (
    Received,
    Receiver,
    commit,
    delivered_ids,
    destination,
    start,
    until,
)
from tests.journal.aof import AofRedis, aof_redis

__all__ = ["aof_redis"]


async def test_forwarder_survives_a_redis_restart(
    aof_redis: AofRedis, keys: Keys, receiver: Receiver, sample_events: list[dict[str, Any]]
) -> None:
    redis: Redis = client(aof_redis.url, RedisSettings(connect_timeout_s=0.5))
    try:
        running = await start(redis, keys, destination(receiver.url))
        first = await commit(redis, keys, sample_events[:100])
        await until(lambda: len(delivered_ids(receiver)) >= len(first))
        await asyncio.to_thread(aof_redis.kill)
        await asyncio.sleep(1.5)  # the forwarder meets a dead Redis, logs it and waits
        assert not running.task.done()
        await asyncio.to_thread(aof_redis.start)
        everything = await commit(redis, keys, sample_events[:250])
        await until(lambda: set(delivered_ids(receiver)) >= set(everything), timeout_s=20)
        await running.stop()
        assert delivered_ids(receiver)[: len(first)] == first
        pending: Any = await redis.xpending(keys.journal, keys.webhook_group("siem"))
        assert pending["pending"] == 0
    finally:
        await redis.aclose()


async def test_an_acknowledgement_that_meets_a_dead_redis_is_made_once_redis_is_back(
    aof_redis: AofRedis, keys: Keys, receiver: Receiver, sample_events: list[dict[str, Any]]
) -> None:
    """Redis dies while the destination answers the first batch: the delivery succeeded, so
    its acknowledgement waits for Redis instead of being dropped (dropped, the batch would
    stay pending and be sent again only after `claim_idle_s`, 30 s here)."""
    redis: Redis = client(aof_redis.url, RedisSettings(connect_timeout_s=0.5))

    def kill_on_first(_: Received, count: int) -> web.StreamResponse:
        if count == 0:
            aof_redis.kill()
        return web.Response(status=200, text="ok")

    receiver.policy = kill_on_first
    try:
        sent = await commit(redis, keys, sample_events[:50])  # one batch of 50
        running = await start(redis, keys, destination(receiver.url, start="all"))
        await until(lambda: len(receiver.requests) == 1)
        await asyncio.sleep(1.0)  # the acknowledgement meets the dead Redis
        await asyncio.to_thread(aof_redis.start)
        group = keys.webhook_group("siem")

        async def pending() -> int:
            try:
                reply: Any = await redis.xpending(keys.journal, group)
            except (RedisError, OSError):
                return -1
            return int(reply["pending"])

        deadline = asyncio.get_running_loop().time() + 10
        while await pending() != 0:
            assert asyncio.get_running_loop().time() < deadline, "never acknowledged"
            await asyncio.sleep(0.05)
        await running.stop()
        assert delivered_ids(receiver) == sent  # once each, in order: nothing sent again
    finally:
        await redis.aclose()
