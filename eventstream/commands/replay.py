"""`eventstream replay PATH...`: raw records → normalize → enrich → commit into Redis.

Reads the same inputs as `normalize` (CloudTrail JSON lines, S3 export files, EventBridge
envelopes, folders, `-`) through the same pipeline as `serve` and `ingest`: each event gets
its previous configuration and JSON Patch from the inventory, and the inventory update and the
journal append happen atomically. Replaying the same input again is safe: events already
committed are counted as duplicates and skipped. Malformed records are quarantined in Redis
(`eventstream quarantine list`) and reported; an unreadable file is reported, the others are
replayed, and the status is 2 at the end.

Redis is `--redis-url`, else `REDIS_URL` (or `[redis] url` in `--config`), else an embedded
redis-server keeping its data in `.eventstream/redis`. If Redis fails mid-replay, the command
stops with status 3 and says how far it got; batches reported as committed are committed, the
failed batch is not, and running the same command again completes the replay. SIGTERM or
SIGINT stops it the same way, after the batch in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from eventstream.commands.common import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_REDIS,
    committing_pipeline,
    fail,
    settings_of,
)
from eventstream.commands.progress import ProgressLine
from eventstream.config import Settings
from eventstream.errors import EventStreamError, RedisUnavailableError
from eventstream.journal.connect import open_redis, safe_url
from eventstream.journal.keys import Keys
from eventstream.pipeline import Pipeline, Totals
from eventstream.serve import logs
from eventstream.shutdown import Shutdown
from eventstream.sources.local import FilesSource, limits_of

_PROGRESS_EVERY_S = 0.25


def register(subparsers: Any) -> None:
    command = subparsers.add_parser(
        "replay",
        help="normalize trail files and commit the changes to the inventory and journal",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument(
        "paths", nargs="+", metavar="PATH", help="the same inputs as `eventstream normalize`"
    )
    command.add_argument("--config", metavar="FILE", help="TOML configuration file")
    command.add_argument("--redis-url", help="Redis to use (default: $REDIS_URL, else embedded)")
    command.add_argument(
        "--prefix",
        dest="prefix",
        default=None,
        help="Redis key prefix (default: [redis] key_prefix, es)",
    )
    command.add_argument(
        "--batch-size", default=None, help="events per commit (default: [journal])"
    )
    command.add_argument("--quiet", action="store_true", help="no progress line, only the summary")
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    shutdown = Shutdown.of(args)
    logs.configure("error")  # malformed records are reported as lines of their own
    try:
        settings = settings_of(
            args.config,
            redis__url=args.redis_url,
            redis__key_prefix=args.prefix,
            journal__batch_size=args.batch_size,
        )
    except EventStreamError as error:
        return fail(error, EXIT_INPUT)
    try:
        keys = Keys(prefix=settings.redis.key_prefix)
        progress = Progress(enabled=sys.stderr.isatty() and not args.quiet)
        return asyncio.run(replay(args.paths, settings, keys, progress, shutdown))
    finally:
        shutdown.restore()


async def replay(
    paths: list[str], settings: Settings, keys: Keys, progress: Progress, shutdown: Shutdown
) -> int:
    """Run the replay; returns the exit status. The summary goes to stderr in every case."""
    shutdown.attach(asyncio.get_running_loop())
    status = EXIT_OK
    url = settings.redis.url or "embedded"
    pipeline: Pipeline | None = None
    try:
        async with open_redis(settings.redis, keys.tag) as (redis, url):
            pipeline = committing_pipeline(
                settings,
                [FilesSource(paths, limits=limits_of(settings.pipeline))],
                redis=redis,
                keys=keys,
                redis_url=url,
                metrics=None,
                wait_for_redis=False,
                echo=True,
            )
            pipeline.on_batch = progress.tick
            shutdown.on_stop(pipeline.stop)
            await pipeline.run()
    except RedisUnavailableError as error:
        progress.clear()
        journaled = pipeline.totals.journaled if pipeline is not None else 0
        print(
            f"error: {error}\n"
            f"stopped after committing {journaled} events (the batch in flight when "
            "Redis failed may or may not be committed). Run the same command again once Redis "
            "is back: events already committed are skipped as duplicates.",
            file=sys.stderr,
        )
        status = EXIT_REDIS
    except EventStreamError as error:  # the embedded Redis cannot start, a refused commit
        progress.clear()
        status = fail(error, EXIT_REDIS)
    progress.clear()
    totals = pipeline.totals if pipeline is not None else Totals()
    print(totals.summary(), file=sys.stderr)
    print(f"redis: {safe_url(url)}, journal key {keys.journal}", file=sys.stderr)
    if status == EXIT_OK and totals.tally.unreadable:
        status = EXIT_INPUT
    return status


class Progress(ProgressLine):
    """Records read, events committed, rate."""

    def __init__(self, enabled: bool) -> None:
        super().__init__(enabled, _PROGRESS_EVERY_S)

    def tick(self, totals: Totals) -> None:
        elapsed = self.due()
        if elapsed is None:
            return
        rate = totals.journaled / max(elapsed, 1e-9)
        self.show(
            f"{totals.tally.records} records, {totals.journaled} journaled, "
            f"{totals.duplicates} duplicates, {rate:,.0f} events/s"
        )
