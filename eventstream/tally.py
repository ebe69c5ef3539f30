"""Counts of what a run read and produced, and the summary printed at its end."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from eventstream.normalize.classify import Outcome

_LABELS = {
    Outcome.CHANGE: "records with changes",
    Outcome.READ_ONLY: "read-only skipped",
    Outcome.FAILED: "failed calls skipped",
    Outcome.SIGN_IN: "sign-ins skipped",
    Outcome.NON_ASSET: "non-asset calls skipped",
    Outcome.NATIVE_SKIPPED: "native events skipped",
    Outcome.UNMAPPED: "unmapped",
}


@dataclass
class Tally:
    """Counters for one run; every record read lands in exactly one outcome or `malformed`."""

    records: int = 0
    events: int = 0
    malformed: int = 0
    unreadable: int = 0  # of the malformed: whole files (or streams) that could not be read
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    unmapped: Counter[str] = field(default_factory=Counter)

    def count(self, outcome: Outcome, operation: str, events: int) -> None:
        self.records += 1
        self.outcomes[outcome] += 1
        self.events += events
        if outcome is Outcome.UNMAPPED:
            self.unmapped[operation] += 1

    def count_malformed(self, unreadable: bool = False) -> None:
        self.records += 1
        self.malformed += 1
        self.unreadable += unreadable

    def summary(self) -> str:
        parts = [f"records read {self.records}", f"changes emitted {self.events}"]
        parts += [f"{_LABELS[o]} {self.outcomes[o]}" for o in Outcome]
        parts.append(f"malformed {self.malformed}")
        if self.unreadable:
            parts.append(f"unreadable inputs {self.unreadable}")
        text = "summary: " + ", ".join(parts)
        if self.unmapped:
            top = ", ".join(f"{name} x{n}" for name, n in self.unmapped.most_common(10))
            text += f"\nunmapped calls: {top}"
        return text
