"""Connecting to Redis: the configured `REDIS_URL`, or else the embedded default."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from eventstream.config import RedisSettings
from eventstream.errors import RedisUnavailableError
from eventstream.journal.embedded import EmbeddedRedis


def safe_url(url: str) -> str:
    """`url` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


def client(url: str, settings: RedisSettings) -> Redis:
    """An asyncio client (hiredis parser when installed) that fails fast instead of retrying:
    the caller decides, and nothing is acknowledged on a failure."""
    return Redis.from_url(
        url,
        socket_connect_timeout=settings.connect_timeout_s,
        socket_timeout=settings.command_timeout_s,
        retry=Retry(NoBackoff(), 0),
    )


@asynccontextmanager
async def open_redis(settings: RedisSettings) -> AsyncIterator[tuple[Redis, str]]:
    """A connected client and the URL it reached; starts (and stops) the embedded Redis when
    `settings.url` is not set. Raises `RedisUnavailableError` if Redis does not answer."""
    async with AsyncExitStack() as stack:
        url = settings.url
        if url is None:
            embedded = EmbeddedRedis(
                settings.data_dir, settings.server_binary, settings.connect_timeout_s
            )
            url = stack.enter_context(embedded).url
        redis = client(url, settings)
        stack.push_async_callback(redis.aclose)
        try:
            await redis.ping()
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            raise RedisUnavailableError(safe_url(url), str(error) or type(error).__name__) from None
        yield redis, url
