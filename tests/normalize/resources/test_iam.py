"""IAM: one name per principal, policy and profile however an event names it, and the calls on
their parts (policies, login profiles, instance profile roles) as updates of the owner."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventstream.normalize.naming import Kind
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources import iam
from tests.normalize.resources.corpus_calls import action, by_id, only, record, related

ACCOUNT, REGION = "123837392027", "us-east-1"


@pytest.mark.parametrize(
    ("kind", "forms"),
    [
        (
            iam.USER,
            ["alice", f"arn:aws:iam::{ACCOUNT}:user/alice", f"arn:aws:iam::{ACCOUNT}:user/x/alice"],
        ),
        (iam.ROLE, ["deploy", f"arn:aws:iam::{ACCOUNT}:role/service-role/deploy"]),
        (iam.GROUP, ["admins", f"arn:aws:iam::{ACCOUNT}:group/team/admins"]),
        (
            iam.POLICY,
            [f"arn:aws:iam::{ACCOUNT}:policy/p", f"arn:aws:iam::{ACCOUNT}:policy/a/b/p", "p"],
        ),
        (iam.INSTANCE_PROFILE, ["web", f"arn:aws:iam::{ACCOUNT}:instance-profile/x/web"]),
        (iam.MFA_DEVICE, ["phone", f"arn:aws:iam::{ACCOUNT}:mfa/phone"]),
        (
            iam.OIDC_PROVIDER,
            [
                "https://token.actions.githubusercontent.com",
                f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
            ],
        ),
    ],
    ids=lambda v: v.type if isinstance(v, Kind) else "",
)
def test_name_and_arn_with_or_without_path_name_one_asset(
    normalizer: Normalizer, kind: Kind, forms: list[str]
) -> None:
    """A name, its ARN, and its ARN with a path all resolve to one global asset of the kind."""
    refs = [normalizer.registry.resolve(kind, form, ACCOUNT, REGION) for form in forms]
    assert all(ref is not None and ref.type == kind.type for ref in refs)
    assert len({ref.name for ref in refs if ref is not None}) == 1
    assert all(ref is not None and ref.region == "global" for ref in refs)


def test_role_created_by_name_is_the_role_a_function_assumes_by_arn(
    corpus: Path, normalizer: Normalizer
) -> None:
    """`CreateRole` (name) and a function's execution role (ARN, also with a path) agree."""
    created = only(
        normalizer,
        record(corpus, "CreateRole", lambda r: "backdoor-f-lambda" in str(r["requestParameters"])),
    )
    function = record(corpus, "CreateFunction20150331")
    assert related(only(normalizer, function))["Assumes Role"] == created["subject"]
    role_arn = function["responseElements"]["role"]
    function["responseElements"]["role"] = role_arn.replace(":role/", ":role/service-role/")
    assert related(only(normalizer, function))["Assumes Role"] == created["subject"]


def test_instance_profile_by_name_is_the_profile_an_instance_names_by_arn(
    corpus: Path, normalizer: Normalizer
) -> None:
    """`CreateInstanceProfile` (name) and `RunInstances`' profile ARN name the same asset."""
    created = only(
        normalizer,
        record(
            corpus,
            "CreateInstanceProfile",
            lambda r: r["requestParameters"]["instanceProfileName"].endswith(
                "steal-credentials-instance"
            ),
        ),
    )
    (instance,) = normalizer.normalize(by_id(corpus, "86eac0ac-8521-4126-aa32-a22f2b74d02e")).events
    assert related(instance)["Is associated with InstanceProfile"] == created["subject"]


def test_access_key_is_its_own_asset_belonging_to_the_user(
    corpus: Path, normalizer: Normalizer
) -> None:
    """`CreateAccessKey` creates an `AWS::IAM::AccessKey` named by its id, tied to its user."""
    key = only(normalizer, record(corpus, "CreateAccessKey"))
    user = only(
        normalizer,
        record(
            corpus,
            "CreateUser",
            lambda r: r["requestParameters"]["userName"].endswith("backdoor-u-user"),
        ),
    )
    assert key["data"]["asset"]["type"] == "AWS::IAM::AccessKey"
    assert key["subject"].endswith(f"/iam/access-key/{key['data']['asset']['provider_id']}")
    assert action(key) == "create"
    assert related(key)["Belongs to User"] == user["subject"]


@pytest.mark.parametrize(
    ("name", "asset_type"),
    [
        ("DeleteRolePolicy", "AWS::IAM::Role"),
        ("PutRolePolicy", "AWS::IAM::Role"),
        ("DetachRolePolicy", "AWS::IAM::Role"),
        ("UpdateAssumeRolePolicy", "AWS::IAM::Role"),
        ("RemoveRoleFromInstanceProfile", "AWS::IAM::InstanceProfile"),
        ("AddRoleToInstanceProfile", "AWS::IAM::InstanceProfile"),
        ("CreateLoginProfile", "AWS::IAM::User"),
        ("DeleteLoginProfile", "AWS::IAM::User"),
        ("DetachUserPolicy", "AWS::IAM::User"),
    ],
)
def test_calls_on_a_part_update_its_owner(
    corpus: Path, normalizer: Normalizer, name: str, asset_type: str
) -> None:
    """Policies, login profiles and profile roles are parts: their calls update the owner."""
    event = only(normalizer, record(corpus, name))
    assert action(event) == "update"
    assert event["data"]["asset"]["type"] == asset_type


def test_attach_and_detach_name_the_managed_policy_with_their_own_relation(
    corpus: Path, normalizer: Normalizer
) -> None:
    """Attach links the AWS-owned policy as attached; detach names it as detached."""
    attached = only(normalizer, record(corpus, "AttachUserPolicy"))
    detached = only(normalizer, record(corpus, "DetachUserPolicy"))
    policy = "aws/aws/global/iam/policy/AdministratorAccess"
    assert related(attached) == {"Has attached ManagedPolicy": policy}
    assert related(detached) == {"Detached ManagedPolicy": policy}
    assert attached["subject"] == detached["subject"]


def test_removing_a_role_from_a_profile_does_not_say_it_contains_it(
    corpus: Path, normalizer: Normalizer
) -> None:
    """`RemoveRoleFromInstanceProfile` relates the role as removed, the add call as contained."""
    removed = only(normalizer, record(corpus, "RemoveRoleFromInstanceProfile"))
    added = only(normalizer, record(corpus, "AddRoleToInstanceProfile"))
    assert list(related(removed)) == ["Removed Role"]
    assert list(related(added)) == ["Contains Role"]


def test_create_role_carries_the_role_configuration(corpus: Path, normalizer: Normalizer) -> None:
    """`CreateRole`'s response is the role: it becomes the configuration."""
    raw = record(corpus, "CreateRole")
    event = only(normalizer, raw)
    assert event["data"]["configuration"] == raw["responseElements"]["role"]
    assert event["data"]["configuration_source"] == "event"


def test_uploading_a_server_certificate_creates_it(corpus: Path, normalizer: Normalizer) -> None:
    """`UploadServerCertificate` creates the certificate, whatever `Upload` means elsewhere."""
    raw = record(corpus, "DeleteRole")
    raw.update(
        eventName="UploadServerCertificate",
        requestParameters={"serverCertificateName": "www", "path": "/cloudfront/"},
    )
    event = only(normalizer, raw)
    assert action(event) == "create"
    assert event["subject"] == f"aws/{ACCOUNT}/global/iam/server-certificate/www"
