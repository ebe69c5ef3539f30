"""`Forwarding`: every configured destination's forwarder, run side by side in one task group
(by `eventstream webhooks run`, `serve` and `ingest`). Built at start-up, so a missing secret
is a `ConfigError` before anything runs."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Mapping, Sequence

from aiohttp.abc import AbstractResolver
from redis.asyncio import Redis

from eventstream.config.webhooks import WebhookSettings, resolve_secrets
from eventstream.forward.formats import format_of
from eventstream.forward.forwarder import Forwarder
from eventstream.forward.metrics import ForwardMetrics
from eventstream.forward.progress import Snapshot, progress_of, read_snapshot
from eventstream.forward.sender import Sender
from eventstream.journal.keys import Keys

log = logging.getLogger(__name__)
RESTART_S = 5.0


def consumer_name() -> str:
    """This process's consumer name in every destination's group (a restarted process is a
    new consumer; what the old one left pending is reclaimed)."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def sender_of(
    settings: WebhookSettings,
    environ: Mapping[str, str] | None = None,
    resolver: AbstractResolver | None = None,
) -> Sender:
    keys, token = resolve_secrets(settings, environ)
    return Sender(settings, keys, token, format_of(settings).content_type, resolver)


def check_secrets(
    destinations: Sequence[WebhookSettings], environ: Mapping[str, str] | None = None
) -> None:
    """Raise `ConfigError` now if an enabled destination's secret or token is missing."""
    for settings in destinations:
        if settings.enabled:
            resolve_secrets(settings, environ)


class Forwarding:
    """The forwarders of the enabled destinations."""

    def __init__(
        self,
        destinations: Sequence[WebhookSettings],
        *,
        redis: Redis,
        keys: Keys,
        metrics: ForwardMetrics | None = None,
        consumer: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        name = consumer or consumer_name()
        self.forwarders = [
            Forwarder(
                settings,
                redis=redis,
                keys=keys,
                consumer=name,
                sender=sender_of(settings, environ),
                metrics=metrics,
            )
            for settings in destinations
            if settings.enabled
        ]

    def __bool__(self) -> bool:
        return bool(self.forwarders)

    async def prepare(self) -> None:
        """Create every destination's consumer group (before the pipeline commits anything,
        so a new destination with `start = "new"` misses nothing written after start-up)."""
        for forwarder in self.forwarders:
            await forwarder.prepare()

    async def drained(self) -> bool:
        """Whether every destination has read and settled every journal entry (a destination
        disabled (410, HEC token or index) counts as settled: it waits for `webhooks enable`)."""
        if not self.forwarders:
            return True
        first = self.forwarders[0]
        return await self.settled(await read_snapshot(first.redis, first.journal))

    async def settled(self, snapshot: Snapshot) -> bool:
        """`drained()` on a snapshot of the journal: each group's last-delivered-id at the
        journal's last entry and nothing pending (the group's `lag`, which Redis 6.2 does
        not give, is not needed)."""
        for forwarder in self.forwarders:
            group = snapshot.groups.get(forwarder.group)
            behind = group is None or not progress_of(group, snapshot.ends).drained
            if behind and not await forwarder.state.disabled():
                return False
        return True

    def stop(self) -> None:
        for forwarder in self.forwarders:
            forwarder.stop()

    async def run(self) -> None:
        """Every forwarder until `stop()`; one that fails is logged, the others go on."""
        if not self.forwarders:
            return
        log.info(
            "forwarding",
            extra={"destinations": [forwarder.name for forwarder in self.forwarders]},
        )
        for forwarder in self.forwarders:
            if not forwarder.sender.keys:
                log.warning(
                    "webhook destination has no signing secret: its requests are not signed "
                    "(set secrets or secret_env)",
                    extra={"destination": forwarder.name},
                )
        async with asyncio.TaskGroup() as group:
            for forwarder in self.forwarders:
                group.create_task(_guarded(forwarder), name=f"webhook-{forwarder.name}")


async def _guarded(forwarder: Forwarder) -> None:
    """A forwarder that fails unexpectedly is logged and started again (its pending entries
    are still its own), never taking the other destinations down."""
    while not forwarder.stopping:
        try:
            await forwarder.run()
        except Exception:
            log.exception("webhook forwarder failed", extra={"destination": forwarder.name})
            await asyncio.sleep(RESTART_S)
