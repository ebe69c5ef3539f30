"""The commit point: enrich asset events from the inventory and journal them, atomically.

`Committer.commit(events)` takes asset events from the normalizer and, for each, fills
`previous_configuration` and `changes` from the inventory (semantics in `enrich.inventory`),
then updates the inventory and appends the enriched event to the journal in one atomic step.

How it stays atomic and race-free: optimistic concurrency with a compare-and-set Lua script
(`commit.lua`), not enrichment inside Lua. A batch is two round trips:

1. read (`read.lua`): the current version of each asset of the batch and which dedup markers
   exist (plus, only for assets that receive an event older than their state, their history);
2. write (`commit.lua`, one `EVALSHA` for the whole batch): in Python, each event is planned
   on a local model of its asset (previous configuration, JSON Patch, new state, history
   writes); the script, per event, checks the dedup marker, then that the asset's state token
   (version, last event id) is the one the plan was made from, and only then writes the
   journal entry (`XADD`), the marker (with its TTL), the state and the history. A script runs
   atomically and the append-only file records the whole script or none of it, so no event
   is ever half-written.

A script that finds another token (a concurrent committer got there first) changes nothing for
that event and answers "conflict"; the remaining events are read and planned again, a bounded
number of times. So two committers never lose an update, and a previous configuration always
matches the state it replaced. Why not enrichment inside Lua: the JSON Patch needs the
configurations parsed, and Lua's cjson turns `[]` into `{}` and rounds numbers to 14 digits;
the diff belongs in typed, tested Python. Why not WATCH/MULTI: each transaction would need its
own connection and round trips per asset; the script commits hundreds of events in one. Every
key carries the deployment's hash tag, so the script is legal on a Redis Cluster.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from eventstream import codec
from eventstream.config import InventorySettings, JournalSettings
from eventstream.enrich.inventory import (
    AssetModel,
    Change,
    Position,
    Step,
    Version,
)
from eventstream.enrich.patch import diff
from eventstream.errors import CommitError, RedisUnavailableError
from eventstream.journal.keys import HISTORY_PREFIX, Keys, version_field
from eventstream.journal.stream import oldest_id
from eventstream.journal.wire import call
from eventstream.models.event import ConfigurationSource

_HERE = resources.files("eventstream.journal")
COMMIT_SCRIPT = _HERE.joinpath("commit.lua").read_bytes()
READ_SCRIPT = _HERE.joinpath("read.lua").read_bytes()
COMMIT_SHA = hashlib.sha1(COMMIT_SCRIPT).hexdigest()
READ_SHA = hashlib.sha1(READ_SCRIPT).hexdigest()
MAX_ATTEMPTS = 64
_BACKOFF_S = 0.002
_JOURNALED = 1
_REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


@dataclass
class CommitResult:
    """What one `commit` call did."""

    journaled: int = 0
    seeded: int = 0  # versions written without a journal entry (`commit(..., journal=False)`)
    duplicates: int = 0
    conflicts: int = 0  # plans redone because another committer changed an asset first
    ids: list[str] = field(default_factory=list)  # journal ids of the new entries, in order


@dataclass(slots=True)
class _Pending:
    event: dict[str, Any]
    subject: str
    change: Change
    journal: bool = True


@dataclass(slots=True)
class _Planned:
    pending: _Pending
    keys: tuple[str, str]  # asset hash, dedup marker
    args: list[Any]


def _pending(event: dict[str, Any], journal: bool) -> _Pending:
    data = event["data"]
    configuration = data["configuration"]
    config = codec.dumps(configuration) if configuration is not None else None
    partial = data["configuration_source"] == ConfigurationSource.EVENT_PARTIAL
    synced = not journal
    change = Change(event["time"], data["change"]["action"], event["id"], config, partial, synced)
    return _Pending(event, event["subject"], change, journal)


def enriched_event(event: dict[str, Any], previous: bytes | None) -> bytes:
    """The event's JSON with `previous_configuration` and `changes` filled in."""
    data = event["data"]
    configuration = data["configuration"]
    changes = None
    if previous is not None and configuration is not None:
        before = codec.loads(previous)
        after = configuration
        if data["configuration_source"] == ConfigurationSource.EVENT_PARTIAL and isinstance(
            before, dict
        ):
            after = {**before, **configuration}  # the part set, over what was known
        changes = diff(before, after)
    return codec.dumps(
        {
            **event,
            "data": {
                **data,
                "previous_configuration": codec.raw(previous) if previous is not None else None,
                "changes": changes,
            },
        }
    )


