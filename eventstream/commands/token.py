"""`eventstream token NAME --accounts ...`: a new bearer token and its configuration entry.

The token is printed once on stdout; the server's configuration keeps only its SHA-256.
"""

from __future__ import annotations

import argparse
import secrets
from typing import Any

from eventstream.config.serve import token_hash

_TOKEN_BYTES = 32


def register(subparsers: Any) -> None:
    command = subparsers.add_parser(
        "token",
        help="make a new bearer token for `eventstream serve` and print its config entry",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("name", help="who holds the token (shown in logs)")
    command.add_argument(
        "--accounts", nargs="+", default=["*"], help='account ids it may see (default: "*", all)'
    )
    command.add_argument("--filter", default="", help="extra filter, e.g. 'asset_type=AWS::EC2::*'")
    command.set_defaults(run=run)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run(args: argparse.Namespace) -> int:
    token = f"es_{secrets.token_urlsafe(_TOKEN_BYTES)}"
    accounts = ", ".join(_quoted(account) for account in args.accounts)
    print(f"token (give it to {args.name}; it is not stored anywhere): {token}")
    print()
    print("[[serve.tokens]]")
    print(f"name = {_quoted(args.name)}")
    print(f'sha256 = "{token_hash(token)}"')
    print(f"accounts = [{accounts}]")
    if args.filter:
        print(f"filter = {_quoted(args.filter)}")
    return 0
