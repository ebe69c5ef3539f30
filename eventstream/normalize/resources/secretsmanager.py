"""Secrets Manager secrets.

A secret's ARN ends in `-` and six random characters (`secret:db-password-AbCdEf`); requests
name it by ARN or by name. Both give the secret's name as its id.

Values, versions, staging labels, rotation, replication, tags and the resource policy are parts
of the secret: calls on them update it. `DeleteSecret` deletes the secret even with a recovery
window (it can no longer be used); `RestoreSecret` undoes that and is an update, as KMS's
`CancelKeyDeletion` is. Secrets Manager records its own work as service events that name the
secret in `additionalEventData` (`StartSecretVersionDelete`/`EndSecretVersionDelete` when it
removes an old version, `Rotation*`, `Replication*`): updates of the secret.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind
from eventstream.normalize.policies import with_policy
from eventstream.normalize.resources.kms import KEY
from eventstream.normalize.resources.lambda_ import FUNCTION
from eventstream.normalize.rules import Assoc, Family, Rule, Target

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
_ENCRYPTED = (Assoc("Is encrypted with Key", KEY, "request.kmsKeyId"),)
_SERVICE_EVENT = Target(
    SECRET, ("additional.ARN", "additional.Name", "additional.SecretId"), action=Action.UPDATE
)


def _secret(*, action: Action | None = None, assoc: tuple[Assoc, ...] = ()) -> Target:
    return Target(SECRET, _ID, action=action, assoc=assoc)


_RULES: dict[str, Rule] = {
    # the response's ARN first, so that the event carries it (before 2024 some said `aRN`)
    "CreateSecret": Target(
        SECRET, ("response.arn", "response.aRN", "request.name"), assoc=_ENCRYPTED
    ),
    "DeleteSecret": Target(SECRET, (_ID, "response.arn", "response.aRN")),
    "RestoreSecret": _secret(action=Action.UPDATE),
    "PutSecretValue": _secret(),
    "UpdateSecret": _secret(assoc=_ENCRYPTED),
    "UpdateSecretVersionStage": _secret(),
    "RotateSecret": _secret(
        action=Action.UPDATE,
        assoc=(Assoc("Is rotated by Function", FUNCTION, "request.rotationLambdaARN"),),
    ),
    "CancelRotateSecret": _secret(action=Action.UPDATE),
    "TagResource": _secret(action=Action.UPDATE),
    "UntagResource": _secret(action=Action.UPDATE),
    "PutResourcePolicy": with_policy(_secret(), "request.resourcePolicy"),
    "DeleteResourcePolicy": _secret(action=Action.UPDATE),
    "ReplicateSecretToRegions": _secret(action=Action.UPDATE),
    "RemoveRegionsFromReplication": _secret(),
    "StopReplicationToReplica": _secret(action=Action.UPDATE),
    # recorded by Secrets Manager itself
    "StartSecretVersionDelete": _SERVICE_EVENT,
    "EndSecretVersionDelete": _SERVICE_EVENT,
    "CancelSecretVersionDelete": _SERVICE_EVENT,
    "RotationStarted": _SERVICE_EVENT,
    "RotationSucceeded": _SERVICE_EVENT,
    "RotationFailed": _SERVICE_EVENT,
    "RotationAbandoned": _SERVICE_EVENT,
    "ReplicationStarted": _SERVICE_EVENT,
    "ReplicationSucceeded": _SERVICE_EVENT,
    "ReplicationFailed": _SERVICE_EVENT,
}

FAMILY = Family(
    name="secretsmanager",
    sources=("secretsmanager.amazonaws.com",),
    kinds=(SECRET,),
    rules=_RULES,
    # reads whose verb the read rule does not know
    ignore=frozenset({"BatchGetSecretValue"}),
)
