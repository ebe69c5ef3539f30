"""The `eventstream` command: one sub-command per module in `eventstream.commands`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from eventstream import __version__
from eventstream.shutdown import Shutdown


def parser() -> argparse.ArgumentParser:
    # Imported after the signal handlers are installed: the commands take about a second.
    from eventstream.commands import COMMANDS  # noqa: PLC0415

    root = argparse.ArgumentParser(
        prog="eventstream",
        description="Turn a cloud audit trail into one clean stream of asset changes.",
    )
    root.add_argument("--version", action="version", version=f"eventstream {__version__}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    shutdown = Shutdown().install()  # first of all: a signal from now on is a clean stop
    args = parser().parse_args(argv)
    args.shutdown = shutdown
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code
