"""Secrets Manager secrets.

A secret's ARN ends in `-` and six random characters (`secret:db-password-AbCdEf`); requests
name it by ARN or by name. Both give the secret's name as its id. The service's own
`StartSecretVersionDelete`/`EndSecretVersionDelete`/rotation events name the secret in
`additionalEventData`.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind
from eventstream.normalize.rules import Family, Rule, Target

_SUFFIX_LENGTH = 7  # "-" and six random characters


def _name_from_arn(rest: str) -> str:
    """`db-password-AbCdEf` → `db-password`."""
    if len(rest) > _SUFFIX_LENGTH and rest[-_SUFFIX_LENGTH] == "-":
        return rest[:-_SUFFIX_LENGTH]
    return rest


SECRET = Kind(
    type="AWS::SecretsManager::Secret",
    service="secretsmanager",
    slug="secret",
    arn_resource="secret",
    from_arn=_name_from_arn,
)

_ID = "request.secretId"
_SERVICE_EVENT = Target(
    SECRET, ("additional.ARN", "additional.Name", "additional.SecretId"), action=Action.UPDATE
)

_RULES: dict[str, Rule] = {
    "CreateSecret": Target(SECRET, ("request.name", "response.arn")),
    "DeleteSecret": Target(SECRET, (_ID, "response.aRN", "response.arn")),
    "RestoreSecret": Target(SECRET, _ID, action=Action.UPDATE),
    "PutSecretValue": Target(SECRET, _ID),
    "UpdateSecret": Target(SECRET, _ID),
    "UpdateSecretVersionStage": Target(SECRET, _ID),
    "RotateSecret": Target(SECRET, _ID, action=Action.UPDATE),
    "CancelRotateSecret": Target(SECRET, _ID, action=Action.UPDATE),
    "TagResource": Target(SECRET, _ID),
    "UntagResource": Target(SECRET, _ID),
    "PutResourcePolicy": Target(SECRET, _ID),
    "DeleteResourcePolicy": Target(SECRET, _ID, action=Action.UPDATE),
    "ReplicateSecretToRegions": Target(SECRET, _ID, action=Action.UPDATE),
    "RemoveRegionsFromReplication": Target(SECRET, _ID),
    "StopReplicationToReplica": Target(SECRET, _ID, action=Action.UPDATE),
    "StartSecretVersionDelete": _SERVICE_EVENT,
    "EndSecretVersionDelete": _SERVICE_EVENT,
    "CancelSecretVersionDelete": _SERVICE_EVENT,
    "RotationStarted": _SERVICE_EVENT,
    "RotationSucceeded": _SERVICE_EVENT,
    "RotationFailed": _SERVICE_EVENT,
    "RotationAbandoned": _SERVICE_EVENT,
}

FAMILY = Family(
    name="secretsmanager",
    sources=("secretsmanager.amazonaws.com",),
    kinds=(SECRET,),
    rules=_RULES,
)
