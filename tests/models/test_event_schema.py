"""The outbound contract: committed JSON Schema = models, and every emitted event conforms."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from eventstream import codec
from eventstream.models.event import SCHEMA_FILE, AssetEvent, json_schema
from eventstream.normalize.normalizer import Normalizer
from tests.conftest import ROOT, read_jsonl

COMMITTED = ROOT / "schemas" / SCHEMA_FILE


def test_committed_schema_matches_the_models() -> None:
    """`schemas/` holds exactly what the pydantic models generate (run `make schema`)."""
    assert codec.loads(COMMITTED.read_bytes()) == json_schema()


def corpus_events(corpus: Path, normalizer: Normalizer) -> Iterator[dict[str, Any]]:
    for file in [
        *sorted((corpus / "cloudtrail").glob("*.jsonl")),
        corpus / "eventbridge" / "envelopes.jsonl",
    ]:
        if file.name.endswith(".origin.jsonl"):
            continue
        for record in read_jsonl(file):
            try:
                yield from normalizer.normalize(record).events
            except Exception:
                continue


@pytest.fixture(scope="module")
def events(corpus: Path, normalizer: Normalizer) -> list[dict[str, Any]]:
    found = list(corpus_events(corpus, normalizer))
    assert len(found) > 400
    return found


def test_every_event_validates_against_the_committed_schema(events: list[dict[str, Any]]) -> None:
    """Each event from the whole corpus passes the committed JSON Schema."""
    validator = jsonschema.Draft202012Validator(codec.loads(COMMITTED.read_bytes()))
    for event in events:
        wire = codec.loads(codec.dumps(event))
        errors = sorted(validator.iter_errors(wire), key=str)
        assert errors == [], f"{event['subject']}: {errors[0].message}"


def test_every_event_is_a_valid_asset_event(events: list[dict[str, Any]]) -> None:
    """Each event round-trips through the strict pydantic model unchanged."""
    for event in events:
        wire = codec.loads(codec.dumps(event))
        model = AssetEvent.model_validate_json(codec.dumps(event))
        assert (
            codec.loads(
                codec.dumps(model.model_dump(mode="json", by_alias=True, exclude_none=False))
            )
            == wire
        )


def test_every_event_is_accepted_by_the_cloudevents_sdk(events: list[dict[str, Any]]) -> None:
    """The CloudEvents Python SDK reads each event as a 1.0 CloudEvent with our attributes."""
    reader = JSONFormat()
    for event in events:
        parsed = reader.read(CloudEvent, codec.dumps(event))
        assert parsed.get_specversion() == "1.0"
        assert parsed.get_id() == event["id"]
        assert parsed.get_subject() == event["subject"]
        assert parsed.get_type() == event["type"]
        assert parsed.get_data() == event["data"]


def test_schema_rejects_a_broken_event(events: list[dict[str, Any]]) -> None:
    """The schema is not vacuous: a wrong time format and an unknown field are refused."""
    validator = jsonschema.Draft202012Validator(codec.loads(COMMITTED.read_bytes()))
    event = codec.loads(codec.dumps(events[0]))
    assert validator.is_valid(event)
    assert not validator.is_valid({**event, "time": "2023-07-10T11:45:02Z"})
    assert not validator.is_valid({**event, "extra": 1})
    assert not validator.is_valid({**event, "data": {**event["data"], "raw": None}})
