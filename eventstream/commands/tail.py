"""`eventstream tail [URL]`: the stream of asset changes in a terminal, one line per change.

Each line shows the time, the action, the asset type and name, how the change was made, who
made it, from which IP, and a short summary of what changed (`+ingress 0.0.0.0/0:22`).
Colours on a terminal, unless NO_COLOR is set; plain lines when piped. `--json` prints each
event as it came (one JSON line). Filters are the server's. `--from` chooses where a new
stream starts; `--resume FILE` keeps the last id shown in FILE and resumes after it next time.
The server, token and timeouts come from the `[client]` settings (`--config FILE`, or
EVENTSTREAM_CLIENT__URL, EVENTSTREAM_CLIENT__TOKEN...), the options winning. The stream
reconnects by itself; SIGTERM or SIGINT stops it (exit 0). Bad settings or a permanent error
(bad filter, 401, 403, 404) end it with status 2, an unreachable server with status 3.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from eventstream import codec
from eventstream.client import (
    ClientError,
    EventStreamClient,
    FileCheckpoint,
    FilterError,
    PermanentError,
    StreamEvent,
    StreamOptions,
    StreamReset,
)
from eventstream.client.summary import event_line
from eventstream.config import ClientSettings, load_settings, with_options
from eventstream.errors import ConfigError
from eventstream.shutdown import Shutdown

EXIT_OK, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 2, 3
_FILTERS = (
    ("type", "types", "create, update, delete"),
    ("asset-type", "asset_types", "e.g. 'AWS::EC2::*'"),
    ("account", "accounts", "account ids"),
    ("region", "regions", "regions"),
    ("method", "methods", "console, cli, terraform, cloudformation, sdk, provider, unknown"),
    ("principal", "principals", "ARN, name, id, role or session name (globs)"),
    ("subject-prefix", "subject_prefixes", "asset name prefix"),
)


def register(subparsers: Any) -> None:
    command = subparsers.add_parser(
        "tail",
        help="show the live stream of asset changes, one line per change",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument(
        "url", nargs="?", help="server (default: [client] url, http://127.0.0.1:8080)"
    )
    command.add_argument("--config", metavar="FILE", help="TOML configuration file ([client])")
    command.add_argument("--token", help="bearer token (default: [client] token)")
    for flag, _, what in _FILTERS:
        command.add_argument(f"--{flag}", action="append", metavar="V", help=f"{what}; a,b: any")
    command.add_argument("--json", action="store_true", help="print each event as one JSON line")
    command.add_argument("--from", dest="start", help="where to start: earliest, latest, a time")
    command.add_argument("--resume", metavar="FILE", help="keep the last id in FILE, resume there")
    command.add_argument(
        "--idle-timeout-s", help="reconnect after this long silent (default: [client], 45)"
    )
    command.set_defaults(run=run)


def _filters(args: argparse.Namespace) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for flag, name, _ in _FILTERS:
        given = getattr(args, flag.replace("-", "_"))
        if given:
            found[name] = [value for item in given for value in item.split(",") if value]
    return found


def _printer(args: argparse.Namespace) -> Any:
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")

    def show(event: StreamEvent) -> None:
        if args.json:
            line = codec.dumps({"id": event.id, "event": event.to_dict()}).decode()
        else:
            line = event_line(event, color=color)
        print(line, flush=True)

    return show


def _reset_notice(reset: StreamReset) -> None:
    print(
        f"reset: history gap ({reset.reason}): after {reset.requested or '-'}, "
        f"resuming after {reset.resume_after}",
        file=sys.stderr,
        flush=True,
    )


async def _tail(args: argparse.Namespace, settings: ClientSettings, shutdown: Shutdown) -> int:
    task = asyncio.current_task()
    assert task is not None
    shutdown.attach(asyncio.get_running_loop())

    def stop() -> None:
        task.cancel()

    shutdown.on_stop(stop)
    options = StreamOptions(
        idle_timeout_s=settings.idle_timeout_s,
        connect_timeout_s=settings.connect_timeout_s,
        initial_delay_s=settings.initial_delay_s,
        max_delay_s=settings.max_delay_s,
    )
    async with EventStreamClient(settings.url, token=settings.token, options=options) as client:
        try:
            await client.run(
                _printer(args),
                start=args.start,
                checkpoint=FileCheckpoint(args.resume) if args.resume else None,
                on_reset=_reset_notice,
                **_filters(args),
            )
        except asyncio.CancelledError:
            if not shutdown.requested:
                raise
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    shutdown = Shutdown.of(args)
    try:
        settings = load_settings(args.config)
        settings = with_options(
            settings,
            client__url=args.url,
            client__token=args.token,
            client__idle_timeout_s=args.idle_timeout_s,
        )
        return asyncio.run(_tail(args, settings.client, shutdown))
    except (ConfigError, FilterError, PermanentError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ClientError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except BrokenPipeError:
        return EXIT_OK  # `eventstream tail | head`
    finally:
        shutdown.restore()
