"""The IAM policy shipped for the AWS sources (`docs/iam/ingest-policy.json`) grants exactly the
actions the sources' code calls: every botocore operation called in `eventstream/sources/` is
allowed, and nothing else is (apart from `kms:Decrypt`, which S3 needs on the caller's behalf
to read SSE-KMS trail objects)."""

from __future__ import annotations

import ast
from pathlib import Path

from botocore import xform_name
from botocore.loaders import Loader

from eventstream import codec

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "eventstream" / "sources"
POLICY = ROOT / "docs" / "iam" / "ingest-policy.json"
# botocore service name -> IAM prefix, for the services the sources talk to.
SERVICES = {"sqs": "sqs", "s3": "s3", "cloudtrail": "cloudtrail"}
BATCH_OF = {
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
"""SQS batch calls are authorized by the action of the single call."""
ON_BEHALF = {"kms:Decrypt"}


def _operations() -> dict[str, str]:
    """snake_case operation name -> IAM action, for every operation of those services."""
    loader = Loader()
    found: dict[str, str] = {}
    for service, prefix in SERVICES.items():
        model = loader.load_service_model(service, "service-2")
        for operation in model["operations"]:
            found[xform_name(operation)] = f"{prefix}:{BATCH_OF.get(operation, operation)}"
    return found


def _called_names() -> set[str]:
    names: set[str] = set()
    for path in SOURCES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                names.add(node.func.attr)
    return names


def test_the_policy_allows_every_call_the_sources_make_and_nothing_more() -> None:
    operations = _operations()
    needed = {operations[name] for name in _called_names() if name in operations}
    assert {"sqs:ReceiveMessage", "s3:GetObject", "cloudtrail:LookupEvents"} <= needed
    statements = codec.loads(POLICY.read_bytes())["Statement"]
    granted = {action for statement in statements for action in statement["Action"]}
    assert needed <= granted, f"missing from the policy: {sorted(needed - granted)}"
    assert granted - needed <= ON_BEHALF, f"granted but never called: {sorted(granted - needed)}"
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert "*" not in "".join(statement["Action"])
