"""`eventstream replay PATH...`: raw records → normalize → enrich → commit into Redis.

Reads the same inputs as `normalize` (CloudTrail JSON lines, S3 export files, EventBridge
envelopes, folders, `-`), normalizes them, and commits the asset events in batches: each
event gets its previous configuration and JSON Patch from the inventory, and the inventory
update and the journal append happen atomically. Replaying the same input again is safe:
events already committed are counted as duplicates and skipped.

Redis is `--redis-url`, else `REDIS_URL` (or `[redis] url` in `--config`), else an embedded
redis-server keeping its data in `.eventstream/redis`. If Redis fails mid-replay, the command
stops with status 3 and says how far it got; batches reported as committed are committed, the
failed batch is not, and running the same command again completes the replay.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass, field
from typing import Any

from eventstream.commands.progress import ProgressLine
from eventstream.config import Settings, load_settings, with_options
from eventstream.errors import (
    EventStreamError,
    MalformedRecordError,
    RedisUnavailableError,
    UnreadableInputError,
)
from eventstream.journal.commit import CommitResult, Committer
from eventstream.journal.connect import open_redis, safe_url
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry
from eventstream.sources.files import read_paths
from eventstream.tally import Tally

_PROGRESS_EVERY_S = 0.25
_BATCHES_PER_CALL = 8
"""Batches handed to one `Committer.commit` call, which pipelines them."""
EXIT_INPUT = 2
EXIT_REDIS = 3


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
        "--batch-size", type=int, default=None, help="events per commit (default: [journal])"
    )
    command.add_argument("--quiet", action="store_true", help="no progress line, only the summary")
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = with_options(
            load_settings(args.config),
            redis__url=args.redis_url,
            redis__key_prefix=args.prefix,
            journal__batch_size=args.batch_size,
        )
    except EventStreamError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INPUT
    keys = Keys(prefix=settings.redis.key_prefix)
    progress = Progress(enabled=sys.stderr.isatty() and not args.quiet)
    return asyncio.run(replay(args.paths, settings, keys, progress))


@dataclass
class Totals:
    """What a replay did: the normalization tally and the commit counts (kept up to date by
    the committer batch by batch, so a failure reports exactly what was committed)."""

    tally: Tally
    committed: CommitResult = field(default_factory=CommitResult)

    @property
    def journaled(self) -> int:
        return self.committed.journaled

    def summary(self) -> str:
        committed = self.committed
        return (
            f"{self.tally.summary()}\n"
            f"committed: journaled {committed.journaled}, duplicates skipped "
            f"{committed.duplicates}, concurrent-update retries {committed.conflicts}"
        )


async def replay(paths: list[str], settings: Settings, keys: Keys, progress: Progress) -> int:
    """Run the replay; returns the exit status. The summary goes to stderr in every case."""
    totals = Totals(Tally())
    normalizer = Normalizer(default_registry())
    status = 0
    url = settings.redis.url or "embedded"
    try:
        async with open_redis(settings.redis, keys.tag) as (redis, url):
            committer = Committer(
                redis, keys, settings.journal, settings.inventory, redis_url=safe_url(url)
            )
            batch: list[dict[str, Any]] = []
            for item in read_paths(paths):
                if isinstance(item, MalformedRecordError):
                    _malformed(item, totals.tally)
                    continue
                try:
                    result = normalizer.normalize(item.payload)
                except MalformedRecordError as error:
                    _malformed(
                        MalformedRecordError(error.reason, origin=item.origin, line=item.line),
                        totals.tally,
                    )
                    continue
                totals.tally.count(result.outcome, result.operation, len(result.events))
                batch.extend(result.events)
                if len(batch) >= settings.journal.batch_size * _BATCHES_PER_CALL:
                    await committer.commit(batch, totals.committed)
                    batch = []
                progress.tick(totals)
            if batch:
                await committer.commit(batch, totals.committed)
    except UnreadableInputError as error:
        progress.clear()
        print(f"error: {error}", file=sys.stderr)
        status = EXIT_INPUT
    except RedisUnavailableError as error:
        progress.clear()
        print(
            f"error: {error}\n"
            f"stopped after committing {totals.journaled} events (the batch in flight when "
            "Redis failed may or may not be committed). Run the same command again once Redis "
            "is back: events already committed are skipped as duplicates.",
            file=sys.stderr,
        )
        status = EXIT_REDIS
    except EventStreamError as error:  # the embedded Redis cannot start, a refused commit
        progress.clear()
        print(f"error: {error}", file=sys.stderr)
        status = EXIT_REDIS
    progress.clear()
    print(totals.summary(), file=sys.stderr)
    print(f"redis: {safe_url(url)}, journal key {keys.journal}", file=sys.stderr)
    return status


def _malformed(error: MalformedRecordError, tally: Tally) -> None:
    tally.count_malformed()
    print(f"malformed: {error}", file=sys.stderr)


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
            f"{totals.committed.duplicates} duplicates, {rate:,.0f} events/s"
        )
