"""Real corpus records for the family tests, found by event name or id and copied, so that a
test can change one field (an identifier, a qualifier) and see what the normalizer makes of it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from eventstream.normalize.normalizer import Normalizer
from tests.conftest import read_jsonl

TRAILS = ("invictus.jsonl", "stratus.jsonl")
Record = dict[str, Any]


@cache
def _records(corpus: Path) -> tuple[Record, ...]:
    return tuple(record for name in TRAILS for record in read_jsonl(corpus / "cloudtrail" / name))


def successful(corpus: Path) -> list[Record]:
    """Every CloudTrail record of the corpus trails whose call succeeded (copies)."""
    return [copy.deepcopy(r) for r in _records(corpus) if not r.get("errorCode")]


def record(corpus: Path, event_name: str, where: Callable[[Record], bool] | None = None) -> Record:
    """A copy of the first successful record of this event name (that `where` accepts)."""
    for found in _records(corpus):
        if found["eventName"] != event_name or found.get("errorCode"):
            continue
        if where is None or where(found):
            return copy.deepcopy(found)
    raise LookupError(event_name)


def by_id(corpus: Path, event_id: str) -> Record:
    """A copy of the record with this `eventID`."""
    for found in _records(corpus):
        if found["eventID"] == event_id:
            return copy.deepcopy(found)
    raise LookupError(event_id)


def only(normalizer: Normalizer, raw: Record) -> dict[str, Any]:
    """The single event a record produces."""
    events = normalizer.normalize(raw).events
    assert len(events) == 1, [event["subject"] for event in events]
    return events[0]


def action(event: dict[str, Any]) -> str:
    return str(event["data"]["change"]["action"])


def related(event: dict[str, Any]) -> dict[str, str]:
    """`relation` → related asset name (one per relation in these tests)."""
    return {a["relation"]: a["name"] for a in event["data"]["associations"]}
