"""`eventstream quarantine list`: the records set aside because they could not be read or
normalized, newest first, with the reason, where each came from and its first bytes."""

from __future__ import annotations

import argparse
import asyncio
import sys
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
from eventstream.commands.rejects import where
from eventstream.config import Settings
from eventstream.errors import EventStreamError
from eventstream.journal.connect import open_redis
from eventstream.journal.keys import Keys
from eventstream.journal.quarantine import RedisQuarantine


def register(subparsers: Any) -> None:
    command = subparsers.add_parser(
        "quarantine", help="list quarantined records", description=__doc__
    )
    actions = command.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the newest quarantined records")
    add_redis_options(listing)
    listing.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = settings_of(
            args.config, redis__url=args.redis_url, redis__key_prefix=args.prefix
        )
    except EventStreamError as error:
        return fail(error, EXIT_INPUT)
    try:
        return asyncio.run(_list(settings, args.limit, args.json))
    except EventStreamError as error:
        return fail(error, EXIT_REDIS)


async def _list(settings: Settings, limit: int, as_json: bool) -> int:
    keys = Keys(prefix=settings.redis.key_prefix)
    async with open_redis(settings.redis, keys.tag) as (redis, _url):
        quarantine = RedisQuarantine(redis, keys, settings.pipeline.quarantine_max_entries)
        total = await quarantine.count()
        rows = await quarantine.entries(limit)
    out = sys.stdout
    for entry_id, entry in rows:
        if as_json:
            out.write(codec.dumps({"id": entry_id, **entry.as_dict()}).decode() + "\n")
        else:
            first = entry.record[:120].decode(errors="replace")
            out.write(f"{entry_id}  [{entry.source}] {where(entry)}: {entry.reason}\n    {first}\n")
    print(f"{len(rows)} of {total} quarantined records shown", file=sys.stderr)
    return EXIT_OK
