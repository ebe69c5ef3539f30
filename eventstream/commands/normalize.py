"""`eventstream normalize PATH...`: raw records in, one AssetEvent JSON per line out.

Offline and pure: nothing but the files is read and nothing but stdout/stderr is written
(plus `--rejects FILE` when asked). Malformed input is reported with its origin, line and
reason, and processing goes on; the summary on stderr counts every record.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, BinaryIO

from eventstream import codec
from eventstream.commands.progress import ProgressLine
from eventstream.errors import MalformedRecordError, UnreadableInputError
from eventstream.normalize.classify import Outcome
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry
from eventstream.sources.files import RawRecord, read_paths
from eventstream.tally import Tally

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
    normalizer = Normalizer(default_registry(), type_prefix=args.type_prefix)
    tally = Tally()
    out = sys.stdout.buffer
    rejects = open(args.rejects, "wb") if args.rejects else None  # noqa: SIM115
    progress = _Progress(sys.stderr.isatty())
    status = 0
    try:
        for item in read_paths(args.paths):
            _one(item, normalizer, tally, out, rejects)
            progress.tick(tally)
        out.flush()
    except UnreadableInputError as error:
        print(f"error: {error}", file=sys.stderr)
        status = 2
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): stop quietly
        return 0
    finally:
        if rejects is not None:
            rejects.close()
    progress.clear()
    print(tally.summary(), file=sys.stderr)
    if status == 0 and args.strict and tally.malformed:
        status = 1
    return status


def _one(
    item: RawRecord | MalformedRecordError,
    normalizer: Normalizer,
    tally: Tally,
    out: BinaryIO,
    rejects: BinaryIO | None,
) -> None:
    if isinstance(item, MalformedRecordError):
        _malformed(item, None, tally, rejects)
        return
    try:
        result = normalizer.normalize(item.payload)
    except MalformedRecordError as error:
        where = MalformedRecordError(
            error.reason, origin=item.origin, line=item.line if item.index is None else None
        )
        if item.index is not None:
            where = MalformedRecordError(
                f"record {item.index}: {error.reason}", origin=item.origin, line=item.line
            )
        _malformed(where, item.payload, tally, rejects)
        return
    tally.count(result.outcome, result.operation, len(result.events))
    if result.events:
        out.write(b"".join(codec.dumps(event) + b"\n" for event in result.events))
    if result.outcome is Outcome.UNMAPPED and rejects is not None:
        rejects.write(
            codec.dumps(
                {
                    "origin": item.origin,
                    "line": item.line,
                    "index": item.index,
                    "outcome": "unmapped",
                    "reason": result.reason,
                    "record": item.payload,
                }
            )
            + b"\n"
        )


def _malformed(
    error: MalformedRecordError, payload: Any, tally: Tally, rejects: BinaryIO | None
) -> None:
    tally.count_malformed()
    print(f"malformed: {error}", file=sys.stderr)
    if rejects is not None:
        rejects.write(
            codec.dumps(
                {
                    "origin": error.origin,
                    "line": error.line,
                    "outcome": "malformed",
                    "reason": error.reason,
                    "record": payload,
                }
            )
            + b"\n"
        )


class _Progress(ProgressLine):
    """Records read and changes emitted."""

    def __init__(self, enabled: bool) -> None:
        super().__init__(enabled, _PROGRESS_EVERY_S)

    def tick(self, tally: Tally) -> None:
        if self.due() is not None:
            self.show(f"{tally.records} records, {tally.events} changes…")
