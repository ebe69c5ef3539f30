"""KMS: keys and aliases.

A key's id is its key id, a uuid (`mrk-...` for a multi-Region key), whether the event names it
bare, as its ARN `key/<id>` or as `key/<id>`. A request may name the key by one of its aliases
instead (`alias/<name>`, or the alias's ARN): such a value names no key, and the key comes from
the record's `resources`, where KMS lists the key's ARN (as it does for `DeleteKey`, which KMS
records itself when a key's waiting period ends). An alias's id is its name without the `alias/`
word (`alias/orders` → `orders`, `alias/aws/s3` → `aws/s3`), as in its ARN `alias/<name>`.

`ScheduleKeyDeletion` deletes the key: from then on it can no longer be used, and KMS destroys it
when the waiting period ends unless `CancelKeyDeletion` (an update) stops it. Grants, policies,
rotation, key material and replication are settings of the key. Cryptographic calls are data.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.context import Call, Touch
from eventstream.normalize.naming import Kind
from eventstream.normalize.policies import with_policy
from eventstream.normalize.rules import Assoc, Family, Handler, Rule, Target
from eventstream.normalize.targets import apply_rule

_ALIAS_WORD = "alias/"


def _key_id(value: str) -> str:
    """`key/<id>` or `<id>` → `<id>`; an alias (`alias/<name>`) names no key here."""
    if value.startswith(_ALIAS_WORD):
        return ""
    return value.removeprefix("key/")


def _alias_name(value: str) -> str:
    """`alias/orders` → `orders`."""
    return value.removeprefix(_ALIAS_WORD)


KEY = Kind(
    type="AWS::KMS::Key",
    service="kms",
    slug="key",
    arn_resource="key",
    canonical=_key_id,
    arn_template="arn:aws:kms:{region}:{account}:key/{id}",
)
ALIAS = Kind(
    type="AWS::KMS::Alias",
    service="kms",
    slug="alias",
    arn_resource="alias",
    canonical=_alias_name,
    arn_template="arn:aws:kms:{region}:{account}:alias/{id}",
)

_KEY_ID = "request.keyId"
_RESOURCES = "record.resources[].ARN"
_ALIAS = "request.aliasName"
_POINTS_TO = (Assoc("Points to Key", KEY, "request.targetKeyId"),)


def _keys(touches: list[Touch]) -> list[Touch]:
    """Only the keys: an alias ARN given where a key is expected resolves to the alias."""
    return [touch for touch in touches if touch.ref.type == KEY.type]


def _key(
    path: str | tuple[str, ...] = _KEY_ID,
    *,
    action: Action | None = None,
    config: str | None = None,
    assoc: tuple[Assoc, ...] = (),
) -> Handler:
    """The key a request names, or, when it names an alias, the key its `resources` list."""
    named = Target(KEY, path, action=action, config=config, assoc=assoc)
    listed = Target(KEY, _RESOURCES, action=action, config=config, assoc=assoc)

    def rule(call: Call) -> list[Touch]:
        return _keys(apply_rule(named, call)) or _keys(apply_rule(listed, call))

    return rule


def _alias(*, action: Action | None = None, assoc: tuple[Assoc, ...] = ()) -> Target:
    return Target(ALIAS, _ALIAS, action=action, assoc=assoc)


_RULES: dict[str, Rule] = {
    # keys
    "CreateKey": _key(
        ("response.keyMetadata.arn", "response.keyMetadata.keyId"),
        config="response.keyMetadata",
    ),
    "ScheduleKeyDeletion": _key(("response.keyId", _KEY_ID), action=Action.DELETE),
    # recorded by KMS itself when the waiting period ends
    "DeleteKey": _key(("response.keyId", _RESOURCES)),
    "CancelKeyDeletion": _key(("response.keyId", _KEY_ID)),
    "EnableKey": _key(),
    "DisableKey": _key(),
    "EnableKeyRotation": _key(),
    "DisableKeyRotation": _key(),
    "RotateKeyOnDemand": _key(),
    # recorded by KMS itself when it rotates a key
    "RotateKey": _key(_RESOURCES),
    "PutKeyPolicy": with_policy(_key(), "request.policy"),
    "UpdateKeyDescription": _key(),
    "UpdatePrimaryRegion": _key(),
    # the replica's own `CreateKey` is recorded in its region: here, an update of the primary
    "ReplicateKey": _key(
        action=Action.UPDATE,
        assoc=(Assoc("Is replicated to Key", KEY, "response.replicaKeyMetadata.arn"),),
    ),
    "ImportKeyMaterial": _key(action=Action.UPDATE),
    "DeleteImportedKeyMaterial": _key(action=Action.UPDATE),
    "DeleteExpiredKeyMaterial": _key(_RESOURCES, action=Action.UPDATE),
    "CreateGrant": _key(action=Action.UPDATE),
    "RevokeGrant": _key(),
    "RetireGrant": _key(action=Action.UPDATE),
    "TagResource": _key(action=Action.UPDATE),
    "UntagResource": _key(action=Action.UPDATE),
    # aliases
    "CreateAlias": _alias(assoc=_POINTS_TO),
    "UpdateAlias": _alias(assoc=_POINTS_TO),
    "DeleteAlias": _alias(),
}

FAMILY = Family(
    name="kms",
    sources=("kms.amazonaws.com",),
    kinds=(KEY, ALIAS),
    rules=_RULES,
    # cryptographic calls whose verb the read rule does not know
    ignore=frozenset({"ReEncrypt", "DeriveSharedSecret"}),
)
