"""Elastic Load Balancing: v2 and classic calls share names and are told apart by the request's
shape; v2 resources are named by ARN; registering targets updates a target group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eventstream.normalize.normalizer import Normalizer
from tests.conftest import find_record, read_jsonl

RECORDS = Path(__file__).resolve().parent.parent / "records" / "elbv2.jsonl"
LB_ARN = (
    "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/web-alb/50dc6c495c0c9188"
)


def _record(name: str) -> dict[str, Any]:
    for record in read_jsonl(RECORDS):
        if record["eventName"] == name:
            return record
    raise LookupError(name)


def _only(normalizer: Normalizer, record: dict[str, Any]) -> dict[str, Any]:
    events = normalizer.normalize(record).events
    assert len(events) == 1
    return events[0]


def _call(name: str, request: dict[str, Any]) -> dict[str, Any]:
    record = _record("RegisterTargets")
    record.update(eventName=name, requestParameters=request, responseElements=None)
    return record


@pytest.mark.parametrize(
    ("request_parameters", "asset_type"),
    [
        ({"loadBalancerArn": LB_ARN}, "AWS::ElasticLoadBalancingV2::LoadBalancer"),
        ({"loadBalancerName": "legacy-web"}, "AWS::ElasticLoadBalancing::LoadBalancer"),
    ],
)
def test_request_shape_tells_v2_from_classic(
    normalizer: Normalizer, request_parameters: dict[str, Any], asset_type: str
) -> None:
    """`DeleteLoadBalancer` by ARN deletes a v2 load balancer, by name a classic one."""
    event = _only(normalizer, _call("DeleteLoadBalancer", request_parameters))
    assert event["data"]["asset"]["type"] == asset_type
    assert event["data"]["change"]["action"] == "delete"


def test_load_balancer_created_then_tagged_by_arn(normalizer: Normalizer) -> None:
    """The load balancer `CreateLoadBalancer` returns is the one `AddTags` names by ARN."""
    created = _only(normalizer, _record("CreateLoadBalancer"))
    tagged = _only(normalizer, _call("AddTags", {"resourceArns": [LB_ARN], "tags": []}))
    assert created["subject"] == tagged["subject"]
    assert created["data"]["asset"]["provider_id"] == "app/web-alb/50dc6c495c0c9188"
    assert tagged["data"]["change"]["action"] == "update"


def test_classic_tags_name_load_balancers(normalizer: Normalizer) -> None:
    """Classic `AddTags` names load balancers by name: each is a classic load balancer."""
    result = normalizer.normalize(
        _call("AddTags", {"loadBalancerNames": ["legacy-web", "legacy-api"], "tags": []})
    )
    assert [e["data"]["asset"]["type"] for e in result.events] == [
        "AWS::ElasticLoadBalancing::LoadBalancer"
    ] * 2


@pytest.mark.parametrize("name", ["RegisterTargets", "DeregisterTargets"])
def test_target_registration_updates_the_target_group(normalizer: Normalizer, name: str) -> None:
    """(De)registering targets is an update of the target group, not a create or delete."""
    record = _record("RegisterTargets")
    record["eventName"] = name
    event = _only(normalizer, record)
    assert event["data"]["asset"]["type"] == "AWS::ElasticLoadBalancingV2::TargetGroup"
    assert event["data"]["change"]["action"] == "update"


def test_registered_ip_targets_are_not_mistaken_for_instances(normalizer: Normalizer) -> None:
    """An instance target becomes an association; an IP address target does not."""
    event = _only(normalizer, _record("RegisterTargets"))
    assert [a["type"] for a in event["data"]["associations"]] == ["AWS::EC2::Instance"]


def test_classic_policy_creation_updates_the_load_balancer(
    corpus: Path, normalizer: Normalizer
) -> None:
    """`CreateLoadBalancerPolicy` (real record) is an update of the classic load balancer."""
    record = find_record(
        corpus / "cloudtrail" / "custodian.jsonl", "5b2076f2-0868-4645-996f-c5b9ca083f92"
    )
    event = _only(normalizer, record)
    assert event["data"]["asset"]["type"] == "AWS::ElasticLoadBalancing::LoadBalancer"
    assert event["data"]["asset"]["provider_id"] == "capione-test"
    assert event["data"]["change"]["action"] == "update"
