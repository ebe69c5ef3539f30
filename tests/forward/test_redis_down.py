"""Redis killed under a running forwarder and started again: the forwarder waits, then goes on
where the group left off; nothing is lost."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis

from eventstream.config import RedisSettings
from eventstream.journal.connect import client
from eventstream.journal.keys import Keys
from tests.forward.conftest import Receiver, commit, delivered_ids, destination, start, until
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
