"""Coverage of the tables on a trail: how many successful mutating calls resolve to a specific
asset type and id.

Coverage is measured by the test suite: `tests/normalize/test_coverage.py` runs `measure` over
the third-party Invictus trail (`EVENTSTREAM_CORPUS`), prints the summary and fails below its
floor (95 %): `pytest tests/normalize/test_coverage.py`. There is no command for it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from eventstream.errors import MalformedRecordError
from eventstream.normalize.normalizer import Normalizer


@dataclass
class Coverage:
    """`resolved / calls`, with the operations that did not resolve and why."""

    calls: int = 0
    resolved: int = 0
    missed: Counter[str] = field(default_factory=Counter)

    @property
    def ratio(self) -> float:
        return self.resolved / self.calls if self.calls else 1.0

    def summary(self) -> str:
        text = (
            f"coverage: {self.resolved}/{self.calls} = {self.ratio:.1%}"
            " of successful mutating calls"
        )
        if self.missed:
            text += "\nnot resolved: " + ", ".join(
                f"{k} x{n}" for k, n in self.missed.most_common()
            )
        return text


def is_counted(record: dict[str, Any]) -> bool:
    """A successful mutating call (`readOnly: false`, no `errorCode`), console sign-ins aside."""
    return (
        record.get("readOnly") is False
        and not record.get("errorCode")
        and record.get("eventSource") != "signin.amazonaws.com"
        and record.get("eventType") != "AwsConsoleSignIn"
    )


def measure(normalizer: Normalizer, records: Iterable[dict[str, Any]]) -> Coverage:
    """Coverage over bare CloudTrail records; ignored and unmapped calls count as misses."""
    coverage = Coverage()
    for record in records:
        if not is_counted(record):
            continue
        coverage.calls += 1
        operation = f"{record.get('eventSource', '?')}:{record.get('eventName', '?')}"
        try:
            result = normalizer.normalize(record)
        except MalformedRecordError:
            coverage.missed[f"{operation} (malformed)"] += 1
            continue
        specific = result.events and all(
            not e["data"]["asset"]["type"].startswith("AWS::Generic::") for e in result.events
        )
        if specific:
            coverage.resolved += 1
        else:
            coverage.missed[f"{operation} ({result.outcome.value})"] += 1
    return coverage
