"""`eventstream serve`: the HTTP server (SSE, REST, health, metrics) over the Redis journal.

With no configuration it listens on http://127.0.0.1:8080; `--demo` also feeds it: the bundled
sample trail at a steady pace, then a live scenario of new CloudTrail records; `--ingest PATH`
ingests trail files; `[[sources]]` in `--config` adds any source. Redis is `--redis-url`, else
`REDIS_URL` (or `[redis] url`), else an embedded redis-server keeping its data in
`.eventstream/redis` (`[redis] data_dir`), stopped on exit. With `[[webhooks]]` destinations,
the server also forwards the journal to them (as `eventstream webhooks run` does).

SIGTERM or SIGINT: every stream gets its `close` event, the pipeline commits or abandons its
batch in flight, and the process exits within `[pipeline] shutdown_timeout_s`; a second signal
exits at once.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from eventstream.commands.common import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_REDIS,
    add_redis_options,
    add_source_options,
    build_sources,
    committing_pipeline,
    fail,
    settings_of,
    source_options,
    watchdog,
)
from eventstream.config import Settings
from eventstream.config.serve import check_exposure
from eventstream.errors import ConfigError, EventStreamError
from eventstream.forward.service import check_secrets
from eventstream.journal.connect import redis_url
from eventstream.journal.keys import Keys
from eventstream.pipeline import Pipeline
from eventstream.serve import logs
from eventstream.serve.app import AppConfig, PipelineFactory, create_app
from eventstream.serve.metrics import Metrics
from eventstream.serve.runtime import tune_gc
from eventstream.serve.server import Server, create_server
from eventstream.serve.tls import check_tls
from eventstream.shutdown import Shutdown

log = logging.getLogger("eventstream.serve")


def register(subparsers: Any) -> None:
    command = subparsers.add_parser(
        "serve",
        help="serve the stream of asset changes over HTTP (SSE, REST, metrics)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    command.add_argument("--port", help="port to listen on (default 8080)")
    add_redis_options(command)
    command.add_argument(
        "--ingest", nargs="+", metavar="PATH", default=[], help="also ingest these trail files"
    )
    add_source_options(command)
    command.add_argument(
        "--allow-unauthenticated",
        action="store_true",
        help="allow a non-loopback --host without tokens (everyone sees everything)",
    )
    command.add_argument("--log-level", default="info", help="debug, info, warning, error")
    command.set_defaults(run=run)


def _settings(args: argparse.Namespace) -> Settings:
    return settings_of(
        args.config,
        serve__host=args.host,
        serve__port=args.port,
        serve__allow_unauthenticated=True if args.allow_unauthenticated else None,
        redis__url=args.redis_url,
        redis__key_prefix=args.prefix,
        sources=source_options(args, args.ingest, "--ingest"),
    )


def run(args: argparse.Namespace) -> int:
    shutdown = Shutdown.of(args)
    logs.configure(args.log_level)
    try:
        settings = _settings(args)
        refusal = check_exposure(settings.serve)
        if refusal is not None:
            raise ConfigError(f"refusing to start: {refusal}")
        check_tls(settings.serve)  # before Redis starts: a bad certificate fails at once
        check_secrets(settings.webhooks)
        shutdown.on_stop(lambda: watchdog(settings.pipeline.shutdown_timeout_s))
        return _serve(settings, shutdown)
    except ConfigError as error:
        return fail(error, EXIT_INPUT)
    except EventStreamError as error:  # e.g. the embedded Redis cannot start
        return fail(error, EXIT_REDIS)
    finally:
        shutdown.restore()


def _serve(settings: Settings, shutdown: Shutdown) -> int:
    keys = Keys(prefix=settings.redis.key_prefix)
    if shutdown.requested:
        return EXIT_OK
    with redis_url(settings.redis, keys.tag) as url:
        if shutdown.requested:  # a signal while the embedded Redis started
            return EXIT_OK
        factory = _pipeline_factory(settings, url) if settings.sources else None
        app = create_app(AppConfig(settings, url, keys, factory))
        serve = settings.serve
        server = create_server(
            app,
            serve,
            app.begin_shutdown,
            host=serve.host,
            port=serve.port,
            lifespan="on",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=int(serve.shutdown_grace_s) + 3,
        )
        shutdown.on_stop(server.stop)
        shown = f"[{serve.host}]" if ":" in serve.host else serve.host
        scheme = "https" if serve.tls_cert_file is not None else "http"
        log.info("serving", extra={"url": f"{scheme}://{shown}:{serve.port}"})
        tune_gc()
        with asyncio.Runner(loop_factory=server.config.get_loop_factory()) as runner:
            runner.run(_run(server, shutdown))
    log.info("stopped")
    return EXIT_OK


async def _run(server: Server, shutdown: Shutdown) -> None:
    shutdown.attach(asyncio.get_running_loop())
    await server.serve()


def _pipeline_factory(settings: Settings, url: str) -> PipelineFactory:
    def build(redis: Any, keys: Keys, metrics: Metrics) -> Pipeline:
        sources = build_sources(settings, redis=redis, keys=keys, metrics=metrics.pipeline)
        return committing_pipeline(
            settings,
            sources,
            redis=redis,
            keys=keys,
            redis_url=url,
            metrics=metrics.pipeline,
            wait_for_redis=True,
        )

    return build
