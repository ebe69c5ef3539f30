"""Fixtures of the journal tests: a real redis-server, a fresh key prefix per test, clients."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from eventstream.journal.keys import Keys
from tests.journal.aof import aof_redis
from tests.serve.servers import RedisServer, redis_server


@pytest.fixture(scope="session")
def redis_srv() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


__all__ = ["aof_redis"]  # the fixture, for every journal test


@pytest.fixture
def keys() -> Keys:
    """A prefix of its own, so tests sharing the server never see each other's keys."""
    return Keys(prefix=f"t{uuid.uuid4().hex[:12]}")


@pytest.fixture
async def aredis(redis_srv: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_srv.url)
    try:
        yield client
    finally:
        await client.aclose()
