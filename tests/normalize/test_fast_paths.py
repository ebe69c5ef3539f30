"""The shortcuts of the hot path give exactly what the plain way gives."""

from __future__ import annotations

import copy
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventstream import codec
from eventstream.errors import MalformedRecordError
from eventstream.normalize import normalizer as normalizer_module
from eventstream.normalize.ignored import IGNORED
from eventstream.normalize.normalizer import Normalizer, event_id
from eventstream.normalize.resources.catalog import default_registry
from tests.conftest import read_jsonl

_NAMESPACE = uuid.UUID("6f1d7c9e-5a0b-4f0e-9a52-2f6f3c1e8b47")


@given(provider_event_id=st.text(max_size=40), asset_name=st.text(max_size=80))
def test_event_id_is_uuid5(provider_event_id: str, asset_name: str) -> None:
    try:
        f"{provider_event_id}\n{asset_name}".encode()
    except UnicodeEncodeError:  # lone surrogates: not encodable either way
        return
    expected = str(uuid.uuid5(_NAMESPACE, f"{provider_event_id}\n{asset_name}"))
    assert event_id(provider_event_id, asset_name) == expected


def test_lookup_is_rule_unless_ignored() -> None:
    registry = default_registry()
    keys = {
        (source, operation)
        for family in registry.families
        for source in family.sources
        for operation in (*family.rules, *family.ignore)
    }
    for source, operation in keys:
        found = registry.lookup(source, operation)
        if registry.ignored(source, operation):
            assert found is IGNORED
        else:
            assert found is registry.rule(source, operation)
    assert registry.lookup("ec2.amazonaws.com", "NoSuchCall") is None


def _outputs(normalizer: Normalizer, records: list[object]) -> list[bytes]:
    out: list[bytes] = []
    for raw in records:
        try:
            result = normalizer.normalize(copy.deepcopy(raw))
        except MalformedRecordError as error:
            out.append(f"malformed: {error.reason}".encode())
            continue
        head = f"{result.outcome}|{result.operation}|{result.reason}".encode()
        out.append(b"\n".join([head, *(codec.dumps(event) for event in result.events)]))
    return out


def test_plain_records_normalize_as_validated_ones(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading a plain record's fields directly gives what reading the validated model gives."""
    records: list[object] = []
    for path in sorted((corpus / "cloudtrail").glob("*.jsonl")):
        if not path.name.endswith(".origin.jsonl"):
            records.extend(read_jsonl(path))
    records.extend(read_jsonl(corpus / "eventbridge" / "envelopes.jsonl"))
    fast = _outputs(Normalizer(default_registry()), records)
    monkeypatch.setattr(normalizer_module, "is_plain", lambda raw: False)
    validated = _outputs(Normalizer(default_registry()), records)
    assert fast == validated
    assert sum(b"io.eventstream.asset." in out for out in fast) > 400
