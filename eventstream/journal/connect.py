"""Connecting to Redis: the configured `REDIS_URL`, or else the embedded default."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from eventstream.config import RedisSettings
from eventstream.errors import RedisUnavailableError
from eventstream.journal.cluster import is_cluster_url, primary_url
from eventstream.journal.embedded import EmbeddedRedis
from eventstream.journal.urls import safe_url

__all__ = ["client", "open_redis", "redis_url", "resolve", "safe_url"]

log = logging.getLogger(__name__)


def client(url: str, settings: RedisSettings) -> Redis:
    """The one way EventStream makes a Redis client: asyncio (hiredis parser when installed),
    `connect_timeout_s` and `command_timeout_s` on every connection, and a bounded pool of
    `max_connections` where a burst waits up to `pool_timeout_s` for a free connection instead
    of failing. It fails fast instead of retrying: the caller decides, and nothing is
    acknowledged on a failure."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=settings.max_connections,
        timeout=settings.pool_timeout_s,
        socket_connect_timeout=settings.connect_timeout_s,
        socket_timeout=settings.command_timeout_s,
        health_check_interval=30,
        retry=Retry(NoBackoff(), 0),
    )
    return Redis.from_pool(pool)


def resolve(url: str, key_tag: str, settings: RedisSettings) -> str:
    """The URL to use for a deployment whose keys carry `key_tag`: `url` itself, or for a
    `redis+cluster://` URL the primary node serving the tag's slot (`journal.cluster`)."""
    if is_cluster_url(url):
        return primary_url(url, key_tag, settings.connect_timeout_s)
    return url


@contextmanager
def redis_url(settings: RedisSettings, key_tag: str) -> Iterator[str]:
    """The URL of the Redis to use: the configured one (for a cluster, the primary serving the
    deployment's slot), else the embedded redis-server, started here (the one place that
    starts it) and stopped when the context ends. Call it from the main thread: the embedded
    server dies with the thread that started it (`journal.embedded`)."""
    with ExitStack() as stack:
        url = settings.url
        if url is None:
            embedded = EmbeddedRedis(
                settings.data_dir, settings.server_binary, settings.connect_timeout_s
            )
            url = stack.enter_context(embedded).url
            log.info("embedded redis", extra={"url": url, "data_dir": str(settings.data_dir)})
        yield resolve(url, key_tag, settings)


@asynccontextmanager
async def open_redis(settings: RedisSettings, key_tag: str) -> AsyncIterator[tuple[Redis, str]]:
    """A connected client and the URL it reached (`redis_url`). Raises
    `RedisUnavailableError` if Redis does not answer."""
    async with AsyncExitStack() as stack:
        url = stack.enter_context(redis_url(settings, key_tag))
        redis = client(url, settings)
        stack.push_async_callback(redis.aclose)
        try:
            await redis.ping()
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            raise RedisUnavailableError(safe_url(url), str(error) or type(error).__name__) from None
        yield redis, url
