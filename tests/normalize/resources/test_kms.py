"""KMS: a key is one asset by id or ARN, an alias by name or ARN; scheduling deletion deletes the
key. The corpus has no successful mutating KMS call: these tests change a real KMS record (a
`GenerateDataKey` made for Secrets Manager) into the call under test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eventstream.normalize.classify import Outcome
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.kms import ALIAS, KEY
from tests.normalize.resources.corpus_calls import action, only, record, related

ACCOUNT, REGION = "123837392027", "us-east-1"
KEY_ID = "dad21b23-9915-42bd-981b-2a9f3c8f20c8"  # the key the real record's `resources` lists
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"
KEY_NAME = f"aws/{ACCOUNT}/{REGION}/kms/key/{KEY_ID}"


def _call(
    corpus: Path, name: str, request: dict[str, Any], response: dict[str, Any] | None = None
) -> dict[str, Any]:
    raw = record(corpus, "GenerateDataKey")
    raw.update(eventName=name, readOnly=False, requestParameters=request, responseElements=response)
    return raw


@pytest.mark.parametrize(
    ("kind", "forms", "name"),
    [
        (KEY, [KEY_ID, KEY_ARN, f"key/{KEY_ID}"], KEY_NAME),
        (
            ALIAS,
            ["alias/orders", "orders", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/orders"],
            f"aws/{ACCOUNT}/{REGION}/kms/alias/orders",
        ),
        (
            ALIAS,
            ["alias/aws/s3", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/s3"],
            f"aws/{ACCOUNT}/{REGION}/kms/alias/aws/s3",
        ),
    ],
)
def test_every_form_of_a_key_or_alias_names_one_asset(
    normalizer: Normalizer, kind: Any, forms: list[str], name: str
) -> None:
    """A key by id, ARN or `key/<id>`, an alias with or without `alias/` or by ARN: one name."""
    refs = [normalizer.registry.resolve(kind, form, ACCOUNT, REGION) for form in forms]
    assert {ref.name for ref in refs if ref is not None} == {name}
    assert all(ref is not None for ref in refs)


def test_schedule_key_deletion_deletes_the_key_named_by_id_or_arn(
    corpus: Path, normalizer: Normalizer
) -> None:
    """`ScheduleKeyDeletion` is a delete of the key, whether the request names its id or ARN."""
    response = {"keyId": KEY_ARN, "keyState": "PendingDeletion", "pendingWindowInDays": 7}
    for named in (KEY_ID, KEY_ARN):
        event = only(
            normalizer, _call(corpus, "ScheduleKeyDeletion", {"keyId": named}, dict(response))
        )
        assert action(event) == "delete"
        assert event["subject"] == KEY_NAME


def test_cancel_key_deletion_updates_the_same_key(corpus: Path, normalizer: Normalizer) -> None:
    """`CancelKeyDeletion` brings the scheduled key back: an update of the same asset."""
    event = only(
        normalizer, _call(corpus, "CancelKeyDeletion", {"keyId": KEY_ID}, {"keyId": KEY_ARN})
    )
    assert action(event) == "update"
    assert event["subject"] == KEY_NAME


def test_a_key_named_by_alias_comes_from_the_record_resources(
    corpus: Path, normalizer: Normalizer
) -> None:
    """A key call naming an alias updates the key the record's `resources` lists, not the alias."""
    event = only(normalizer, _call(corpus, "TagResource", {"keyId": "alias/aws/secretsmanager"}))
    assert event["subject"] == KEY_NAME
    assert action(event) == "update"


def test_create_alias_points_to_its_key(corpus: Path, normalizer: Normalizer) -> None:
    """`CreateAlias` creates the alias and relates it to its target key."""
    raw = _call(corpus, "CreateAlias", {"aliasName": "alias/orders", "targetKeyId": KEY_ID})
    event = only(normalizer, raw)
    assert action(event) == "create"
    assert event["data"]["asset"]["type"] == "AWS::KMS::Alias"
    assert related(event) == {"Points to Key": KEY_NAME}


@pytest.mark.parametrize("name", ["CreateGrant", "ImportKeyMaterial", "ReplicateKey"])
def test_key_settings_are_updates(corpus: Path, normalizer: Normalizer, name: str) -> None:
    """Grants, key material and replicas change the key: updates, whatever the verb says."""
    event = only(normalizer, _call(corpus, name, {"keyId": KEY_ID}))
    assert action(event) == "update"
    assert event["subject"] == KEY_NAME


@pytest.mark.parametrize("name", ["Decrypt", "Encrypt", "GenerateDataKey"])
def test_cryptographic_calls_are_reads(corpus: Path, normalizer: Normalizer, name: str) -> None:
    """Real encrypt, decrypt and data-key records change nothing."""
    result = normalizer.normalize(record(corpus, name))
    assert result.outcome is Outcome.READ_ONLY
    assert list(result.events) == []


def test_reencrypt_changes_no_asset(corpus: Path, normalizer: Normalizer) -> None:
    """`ReEncrypt`, a verb the read rule does not know, is counted as non-asset."""
    result = normalizer.normalize(_call(corpus, "ReEncrypt", {"destinationKeyId": KEY_ID}))
    assert result.outcome is Outcome.NON_ASSET
