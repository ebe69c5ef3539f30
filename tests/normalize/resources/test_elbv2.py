"""Elastic Load Balancing: v2 and classic calls share names and are told apart by the request's
shape; v2 resources are named by ARN; registering targets updates a target group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eventstream.normalize.normalizer import Normalizer
from tests.conftest import find_record
from tests.normalize.resources.corpus_calls import only
from tests.normalize.resources.project_records import Family

RECORDS = Family("elbv2", template="RegisterTargets")
LB_ARN = (
    "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/web-alb/50dc6c495c0c9188"
)


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
    event = only(normalizer, RECORDS.call("DeleteLoadBalancer", request_parameters))
    assert event["data"]["asset"]["type"] == asset_type
    assert event["data"]["change"]["action"] == "delete"


def test_load_balancer_created_then_tagged_by_arn(normalizer: Normalizer) -> None:
    """The load balancer `CreateLoadBalancer` returns is the one `AddTags` names by ARN."""
    created = only(normalizer, RECORDS.record("CreateLoadBalancer"))
    tagged = only(normalizer, RECORDS.call("AddTags", {"resourceArns": [LB_ARN], "tags": []}))
    assert created["subject"] == tagged["subject"]
    assert created["data"]["asset"]["provider_id"] == "app/web-alb/50dc6c495c0c9188"
    assert tagged["data"]["change"]["action"] == "update"


def test_classic_tags_name_load_balancers(normalizer: Normalizer) -> None:
    """Classic `AddTags` names load balancers by name: each is a classic load balancer."""
    result = normalizer.normalize(
        RECORDS.call("AddTags", {"loadBalancerNames": ["legacy-web", "legacy-api"], "tags": []})
    )
    assert [e["data"]["asset"]["type"] for e in result.events] == [
        "AWS::ElasticLoadBalancing::LoadBalancer"
    ] * 2


@pytest.mark.parametrize("name", ["RegisterTargets", "DeregisterTargets"])
def test_target_registration_updates_the_target_group(normalizer: Normalizer, name: str) -> None:
    """(De)registering targets is an update of the target group, not a create or delete."""
    record = RECORDS.record("RegisterTargets")
    record["eventName"] = name
    event = only(normalizer, record)
    assert event["data"]["asset"]["type"] == "AWS::ElasticLoadBalancingV2::TargetGroup"
    assert event["data"]["change"]["action"] == "update"


def test_registered_ip_targets_are_not_mistaken_for_instances(normalizer: Normalizer) -> None:
    """An instance target becomes an association; an IP address target does not."""
    event = only(normalizer, RECORDS.record("RegisterTargets"))
    assert [a["type"] for a in event["data"]["associations"]] == ["AWS::EC2::Instance"]


def test_classic_policy_creation_updates_the_load_balancer(
    corpus: Path, normalizer: Normalizer
) -> None:
    """`CreateLoadBalancerPolicy` (real record) is an update of the classic load balancer."""
    record = find_record(
        corpus / "cloudtrail" / "custodian.jsonl", "5b2076f2-0868-4645-996f-c5b9ca083f92"
    )
    event = only(normalizer, record)
    assert event["data"]["asset"]["type"] == "AWS::ElasticLoadBalancing::LoadBalancer"
    assert event["data"]["asset"]["provider_id"] == "capione-test"
    assert event["data"]["change"]["action"] == "update"
