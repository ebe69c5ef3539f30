"""`eventstream webhooks run|status|replay|test|enable`: the journal forwarded to webhook
destinations (`[[webhooks]]` in `--config`).

- `run`: forward to every enabled destination until SIGTERM/SIGINT (the request in flight
  finishes; what is pending is reclaimed by the next forwarder). `serve` and `ingest` do the
  same when destinations are configured.
- `status`: per destination, the lag (journal entries not yet read), the entries in flight,
  the last success, the last error, the dead-letter count, whether it is disabled, and
  entries trimmed from the journal before it read them (lost to it).
- `replay DEST`: re-deliver DEST's dead-letter list; what is delivered leaves it.
- `test DEST`: send one signed sample event to DEST and show its answer (no Redis needed).
- `enable DEST`: resume a destination disabled by a 410 Gone answer, or by Splunk HEC
  refusing its token or index (fix the settings or the token first).

Exit status: 0; 1 when `test` gets no 2xx or `replay` leaves letters; 2 bad settings;
3 Redis unavailable.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from eventstream import codec
from eventstream.commands.common import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_REDIS,
    add_redis_options,
    fail,
    settings_of,
    watchdog,
)
from eventstream.config import Settings, WebhookSettings
from eventstream.errors import ConfigError, EventStreamError
from eventstream.forward.deadletters import DeadLetters
from eventstream.forward.formats import format_of, item_of
from eventstream.forward.metrics import ForwardMetrics
from eventstream.forward.progress import Gap, Progress, counted, progress_of, read_snapshot
from eventstream.forward.replay import replay
from eventstream.forward.sender import SendFailure
from eventstream.forward.service import Forwarding, sender_of
from eventstream.forward.signing import message_id
from eventstream.forward.state import DestinationState
from eventstream.journal.connect import open_redis
from eventstream.journal.keys import Keys
from eventstream.journal.urls import safe_url
from eventstream.serve import logs
from eventstream.serve.probes import probe_server
from eventstream.shutdown import Shutdown

log = logging.getLogger("eventstream.webhooks")
EXIT_FAILED = 1


def register(subparsers: Any) -> None:
    command = subparsers.add_parser(
        "webhooks",
        help="forward the journal to webhook destinations; status, replay, test",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = command.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, run, helptext in (
        ("run", run_forwarders, "forward to every enabled destination until stopped"),
        ("status", run_status, "lag, last success, last error, dead letters per destination"),
        ("replay", run_replay, "re-deliver a destination's dead-letter list"),
        ("test", run_test, "send one signed sample event to a destination"),
        ("enable", run_enable, "resume a disabled destination (410, HEC token or index)"),
    ):
        action = actions.add_parser(name, help=helptext, description=__doc__)
        add_redis_options(action)
        if name in ("replay", "test", "enable"):
            action.add_argument("destination", metavar="DEST", help="the destination's name")
        if name == "status":
            action.add_argument("--json", action="store_true", help="print JSON")
        if name == "run":
            action.add_argument(
                "--metrics-port", type=int, default=None, help="serve /healthz /readyz /metrics"
            )
            action.add_argument("--metrics-host", default="127.0.0.1", help="address of probes")
        action.add_argument("--log-level", default="info", help="debug, info, warning, error")
        action.set_defaults(run=run)


def _settings(args: argparse.Namespace) -> Settings:
    return settings_of(args.config, redis__url=args.redis_url, redis__key_prefix=args.prefix)


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed (as `serve` runs), else asyncio's own loop."""
    try:
        import uvloop  # noqa: PLC0415 - optional, absent on Windows
    except ImportError:  # pragma: no cover
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def _destination(settings: Settings, name: str) -> WebhookSettings:
    for destination in settings.webhooks:
        if destination.name == name:
            return destination
    known = ", ".join(d.name for d in settings.webhooks) or "none configured"
    raise ConfigError(f"no destination named {name!r} in [[webhooks]] ({known})")


def _guarded(args: argparse.Namespace, body: Any) -> int:
    """Run `body(settings, keys)` (a coroutine function) with the one error handling."""
    shutdown = Shutdown.of(args)
    logs.configure(args.log_level)
    try:
        settings = _settings(args)
        keys = Keys(prefix=settings.redis.key_prefix)
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            code: int = runner.run(body(settings, keys, shutdown))
    except ConfigError as error:
        return fail(error, EXIT_INPUT)
    except EventStreamError as error:
        return fail(error, EXIT_REDIS)
    finally:
        shutdown.restore()
    return code


