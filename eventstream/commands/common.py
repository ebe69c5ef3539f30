"""What the commands share: settings from file, environment and options; the sources named
by the settings; the pipeline that runs them; and the exit statuses."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from eventstream.commands.rejects import PrintedRejects
from eventstream.config import (
    DemoSourceSettings,
    FilesSourceSettings,
    LookupSourceSettings,
    Settings,
    SqsSourceSettings,
    load_settings,
    with_options,
)
from eventstream.config.accounts import AccountsSettings
from eventstream.config.describe import DescribeSettings
from eventstream.enrich.live import cloudcontrol
from eventstream.enrich.live.accounts import live_clients
from eventstream.enrich.live.describe import describers
from eventstream.enrich.live.stage import LiveCommitter, LiveCounters
from eventstream.errors import ConfigError
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from eventstream.journal.quarantine import RedisQuarantine
from eventstream.journal.urls import safe_url
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry
from eventstream.pipeline import Pipeline
from eventstream.pipeline.metrics import PipelineMetrics
from eventstream.pipeline.runner import Committer as PipelineCommitter
from eventstream.sources.base import Source
from eventstream.sources.demo import DemoSource
from eventstream.sources.local import FilesSource, limits_of
from eventstream.sources.lookup import CheckpointStore, LookupSource
from eventstream.sources.sqs import SqsSource

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_INPUT = 2  # bad settings, unreadable input
EXIT_REDIS = 3  # Redis unavailable, the embedded one cannot start
EXIT_STUCK = 4  # the shutdown deadline passed (the watchdog's exit)
SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample.jsonl"


def settings_of(config: str | None, **options: Any) -> Settings:
    """`load_settings(config)` with the command-line `options` (see `with_options`)."""
    return with_options(load_settings(config), **options)


def fail(error: Exception, status: int) -> int:
    print(f"error: {error}", file=sys.stderr)
    return status


def add_redis_options(command: Any) -> None:
    command.add_argument("--config", metavar="FILE", help="TOML configuration file")
    command.add_argument("--redis-url", help="Redis to use (default: $REDIS_URL, else embedded)")
    command.add_argument(
        "--prefix", default=None, help="Redis key prefix (default: [redis] key_prefix, es)"
    )


def add_source_options(command: Any) -> None:
    """`--demo` and its pacing, and the pacing of trail files (`--ingest`, or arguments)."""
    command.add_argument(
        "--demo", action="store_true", help="feed the bundled sample and a live scenario"
    )
    command.add_argument("--demo-pace-s", default=None, help="seconds between sample records")
    command.add_argument("--demo-step-s", default=None, help="seconds between scenario steps")
    command.add_argument("--ingest-pace-s", default=None, help="seconds between file records")


def source_options(
    args: argparse.Namespace, paths: list[str], option: str
) -> list[tuple[str, dict[str, Any]]]:
    """`--demo` and the trail files `paths` (given as `option`) as `[[sources]]` tables,
    validated like the file's."""
    found: list[tuple[str, dict[str, Any]]] = []
    if args.demo:
        table: dict[str, Any] = {"type": "demo"}
        if args.demo_pace_s is not None:
            table["pace_s"] = args.demo_pace_s
        if args.demo_step_s is not None:
            table["step_s"] = args.demo_step_s
        found.append(("--demo", table))
    if paths:
        table = {"type": "files", "paths": paths}
        if args.ingest_pace_s is not None:
            table["pace_s"] = args.ingest_pace_s
        found.append((option, table))
    return found


