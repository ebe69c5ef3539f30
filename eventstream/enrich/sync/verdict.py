"""What a sync does with one observed resource, given what the inventory holds (pure).

- not in the inventory: **seed** it (a version with the observed configuration, not
  journaled), so that its first change has a previous configuration;
- the same configuration as the inventory's: **unchanged**;
- a different configuration, but the asset's last version came from an event that did not
  carry one (the describe was off, failed, or the type has none): the event explains the
  difference, the observation **refreshes** the known configuration (not journaled);
- otherwise nothing the inventory knows explains the difference: **drift**. A drift is
  reported (a journaled `update` with operation `Drift`) once it has been seen for
  `grace_s` on the same asset version with the same configuration: CloudTrail delivers
  records minutes after the call, so a change seen by a sync before its record arrives is
  not drift; until then it is **suspected**. With `grace_s = 0` it is reported at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from eventstream import codec
from eventstream.enrich.inventory import Version


class Verdict(StrEnum):
    SEED = "seeded"
    UNCHANGED = "unchanged"
    REFRESH = "refreshed"
    SUSPECT = "suspected"
    DRIFT = "drifted"


@dataclass(frozen=True, slots=True)
class Suspect:
    """A difference seen but not reported yet: on which version, which configuration, when."""

    version: int
    digest: str
    seen: float  # epoch seconds

    def encode(self) -> bytes:
        return codec.dumps({"version": self.version, "digest": self.digest, "seen": self.seen})

    @classmethod
    def decode(cls, raw: bytes) -> Suspect | None:
        try:
            fields = codec.loads(raw)
            return cls(int(fields["version"]), str(fields["digest"]), float(fields["seen"]))
        except (ValueError, KeyError, TypeError):
            return None  # unreadable: seen again from now


def digest(configuration: dict[str, Any]) -> str:
    """A short digest of a configuration, independent of key order."""
    return hashlib.sha256(codec.dumps_sorted(configuration)).hexdigest()[:32]


def verdict(
    current: Version | None,
    observed: dict[str, Any],
    suspect: Suspect | None,
    *,
    now: float,
    grace_s: float,
) -> Verdict:
    """See the module doc. `current` is the inventory's current version of the asset."""
    if current is None:
        return Verdict.SEED
    known = codec.loads(current.config) if current.config is not None else None
    if known == observed and not current.deleted:
        return Verdict.UNCHANGED
    if not current.deleted and not current.own and not current.synced:
        return Verdict.REFRESH
    if grace_s <= 0:
        return Verdict.DRIFT
    same = (
        suspect is not None
        and suspect.version == current.number
        and suspect.digest == digest(observed)
    )
    if same and suspect is not None and now - suspect.seen >= grace_s:
        return Verdict.DRIFT
    return Verdict.SUSPECT
