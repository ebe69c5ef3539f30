"""IAM describe calls against moto: a role, a user and a group with their attached and inline
policies, a managed policy's default document (documents parsed), a missing role as Missing."""

from __future__ import annotations

import uuid

from eventstream.enrich.live.clients import DefaultClients
from eventstream.enrich.live.describe import describer
from eventstream.enrich.live.outcome import Found, Missing, Target
from tests.aws.conftest import Moto

ACCOUNT = "123456789012"
TRUST = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'  # noqa: E501
INLINE = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}'  # noqa: E501


def _target(kind: str, name: str) -> Target:
    return Target(f"AWS::IAM::{kind}", name, None, ACCOUNT, "global")


async def test_role_user_and_group_with_their_policies(moto: Moto) -> None:
    iam = moto.client("iam")
    tag = uuid.uuid4().hex[:6]
    role, user, group = f"role-{tag}", f"user-{tag}", f"group-{tag}"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName=role, PolicyName="read", PolicyDocument=INLINE)
    attached = iam.create_policy(PolicyName=f"policy-{tag}", PolicyDocument=INLINE)
    policy_arn = attached["Policy"]["Arn"]
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn=policy_arn)
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="read", PolicyDocument=INLINE)
    clients = DefaultClients(moto.endpoint)
    fetcher = describer()
    try:
        got = await fetcher.fetch(_target("Role", f"arn:aws:iam::{ACCOUNT}:role/{role}"), clients)
        assert isinstance(got, Found), got
        assert got.configuration["RoleName"] == role
        principal = got.configuration["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        assert principal == {"Service": "ec2.amazonaws.com"}
        assert got.configuration["InlinePolicies"]["read"]["Statement"][0]["Action"] == (
            "s3:GetObject"
        )

        got = await fetcher.fetch(_target("User", user), clients)
        assert isinstance(got, Found), got
        assert got.configuration["UserName"] == user
        arns = [p["PolicyArn"] for p in got.configuration["AttachedManagedPolicies"]]
        assert arns == [policy_arn]
        assert got.configuration["InlinePolicies"] == {}

        got = await fetcher.fetch(_target("Group", group), clients)
        assert isinstance(got, Found), got
        assert got.configuration["GroupName"] == group
        assert list(got.configuration["InlinePolicies"]) == ["read"]

        got = await fetcher.fetch(_target("ManagedPolicy", policy_arn), clients)
        assert isinstance(got, Found), got
        assert got.configuration["PolicyDocument"]["Statement"][0]["Action"] == "s3:GetObject"

        gone = await fetcher.fetch(_target("Role", f"absent-{tag}"), clients)
        assert isinstance(gone, Missing), gone
    finally:
        await clients.close()
