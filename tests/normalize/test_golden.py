"""Golden files: real corpus records and the asset events they must produce, field by field.

Each case is `golden/<family>/<case>.json`: {"input": <raw record>, "expected": [<event>...]},
where expected events omit `data.raw` (it must equal the input, checked separately).
Create a case with `python scripts/golden.py`, then read and correct the expected events by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eventstream import codec
from eventstream.normalize.normalizer import Normalizer

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*/*.json"))


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Every field where two JSON values differ, as `path: expected != actual`."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found: list[str] = []
        for key in sorted(set(expected) | set(actual)):
            where = f"{path}/{key}"
            if key not in actual:
                found.append(f"{where}: missing")
            elif key not in expected:
                found.append(f"{where}: unexpected {actual[key]!r}")
            else:
                found.extend(differences(expected[key], actual[key], where))
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in differences(e, a, f"{path}/{i}")
        ]
    return [] if expected == actual else [f"{path or '/'}: expected {expected!r}, got {actual!r}"]


def test_there_are_golden_cases_for_every_covered_family() -> None:
    """At least a dozen families have golden cases."""
    assert len({case.parent.name for case in CASES}) >= 12


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden(case: Path, normalizer: Normalizer) -> None:
    """The record normalizes to exactly the expected events, in order."""
    golden = codec.loads(case.read_bytes())
    events = normalizer.normalize(golden["input"]).events
    raws = [event["data"].pop("raw") for event in events]
    detail = golden["input"].get("detail", golden["input"])
    assert all(raw in (golden["input"], detail) for raw in raws)
    assert differences(golden["expected"], events) == []
