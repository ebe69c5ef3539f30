"""IAM: users, roles, groups, policies, access keys, instance profiles. IAM is global."""

from __future__ import annotations

from eventstream.normalize.naming import Kind, last_segment
from eventstream.normalize.rules import Family, Rule

INSTANCE_PROFILE = Kind(
    type="AWS::IAM::InstanceProfile", service="iam", slug="instance-profile",
    arn_resource="instance-profile", global_=True, from_arn=last_segment,
)

_RULES: dict[str, Rule] = {}

FAMILY = Family(
    name="iam", sources=("iam.amazonaws.com",), kinds=(INSTANCE_PROFILE,), rules=_RULES,
)
