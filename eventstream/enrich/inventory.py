"""The asset inventory: versions of one asset, and how an event changes them.

Pure: no I/O. `eventstream.journal.commit` reads what Redis holds into an `AssetModel`, asks it
what one event does (`AssetModel.apply` → a `Step`), and commits the step atomically.

Semantics (the contract of `previous_configuration`, `changes` and the stored state):

- Events of one asset are ordered by their *position*: event time, then action (create before
  update before delete at the same instant), then event id. CloudTrail times have one-second
  resolution, so the tie-break has to be a fixed rule for the result not to depend on arrival.
- A version is the asset's state after one event: its number (events applied so far), the
  event's position, the configuration *known* after it (`config`, JSON bytes, None when
  unknown), whether the event itself carried it (`own`) and the deleted flag.
- An event that carries a configuration makes it the known one; one that carries part of it
  (`configuration_source: event_partial`: a resource policy, the attributes a call set) is
  merged, key by key at the top level, over the configuration known before it (alone when none
  is known). An event without one (most
  updates) says that something changed but not what: the configuration known so far is kept,
  and the event gets no `changes`. A create after a delete starts a new life of the asset:
  what the old one looked like is no longer its configuration.
- `previous_configuration` is the configuration known just before the event's position; for a
  delete, that is the last known configuration, the one just lost; for a create of an asset
  never seen or deleted before, None. `changes` is the JSON Patch from it to the event's own
  configuration, when both are known.
- The deleted flag follows the newest event: a delete sets it, any later event clears it.
- An event older than the current version never overwrites newer state: it is placed in the
  history at its position, gets the previous configuration current at its time, and the
  versions after it are folded again (a version that only kept the configuration known so far
  now keeps the one this event brings). The current state is therefore the fold of all events
  in position order, whatever order they arrived in, as long as the history still holds the
  versions around the event (`history_depth`); an event older than every kept version gets no
  previous configuration and changes nothing but the version count.
- An inventory sync's observation of an asset (`synced`) is a version like an event's with a
  configuration (an update at the time it was observed), but it is not journaled: it only
  makes that configuration the known one, so the next change has a previous configuration.
- Journal entries already written are never rewritten: an event's enrichment reflects what was
  known when it was committed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from eventstream import codec

RANKS = {"create": 0, "update": 1, "delete": 2}
Position = tuple[str, int, str]


@dataclass(frozen=True, slots=True)
class Change:
    """What the committer knows about one event."""

    time: str
    action: str
    eid: str
    config: bytes | None  # the configuration the event carries, as JSON
    partial: bool = False  # `config` is the part the event set, merged over the known one
    synced: bool = False  # an inventory sync's observation (not journaled), not an event

    @property
    def position(self) -> Position:
        return (self.time, RANKS[self.action], self.eid)


def merged(base: bytes | None, part: bytes) -> bytes:
    """`part` over `base`, key by key at the top level (`part` alone when `base` is unknown or
    either is not a JSON object)."""
    if base is None:
        return part
    known, update = codec.loads(base), codec.loads(part)
    if not isinstance(known, dict) or not isinstance(update, dict):
        return part
    return codec.dumps({**known, **update})


@dataclass(frozen=True, slots=True)
class Version:
    """The state of an asset after one event."""

    number: int
    time: str
    action: str
    eid: str
    deleted: bool
    own: bool
    config: bytes | None
    patch: bytes | None = None  # the part an `event_partial` event set (kept for folding)
    synced: bool = False  # made by an inventory sync's observation, not by a journaled event

    @property
    def position(self) -> Position:
        return (self.time, RANKS[self.action], self.eid)

    def change(self) -> Change:
        """The event that made this version, as far as folding needs it."""
        if self.patch is not None:
            return Change(self.time, self.action, self.eid, self.patch, partial=True)
        own = self.config if self.own else None
        return Change(self.time, self.action, self.eid, own, synced=self.synced)

    def encode(self) -> bytes:
        """History entry: a JSON header line, then the configuration JSON (empty: unknown)."""
        header = {
            "version": self.number,
            "time": self.time,
            "action": self.action,
            "eid": self.eid,
            "deleted": self.deleted,
            "own": self.own,
        }
        if self.patch is not None:
            header["patch"] = codec.raw(self.patch)
        if self.synced:
            header["synced"] = True
        return codec.dumps(header) + b"\n" + (self.config or b"")

    @classmethod
    def decode(cls, entry: bytes) -> Version:
        header, _, config = entry.partition(b"\n")
        fields: dict[str, Any] = codec.loads(header)
        return cls(
            number=int(fields["version"]),
            time=str(fields["time"]),
            action=str(fields["action"]),
            eid=str(fields["eid"]),
            deleted=bool(fields["deleted"]),
            own=bool(fields["own"]),
            config=config or None,
            patch=codec.dumps(fields["patch"]) if "patch" in fields else None,
            synced=bool(fields.get("synced", False)),
        )


def previous_of(base: Version | None, action: str) -> bytes | None:
    """The configuration known just before an event applied on `base`."""
    if base is None or (action == "create" and base.deleted):
        return None
    return base.config


def transition(base: Version | None, change: Change, number: int) -> Version:
    """The version an event makes from `base` (None: nothing known before it)."""
    new_life = base is None or (change.action == "create" and base.deleted)
    known = None if base is None or new_life else base.config
    config: bytes | None = known
    if change.config is not None:
        config = merged(known, change.config) if change.partial else change.config
    return Version(
        number=number,
        time=change.time,
        action=change.action,
        eid=change.eid,
        deleted=change.action == "delete",
        own=change.config is not None,
        config=config,
        patch=change.config if change.partial else None,
        synced=change.synced,
    )


@dataclass(frozen=True, slots=True)
class Step:
    """What committing one event does: its previous configuration and the writes."""

    previous: bytes | None
    current: Version  # the asset's current version after the event
    writes: list[Version]  # versions to (re)write in the asset hash, the current one included

    def dropped(self, depth: int) -> int:
        """The version number that leaves the kept window with this step (0: none)."""
        return max(0, self.current.number - depth)


class AssetModel:
    """One asset as the committer knows it: its current version, and its history if loaded.

    `token` is the compare-and-set token of the stored state: (version, id of the last event
    committed for the asset). Every `apply` moves it on, so steps planned together for one
    asset commit only in sequence, and only on the state they were planned from.
    """

    def __init__(
        self, current: Version | None, last: str, history: list[Version] | None, depth: int
    ) -> None:
        self.current = current
        self.last = last
        self.history = history  # the kept versions, oldest first; None: not loaded
        self.depth = depth

    @property
    def token(self) -> tuple[int, str]:
        return (self.current.number if self.current else 0, self.last)

    def is_known(self, change: Change) -> bool:
        """Whether this exact event already made a version (a duplicate whose marker expired).

        A version made by the event has its position, so an event newer than the current
        version (the common case) is new without looking at the history."""
        current = self.current
        if current is None:
            return False
        position = change.position
        latest = current.position
        if position > latest:
            return False
        if position == latest:
            return True
        eid = change.eid
        return self.history is not None and any(v.eid == eid for v in self.history)

    def apply(self, change: Change) -> Step:
        """Plan `change` and update the model as if it were committed."""
        current = self.current
        if current is None or change.position > current.position:
            step = self._newest(change)
        else:
            step = self._older(change)
        self.current = step.current
        self.last = change.eid
        return step

    def _newest(self, change: Change) -> Step:
        base = self.current
        version = transition(base, change, base.number + 1 if base else 1)
        if self.history is not None:
            self.history = [*self.history, version][-self.depth :]
        return Step(previous_of(base, change.action), version, [version])

    def _older(self, change: Change) -> Step:
        current = self.current
        history = self.history
        if current is None or history is None:
            raise ValueError(f"history of an older event not loaded: event_id={change.eid}")
        position = change.position
        index = sum(1 for version in history if version.position < position)
        complete = bool(history) and history[0].number == 1
        if index == 0 and not complete:
            # Older than every kept version: nothing is known at its time. It takes its place
            # in the numbering, and falls out of the window at once.
            self.history = [replace(v, number=v.number + 1) for v in history]
            return Step(None, self.history[-1], self.history)
        base = history[index - 1] if index > 0 else None
        folded = [transition(base, change, base.number + 1 if base else 1)]
        for later in history[index:]:
            folded.append(transition(folded[-1], later.change(), folded[-1].number + 1))
        self.history = [*history[:index], *folded][-self.depth :]
        writes = [v for v in folded if v.number > folded[-1].number - self.depth]
        return Step(previous_of(base, change.action), folded[-1], writes)
