"""`eventstream config check [FILE]`: validate the settings and print the effective ones.

The file (without one: the defaults) and the environment (`REDIS_URL`,
`EVENTSTREAM_<SECTION>__<FIELD>`) are loaded exactly as every command loads them. The effective
settings are printed as JSON on stdout with secrets masked: passwords in URLs, and every field
named like a secret (`*_secret`, `*_password`, `*_token`; see `eventstream.config.display`).
The TLS certificate and key files, when set, are loaded as `serve` loads them. Exit status 0
when the settings are valid; otherwise `error: <message>` on stderr and 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from eventstream import codec
from eventstream.config import load_settings
from eventstream.config.display import effective
from eventstream.errors import ConfigError
from eventstream.serve.tls import check_tls


def register(subparsers: Any) -> None:
    command = subparsers.add_parser(
        "config",
        help="check a configuration file and show the effective settings",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = command.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="validate FILE and the environment; print the effective settings (secrets masked)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument(
        "file", nargs="?", metavar="FILE", help="TOML file (default: none, only the defaults)"
    )
    check.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.file)
        check_tls(settings.serve)  # the certificate and key files as `serve` loads them
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(codec.dumps_pretty(effective(settings)).decode() + "\n")
    return 0
