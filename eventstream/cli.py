"""The `eventstream` command: one sub-command per module in `eventstream.commands`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from eventstream import __version__
from eventstream.commands import COMMANDS


def parser() -> argparse.ArgumentParser:
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
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code
