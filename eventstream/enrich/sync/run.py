"""The inventory sync: list and describe every supported resource, seed the inventory, and
report drift (semantics of each outcome in `enrich.sync.verdict`).

A sync walks units (account, region and asset type; global types once per account), one at a
time: it lists the unit's resources, describes those the list does not describe (at most
`concurrency` calls at once), and writes what it observed in chunks: seeds and refreshes as
inventory versions that are not journaled (`Committer.commit(..., journal=False)`), drift as
journaled `update` events with operation `Drift`, attributed to nobody (`unknown`). A unit is
marked done once written (`enrich.sync.progress`), so an interrupted sync resumes. One sync
runs at a time per deployment (a lock in Redis, renewed while it runs).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from eventstream.enrich.inventory import Version
from eventstream.enrich.live.cloudcontrol import CloudControl
from eventstream.enrich.live.describe.base import GLOBAL_REGION
from eventstream.enrich.live.outcome import (
    GLOBAL,
    Clients,
    ClientsError,
    Failed,
    Fetcher,
    Found,
    Target,
)
from eventstream.enrich.sync.listers import (
    LISTERS,
    Listed,
    Lister,
    cloudcontrol_lister,
    unsupported,
    unsupported_message,
)
from eventstream.enrich.sync.progress import ProgressStore, Run, Unit
from eventstream.enrich.sync.verdict import Suspect, Verdict, digest, verdict
from eventstream.errors import SyncError
from eventstream.journal.assets import AssetStore
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from eventstream.models.event import Action, ConfigurationSource, Resolution
from eventstream.normalize import derived
from eventstream.normalize.attribution import unknown_attribution
from eventstream.normalize.naming import AssetRef
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.registry import Registry
from eventstream.sources.aws import AWS_ERRORS, describe, error_kind

log = logging.getLogger(__name__)

DRIFT = "Drift"  # `change.operation` of a drift event
SEED = "Sync"  # `change.operation` of a seed (not journaled; seen in the inventory's asset JSON)
LOCK_TTL_S = 60


@dataclass
class Tally:
    """Counts of one asset type (or of a whole sync)."""

    listed: int = 0
    described: int = 0  # describe calls that found the resource (the list did not describe it)
    failed: int = 0  # describe calls that failed (throttled, denied, ...)
    skipped: int = 0  # gone between list and describe, or not resolvable to an asset name
    seeded: int = 0
    refreshed: int = 0
    unchanged: int = 0
    suspected: int = 0
    drifted: int = 0

    def add(self, other: Tally | dict[str, Any]) -> None:
        values = asdict(other) if isinstance(other, Tally) else other
        for name, value in values.items():
            if hasattr(self, name) and isinstance(value, int):
                setattr(self, name, getattr(self, name) + value)


@dataclass
class SyncSummary:
    run: str
    resumed: bool
    dry_run: bool
    units: int  # units in the sync
    units_resumed: int = 0  # done by the interrupted run this one resumed
    units_failed: int = 0  # their list call failed (see `errors`)
    by_type: dict[str, Tally] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def total(self) -> Tally:
        total = Tally()
        for tally in self.by_type.values():
            total.add(tally)
        return total


@dataclass
class _Writes:
    """What one chunk writes: seeds (not journaled), drift events, suspects set and cleared."""

    seeds: list[dict[str, Any]] = field(default_factory=list)
    drifts: list[dict[str, Any]] = field(default_factory=list)
    suspects: dict[str, bytes] = field(default_factory=dict)
    cleared: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SyncProgress:
    units_done: int
    units: int
    unit: Unit | None
    listed: int  # in the current unit so far
    observed: int  # in the current unit so far


Progress = Callable[[SyncProgress], None]


def _iso(now: float) -> str:
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class InventorySync:
    """One deployment's sync (see the module doc). `fetcher` describes what the listers do
    not (the explicit describers); `committer` is the journal's."""

    def __init__(
        self,
        *,
        redis: Redis,
        keys: Keys,
        committer: Committer,
        clients: Clients,
        fetcher: Fetcher,
        registry: Registry,
        accounts: Sequence[str],
        regions: Sequence[str],
        types: Sequence[str] | None = None,
        concurrency: int = 8,
        grace_s: float = 900.0,
        dry_run: bool = False,
        chunk: int = 500,
        on_progress: Progress | None = None,
        clock: Callable[[], float] = time.time,
        lock_ttl_s: float = LOCK_TTL_S,
    ) -> None:
        unknown = unsupported(types or ())
        if unknown:
            message = unsupported_message(unknown, "list")
            raise SyncError(f"inventory sync {message}", prefix=keys.prefix)
        self._redis = redis
        self._keys = keys
        self._committer = committer
        self._clients = clients
        self._fetcher = fetcher
        self._registry = registry
        self._normalizer = Normalizer(registry)
        self._accounts = list(dict.fromkeys(accounts))
        self._regions = list(dict.fromkeys(regions))
        self._types = sorted(types) if types else sorted(LISTERS)
        self._listers = {t: LISTERS.get(t) or cloudcontrol_lister(t) for t in self._types}
        self._cloudcontrol: Fetcher = CloudControl.for_types(LISTERS)
        self._concurrency = asyncio.Semaphore(max(1, concurrency))
        self._grace_s = grace_s
        self._dry_run = dry_run
        self._chunk = max(1, chunk)
        self._on_progress = on_progress
        self._clock = clock
        self._progress = ProgressStore(redis, keys)
        self._store = AssetStore(redis, keys)
        self._owner = uuid.uuid4().hex
        self._lock_ttl_s = lock_ttl_s

    def units(self) -> list[Unit]:
        found: list[Unit] = []
        for account in self._accounts:
            for asset_type in self._types:
                if self._listers[asset_type].global_:
                    found.append(Unit(account, GLOBAL, asset_type))
                else:
                    found.extend(Unit(account, region, asset_type) for region in self._regions)
        return found

    async def run(self, *, restart: bool = False) -> SyncSummary:
        """Sync every unit (resuming an interrupted run unless `restart`); a dry run reads
        the inventory but writes nothing, and neither resumes nor records progress."""
        started = time.monotonic()
        units = self.units()
        holding = None
        if not self._dry_run:
            await self._lock()
            holding = asyncio.ensure_future(self._hold())
        try:
            if self._dry_run:
                run = Run(uuid.uuid4().hex[:12], self._clock(), {}, resumed=False)
            else:
                run = await self._progress.begin(self._clock(), restart=restart)
            summary = SyncSummary(run.id, run.resumed, self._dry_run, len(units))
            for index, unit in enumerate(units):
                tally = summary.by_type.setdefault(unit.asset_type, Tally())
                if unit.key in run.done:
                    tally.add(run.done[unit.key])
                    summary.units_resumed += 1
                    continue
                self._report(SyncProgress(index, len(units), unit, 0, 0))
                counts = await self._unit(unit, summary, index, len(units))
                if counts is None:
                    continue  # failed: not marked done, so a resumed run tries it again
                tally.add(counts)
                if not self._dry_run:
                    await self._progress.mark(run, unit, asdict(counts))
            self._report(SyncProgress(len(units), len(units), None, 0, 0))
            if not self._dry_run:
                await self._progress.finish(run)
        finally:
            if holding is not None:
                holding.cancel()
                await asyncio.gather(holding, return_exceptions=True)  # ended, not left pending
                await self._unlock()
        summary.seconds = time.monotonic() - started
        return summary

    def _report(self, progress: SyncProgress) -> None:
        if self._on_progress is not None:
            self._on_progress(progress)

    async def _lock(self) -> None:
        key = self._keys.sync_lock
        ttl_ms = max(1, int(self._lock_ttl_s * 1000))
        if await self._redis.set(key, self._owner, nx=True, px=ttl_ms):
            return
        holder = await self._redis.get(key)
        if holder == self._owner.encode():
            await self._redis.pexpire(key, ttl_ms)
            return
        raise SyncError(
            "another inventory sync is running on this deployment (it holds "
            f"{key} for up to {self._lock_ttl_s:g} s after it stops)",
            prefix=self._keys.prefix,
        )

    async def _hold(self) -> None:
        """Renew the lock while the sync runs (a unit of slow describes can outlast its TTL)."""
        while True:
            await asyncio.sleep(self._lock_ttl_s / 3)
            try:
                await self._lock()
            except (SyncError, RedisError, OSError) as error:
                log.warning("inventory sync: lock not renewed", extra={"error": repr(error)})

    async def _unlock(self) -> None:
        key = self._keys.sync_lock
        if await self._redis.get(key) == self._owner.encode():
            await self._redis.delete(key)

    async def _unit(self, unit: Unit, summary: SyncSummary, index: int, units: int) -> Tally | None:
        """Sync one unit; None when its list call failed (counted in `summary`)."""
        lister = self._listers[unit.asset_type]
        region = GLOBAL_REGION if unit.region == GLOBAL else unit.region
        tally = Tally()
        try:
            client = await self._clients.client(lister.service, account=unit.account, region=region)
            chunk: list[Listed] = []
            async for item in lister.call(client, unit.account, region):
                tally.listed += 1
                chunk.append(item)
                if len(chunk) >= self._chunk:
                    await self._observe(unit, lister, chunk, tally)
                    chunk = []
                    self._report(SyncProgress(index, units, unit, tally.listed, self._seen(tally)))
            if chunk:
                await self._observe(unit, lister, chunk, tally)
        except ClientsError as error:  # the account cannot be read (not configured, no role)
            summary.units_failed += 1
            summary.errors.append(f"{unit.key}: {error}")
            log.warning("inventory sync: account unreadable", extra={"unit": unit.key})
            return None
        except AWS_ERRORS as error:
            kind = error_kind(error)
            if kind == "no_credentials":
                raise SyncError(
                    f"no AWS credentials for account {unit.account}: {describe(error)}",
                    prefix=self._keys.prefix,
                ) from None
            summary.units_failed += 1
            summary.errors.append(f"{unit.key}: {kind}: {describe(error)}")
            log.warning(
                "inventory sync: listing failed",
                extra={"unit": unit.key, "error": kind, "detail": describe(error)},
            )
            return None
        return tally

    @staticmethod
    def _seen(tally: Tally) -> int:
        return tally.seeded + tally.refreshed + tally.unchanged + tally.suspected + tally.drifted

    async def _observe(self, unit: Unit, lister: Lister, items: list[Listed], tally: Tally) -> None:
        """Resolve, describe (where the list did not) and write one chunk of a unit."""
        refs: list[tuple[AssetRef, Listed]] = []
        for item in items:
            ref = self._resolve(unit.asset_type, item.value, unit.account, unit.region)
            if ref is None or ref.type != unit.asset_type:
                tally.skipped += 1
                log.warning(
                    "inventory sync: listed resource has no asset name",
                    extra={"unit": unit.key, "value": item.value},
                )
                continue
            refs.append((ref, item))
        described = await asyncio.gather(*(self._configuration(ref, item) for ref, item in refs))
        observed: list[tuple[AssetRef, dict[str, Any]]] = []
        for (ref, item), configuration in zip(refs, described, strict=True):
            if isinstance(configuration, dict):
                observed.append((ref, configuration))
                tally.described += item.configuration is None
            elif configuration == "failed":
                tally.failed += 1
            else:
                tally.skipped += 1
        await self._write(lister, observed, tally)

    def _resolve(self, asset_type: str, value: str, account: str, region: str) -> AssetRef | None:
        """The asset a listed id, name or ARN names, as the normalizer names it (a family's
        kind, else the derived resolver's)."""
        kind = self._registry.kind_for_type(asset_type)
        table = self._registry.derived
        if kind is None and table is not None and asset_type in table.types:
            found = derived.resolve(self._registry, table.types[asset_type], value, account, region)
            return found[0] if found is not None else None
        return self._registry.resolve(kind, value, account, region)

    async def _configuration(self, ref: AssetRef, item: Listed) -> dict[str, Any] | str:
        """The resource's configuration, or why there is none (`failed`, `missing`, ...)."""
        if item.configuration is not None:
            return item.configuration
        target = Target(ref.type, ref.provider_id, ref.arn, ref.account, ref.region)
        fetcher = self._fetcher if ref.type in LISTERS else self._cloudcontrol
        async with self._concurrency:
            outcome = await fetcher.fetch(target, self._clients)
        if isinstance(outcome, Found):
            return outcome.configuration
        if isinstance(outcome, Failed):
            log.warning(
                "inventory sync: describe failed",
                extra={"asset": target.describe(), "error": outcome.kind, "detail": outcome.detail},
            )
            return "failed"
        return "missing"

    async def _currents(self, names: list[str]) -> dict[str, Version | None]:
        """The inventory's current version of each asset (None: not in the inventory)."""
        states = await self._store.many(names)
        return {n: s.current if s else None for n, s in zip(names, states, strict=True)}

    async def _suspects(self, names: list[str]) -> dict[str, Suspect]:
        if self._grace_s <= 0 or not names:
            return {}
        rows: list[Any] = await self._redis.hmget(self._keys.sync_suspects, names)
        found = {n: Suspect.decode(r) for n, r in zip(names, rows, strict=True) if r}
        return {n: s for n, s in found.items() if s is not None}

    async def _write(
        self, lister: Lister, observed: list[tuple[AssetRef, dict[str, Any]]], tally: Tally
    ) -> None:
        if not observed:
            return
        names = [ref.name for ref, _ in observed]
        currents = await self._currents(names)
        suspects = await self._suspects(names)
        writes = _Writes()
        now = self._clock()
        for ref, configuration in observed:
            current = currents[ref.name]
            suspect = suspects.get(ref.name)
            found = verdict(current, configuration, suspect, now=now, grace_s=self._grace_s)
            setattr(tally, found.value, getattr(tally, found.value) + 1)
            if found in (Verdict.SEED, Verdict.REFRESH):
                writes.seeds.append(self._event(ref, configuration, lister, now, operation=SEED))
            elif found is Verdict.DRIFT:
                drift = self._event(ref, configuration, lister, now, operation=DRIFT, on=current)
                writes.drifts.append(drift)
            elif found is Verdict.SUSPECT and current is not None:
                mark = Suspect(current.number, digest(configuration), now)
                if suspect is None or (suspect.version, suspect.digest) != (
                    mark.version,
                    mark.digest,
                ):
                    writes.suspects[ref.name] = mark.encode()
            if found is not Verdict.SUSPECT and suspect is not None:
                writes.cleared.append(ref.name)
        if not self._dry_run:
            await self._apply(writes)

    async def _apply(self, writes: _Writes) -> None:
        if writes.seeds:
            await self._committer.commit(writes.seeds, journal=False)
        if writes.drifts:
            await self._committer.commit(writes.drifts)
            for event in writes.drifts:
                log.info(
                    "inventory sync: drift",
                    extra={"asset": event["subject"], "event_id": event["id"]},
                )
        if writes.suspects or writes.cleared:
            pipe = self._redis.pipeline(transaction=False)
            if writes.suspects:
                pipe.hset(self._keys.sync_suspects, mapping=writes.suspects)  # type: ignore[arg-type]
            if writes.cleared:
                pipe.hdel(self._keys.sync_suspects, *writes.cleared)
            await pipe.execute()

    def _event(
        self,
        ref: AssetRef,
        configuration: dict[str, Any],
        lister: Lister,
        now: float,
        *,
        operation: str,
        on: Version | None = None,
    ) -> dict[str, Any]:
        """An update of `ref` to `configuration` as observed `now` (a seed or a drift)."""
        observed_at = _iso(now)
        fingerprint = digest(configuration)
        if operation == DRIFT:
            # The same drift seen twice (two replicas, a rerun) is one event (one dedup id).
            provider_id = f"drift:{on.number if on else 0}:{fingerprint}"
        else:
            provider_id = f"sync:{observed_at}:{fingerprint}"
        event = self._normalizer.build(
            provider_event_id=provider_id,
            ref=ref,
            action=Action.UPDATE,
            operation=operation,
            service=lister.event_source,
            time=observed_at,
            attribution=unknown_attribution(),
            associations=[],
            configuration=configuration,
            raw={
                "eventstream": {
                    "observation": operation.lower(),
                    "observed_at": observed_at,
                    "configuration_digest": fingerprint,
                }
            },
            resolution=(
                Resolution.TABLE
                if self._registry.kind_for_type(ref.type) is not None
                else Resolution.DERIVED
            ),
        )
        event["data"]["configuration_source"] = ConfigurationSource.SYNC
        return event
