"""IAM, S3, Lambda, Secrets Manager, SSM, Logs, CloudTrail, RDS: one asset, one name, and the
actions the verb rule alone would get wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventstream.normalize.classify import Outcome
from eventstream.normalize.naming import Kind
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources import cloudtrail, iam, lambda_, logs, rds, secretsmanager, ssm
from eventstream.normalize.resources.s3 import BUCKET
from tests.normalize.resources.corpus_calls import only
from tests.normalize.resources.corpus_calls import record as corpus_record

ACCOUNT, REGION = "123837392027", "us-east-1"


@pytest.mark.parametrize(
    ("kind", "forms"),
    [
        (
            iam.ROLE,
            [
                "deploy",
                f"arn:aws:iam::{ACCOUNT}:role/deploy",
                f"arn:aws:iam::{ACCOUNT}:role/service-role/team/deploy",
            ],
        ),
        (iam.POLICY, [f"arn:aws:iam::{ACCOUNT}:policy/p", f"arn:aws:iam::{ACCOUNT}:policy/x/y/p"]),
        (
            lambda_.FUNCTION,
            [
                "fn",
                "fn:live",
                f"{ACCOUNT}:function:fn",
                f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn",
                f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn:7",
            ],
        ),
        (
            secretsmanager.SECRET,
            ["db-password", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:db-password-AbC12x"],
        ),
        (
            ssm.PARAMETER,
            ["/app/db/url", "app/db/url", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/db/url"],
        ),
        (
            logs.LOG_GROUP,
            ["/aws/lambda/fn", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/fn:*"],
        ),
        (cloudtrail.TRAIL, ["main", f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/main"]),
        (
            rds.DB_INSTANCE,
            ["Orders-DB", "orders-db", f"arn:aws:rds:{REGION}:{ACCOUNT}:db:orders-db"],
        ),
        (BUCKET, ["logs-bucket", "arn:aws:s3:::logs-bucket", "arn:aws:s3:::logs-bucket/key/x"]),
    ],
    ids=lambda v: v.type if isinstance(v, Kind) else "",
)
def test_every_form_of_an_identifier_names_the_same_asset(
    normalizer: Normalizer, kind: Kind, forms: list[str]
) -> None:
    """Id, name, ARN (with path, qualifier or suffix) all resolve to one asset name and type."""
    refs = [normalizer.registry.resolve(kind, form, ACCOUNT, REGION) for form in forms]
    assert all(ref is not None for ref in refs)
    assert len({ref.name for ref in refs if ref is not None}) == 1
    assert {ref.type for ref in refs if ref is not None} == {kind.type}


def test_secret_by_arn_and_by_name_share_a_subject(corpus: Path, normalizer: Normalizer) -> None:
    """`PutSecretValue` by ARN and by plain name update the same secret."""
    record = corpus_record(corpus, "PutSecretValue")
    by_arn = only(normalizer, record)
    record["requestParameters"]["secretId"] = by_arn["data"]["asset"]["provider_id"]
    assert only(normalizer, record)["subject"] == by_arn["subject"]


def test_lambda_function_by_arn_and_name(corpus: Path, normalizer: Normalizer) -> None:
    """`UpdateFunctionCode` naming the function by ARN touches the function created by name."""
    created = only(normalizer, corpus_record(corpus, "CreateFunction20150331"))
    record = corpus_record(corpus, "CreateFunction20150331")
    arn = created["data"]["configuration"]["functionArn"]
    record.update(eventName="UpdateFunctionCode20150331v2", requestParameters={"functionName": arn})
    updated = only(normalizer, record)
    assert updated["subject"] == created["subject"]
    assert updated["data"]["change"]["action"] == "update"


@pytest.mark.parametrize(
    ("name", "asset_type"),
    [
        ("DeleteBucketPolicy", "AWS::S3::Bucket"),
        ("DeleteBucketLifecycle", "AWS::S3::Bucket"),
        ("DeleteRolePolicy", "AWS::IAM::Role"),
        ("DetachRolePolicy", "AWS::IAM::Role"),
        ("RemoveRoleFromInstanceProfile", "AWS::IAM::InstanceProfile"),
        ("DeleteLoginProfile", "AWS::IAM::User"),
        ("CreateLoginProfile", "AWS::IAM::User"),
        ("EndSecretVersionDelete", "AWS::SecretsManager::Secret"),
        ("RemovePermission20150331v2", "AWS::Lambda::Function"),
    ],
)
def test_sub_resource_calls_update_the_parent(
    corpus: Path, normalizer: Normalizer, name: str, asset_type: str
) -> None:
    """Deleting or creating a part of an asset is an update of that asset."""
    event = only(normalizer, corpus_record(corpus, name))
    assert event["data"]["change"]["action"] == "update"
    assert event["data"]["asset"]["type"] == asset_type


def test_put_parameter_creates_then_overwrites(corpus: Path, normalizer: Normalizer) -> None:
    """`PutParameter` answering version 1 is a create; a later version is an update."""
    record = corpus_record(corpus, "PutParameter")
    assert record["responseElements"]["version"] == 1
    assert only(normalizer, record)["data"]["change"]["action"] == "create"
    record["responseElements"]["version"] = 2
    record["requestParameters"]["overwrite"] = True
    assert only(normalizer, record)["data"]["change"]["action"] == "update"


def test_attach_policy_associates_the_aws_managed_policy(
    corpus: Path, normalizer: Normalizer
) -> None:
    """Attaching an AWS-managed policy links the role to the policy owned by `aws`."""
    event = only(normalizer, corpus_record(corpus, "AttachUserPolicy"))
    assert event["data"]["asset"]["type"] == "AWS::IAM::User"
    (related,) = event["data"]["associations"]
    assert related["name"] == "aws/aws/global/iam/policy/AdministratorAccess"


@pytest.mark.parametrize("name", ["SendCommand", "StartSession", "TerminateSession"])
def test_sessions_and_commands_change_no_asset(
    corpus: Path, normalizer: Normalizer, name: str
) -> None:
    """Running a command or a session is counted as non-asset, with no event."""
    result = normalizer.normalize(corpus_record(corpus, name))
    assert result.outcome is Outcome.NON_ASSET
    assert result.events == []


def test_object_calls_change_no_tracked_asset(corpus: Path, normalizer: Normalizer) -> None:
    """An S3 object write is data, not a bucket change."""
    record = corpus_record(corpus, "PutBucketPolicy")
    record["eventName"] = "PutObject"
    assert normalizer.normalize(record).outcome is Outcome.NON_ASSET


def test_iam_and_buckets_are_global(corpus: Path, normalizer: Normalizer) -> None:
    """IAM and S3 assets are named in region `global`, whatever endpoint the call used."""
    for name in ("CreateRole", "CreateBucket"):
        event = only(normalizer, corpus_record(corpus, name))
        assert event["data"]["asset"]["region"] == "global"
        assert "/global/" in event["subject"]
