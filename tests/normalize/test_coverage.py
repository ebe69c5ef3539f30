"""The coverage floor on the real Invictus trail: at least 99 % (it was 99.8 % with the explicit
tables alone, and the derived resolver must not lower it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventstream.normalize.coverage import measure
from eventstream.normalize.normalizer import Normalizer
from tests.conftest import read_jsonl

FLOOR = 0.99


def test_invictus_coverage_floor(
    corpus: Path, normalizer: Normalizer, capsys: pytest.CaptureFixture[str]
) -> None:
    """At least 99 % of successful mutating calls resolve to a specific asset type and id."""
    coverage = measure(normalizer, read_jsonl(corpus / "cloudtrail" / "invictus.jsonl"))
    with capsys.disabled():
        print(f"\n{coverage.summary()}")
    assert coverage.calls > 450
    assert coverage.ratio >= FLOOR, coverage.summary()