# -- run -------------------------------------------------------------------------------


def run_forwarders(args: argparse.Namespace) -> int:
    async def body(settings: Settings, keys: Keys, shutdown: Shutdown) -> int:
        return await _forward(settings, keys, shutdown, args)

    return _guarded(args, body)


async def _forward(
    settings: Settings, keys: Keys, shutdown: Shutdown, args: argparse.Namespace
) -> int:
    if not any(destination.enabled for destination in settings.webhooks):
        raise ConfigError("no enabled [[webhooks]] destination to forward to")
    shutdown.on_stop(lambda: watchdog(settings.pipeline.shutdown_timeout_s))
    registry = CollectorRegistry(auto_describe=True)
    async with open_redis(settings.redis, keys.tag) as (redis, _):
        forwarding = Forwarding(
            settings.webhooks, redis=redis, keys=keys, metrics=ForwardMetrics(registry)
        )
        shutdown.on_stop(forwarding.stop)
        shutdown.attach(asyncio.get_running_loop())
        await forwarding.prepare()
        server = None
        if args.metrics_port is not None:
            server = probe_server(redis, None, registry, args.metrics_host, args.metrics_port)
        async with asyncio.TaskGroup() as group:
            if server is not None:
                group.create_task(server.serve(), name="probes")
            try:
                await forwarding.run()
            finally:
                if server is not None:
                    server.should_exit = True
    log.info("stopped")
    return EXIT_OK


# -- status ----------------------------------------------------------------------------


def run_status(args: argparse.Namespace) -> int:
    async def body(settings: Settings, keys: Keys, shutdown: Shutdown) -> int:
        async with open_redis(settings.redis, keys.tag) as (redis, _):
            rows = await status_rows(redis, keys, settings.webhooks)
        if args.json:
            print(codec.dumps_pretty(rows).decode())
        else:
            _print_status(rows)
        return EXIT_OK

    return _guarded(args, body)


async def status_rows(
    redis: Redis, keys: Keys, destinations: list[WebhookSettings]
) -> list[dict[str, Any]]:
    """Per destination: its group on the journal (lag computed without the group's `lag`
    field where Redis does not give it), its state and its dead-letter count."""
    snapshot = await read_snapshot(redis, keys.journal)
    rows = []
    for destination in destinations:
        group = snapshot.groups.get(keys.webhook_group(destination.name))
        state = await DestinationState(redis, keys, destination.name).read()
        progress = None
        if group is not None:
            progress = await counted(redis, keys.journal, progress_of(group, snapshot.ends))
        rows.append(
            {
                "destination": destination.name,
                "format": destination.format,
                "enabled": destination.enabled,
                "started": group is not None,
                "lag": progress.lag if progress else None,
                "lag_text": progress.lag_text if progress else None,
                "in_flight": progress.pending if progress else 0,
                "last_delivered_id": progress.last_delivered_id if progress else None,
                "delivered": int(state.get("delivered", 0)),
                "last_success": _when(state.get("last_success_ms")),
                "last_error": state.get("last_error") or None,
                "last_error_at": _when(state.get("last_error_ms")),
                "dead_letters": await DeadLetters(redis, keys, destination.name).count(),
                "disabled": state.get("disabled") or None,
                "trim_gaps": int(state.get("trim_gaps", 0)),
                "trimmed_unread": int(state.get("trimmed_unread", 0)),
                "last_trim": state.get("last_trim") or None,
                "last_trim_at": _when(state.get("last_trim_ms")),
                "trimmed_now": _gap(progress),
            }
        )
    return rows


def _gap(progress: Progress | None) -> dict[str, Any] | None:
    """Unread entries the journal no longer holds (a destination stopped or far behind)."""
    gap = Gap.of(progress) if progress is not None else None
    if gap is None:
        return None
    return {"after_id": gap.after_id, "before_id": gap.before_id, "entries": gap.count}