class Committer:
    """Commits asset events to one Redis (or Cluster) under one key prefix. Safe to share
    between tasks, and any number of committers may run against one Redis."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        journal: JournalSettings | None = None,
        inventory: InventorySettings | None = None,
        redis_url: str = "",
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.journal = journal or JournalSettings()
        self.depth = (inventory or InventorySettings()).history_depth
        self.redis_url = redis_url

    async def commit(
        self,
        events: Sequence[dict[str, Any]],
        into: CommitResult | None = None,
        *,
        journal: bool = True,
    ) -> CommitResult:
        """Commit `events`, `batch_size` per round trip, each batch in position order (time,
        then create/update/delete, then id), counting into `into` (or a new result), which
        it returns. With `journal=False` the events only make inventory versions (an inventory
        sync's seeds, `synced`): no journal entry, no dedup marker (counted as `seeded`).
        Raises `RedisUnavailableError` (the batches counted in `into` so far are committed,
        the failed one is not: committing the same events again is safe) or `CommitError`.

        Batches are pipelined: while Redis runs one batch's script, the next batch is planned
        on the state that write will leave (the models are kept across the batches of one
        call, so only assets not seen yet are read). If the write in flight meets a conflict,
        plans made on top of it may be stale too: both are settled again the safe way, one
        batch at a time on freshly read state.
        """
        result = CommitResult() if into is None else into
        size = self.journal.batch_size
        models: dict[str, AssetModel] = {}
        seen: set[str] = set()
        flight: asyncio.Task[list[_Pending]] | None = None
        try:
            for start in range(0, len(events), size):
                batch = [_pending(event, journal) for event in events[start : start + size]]
                batch.sort(key=lambda item: item.change.position)
                planned = await self._plan(batch, result, models, seen, flight)
                if flight is not None:
                    again = await flight
                    flight = None
                    if again:
                        result.conflicts += len(again)
                        models.clear()
                        redo = [*again, *(item.pending for item in planned)]
                        redo.sort(key=lambda item: item.change.position)
                        await self._settle(redo, result)
                        continue
                if planned:
                    flight = asyncio.create_task(self._write(planned, result))
            if flight is not None:
                again = await flight
                flight = None
                if again:
                    result.conflicts += len(again)
                    await self._settle(again, result)
        finally:
            if flight is not None:  # planning failed while a write was in flight
                await asyncio.gather(flight, return_exceptions=True)
        return result

    async def _settle(self, pending: list[_Pending], result: CommitResult) -> None:
        """Commit `pending` on freshly read state, planning again after each conflict."""
        for attempt in range(MAX_ATTEMPTS):
            planned = await self._plan(pending, result, {}, set(), None)
            if not planned:
                return
            pending = await self._write(planned, result)
            if not pending:
                return
            result.conflicts += len(pending)
            await asyncio.sleep(random.uniform(0, _BACKOFF_S * (attempt + 1)))
        first = pending[0]
        raise CommitError(
            f"still conflicting after {MAX_ATTEMPTS} attempts",
            event_id=first.change.eid,
            subject=first.subject,
        )

    async def _plan(
        self,
        pending: list[_Pending],
        result: CommitResult,
        models: dict[str, AssetModel],
        seen: set[str],
        flight: asyncio.Task[list[_Pending]] | None,
    ) -> list[_Planned]:
        """Read what the batch needs (assets not in `models`, dedup markers) and plan every
        event that is not a duplicate, updating `models` and `seen`."""
        marked = await self._read(pending, models, flight)
        planned: list[_Planned] = []
        for item, marker in zip(pending, marked, strict=True):
            model = models[item.subject]
            if marker or item.change.eid in seen or model.is_known(item.change):
                result.duplicates += 1
                continue
            seen.add(item.change.eid)
            token = model.token
            newest = model.current is None or item.change.position > model.current.position
            step = model.apply(item.change)
            planned.append(self._planned(item, token, step, newest))
        return planned

    def _planned(
        self, item: _Pending, token: tuple[int, str], step: Step, newest: bool
    ) -> _Planned:
        dropped = step.dropped(self.depth)
        args: list[Any] = [
            token[0],
            token[1],
            item.subject,
            item.change.eid,
            enriched_event(item.event, step.previous) if item.journal else b"",
            codec.dumps(item.event["data"]["asset"]) if newest else b"",
            version_field(dropped) if dropped else b"",
            len(step.writes),
        ]
        for version in step.writes:
            args.append(version_field(version.number))
            args.append(version.encode())
        keys = (self.keys.asset(item.subject), self.keys.dedup(item.change.eid))
        return _Planned(item, keys, args)

    async def _read(
        self,
        pending: list[_Pending],
        models: dict[str, AssetModel],
        flight: asyncio.Task[list[_Pending]] | None,
    ) -> list[bool]:
        """Load the models of the batch's new assets into `models` (and the history of those
        that receive an older event); returns which events have a dedup marker.

        Runs while `flight` may still be writing: the assets it reads are not in `models`, so
        not in the write in flight; a history of an asset in `models` is read only after it.
        """
        subjects = [s for s in dict.fromkeys(item.subject for item in pending) if s not in models]
        keys = [self.keys.asset(subject) for subject in subjects]
        keys += [self.keys.dedup(item.change.eid) for item in pending]
        reply = await self._script(READ_SHA, READ_SCRIPT, keys, [len(subjects)], pending)
        for subject, (version, last, entry) in zip(subjects, reply, strict=False):
            current = Version.decode(entry) if entry else None
            if version is not None and (current is None or current.number != int(version)):
                raise CommitError(
                    f"inventory entry of version {int(version)} is missing or inconsistent",
                    event_id="",
                    subject=subject,
                )
            # A new asset has no history to read: it starts empty.
            last_id = last.decode() if last else ""
            models[subject] = AssetModel(current, last_id, None if current else [], self.depth)
        older = [s for s in _needing_history(pending, models) if models[s].history is None]
        if older:
            if flight is not None and any(s not in subjects for s in older):
                await asyncio.gather(flight, return_exceptions=True)  # its errors: to commit
            pipe = self.redis.pipeline(transaction=False)
            for subject in older:
                pipe.hgetall(self.keys.asset(subject))
            try:
                rows = await pipe.execute()
            except _REDIS_DOWN as error:
                raise RedisUnavailableError(self.redis_url, _reason(error)) from error
            for subject, row in zip(older, rows, strict=True):
                models[subject].history = _history(row)
        markers: bytes = reply[-1]
        return [flag == ord("1") for flag in markers]

    async def _write(self, planned: list[_Planned], result: CommitResult) -> list[_Pending]:
        """Commit the planned events in one script call; returns those to plan again."""
        keys = [self.keys.journal, self.keys.asset_index]
        args: list[Any] = [
            self.journal.dedup_ttl_s,
            self.journal.max_length,
            oldest_id(self.journal.max_age_s) if self.journal.max_age_s else "0",
            len(planned),
        ]
        for item in planned:
            keys.extend(item.keys)
            args.extend(item.args)
        pending = [item.pending for item in planned]
        reply = await self._script(COMMIT_SHA, COMMIT_SCRIPT, keys, args, pending)
        again: list[_Pending] = []
        for index, item in enumerate(planned):
            code, value = reply[2 * index], reply[2 * index + 1]
            if code == _JOURNALED and not item.pending.journal:
                result.seeded += 1
            elif code == _JOURNALED:
                result.journaled += 1
                result.ids.append(value.decode())
            else:
                again.append(item.pending)
        return again

    async def _script(
        self, sha: str, script: bytes, keys: list[str], args: list[Any], batch: list[_Pending]
    ) -> Any:
        """EVALSHA, loading the script first if Redis does not have it (new or restarted)."""
        for _ in range(2):
            try:
                return await call(self.redis, "EVALSHA", sha, len(keys), *keys, *args)
            except NoScriptError:
                try:
                    await call(self.redis, "SCRIPT", "LOAD", script)
                except _REDIS_DOWN as error:
                    raise RedisUnavailableError(self.redis_url, _reason(error)) from error
            except _REDIS_DOWN as error:
                raise RedisUnavailableError(self.redis_url, _reason(error)) from error
            except ResponseError as error:
                first = batch[0] if batch else None
                raise CommitError(
                    f"Redis refused the commit script: {error}",
                    event_id=first.change.eid if first else "",
                    subject=first.subject if first else "",
                ) from None
        raise RedisUnavailableError(self.redis_url, "Redis keeps losing the commit scripts")


def _history(row: dict[bytes, bytes]) -> list[Version]:
    """The kept versions of an asset hash (`h:<n>` fields), oldest first."""
    versions = [
        Version.decode(value) for key, value in row.items() if key.startswith(HISTORY_PREFIX)
    ]
    versions.sort(key=lambda version: version.number)
    return versions


def _needing_history(pending: list[_Pending], models: dict[str, AssetModel]) -> list[str]:
    """Assets that receive an event older than their state (or than an earlier batch event)."""
    newest: dict[str, Position] = {
        s: m.current.position for s, m in models.items() if m.current is not None
    }
    older: dict[str, None] = {}
    for item in pending:
        position = item.change.position
        latest = newest.get(item.subject)
        if latest is not None and position < latest:
            older[item.subject] = None
        elif latest is None or position > latest:
            newest[item.subject] = position
    return list(older)


def _reason(error: BaseException) -> str:
    return str(error) or type(error).__name__
