"""IAM (global, client region us-east-1): users, roles (trust policy, attached and inline
policies with their documents), groups, managed policies (default version document)."""

from __future__ import annotations

import urllib.parse
from typing import Any

from eventstream import codec
from eventstream.enrich.live.describe.base import Kind, name_of
from eventstream.enrich.live.outcome import Target


def _document(value: Any) -> Any:
    if isinstance(value, str):
        return codec.loads(urllib.parse.unquote(value))
    return value


_NAME_KEY = {"user": "UserName", "role": "RoleName", "group": "GroupName"}


async def _inline(made: Any, noun: str, name: str) -> dict[str, Any]:
    key = _NAME_KEY[noun]
    listed = await getattr(made, f"list_{noun}_policies")(**{key: name})
    documents = {}
    for policy in listed.get("PolicyNames", []):
        got = await getattr(made, f"get_{noun}_policy")(**{key: name, "PolicyName": policy})
        documents[policy] = _document(got.get("PolicyDocument"))
    return documents


async def _attached(made: Any, noun: str, name: str) -> list[dict[str, Any]]:
    listed = await getattr(made, f"list_attached_{noun}_policies")(**{_NAME_KEY[noun]: name})
    return list(listed.get("AttachedPolicies", []))


async def _principal(made: Any, noun: str, target: Target) -> dict[str, Any]:
    """A user, role or group (`get_<noun>`) with its attached and inline policies."""
    name = name_of(target.provider_id)
    got = await getattr(made, f"get_{noun}")(**{_NAME_KEY[noun]: name})
    entity = dict(got[noun.capitalize()])
    entity["AttachedManagedPolicies"] = await _attached(made, noun, name)
    entity["InlinePolicies"] = await _inline(made, noun, name)
    return entity


async def _role(made: Any, target: Target) -> dict[str, Any] | None:
    role = await _principal(made, "role", target)
    role["AssumeRolePolicyDocument"] = _document(role.get("AssumeRolePolicyDocument"))
    return role


async def _user(made: Any, target: Target) -> dict[str, Any] | None:
    return await _principal(made, "user", target)


async def _group(made: Any, target: Target) -> dict[str, Any] | None:
    return await _principal(made, "group", target)


async def _policy(made: Any, target: Target) -> dict[str, Any] | None:
    arn = target.arn or target.provider_id
    policy = dict((await made.get_policy(PolicyArn=arn))["Policy"])
    version = await made.get_policy_version(
        PolicyArn=arn, VersionId=policy.get("DefaultVersionId", "v1")
    )
    policy["PolicyDocument"] = _document(version["PolicyVersion"].get("Document"))
    return policy


KINDS = {
    "AWS::IAM::Role": Kind("iam", _role),
    "AWS::IAM::User": Kind("iam", _user),
    "AWS::IAM::Group": Kind("iam", _group),
    "AWS::IAM::ManagedPolicy": Kind("iam", _policy),
}
