"""Lambda: a function is one asset by name, ARN, partial ARN or qualified ARN; permissions and
versions are parts of it; a layer version is `<layer>:<version>` however it is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.lambda_ import FUNCTION, LAYER_VERSION
from tests.normalize.resources.corpus_calls import action, by_id, only, record, related

ACCOUNT, REGION = "123837392027", "us-east-1"
UPDATE_BY_ARN = "0ea8187c-26a8-425d-8daf-48479996e44d"  # UpdateFunctionCode, function by ARN


def test_every_form_of_a_function_names_one_asset(normalizer: Normalizer) -> None:
    """Name, `name:alias`, partial ARN, ARN and ARN with a version give one function."""
    forms = [
        "fn",
        "fn:live",
        f"{ACCOUNT}:function:fn",
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn",
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn:7",
    ]
    refs = [normalizer.registry.resolve(FUNCTION, form, ACCOUNT, REGION) for form in forms]
    assert {ref.name for ref in refs if ref is not None} == {
        f"aws/{ACCOUNT}/{REGION}/lambda/function/fn"
    }


@pytest.mark.parametrize(
    "name_form",
    [
        "{name}",
        "{name}:$LATEST",
        "{name}:1",
        "{account}:function:{name}",
        "arn:aws:lambda:{region}:{account}:function:{name}:1",
    ],
)
def test_update_by_any_form_updates_the_function_created_by_name(
    corpus: Path, normalizer: Normalizer, name_form: str
) -> None:
    """The real `UpdateFunctionCode` (by ARN), renamed by name or qualifier, keeps its subject."""
    created = only(
        normalizer,
        record(
            corpus, "CreateFunction20150331", lambda r: "olc-func" in str(r["requestParameters"])
        ),
    )
    raw = by_id(corpus, UPDATE_BY_ARN)
    assert only(normalizer, raw)["subject"] == created["subject"]
    name = created["data"]["asset"]["provider_id"]
    raw["requestParameters"]["functionName"] = name_form.format(
        name=name, account=ACCOUNT, region=REGION
    )
    event = only(normalizer, raw)
    assert event["subject"] == created["subject"]
    assert action(event) == "update"


def test_create_function_response_is_the_configuration(
    corpus: Path, normalizer: Normalizer
) -> None:
    """`CreateFunction`'s response (the function's configuration) becomes `configuration`."""
    raw = record(corpus, "CreateFunction20150331")
    event = only(normalizer, raw)
    assert action(event) == "create"
    assert event["data"]["configuration"] == raw["responseElements"]


@pytest.mark.parametrize("name", ["AddPermission20150331v2", "RemovePermission20150331v2"])
def test_permissions_update_the_function(corpus: Path, normalizer: Normalizer, name: str) -> None:
    """Adding or removing a resource-policy statement is an update of the function."""
    event = only(normalizer, record(corpus, name))
    assert action(event) == "update"
    assert event["data"]["asset"]["type"] == "AWS::Lambda::Function"


def test_function_in_a_vpc_names_its_subnets_and_groups(
    corpus: Path, normalizer: Normalizer
) -> None:
    """A configuration with a VPC relates the function to its EC2 subnets, VPC and groups."""
    raw = record(corpus, "CreateFunction20150331")
    raw["responseElements"]["vpcConfig"] = {
        "subnetIds": ["subnet-0a1b2c3d"],
        "securityGroupIds": ["sg-0a1b2c3d"],
        "vpcId": "vpc-0a1b2c3d",
    }
    links = related(only(normalizer, raw))
    assert links["Is contained in Subnet"] == f"aws/{ACCOUNT}/{REGION}/ec2/subnet/subnet-0a1b2c3d"
    assert links["Is associated with SecurityGroup"].endswith("/ec2/security-group/sg-0a1b2c3d")
    assert links["Is contained in Vpc"].endswith("/ec2/vpc/vpc-0a1b2c3d")


def test_layer_version_by_arn_or_by_name_and_number_is_one_asset(
    corpus: Path, normalizer: Normalizer
) -> None:
    """The layer a function uses (versioned ARN) is the one `DeleteLayerVersion` deletes."""
    used = related(only(normalizer, record(corpus, "UpdateFunctionConfiguration20150331v2")))
    layer_name = used["Uses LayerVersion"]
    assert layer_name.endswith(":1")
    raw = record(corpus, "UpdateFunctionConfiguration20150331v2")
    layer_arn = raw["requestParameters"]["layers"][0]
    for named in (layer_arn.rsplit(":", 1)[0], layer_arn.split(":layer:")[1].split(":")[0]):
        raw.update(
            eventName="DeleteLayerVersion20181031",
            requestParameters={"layerName": named, "versionNumber": 1},
            responseElements=None,
        )
        event = only(normalizer, raw)
        assert event["subject"] == layer_name
        assert action(event) == "delete"
    ref = normalizer.registry.resolve(LAYER_VERSION, layer_arn, ACCOUNT, REGION)
    assert ref is not None
    assert ref.name == layer_name
