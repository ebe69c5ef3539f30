"""The Starlette application: `create_app(AppConfig)` and its typed lifespan. No globals.

The lifespan opens Redis, starts the broker (the one journal reader) and the pipeline (when
the server runs sources), all in one task group, and tears them down in reverse. Handlers
reach them through `request.state.services`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import anyio
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from eventstream.config import Settings
from eventstream.enrich.sync.periodic import PeriodicSync
from eventstream.forward.service import Forwarding
from eventstream.journal.connect import client
from eventstream.journal.keys import Keys
from eventstream.journal.reader import JournalReader
from eventstream.pipeline import Pipeline
from eventstream.serve import inventory, views
from eventstream.serve.auth import Auth, session
from eventstream.serve.broker import Broker
from eventstream.serve.context import Services, State
from eventstream.serve.cors import cors_middleware
from eventstream.serve.errors import (
    ApiError,
    api_error_handler,
    http_error_handler,
    internal_error_handler,
    unavailable_handler,
)
from eventstream.serve.metrics import Metrics, MetricsMiddleware, metrics_endpoint
from eventstream.serve.openapi import openapi_endpoint
from eventstream.serve.sse import RAW_SEND

log = logging.getLogger(__name__)

PipelineFactory = Callable[[Redis, Keys, Metrics], Pipeline]


@dataclass(frozen=True, slots=True)
class AppConfig:
    """What one server needs: its settings, its Redis, and how to build its pipeline."""

    settings: Settings
    redis_url: str
    keys: Keys = field(default_factory=Keys)
    pipeline: PipelineFactory | None = None


async def _run_pipeline(pipeline: Pipeline) -> None:
    """The server's sources, until they finish or the server stops; a failure is logged and
    shown by /readyz, never taken down with the server."""
    try:
        totals = await pipeline.run()
    except Exception:
        log.exception("pipeline failed")  # `pipeline.health()` reports it to /readyz
    else:
        log.info("pipeline finished", extra={"journaled": totals.journaled})


def _forward_grace_s(settings: Settings) -> float:
    """How long the forwarders get to finish their requests in flight on shutdown."""
    longest = max((d.timeout_s for d in settings.webhooks), default=0.0)
    return min(longest, settings.pipeline.shutdown_timeout_s / 3)


def _periodic_sync(config: AppConfig, redis: Redis) -> PeriodicSync | None:
    """The inventory sync every `[sync] interval_s`, when set."""
    if config.settings.sync.interval_s <= 0:
        return None
    return PeriodicSync(config.settings, redis=redis, keys=config.keys, redis_url=config.redis_url)


def _lifespan(
    config: AppConfig, metrics: Metrics
) -> Callable[[App], contextlib.AbstractAsyncContextManager[State]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: App) -> AsyncIterator[State]:
        settings = config.settings.serve
        redis = client(config.redis_url, config.settings.redis)
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
            auth=Auth(settings, redis, config.keys),
            shutdown=anyio.Event(),
        )
        if config.pipeline is not None:
            svc.pipeline = config.pipeline(redis, config.keys, metrics)
        forwarding = Forwarding(
            config.settings.webhooks, redis=redis, keys=config.keys, metrics=metrics.forward
        )
        periodic = _periodic_sync(config, redis)

        def begin_shutdown() -> None:
            svc.shutdown.set()
            broker.close()
            forwarding.stop()
            if periodic is not None:
                periodic.stop()
            if svc.pipeline is not None:
                svc.pipeline.stop()

        app.shutdown_hook = begin_shutdown
        with contextlib.suppress(RedisError, OSError):  # else the broker retries in its loop
            broker.cursor = await reader.last_key()
            broker.connected = True
            await forwarding.prepare()  # the groups exist before the pipeline commits
        try:
            async with asyncio.TaskGroup() as group:
                background = [
                    group.create_task(broker.run(), name="broker"),
                    group.create_task(broker.watch(), name="watch-streams"),
                ]
                forward = None
                if forwarding:
                    forward = group.create_task(forwarding.run(), name="webhooks")
                ingest = None
                if svc.pipeline is not None:
                    ingest = group.create_task(_run_pipeline(svc.pipeline), name="pipeline")
                if periodic is not None:  # stopped by begin_shutdown, at once
                    background.append(group.create_task(periodic.run(), name="sync"))
                app.state.services = svc  # for the server's own hooks; handlers use the state
                try:
                    yield {"services": svc, "metrics": metrics}
                finally:
                    begin_shutdown()
                    if ingest is not None:
                        await asyncio.wait(
                            [ingest], timeout=config.settings.pipeline.shutdown_timeout_s / 2
                        )
                        ingest.cancel()
                    if forward is not None:  # the requests in flight finish, bounded
                        await asyncio.wait([forward], timeout=_forward_grace_s(config.settings))
                        forward.cancel()
                    for task in background:
                        task.cancel()  # the sync's writes are atomic: cancelling is safe
        finally:
            await redis.aclose()

    return lifespan


class App(Starlette):
    """The Starlette app. `begin_shutdown()` (set by the lifespan) ends every stream with its
    `close` event and stops the pipeline; the server calls it on the first signal.

    It also hands each request the server's own `send` (under
    `RAW_SEND` in the scope): a stream sends its response start through the middleware (which
    time it and handle errors), then writes its frames straight to the server, instead of
    through every middleware's `send` wrapper once per frame and subscriber."""

    shutdown_hook: Callable[[], None] | None = None  # set by the lifespan while it runs

    def begin_shutdown(self) -> None:
        if self.shutdown_hook is not None:
            self.shutdown_hook()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[RAW_SEND] = send
        await super().__call__(scope, receive, send)


def create_app(config: AppConfig) -> App:
    """A new application; nothing runs until its lifespan starts."""
    metrics = Metrics()
    routes = [
        Route("/", views.home, methods=["GET"]),
        Route("/healthz", views.healthz, methods=["GET"]),
        Route("/readyz", views.readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/openapi.json", openapi_endpoint, methods=["GET"]),
        Route("/v1/session", session, methods=["POST", "DELETE"]),  # one route: one `Allow`
        Route("/v1/events", views.events, methods=["GET"]),
        Route("/v1/events/{id}", views.event, methods=["GET"]),
        Route("/v1/assets", inventory.list_assets, methods=["GET"]),
        Route("/v1/assets/{name:path}", inventory.asset_route, methods=["GET"]),
    ]
    handlers: dict[int | type[Exception], Callable[[Request, Exception], object]] = {
        ApiError: api_error_handler,
        HTTPException: http_error_handler,
        RedisError: unavailable_handler,
        Exception: internal_error_handler,
    }
    return App(
        routes=routes,
        middleware=[
            Middleware(MetricsMiddleware, metrics=metrics),
            *cors_middleware(config.settings.serve),
        ],
        exception_handlers=handlers,  # type: ignore[arg-type]
        lifespan=_lifespan(config, metrics),
    )
