"""CloudFormation: a stack by name or stack id is one asset; change sets update their stack,
except one of type CREATE; a stack set by name, id or ARN is one asset."""

from __future__ import annotations

import pytest

from eventstream.normalize.naming import Kind
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.cloudformation import STACK, STACK_SET
from tests.normalize.resources.corpus_calls import only
from tests.normalize.resources.project_records import Family

RECORDS = Family("cloudformation")
ACCOUNT, REGION = "111122223333", "us-east-1"


@pytest.mark.parametrize(
    ("kind", "forms"),
    [
        (
            STACK,
            [
                "network-prod",
                f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/network-prod/6a1e2b30-e06b",
            ],
        ),
        (
            STACK_SET,
            [
                "baseline",
                "baseline:1f0c4e2a-9b7d-4c3e-8a5f-6d2e1b0a9c8d",
                f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stackset/baseline:1f0c4e2a-9b7d",
            ],
        ),
    ],
    ids=lambda v: v.type if isinstance(v, Kind) else "",
)
def test_every_form_of_an_identifier_names_the_same_asset(
    normalizer: Normalizer, kind: Kind, forms: list[str]
) -> None:
    """Name, id and ARN of a stack or stack set resolve to one asset name of its type."""
    refs = [normalizer.registry.resolve(kind, form, ACCOUNT, REGION) for form in forms]
    assert all(ref is not None and ref.type == kind.type for ref in refs)
    assert len({ref.name for ref in refs if ref is not None}) == 1


def test_stack_created_by_name_is_deleted_by_arn(normalizer: Normalizer) -> None:
    """`DeleteStack` naming the stack id deletes the stack `CreateStack` created."""
    record = RECORDS.record("CreateStack")
    record["responseElements"] = None
    created = only(normalizer, record)
    deleted = only(normalizer, RECORDS.record("DeleteStack"))
    assert deleted["subject"] == created["subject"]
    assert deleted["data"]["change"]["action"] == "delete"


@pytest.mark.parametrize(
    ("change_set_type", "action"), [("UPDATE", "update"), ("CREATE", "create")]
)
def test_change_set_type_decides_the_action(
    normalizer: Normalizer, change_set_type: str, action: str
) -> None:
    """A change set updates its stack, unless its type `CREATE` creates the stack."""
    record = RECORDS.record("CreateChangeSet")
    record["requestParameters"]["changeSetType"] = change_set_type
    event = only(normalizer, record)
    assert event["data"]["asset"]["type"] == "AWS::CloudFormation::Stack"
    assert event["data"]["change"]["action"] == action


def test_execute_change_set_updates_the_stack(normalizer: Normalizer) -> None:
    """`ExecuteChangeSet` (whose verb says nothing) is an update of the named stack."""
    stack = only(normalizer, RECORDS.record("CreateStack"))
    record = RECORDS.call(
        "ExecuteChangeSet",
        {"stackName": "network-prod", "changeSetName": "add-private-subnets"},
        template="CreateChangeSet",
    )
    event = only(normalizer, record)
    assert (event["subject"], event["data"]["change"]["action"]) == (stack["subject"], "update")


def test_stack_instances_update_their_stack_set(normalizer: Normalizer) -> None:
    """Creating stack instances is an update of the stack set, not a create."""
    record = RECORDS.call(
        "CreateStackInstances",
        {"stackSetName": "baseline", "regions": ["eu-west-1"]},
        {"operationId": "op-1"},
        template="CreateStack",
    )
    event = only(normalizer, record)
    assert event["data"]["asset"]["type"] == "AWS::CloudFormation::StackSet"
    assert event["data"]["change"]["action"] == "update"
