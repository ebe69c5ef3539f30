"""`eventstream ingest`: the pipeline without the stream: sources → normalize → commit.

For running ingestion and serving as separate processes: several `ingest` workers and several
`serve` replicas on one Redis (the replicas read the journal the workers write). Sources are
the `[[sources]]` of `--config`, plus `--demo` and the trail files given as arguments;
`--since` makes the `cloudtrail_lookup` sources backfill from a given time. With
`--metrics-port`, `/healthz`, `/readyz` and `/metrics` answer on that port (off by default).
It ends when every source has finished, or on SIGTERM/SIGINT after the batch in flight; a
commit waits out a Redis outage (retried, never acknowledged before it succeeds). With
`[[webhooks]]` destinations it also forwards the journal to them, and after its sources finish
it keeps forwarding until every destination has caught up (or SIGTERM/SIGINT).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry

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
from eventstream.config import LookupSourceSettings, Settings
from eventstream.enrich.sync.periodic import PeriodicSync
from eventstream.errors import ConfigError, EventStreamError
from eventstream.forward.metrics import ForwardMetrics
from eventstream.forward.service import Forwarding, check_secrets
from eventstream.journal.connect import client, redis_url
from eventstream.journal.keys import Keys
from eventstream.pipeline.metrics import PipelineMetrics
from eventstream.serve import logs
from eventstream.serve.probes import probe_server
from eventstream.serve.runtime import tune_gc
from eventstream.shutdown import Shutdown

log = logging.getLogger("eventstream.ingest")


def register(subparsers: Any) -> None:
    command = subparsers.add_parser(
        "ingest",
        help="run the sources into the journal, without serving the stream",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("paths", nargs="*", metavar="PATH", help="trail files to ingest")
    add_redis_options(command)
    add_source_options(command)
    command.add_argument(
        "--metrics-port", type=int, default=None, help="serve /healthz, /readyz, /metrics here"
    )
    command.add_argument(
        "--metrics-host", default="127.0.0.1", help="address of the probes (default 127.0.0.1)"
    )
    command.add_argument(
        "--since",
        metavar="TIME",
        default=None,
        help="backfill: cloudtrail_lookup sources start at this time (RFC 3339, e.g. "
        "2026-11-01T00:00:00Z) instead of their checkpoint",
    )
    command.add_argument("--log-level", default="info", help="debug, info, warning, error")
    command.set_defaults(run=run)


def with_since(settings: Settings, since: str | None) -> Settings:
    """`settings` with every `cloudtrail_lookup` source starting at `since` (`--since`)."""
    if since is None:
        return settings
    try:
        moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"--since {since!r}: not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise ConfigError(f"--since {since!r}: give a time zone (Z for UTC)")
    if not any(isinstance(s, LookupSourceSettings) for s in settings.sources):
        raise ConfigError("--since applies to cloudtrail_lookup sources; none is configured")
    sources = [
        s.model_copy(update={"since": moment}) if isinstance(s, LookupSourceSettings) else s
        for s in settings.sources
    ]
    return settings.model_copy(update={"sources": sources})


def run(args: argparse.Namespace) -> int:
    shutdown = Shutdown.of(args)
    logs.configure(args.log_level)
    try:
        settings = settings_of(
            args.config,
            redis__url=args.redis_url,
            redis__key_prefix=args.prefix,
            sources=source_options(args, args.paths, "PATH"),
        )
        if not settings.sources:
            raise ConfigError("nothing to ingest: give trail files, --demo, or [[sources]]")
        settings = with_since(settings, args.since)
        check_secrets(settings.webhooks)
        shutdown.on_stop(lambda: watchdog(settings.pipeline.shutdown_timeout_s))
        keys = Keys(prefix=settings.redis.key_prefix)
        if shutdown.requested:
            return EXIT_OK
        with redis_url(settings.redis, keys.tag) as url:
            if shutdown.requested:
                return EXIT_OK
            tune_gc()  # as `serve`: fewer, cheaper collections (the AWS sources hold big models)
            asyncio.run(_ingest(settings, keys, url, args, shutdown))
    except ConfigError as error:
        return fail(error, EXIT_INPUT)
    except EventStreamError as error:
        return fail(error, EXIT_REDIS)
    finally:
        shutdown.restore()
    return EXIT_OK


async def _ingest(
    settings: Settings, keys: Keys, url: str, args: argparse.Namespace, shutdown: Shutdown
) -> None:
    shutdown.attach(asyncio.get_running_loop())
    redis = client(url, settings.redis)
    registry = CollectorRegistry(auto_describe=True)
    metrics = PipelineMetrics(registry)
    pipeline = committing_pipeline(
        settings,
        build_sources(settings, redis=redis, keys=keys, metrics=metrics),
        redis=redis,
        keys=keys,
        redis_url=url,
        metrics=metrics,
        wait_for_redis=True,
    )
    shutdown.on_stop(pipeline.stop)
    forwarding = Forwarding(
        settings.webhooks, redis=redis, keys=keys, metrics=ForwardMetrics(registry)
    )
    shutdown.on_stop(forwarding.stop)
    periodic = None
    if settings.sync.interval_s > 0:
        periodic = PeriodicSync(settings, redis=redis, keys=keys, redis_url=url)
        shutdown.on_stop(periodic.stop)
    try:
        if forwarding:
            await forwarding.prepare()  # the groups exist before the first commit
        async with asyncio.TaskGroup() as group:
            server = None
            if args.metrics_port is not None:
                server = probe_server(
                    redis, pipeline, registry, args.metrics_host, args.metrics_port
                )
                group.create_task(server.serve(), name="probes")
            forward = None
            if forwarding:
                forward = group.create_task(forwarding.run(), name="webhooks")
            if periodic is not None:
                group.create_task(periodic.run(), name="sync")
            try:
                totals = await pipeline.run()
                if forward is not None and not shutdown.requested:
                    log.info("sources finished; forwarding until every destination caught up")
                    while not forward.done() and not await forwarding.drained():
                        await asyncio.wait([forward], timeout=0.2)
            finally:
                forwarding.stop()
                if periodic is not None:
                    periodic.stop()
                if server is not None:
                    server.should_exit = True
        log.info(
            "ingest finished",
            extra={"journaled": totals.journaled, "quarantined": totals.quarantined},
        )
    finally:
        await redis.aclose()
