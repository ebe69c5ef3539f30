"""`eventstream inventory sync`: list and describe every supported resource in the AWS account
of the credentials (or the `[accounts]`) and regions of `[sync]`, and seed the inventory with
what is there, so that the first change of an asset that existed before EventStream started
already has a previous configuration.

What it writes, per resource (`enrich.sync.verdict`): a resource the inventory does not know is
seeded (an inventory version with `configuration_source` `sync`, not journaled: nothing is
streamed); one whose configuration equals the inventory's is left alone; one whose last event
carried no configuration is refreshed the same way; one that differs for no reason the
inventory knows is drift: after `[sync] drift_grace_s` (or at once with `--grace-s 0`) it is
journaled as an `update` with `change.operation` `Drift`, attributed to `unknown`.

A progress line on a terminal, a summary at the end (per type: listed, described, seeded,
refreshed, unchanged, suspected, drifted, failed, skipped; `--json` prints it as JSON).
Interrupted (SIGTERM, SIGINT, a crash), it resumes where it stopped when run again: the units
(account, region, type) already done are skipped; `--restart` starts over. `--dry-run` lists,
describes and compares, and writes nothing.

Exit status: 0; 1 when some list or describe calls failed (the summary names them); 2 bad
settings; 3 Redis unavailable or the sync cannot run (no credentials, another sync running).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import asdict
from typing import Any

from eventstream import codec
from eventstream.commands.common import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_REDIS,
    add_redis_options,
    fail,
    settings_of,
)
from eventstream.commands.progress import ProgressLine
from eventstream.config import Settings
from eventstream.enrich.sync.run import SyncProgress, SyncSummary, Tally
from eventstream.enrich.sync.setup import inventory_sync
from eventstream.errors import ConfigError, EventStreamError
from eventstream.journal.connect import open_redis
from eventstream.journal.keys import Keys
from eventstream.serve import logs
from eventstream.shutdown import Shutdown

EXIT_FAILED = 1
_PROGRESS_EVERY_S = 0.25
_COLUMNS = (
    "listed",
    "described",
    "seeded",
    "refreshed",
    "unchanged",
    "suspected",
    "drifted",
    "failed",
    "skipped",
)


def register(subparsers: Any) -> None:
    command = subparsers.add_parser(
        "inventory",
        help="sync the inventory with AWS (seed it, report drift)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = command.add_subparsers(dest="action", required=True, metavar="ACTION")
    sync = actions.add_parser("sync", help="list, describe and seed", description=__doc__)
    add_redis_options(sync)
    sync.add_argument("--dry-run", action="store_true", help="compare only; write nothing")
    sync.add_argument("--restart", action="store_true", help="do not resume an interrupted sync")
    sync.add_argument(
        "--type", action="append", dest="types", metavar="TYPE", help="sync this type only"
    )
    sync.add_argument("--region", action="append", dest="regions", metavar="REGION")
    sync.add_argument("--grace-s", default=None, help="drift grace (default: [sync])")
    sync.add_argument("--endpoint-url", default=None, help="one AWS endpoint (moto, LocalStack)")
    sync.add_argument("--json", action="store_true", help="print the summary as JSON")
    sync.add_argument("--quiet", action="store_true", help="no progress line")
    sync.add_argument("--log-level", default="warning", help="debug, info, warning, error")
    sync.set_defaults(run=run_sync)


def run_sync(args: argparse.Namespace) -> int:
    shutdown = Shutdown.of(args)
    logs.configure(args.log_level)
    try:
        settings = settings_of(
            args.config,
            redis__url=args.redis_url,
            redis__key_prefix=args.prefix,
            sync__types=args.types,
            sync__regions=args.regions,
            sync__drift_grace_s=args.grace_s,
            describe__endpoint_url=args.endpoint_url,
        )
    except ConfigError as error:
        return fail(error, EXIT_INPUT)
    progress = _Progress(enabled=sys.stderr.isatty() and not args.quiet and not args.json)
    try:
        keys = Keys(prefix=settings.redis.key_prefix)
        summary = asyncio.run(_sync(settings, keys, args, progress, shutdown))
    except ConfigError as error:
        progress.clear()
        return fail(error, EXIT_INPUT)
    except EventStreamError as error:
        progress.clear()
        return fail(error, EXIT_REDIS)
    finally:
        shutdown.restore()
    progress.clear()
    if summary is None:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(codec.dumps_pretty(_document(summary)).decode())
    else:
        print(_table(summary), file=sys.stderr)
    total = summary.total()
    return EXIT_FAILED if summary.units_failed or total.failed else EXIT_OK


async def _sync(
    settings: Settings,
    keys: Keys,
    args: argparse.Namespace,
    progress: _Progress,
    shutdown: Shutdown,
) -> SyncSummary | None:
    """The summary, or None when stopped by a signal (the next run resumes)."""
    shutdown.attach(asyncio.get_running_loop())
    async with (
        open_redis(settings.redis, keys.tag) as (redis, url),
        inventory_sync(
            settings,
            redis=redis,
            keys=keys,
            redis_url=url,
            dry_run=args.dry_run,
            on_progress=progress.tick,
        ) as sync,
    ):
        task = asyncio.ensure_future(sync.run(restart=args.restart))

        def stop() -> None:
            task.cancel()  # between two writes or in one: each write is atomic

        shutdown.on_stop(stop)
        try:
            return await task
        except asyncio.CancelledError:
            if not shutdown.requested:
                raise
            return None


def _document(summary: SyncSummary) -> dict[str, Any]:
    return {
        "run": summary.run,
        "resumed": summary.resumed,
        "dry_run": summary.dry_run,
        "units": summary.units,
        "units_resumed": summary.units_resumed,
        "units_failed": summary.units_failed,
        "seconds": round(summary.seconds, 3),
        "types": {name: asdict(tally) for name, tally in sorted(summary.by_type.items())},
        "total": asdict(summary.total()),
        "errors": summary.errors,
    }


def _row(name: str, tally: Tally, width: int) -> str:
    values = asdict(tally)
    return f"{name:<{width}}" + "".join(f"{values[c]:>11}" for c in _COLUMNS)


def _table(summary: SyncSummary) -> str:
    width = max([len("type"), *(len(name) for name in summary.by_type)]) + 2
    lines = [f"{'type':<{width}}" + "".join(f"{c:>11}" for c in _COLUMNS)]
    lines += [_row(name, tally, width) for name, tally in sorted(summary.by_type.items())]
    lines.append(_row("total", summary.total(), width))
    what = "dry run (nothing written)" if summary.dry_run else "sync"
    resumed = f", resumed run {summary.run} ({summary.units_resumed} units were done)"
    lines.append(
        f"{what} {summary.run}: {summary.units} units in {summary.seconds:.1f} s"
        + (resumed if summary.resumed else "")
        + (f", {summary.units_failed} failed" if summary.units_failed else "")
    )
    lines += [f"  failed: {error}" for error in summary.errors]
    return "\n".join(lines)


class _Progress(ProgressLine):
    def __init__(self, enabled: bool) -> None:
        super().__init__(enabled, _PROGRESS_EVERY_S)

    def tick(self, progress: SyncProgress) -> None:
        if self.due() is None:
            return
        unit = progress.unit.key if progress.unit else "done"
        width = 24
        filled = width * progress.units_done // max(progress.units, 1)
        bar = "#" * filled + "." * (width - filled)
        self.show(
            f"[{bar}] {progress.units_done}/{progress.units} units  {unit}  "
            f"listed {progress.listed}, written {progress.observed}"
        )
