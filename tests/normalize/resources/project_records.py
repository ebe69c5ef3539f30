"""The project's hand-written records (`tests/normalize/records/<family>.jsonl`, see its README)
for the family tests, found by event name and copied, so that a test can change a field or turn a
record into another call and see what the normalizer makes of it.

The single event a record produces is `corpus_calls.only`, shared with the corpus-based tests."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tests.conftest import read_jsonl

RECORDS_DIR = Path(__file__).resolve().parent.parent / "records"
Record = dict[str, Any]


@cache
def _records(family: str) -> tuple[Record, ...]:
    return tuple(read_jsonl(RECORDS_DIR / f"{family}.jsonl"))


@dataclass(frozen=True)
class Family:
    """The hand-written records of one service family; `template` is the record `call` rewrites
    unless a call names another."""

    name: str
    template: str | None = None

    def record(self, event_name: str) -> Record:
        """A copy of the family's first record of this event name."""
        for found in _records(self.name):
            if found["eventName"] == event_name:
                return copy.deepcopy(found)
        raise LookupError(f"{event_name} not in {self.name}.jsonl")

    def call(
        self,
        event_name: str,
        request: Record,
        response: Any = None,
        *,
        template: str | None = None,
    ) -> Record:
        """A copy of the template record made into `event_name` with this request and response."""
        base = template or self.template
        if base is None:
            raise ValueError(f"no template record for {event_name} in {self.name}")
        raw = self.record(base)
        raw.update(eventName=event_name, requestParameters=request, responseElements=response)
        return raw
