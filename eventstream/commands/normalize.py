"""`eventstream normalize PATH...`: raw records in, one AssetEvent JSON per line out.

Offline and pure: nothing but the files is read and nothing but stdout/stderr is written
(plus `--rejects FILE` when asked). It runs the same pipeline as `replay` and `serve`, without
the commit. Malformed input (and any record that fails to normalize) is reported with its
origin, line, index and reason, and processing goes on; an unreadable file is reported and the
others are read (exit status 2 at the end); the summary on stderr counts every record.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Sequence
from typing import Any

from eventstream import codec
from eventstream.commands.common import EXIT_INPUT, EXIT_OK, fail, settings_of
from eventstream.commands.progress import ProgressLine
from eventstream.commands.rejects import PrintedRejects
from eventstream.config import Settings
from eventstream.errors import ConfigError
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry
from eventstream.pipeline import Pipeline, Totals
from eventstream.serve import logs
from eventstream.shutdown import Shutdown
from eventstream.sources.local import FilesSource, limits_of

_PROGRESS_EVERY_S = 0.5


def register(subparsers: Any) -> None:
    command = subparsers.add_parser(
        "normalize",
        help="normalize CloudTrail/EventBridge files to asset events (JSON lines on stdout)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="CloudTrail JSON lines, S3 export files (.json/.json.gz), EventBridge envelopes, "
        "folders of them, or - for stdin",
    )
    command.add_argument(
        "--strict", action="store_true", help="exit with status 1 if any record was malformed"
    )
    command.add_argument(
        "--rejects",
        metavar="FILE",
        help="also write every malformed and unmapped record, with its reason, as JSON lines",
    )
    command.add_argument(
        "--type-prefix",
        default="io.eventstream",
        help="prefix of the CloudEvents type (default: %(default)s)",
    )
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    shutdown = Shutdown.of(args)
    logs.configure("error")  # malformed records are reported as lines of their own
    try:
        settings = settings_of(None)
    except ConfigError as error:
        return fail(error, EXIT_INPUT)
    try:
        with contextlib.ExitStack() as stack:
            rejects = stack.enter_context(open(args.rejects, "wb")) if args.rejects else None
            totals = asyncio.run(_normalize(args, settings, shutdown, PrintedRejects(rejects)))
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): stop quietly
        return EXIT_OK
    except OSError as error:
        return fail(error, EXIT_INPUT)
    finally:
        shutdown.restore()
    print(totals.tally.summary(), file=sys.stderr)
    if totals.tally.unreadable:
        return EXIT_INPUT
    return 1 if args.strict and totals.tally.malformed else EXIT_OK


async def _normalize(
    args: argparse.Namespace, settings: Settings, shutdown: Shutdown, rejects: PrintedRejects
) -> Totals:
    out = sys.stdout.buffer
    progress = _Progress(sys.stderr.isatty())

    async def output(events: Sequence[dict[str, Any]]) -> None:
        out.write(b"".join(codec.dumps(event) + b"\n" for event in events))

    pipeline = Pipeline(
        [FilesSource(args.paths, limits=limits_of(settings.pipeline))],
        Normalizer(default_registry(), type_prefix=args.type_prefix),
        settings.pipeline,
        rejects=rejects,
        output=output,
        on_unmapped=rejects.unmapped,
        on_batch=progress.tick,
    )
    shutdown.attach(asyncio.get_running_loop())
    shutdown.on_stop(pipeline.stop)
    try:
        return await pipeline.run()
    finally:
        progress.clear()
        out.flush()


class _Progress(ProgressLine):
    """Records read and changes emitted."""

    def __init__(self, enabled: bool) -> None:
        super().__init__(enabled, _PROGRESS_EVERY_S)

    def tick(self, totals: Totals) -> None:
        if self.due() is not None:
            self.show(f"{totals.tally.records} records, {totals.tally.events} changes…")
