"""Shared fixtures: the third-party corpus beside the repository, and a normalizer."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eventstream import codec
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry

ROOT = Path(__file__).resolve().parent.parent


def corpus_dir() -> Path:
    """`../shared/corpus` beside the checkout, or `$EVENTSTREAM_CORPUS`."""
    configured = os.environ.get("EVENTSTREAM_CORPUS")
    return Path(configured) if configured else ROOT.parent / "shared" / "corpus"


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                yield codec.loads(line)


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = corpus_dir()
    if not (path / "cloudtrail" / "invictus.jsonl").is_file():
        pytest.fail(f"third-party corpus not found at {path}; set EVENTSTREAM_CORPUS")
    return path


@pytest.fixture(scope="session")
def normalizer() -> Normalizer:
    return Normalizer(default_registry())


def find_record(path: Path, event_id: str) -> dict[str, Any]:
    """The corpus record with this CloudTrail `eventID` (or EventBridge envelope `id`)."""
    for record in read_jsonl(path):
        detail = record.get("detail")
        inner = detail.get("eventID") if isinstance(detail, dict) else None
        if event_id in (record.get("eventID"), record.get("id"), inner):
            return record
    raise LookupError(f"event_id={event_id} not in {path}")