def build_sources(
    settings: Settings,
    *,
    redis: Redis | None = None,
    keys: Keys | None = None,
    metrics: PipelineMetrics | None = None,
) -> list[Source]:
    """One source per `[[sources]]` table (`cloudtrail_lookup` keeps its checkpoints in
    `redis` under `keys`)."""
    sources: list[Source] = []
    for name, table in zip(settings.source_names(), settings.sources, strict=True):
        if isinstance(table, FilesSourceSettings):
            sources.append(
                FilesSource(
                    table.paths,
                    name=name,
                    pace_s=table.pace_s,
                    limits=limits_of(settings.pipeline),
                )
            )
        elif isinstance(table, DemoSourceSettings):
            sample = SAMPLE if table.sample and SAMPLE.is_file() else None
            sources.append(
                DemoSource(
                    sample, name=name, pace_s=table.pace_s, step_s=table.step_s, rounds=table.rounds
                )
            )
        elif isinstance(table, SqsSourceSettings):
            sources.append(
                SqsSource(
                    table,
                    name=name,
                    limits=limits_of(settings.pipeline),
                    metrics=metrics,
                    close_timeout_s=settings.pipeline.shutdown_timeout_s / 3,
                )
            )
        elif isinstance(table, LookupSourceSettings):
            if redis is None:
                raise ConfigError(f"sources: {name} needs Redis for its checkpoints")
            sources.append(
                LookupSource(
                    table,
                    CheckpointStore(redis, keys or Keys(), name),
                    name=name,
                    metrics=metrics,
                )
            )
        else:  # pragma: no cover - the settings' union is exhaustive
            raise ConfigError(f"sources: unknown type {table.type!r}")
    return sources


def committing_pipeline(
    settings: Settings,
    sources: Sequence[Source],
    *,
    redis: Redis,
    keys: Keys,
    redis_url: str,
    metrics: PipelineMetrics | None,
    wait_for_redis: bool,
    echo: bool = False,
) -> Pipeline:
    """Sources → normalize → commit into this Redis, quarantine kept beside the journal (and
    each quarantined record printed on stderr when `echo`)."""
    url = safe_url(redis_url)
    committer: PipelineCommitter = Committer(
        redis, keys, settings.journal, settings.inventory, redis_url=url
    )
    closers: list[Callable[[], Awaitable[None]]] = []
    if settings.describe.enabled:
        counters = metrics.describe if metrics is not None else None
        committer, close = live_committer(
            committer, settings.describe, counters, accounts=settings.accounts
        )
        closers.append(close)
    quarantine = RedisQuarantine(
        redis, keys, settings.pipeline.quarantine_max_entries, redis_url=url
    )
    return Pipeline(
        sources,
        Normalizer(default_registry()),
        settings.pipeline,
        committer=committer,
        rejects=PrintedRejects(then=quarantine) if echo else quarantine,
        metrics=metrics,
        wait_for_redis=wait_for_redis,
        closers=closers,
    )


def live_committer(
    committer: PipelineCommitter,
    settings: DescribeSettings,
    counters: LiveCounters | None = None,
    *,
    accounts: AccountsSettings | None = None,
) -> tuple[PipelineCommitter, Callable[[], Awaitable[None]]]:
    """`committer` behind the live-configuration stage (counting into `counters`, the
    pipeline metrics' when there are metrics), and what closes its AWS clients (of the
    `accounts` when `[accounts]` names a role to assume, else the default chain's own)."""
    clients = live_clients(accounts or AccountsSettings(), settings.endpoint_url)
    explicit = describers()
    fetchers = (
        {**cloudcontrol.fetchers(explicit), **explicit} if settings.cloudcontrol else explicit
    )
    live = LiveCommitter(
        committer,
        fetchers,
        clients,
        timeout_s=settings.timeout_s,
        delay_s=settings.delay_s,
        max_concurrency_per_service=settings.max_concurrency_per_service,
        max_attempts=settings.max_attempts,
        counters=counters,
    )
    return live, clients.close


def watchdog(timeout_s: float) -> None:
    """Exit the process with `EXIT_STUCK` if it is still running `timeout_s` from now (the
    last resort behind the shutdown deadline; the embedded Redis dies with the process)."""

    def expire() -> None:
        log.error("shutdown deadline passed; exiting", extra={"timeout_s": timeout_s})
        sys.stderr.flush()
        os._exit(EXIT_STUCK)

    timer = threading.Timer(timeout_s, expire)
    timer.daemon = True
    timer.start()
