"""The Starlette application: `create_app(AppConfig)` and its typed lifespan. No globals.

The lifespan opens Redis, starts the broker (the one journal reader) and the ingest sources,
and tears them down in reverse. Handlers reach them through `request.state.services`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import anyio
from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from eventstream.config.serve import ServeSettings
from eventstream.journal.keys import Keys
from eventstream.journal.reader import JournalReader
from eventstream.serve import inventory, views
from eventstream.serve.auth import Auth, create_session, delete_session
from eventstream.serve.broker import Broker
from eventstream.serve.context import Services, State
from eventstream.serve.errors import ApiError, api_error_handler, http_error_handler
from eventstream.serve.ingest import Ingest
from eventstream.serve.metrics import Metrics, MetricsMiddleware, metrics_endpoint
from eventstream.serve.openapi import openapi_endpoint
from eventstream.serve.sse import RAW_SEND, exit_signal_to

log = logging.getLogger(__name__)

IngestFactory = Callable[[Redis, Keys, Metrics], Ingest]


@dataclass(frozen=True, slots=True)
class AppConfig:
    """What one server needs: its settings, its Redis, and how to build its ingest sources."""

    settings: ServeSettings
    redis_url: str
    keys: Keys = field(default_factory=Keys)
    ingest: IngestFactory | None = None


async def _close_streams_on(shutdown: anyio.Event, broker: Broker) -> None:
    await shutdown.wait()
    broker.close()


def _lifespan(
    config: AppConfig, metrics: Metrics
) -> Callable[[Starlette], contextlib.AbstractAsyncContextManager[State]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        settings = config.settings
        redis = _redis(config.redis_url, settings)
        reader = JournalReader(redis, config.keys, settings.replay_page_size)
        broker = Broker(
            reader,
            metrics,
            buffer=settings.subscriber_buffer,
            heartbeat_s=settings.heartbeat_s,
            write_timeout_s=settings.write_timeout_s,
            grace_s=settings.shutdown_grace_s,
        )
        svc = Services(
            settings=settings,
            redis=redis,
            keys=config.keys,
            reader=reader,
            broker=broker,
            metrics=metrics,
            auth=Auth(settings),
            shutdown=anyio.Event(),
        )
        with contextlib.suppress(RedisError, OSError):  # else the broker retries in its loop
            broker.cursor = await reader.last_key()
            broker.connected = True
        tasks = [
            asyncio.create_task(broker.run(), name="broker"),
            asyncio.create_task(broker.watch(), name="watch-streams"),
            asyncio.create_task(exit_signal_to(svc.shutdown), name="exit-signal"),
            asyncio.create_task(_close_streams_on(svc.shutdown, broker), name="close-streams"),
        ]
        if config.ingest is not None:
            svc.ingest = config.ingest(redis, config.keys, metrics)
            svc.ingest.start()
        app.state.services = svc  # for the server's own hooks and tests; handlers use the state
        app.state.loop = asyncio.get_running_loop()
        try:
            yield {"services": svc, "metrics": metrics}
        finally:
            broker.close()
            if svc.ingest is not None:
                await svc.ingest.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await redis.aclose()

    return lifespan


class App(Starlette):
    """The Starlette app, which also hands each request the server's own `send` (under
    `RAW_SEND` in the scope): a stream sends its response start through the middleware (which
    time it and handle errors), then writes its frames straight to the server, instead of
    through every middleware's `send` wrapper once per frame and subscriber."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[RAW_SEND] = send
        await super().__call__(scope, receive, send)


def create_app(config: AppConfig) -> Starlette:
    """A new application; nothing runs until its lifespan starts."""
    metrics = Metrics()
    routes = [
        Route("/", views.home, methods=["GET"]),
        Route("/healthz", views.healthz, methods=["GET"]),
        Route("/readyz", views.readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/openapi.json", openapi_endpoint, methods=["GET"]),
        Route("/v1/session", create_session, methods=["POST"]),
        Route("/v1/session", delete_session, methods=["DELETE"]),
        Route("/v1/events", views.events, methods=["GET"]),
        Route("/v1/events/{id}", views.event, methods=["GET"]),
        Route("/v1/assets", inventory.list_assets, methods=["GET"]),
        Route("/v1/assets/{name:path}/history", inventory.asset_history, methods=["GET"]),
        Route("/v1/assets/{name:path}", inventory.get_asset, methods=["GET"]),
    ]
    handlers: dict[int | type[Exception], Callable[[Request, Exception], object]] = {
        ApiError: api_error_handler,
        HTTPException: http_error_handler,
    }
    return App(
        routes=routes,
        middleware=[Middleware(MetricsMiddleware, metrics=metrics)],
        exception_handlers=handlers,  # type: ignore[arg-type]
        lifespan=_lifespan(config, metrics),
    )
