"""The derived resolver changes the corpus only where an event gains a specific type.

Every record of the third-party corpus (the CloudTrail trails, the EventBridge envelopes and the
S3 export) is normalized twice, with the derived table and without it (explicit tables and the
generic fallback only). The outputs must be identical, except for records that were unmapped or
named only `AWS::Generic::...` assets without it and name specific types with it. Those are
listed in `GAINED`, per call and type, with their counts: a change of the table that changes
what the corpus gives shows here.
"""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from eventstream import codec
from eventstream.errors import MalformedRecordError
from eventstream.normalize.naming import GENERIC_TYPE_PREFIX
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry
from tests.conftest import read_jsonl

# (event source, operation, type with the derived table): records of the corpus
GAINED: dict[tuple[str, str, str], int] = {
    ("apigateway.amazonaws.com", "CreateStage", "AWS::ApiGateway::Stage"): 1,
    ("apigateway.amazonaws.com", "TagResource", "AWS::ApiGateway::Stage"): 1,
    ("appmesh.amazonaws.com", "CreateMesh", "AWS::AppMesh::Mesh"): 1,
    ("appmesh.amazonaws.com", "CreateVirtualGateway", "AWS::AppMesh::VirtualGateway"): 1,
    ("appmesh.amazonaws.com", "CreateVirtualNode", "AWS::AppMesh::VirtualNode"): 1,
    ("cloudfront.amazonaws.com", "CreateDistribution", "AWS::CloudFront::Distribution"): 1,
    ("cloudfront.amazonaws.com", "TagResource", "AWS::CloudFront::Distribution"): 1,
    ("cloudfront.amazonaws.com", "UpdateDistribution", "AWS::CloudFront::Distribution"): 1,
    ("cloudhsm.amazonaws.com", "CreateCluster", "AWS::CloudHSM::Cluster"): 1,
}


def _records(corpus: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for name in ("invictus", "stratus", "custodian"):
        for index, record in enumerate(read_jsonl(corpus / "cloudtrail" / f"{name}.jsonl")):
            yield f"cloudtrail/{name}:{index}", record
    for index, record in enumerate(read_jsonl(corpus / "eventbridge" / "envelopes.jsonl")):
        yield f"eventbridge:{index}", record
    for path in sorted((corpus / "s3-export").glob("*/*.json.gz")):
        for index, record in enumerate(codec.loads(gzip.decompress(path.read_bytes()))["Records"]):
            yield f"{path.name}:{index}", record


def _run(normalizer: Normalizer, record: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    try:
        result = normalizer.normalize(record)
    except MalformedRecordError as error:
        return f"malformed: {error}", []
    return result.outcome.value, list(result.events)


def _generic_only(events: list[dict[str, Any]]) -> bool:
    return all(e["data"]["asset"]["type"].startswith(GENERIC_TYPE_PREFIX) for e in events)


def test_corpus_changes_only_where_an_event_gains_a_specific_type(corpus: Path) -> None:
    with_table = Normalizer(default_registry())
    without = Normalizer(default_registry(derived=False))
    gained: Counter[tuple[str, str, str]] = Counter()
    records = 0
    for where, record in _records(corpus):
        records += 1
        before, old = _run(without, record)
        after, new = _run(with_table, record)
        if (before, old) == (after, new):
            continue
        assert after == "change", f"{where}: {before} became {after}"
        assert before == "unmapped" or (before == "change" and _generic_only(old)), where
        for event in new:
            asset, change = event["data"]["asset"], event["data"]["change"]
            assert not asset["type"].startswith(GENERIC_TYPE_PREFIX), where
            assert asset["resolution"] in ("derived", "table"), where
            gained[(change["service"], change["operation"], asset["type"])] += 1
    assert records > 6_000
    assert dict(gained) == GAINED
