"""Settling a destination's entries in Redis: acknowledged once delivered, or written to the
dead-letter list and acknowledged in the same transaction; the outcome recorded in the
destination's state and metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from redis.asyncio import Redis

from eventstream.forward.deadletters import DeadLetters
from eventstream.forward.formats import Item
from eventstream.forward.metrics import ForwardMetrics
from eventstream.forward.progress import Gap
from eventstream.forward.state import DestinationState
from eventstream.forward.verdicts import CAUSES, Verdict
from eventstream.journal.keys import Keys

log = logging.getLogger(__name__)
TRIMMED = "trimmed from the journal before it was delivered"


class Settler:
    def __init__(
        self, redis: Redis, keys: Keys, name: str, metrics: ForwardMetrics | None = None
    ) -> None:
        self.redis = redis
        self.name = name
        self.journal = keys.journal
        self.group = keys.webhook_group(name)
        self.dead = DeadLetters(redis, keys, name)
        self.state = DestinationState(redis, keys, name)
        self.metrics = metrics

    async def settle(self, items: Sequence[Item], verdict: Verdict, attempts: int) -> None:
        """Acknowledge what was delivered, dead-letter (then acknowledge) what is dead, and
        record the outcome, in one transaction."""
        done = [items[index].entry_id for index in verdict.delivered]
        dead = [(items[index], reason) for index, reason in verdict.dead]
        if not done and not dead:
            if verdict.error:
                await self.state.error(verdict.error)
            return
        async with self.redis.pipeline(transaction=True) as pipe:
            for item, reason in dead:
                self.dead.add_to(pipe, item.entry_id, item.event, reason, attempts)
            pipe.xack(self.journal, self.group, *done, *(item.entry_id for item, _ in dead))
            if done:
                self.state.success_to(pipe, len(done))
            if dead:
                self.state.dead_to(pipe, len(dead))
            await pipe.execute()
        if verdict.error:
            await self.state.error(verdict.error)
        if self.metrics is not None:
            if done:
                self.metrics.delivered.labels(self.name).inc(len(done))
                self.metrics.last_success.labels(self.name).set(time.time())
            if dead:
                self.metrics.dead.labels(self.name).inc(len(dead))
        if dead:
            log.error(
                "webhook events dead-lettered",
                extra={"destination": self.name, "events": len(dead), "error": dead[0][1]},
            )

    async def settle_now(
        self, skipped: list[str], unreadable: list[tuple[str, bytes, str]]
    ) -> None:
        """Acknowledge what the filter refused; dead-letter what cannot be read."""
        async with self.redis.pipeline(transaction=True) as pipe:
            for entry_id, event, reason in unreadable:
                self.dead.add_to(pipe, entry_id, event, reason, 0)
            pipe.xack(self.journal, self.group, *skipped, *(row[0] for row in unreadable))
            if unreadable:
                self.state.dead_to(pipe, len(unreadable))
            await pipe.execute()
        if self.metrics is not None:
            self.metrics.filtered.labels(self.name).inc(len(skipped))
            self.metrics.dead.labels(self.name).inc(len(unreadable))

    async def bury_trimmed(self, entry_ids: list[str]) -> None:
        """Pending entries the journal no longer holds (trimmed while pending): recorded as
        dead letters without their event, so the loss is visible."""
        async with self.redis.pipeline(transaction=True) as pipe:
            for entry_id in entry_ids:
                self.dead.add_to(pipe, entry_id, b"", TRIMMED, 0)
            self.state.dead_to(pipe, len(entry_ids))
            await pipe.execute()
        log.error(
            "webhook entries lost to journal trimming",
            extra={"destination": self.name, "entries": len(entry_ids)},
        )

    async def trimmed_unread(self, gap: Gap) -> None:
        """Entries trimmed from the journal before this destination read them: counted,
        recorded in its state (`webhooks status`) and logged with their id range."""
        await self.state.trimmed(gap.range, gap.count)
        if self.metrics is not None:
            self.metrics.trim_gaps.labels(self.name).inc()
            if gap.count:
                self.metrics.trimmed_unread.labels(self.name).inc(gap.count)
        log.warning(
            "webhook entries trimmed from the journal before this destination read them "
            "(lost to it: raise journal.max_length or max_age_s, or fix the destination)",
            extra={
                "destination": self.name,
                "after_id": gap.after_id,
                "before_id": gap.before_id,
                "entries": gap.count if gap.count is not None else "unknown",
            },
        )

    async def disable(self, cause: str, error: str) -> None:
        """Disable the destination for an answer that holds for every event (`CAUSES`): its
        entries stay pending until `eventstream webhooks enable`."""
        reason = f"{CAUSES.get(cause, cause)}: {error}"
        await self.state.disable(reason)
        if self.metrics is not None:
            self.metrics.disabled.labels(self.name).set(1)
            self.metrics.disables.labels(self.name, cause).inc()
        log.error(
            "webhook destination disabled: nothing is sent to it until "
            "`eventstream webhooks enable` (its entries stay pending)",
            extra={"destination": self.name, "cause": cause, "reason": reason},
        )
