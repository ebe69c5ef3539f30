"""The live-configuration stage: a committer that describes each event's asset, then commits.

`LiveCommitter.commit(events)` fetches the configuration of every event's asset and sets
`data.configuration` and `data.configuration_source` (describe or cloudcontrol) when Found,
then delegates to the journal committer. Design:

- describe BEFORE the commit, within a time budget (`timeout_s`): the journal order per asset
  is unchanged and the event is complete when streamed. When the budget runs out the event is
  committed with what it had (its configuration_source stays event/none): never a stall.
- single flight per asset: a fetch result serves every event received before that fetch
  started; so a burst of changes to one asset in a batch makes one call, and there is never
  more than one call in flight per asset. An event received while a call is in flight waits
  for it only if it was received before the call started, else it waits for the next call.
- `delay_s` before a fetch coalesces bursts; a semaphore per service bounds concurrency.
- retries with exponential backoff for retryable failures, and for Missing after a create
  (not visible yet), within the budget.
- every event of a describable type is described, also one whose record carried a full
  configuration (`event`: a create's or update's response, in the API's camelCase): the
  inventory then holds one shape per asset, so the next change's patch names what changed
  rather than replacing the whole document. A delete's Missing confirms it (counted) and
  never sets a configuration.
- no credentials: logged once, and describing stops for the run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eventstream.enrich.live.counters import LiveCounters
from eventstream.enrich.live.outcome import (
    Clients,
    Failed,
    Fetcher,
    Found,
    Missing,
    Outcome,
    Skipped,
    Target,
)
from eventstream.journal.commit import CommitResult
from eventstream.models.event import Action
from eventstream.pipeline.runner import Committer

log = logging.getLogger(__name__)

__all__ = ["LiveCommitter", "LiveCounters"]


@dataclass
class _Flight:
    started: int  # the receipt ticket current when the fetch started
    task: asyncio.Task[Outcome]


def _service(asset_type: str) -> str:
    parts = asset_type.split("::")
    return parts[1].lower() if len(parts) > 2 else asset_type


def _target(event: Mapping[str, Any]) -> Target:
    asset = event["data"]["asset"]
    return Target(
        asset["type"], asset["provider_id"], asset.get("arn"), asset["account"], asset["region"]
    )


class LiveCommitter:
    """Describes each event's asset (see the module doc), then commits through `committer`."""

    def __init__(
        self,
        committer: Committer,
        fetchers: Mapping[str, Fetcher],
        clients: Clients,
        *,
        timeout_s: float = 5.0,
        delay_s: float = 0.0,
        max_concurrency_per_service: int = 8,
        max_attempts: int = 4,
        backoff_s: float = 0.2,
        counters: LiveCounters | None = None,
    ) -> None:
        self._committer = committer
        self._fetchers = fetchers
        self._clients = clients
        self._timeout_s = timeout_s
        self._delay_s = delay_s
        self._max_concurrency = max_concurrency_per_service
        self._max_attempts = max(1, max_attempts)
        self._backoff_s = backoff_s
        self.counters = counters or LiveCounters()
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._flights: dict[Target, _Flight] = {}
        self._ticket = 0
        self._disabled = False

    async def commit(
        self, events: Sequence[dict[str, Any]], into: CommitResult | None = None
    ) -> CommitResult:
        self._ticket += 1
        ticket = self._ticket
        wanted = [self._wanted(event) for event in events]
        outcomes = await self._outcomes(events, wanted, ticket) if not self._disabled else {}
        described = [self._apply(e, t, outcomes) for e, t in zip(events, wanted, strict=True)]
        return await self._committer.commit(described, into)

    def _wanted(self, event: Mapping[str, Any]) -> Target | None:
        target = _target(event)
        return target if target.asset_type in self._fetchers else None

    async def _outcomes(
        self, events: Sequence[dict[str, Any]], wanted: Sequence[Target | None], ticket: int
    ) -> dict[Target, Outcome]:
        targets = {t for t in wanted if t is not None}
        if not targets:
            return {}
        creates = {
            t
            for e, t in zip(events, wanted, strict=True)
            if t is not None and e["data"]["change"]["action"] == Action.CREATE
        }
        tasks = {t: asyncio.ensure_future(self._outcome(t, ticket, t in creates)) for t in targets}
        done, pending = await asyncio.wait(tasks.values(), timeout=self._timeout_s)
        for task in pending:
            task.cancel()  # the waiter only: the flight itself is shielded
        results: dict[Target, Outcome] = {}
        for target, task in tasks.items():
            service = _service(target.asset_type)
            if task not in done or task.cancelled():
                self.counters.add(service, "timeout")
            elif (error := task.exception()) is not None:
                self.counters.add(service, "error")  # a fetcher bug: the event goes on as is
                log.error(
                    "live describe failed",
                    extra={"asset": target.describe(), "error": repr(error)},
                )
            else:
                results[target] = task.result()
        return results

    async def _outcome(self, target: Target, ticket: int, created: bool) -> Outcome:
        while True:
            flight = self._flights.get(target)
            if flight is not None and ticket <= flight.started:
                return await asyncio.shield(flight.task)
            if flight is not None and not flight.task.done():
                await asyncio.wait([flight.task])
                continue
            return await asyncio.shield(self._start(target, created).task)

    def _start(self, target: Target, created: bool) -> _Flight:
        flight = _Flight(self._ticket, asyncio.ensure_future(self._fetch(target, created)))
        self._flights[target] = flight

        def forget(_: object) -> None:
            if self._flights.get(target) is flight:
                del self._flights[target]

        flight.task.add_done_callback(forget)
        return flight

    async def _fetch(self, target: Target, created: bool) -> Outcome:
        service = _service(target.asset_type)
        deadline = time.monotonic() + self._timeout_s
        if self._delay_s:
            await asyncio.sleep(self._delay_s)
        outcome: Outcome = Skipped("not_attempted")
        for attempt in range(self._max_attempts):
            outcome = await self._once(target, service)
            again = (isinstance(outcome, Failed) and outcome.retryable) or (
                isinstance(outcome, Missing) and created
            )
            pause = self._backoff_s * 2**attempt
            last = attempt == self._max_attempts - 1
            if not again or last or time.monotonic() + pause > deadline or self._disabled:
                break
            if isinstance(outcome, Failed):
                self._count(service, outcome)  # a throttled answer counts, even if retried
            await asyncio.sleep(pause)
        self._count(service, outcome)
        return outcome

    async def _once(self, target: Target, service: str) -> Outcome:
        semaphore = self._semaphores.setdefault(service, asyncio.Semaphore(self._max_concurrency))
        async with semaphore:
            self.counters.calls[service] += 1
            outcome = await self._fetchers[target.asset_type].fetch(target, self._clients)
        if isinstance(outcome, Failed) and outcome.kind == "no_credentials":
            if not self._disabled:
                log.warning(
                    "no AWS credentials: live describe is off for this run",
                    extra={"asset": target.describe(), "service": service},
                )
            self._disabled = True
        return outcome

    def _count(self, service: str, outcome: Outcome) -> None:
        if isinstance(outcome, Found):
            self.counters.add(service, "found")
        elif isinstance(outcome, Missing):
            self.counters.add(service, "missing")
        elif isinstance(outcome, Failed):
            self.counters.add(service, outcome.kind)
        else:
            self.counters.add(service, outcome.reason)

    def _apply(
        self, event: dict[str, Any], target: Target | None, outcomes: Mapping[Target, Outcome]
    ) -> dict[str, Any]:
        outcome = outcomes.get(target) if target is not None else None
        if outcome is None or target is None:
            return event
        data = event["data"]
        if data["change"]["action"] == Action.DELETE:
            if isinstance(outcome, Missing):
                self.counters.add(_service(target.asset_type), "confirmed_delete")
            return event
        if not isinstance(outcome, Found):
            return event
        configured = {
            **data,
            "configuration": outcome.configuration,
            "configuration_source": str(outcome.source),
        }
        return {**event, "data": configured}