def _when(value: str | None) -> str | None:
    if not value:
        return None
    seconds = int(value) / 1000
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _print_status(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("no [[webhooks]] destinations configured")
    for row in rows:
        lag = row["lag_text"] or "unknown"
        print(
            f"{row['destination']} ({row['format']}"
            f"{'' if row['enabled'] else ', not enabled'}"
            f"{', DISABLED: ' + row['disabled'] if row['disabled'] else ''})"
        )
        if not row["started"]:
            print("  not started: no consumer group on the journal yet")
            continue
        print(f"  lag {lag}, in flight {row['in_flight']}, delivered {row['delivered']}")
        print(f"  last success {row['last_success'] or 'never'}")
        if row["last_error"]:
            print(f"  last error {row['last_error_at']}: {row['last_error']}")
        print(f"  dead letters {row['dead_letters']}")
        if row["trim_gaps"]:
            print(
                f"  TRIMMED before delivery: {row['trim_gaps']} time(s), "
                f"{row['trimmed_unread'] or 'an unknown number of'} entries; last at "
                f"{row['last_trim_at']}: {row['last_trim']}"
            )
        now = row["trimmed_now"]
        if now:
            count = "" if now["entries"] is None else f"{now['entries']} "
            print(
                f"  TRIMMED unread now: {count}entries after {now['after_id']}, before "
                f"{now['before_id']} are no longer in the journal"
            )


# -- replay, enable --------------------------------------------------------------------


def run_replay(args: argparse.Namespace) -> int:
    async def body(settings: Settings, keys: Keys, shutdown: Shutdown) -> int:
        destination = _destination(settings, args.destination)
        sender = sender_of(destination)
        async with open_redis(settings.redis, keys.tag) as (redis, _):
            dead = DeadLetters(redis, keys, destination.name)
            state = DestinationState(redis, keys, destination.name)
            try:
                result = await replay(destination, dead, state, sender)
            finally:
                await sender.close()
            left = await dead.count()
        print(
            f"{destination.name}: delivered {result.delivered}, still refused {result.refused}, "
            f"without an event {result.unsendable}, dead letters left {left}"
        )
        if result.last_error:
            print(f"last error: {result.last_error}")
        return EXIT_OK if left == 0 else EXIT_FAILED

    return _guarded(args, body)


def run_enable(args: argparse.Namespace) -> int:
    async def body(settings: Settings, keys: Keys, shutdown: Shutdown) -> int:
        destination = _destination(settings, args.destination)
        async with open_redis(settings.redis, keys.tag) as (redis, _):
            changed = await DestinationState(redis, keys, destination.name).enable()
        print(f"{destination.name}: {'enabled again' if changed else 'was not disabled'}")
        return EXIT_OK

    return _guarded(args, body)


# -- test ------------------------------------------------------------------------------


def sample_event() -> dict[str, Any]:
    """A CloudEvent shaped like every forwarded event, marked as a test."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    subject = "aws/123456789012/us-east-1/ec2/security-group/sg-0eventstreamtest"
    return {
        "specversion": "1.0",
        "id": f"test-{uuid.uuid4()}",
        "source": "aws/123456789012/us-east-1",
        "type": "io.eventstream.asset.update",
        "subject": subject,
        "time": now,
        "datacontenttype": "application/json",
        "dataschema": "urn:eventstream:schema:asset-event:v1",
        "data": {
            "asset": {
                "name": subject,
                "type": "AWS::EC2::SecurityGroup",
                "provider": "aws",
                "provider_id": "sg-0eventstreamtest",
                "account": "123456789012",
                "region": "us-east-1",
            },
            "change": {
                "action": "update",
                "operation": "AuthorizeSecurityGroupIngress",
                "service": "ec2.amazonaws.com",
            },
            "test": True,
        },
    }


def run_test(args: argparse.Namespace) -> int:
    async def body(settings: Settings, keys: Keys, shutdown: Shutdown) -> int:
        destination = _destination(settings, args.destination)
        sender = sender_of(destination)
        event = sample_event()
        raw = codec.dumps(event)
        form = format_of(destination)
        entry_id = f"{int(time.time() * 1000)}-0"
        payload = form.body([form.piece(item_of(entry_id, raw, event))])
        mid = message_id(destination.name, [event["id"]])
        try:
            answer = await sender.post(mid, payload)
        finally:
            await sender.close()
        print(f"POST {safe_url(destination.url)} ({destination.format}, webhook-id {mid})")
        if isinstance(answer, SendFailure):
            print(f"no answer: {answer.error}")
            return EXIT_FAILED
        print(f"HTTP {answer.status}")
        for name, value in answer.headers.items():
            print(f"{name}: {value}")
        print()
        print(sender.scrub(answer.body.decode("utf-8", "replace")[:4000]))
        return EXIT_OK if 200 <= answer.status < 300 else EXIT_FAILED

    return _guarded(args, body)
