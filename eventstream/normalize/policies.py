"""Resource-based policies: calls that set one are updates of their resource, with the policy
document in the event's `configuration`.

A policy arrives as a JSON string in most records (`PutKeyPolicy`'s `policy`, SQS's
`attributes.Policy`, `UpdateAssumeRolePolicy`'s `policyDocument`) and as an object in S3's
(`bucketPolicy`); either way the configuration holds it parsed, under one key per kind of
document (README.md, "Resource-based policies", lists the calls):

- `Policy`: a resource policy (S3 bucket, KMS key, Secrets Manager secret, ECR repository,
  OpenSearch domain access policies, and every derived call with a policy member);
- `assumeRolePolicyDocument`: an IAM role's trust policy (`UpdateAssumeRolePolicy`);
- `Statement`: the one statement Lambda's `AddPermission` added (from its response);
- the attribute names, for SQS `SetQueueAttributes` and SNS `SetTopicAttributes`: the
  attributes set, `Policy`, `RedrivePolicy`, `DeliveryPolicy`... parsed when JSON.

Each is part of the resource's configuration: `configuration_source` is `event_partial`, and the
inventory merges it over the configuration known before (its `changes` show just that part).
A document that is not valid JSON leaves the configuration out (the raw record still has it).
"""

from __future__ import annotations

from typing import Any

from eventstream.normalize.context import Call, Touch
from eventstream.normalize.derived import parse_policy
from eventstream.normalize.rules import Handler, Rule, compile_path
from eventstream.normalize.targets import apply_rule

POLICY = "Policy"
TRUST_POLICY = "assumeRolePolicyDocument"  # the key of the role's own configuration
STATEMENT = "Statement"
# Attributes (SQS queues, SNS topics) whose value is a JSON document.
_JSON_ATTRIBUTES = frozenset(
    {"Policy", "RedrivePolicy", "RedriveAllowPolicy", "DeliveryPolicy", "EffectiveDeliveryPolicy"}
)


def with_policy(rule: Rule, path: str, key: str = POLICY) -> Handler:
    """`rule`, with the policy document at `path` (parsed) as each asset's configuration."""
    compiled = compile_path(path)

    def handler(call: Call) -> list[Touch]:
        touches = apply_rule(rule, call)
        document = next(
            (d for v in call.walk(compiled) if (d := parse_policy(v)) is not None), None
        )
        if document is not None:
            for touch in touches:
                touch.configuration = {key: document}
                touch.partial = True
        return touches

    return handler


def with_attributes(rule: Rule, path: str) -> Handler:
    """`rule`, with the attributes object at `path` as the configuration, its JSON documents
    (`Policy`, `RedrivePolicy`, ...) parsed."""
    compiled = compile_path(path)

    def handler(call: Call) -> list[Touch]:
        touches = apply_rule(rule, call)
        found = next((v for v in call.walk(compiled) if isinstance(v, dict) and v), None)
        if found is not None:
            configuration = _parsed_attributes(found)
            for touch in touches:
                touch.configuration = configuration
                touch.partial = True
        return touches

    return handler


def with_attribute(rule: Rule, name_path: str, value_path: str) -> Handler:
    """`rule`, with one attribute set by name and value (SNS `SetTopicAttributes`) as the
    configuration: `{<name>: <value, parsed when a JSON document>}`."""
    name_compiled, value_compiled = compile_path(name_path), compile_path(value_path)

    def handler(call: Call) -> list[Touch]:
        touches = apply_rule(rule, call)
        names = [n for n in call.walk(name_compiled) if isinstance(n, str)]
        values = call.walk(value_compiled)
        if names and values:
            configuration = _parsed_attributes({names[0]: values[0]})
            for touch in touches:
                touch.configuration = configuration
                touch.partial = True
        return touches

    return handler


def _parsed_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for name, value in attributes.items():
        document = parse_policy(value) if name in _JSON_ATTRIBUTES else None
        parsed[name] = document if document is not None else value
    return parsed
