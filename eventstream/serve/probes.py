"""The HTTP probes of a process without the stream (`eventstream ingest --metrics-port`,
`eventstream webhooks run --metrics-port`): `/healthz`, `/readyz` (Redis answers, no source
failed) and `/metrics` (Prometheus)."""

from __future__ import annotations

import uvicorn
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from eventstream import codec
from eventstream.pipeline import Pipeline
from eventstream.serve.limits import Limits
from eventstream.serve.protocol import GuardedProtocol
from eventstream.serve.server import Server

_JSON = "application/json"


def probe_app(redis: Redis, pipeline: Pipeline | None, registry: CollectorRegistry) -> Starlette:
    """A small app over one pipeline (or none); nothing in it is global."""

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type=_JSON)

    async def readyz(request: Request) -> Response:
        checks: dict[str, str] = {}
        try:
            await redis.ping()
            checks["redis"] = "ok"
        except (RedisError, OSError) as error:
            checks["redis"] = f"error: {type(error).__name__}"
        if pipeline is not None:
            checks.update(pipeline.health())
        ready = all(value == "ok" for value in checks.values())
        body = codec.dumps({"status": "ready" if ready else "not ready", "checks": checks})
        return Response(body, 200 if ready else 503, media_type=_JSON)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ]
    )


def probe_server(
    redis: Redis, pipeline: Pipeline | None, registry: CollectorRegistry, host: str, port: int
) -> Server:
    """The probes served on `host:port` (no lifespan, no access log, signals left to the
    command), every connection held to the default bounds of `limits.Limits` like the
    stream's server (head size and time, body size, connections per client and in total)."""
    config = uvicorn.Config(
        probe_app(redis, pipeline, registry),
        host=host,
        port=port,
        lifespan="off",
        log_config=None,
        access_log=False,
        http=GuardedProtocol,
    )
    return Server(config, None, Limits())
