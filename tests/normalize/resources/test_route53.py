"""Route 53: a hosted zone by bare id, path id or ARN is one global asset; record set changes,
tags and VPC associations are updates of it."""

from __future__ import annotations

import pytest

from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.route53 import HOSTED_ZONE
from tests.normalize.resources.corpus_calls import only
from tests.normalize.resources.project_records import Family

RECORDS = Family("route53", template="ChangeResourceRecordSets")
ACCOUNT = "111122223333"
ZONE = "Z0123456789ABCDEFGHIJ"


def test_every_form_of_a_zone_id_names_the_same_global_asset(normalizer: Normalizer) -> None:
    """`Z...`, `/hostedzone/Z...` and the zone's ARN give one name, in region `global`."""
    forms = [ZONE, f"/hostedzone/{ZONE}", f"arn:aws:route53:::hostedzone/{ZONE}"]
    refs = [normalizer.registry.resolve(HOSTED_ZONE, f, ACCOUNT, "us-east-1") for f in forms]
    assert {ref.name for ref in refs if ref is not None} == {
        f"aws/{ACCOUNT}/global/route53/hosted-zone/{ZONE}"
    }
    assert all(ref is not None and ref.region == "global" for ref in refs)


def test_record_set_changes_update_the_zone(normalizer: Normalizer) -> None:
    """`ChangeResourceRecordSets` is an update of the zone `CreateHostedZone` created."""
    created = only(normalizer, RECORDS.record("CreateHostedZone"))
    changed = only(normalizer, RECORDS.record("ChangeResourceRecordSets"))
    assert changed["data"]["asset"]["type"] == "AWS::Route53::HostedZone"
    assert changed["data"]["change"]["action"] == "update"
    assert changed["subject"] == created["subject"]


def test_private_zone_vpc_is_named_in_its_own_region(normalizer: Normalizer) -> None:
    """The VPC of a private zone is named in `vPCRegion`, not in us-east-1 where the call is."""
    created = only(normalizer, RECORDS.record("CreateHostedZone"))
    (vpc,) = created["data"]["associations"]
    assert vpc["name"] == f"aws/{ACCOUNT}/eu-west-1/ec2/vpc/vpc-0f1e2d3c4b5a69788"


@pytest.mark.parametrize(
    ("resource_type", "resource_id", "asset_type"),
    [
        ("hostedzone", ZONE, "AWS::Route53::HostedZone"),
        ("healthcheck", "b3c9cbc6-cd18-43bc-93f8-9e557example", "AWS::Route53::HealthCheck"),
    ],
)
def test_tags_name_the_resource_by_type_and_id(
    normalizer: Normalizer, resource_type: str, resource_id: str, asset_type: str
) -> None:
    """`ChangeTagsForResource` updates a zone or a health check as its `resourceType` says."""
    record = RECORDS.call(
        "ChangeTagsForResource",
        {
            "resourceType": resource_type,
            "resourceId": resource_id,
            "addTags": [{"key": "team", "value": "platform"}],
        },
    )
    event = only(normalizer, record)
    assert event["data"]["asset"]["type"] == asset_type
    assert event["data"]["asset"]["provider_id"] == resource_id
    assert event["data"]["change"]["action"] == "update"
