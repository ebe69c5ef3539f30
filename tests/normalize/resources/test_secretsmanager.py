"""Secrets Manager: a secret is one asset by name or by ARN with its random suffix, including in
the service's own version-deletion events."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.secretsmanager import SECRET
from tests.normalize.resources.corpus_calls import action, only, record, successful

ACCOUNT, REGION = "123837392027", "us-east-1"
SECRET_15 = "stratus-red-team-retrieve-secret-15"


def test_every_event_on_one_secret_shares_its_subject(corpus: Path, normalizer: Normalizer) -> None:
    """Create (by name), put value and delete (by ARN), service events (additional data) agree."""
    subjects: dict[str, str] = {}
    for raw in successful(corpus):
        if (
            raw["eventSource"] == "secretsmanager.amazonaws.com"
            and SECRET_15 in str(raw)
            and raw.get("readOnly") is not True
        ):
            subjects[raw["eventName"]] = only(normalizer, raw)["subject"]
    assert {"CreateSecret", "PutSecretValue", "StartSecretVersionDelete"} <= set(subjects)
    assert set(subjects.values()) == {f"aws/{ACCOUNT}/{REGION}/secretsmanager/secret/{SECRET_15}"}


def test_put_secret_value_by_name_or_by_arn(corpus: Path, normalizer: Normalizer) -> None:
    """The real `PutSecretValue` (by ARN) and the same call by plain name update one secret."""
    raw = record(corpus, "PutSecretValue")
    arn = raw["requestParameters"]["secretId"]
    by_arn = only(normalizer, raw)
    assert by_arn["data"]["asset"]["provider_id"] == arn.split(":secret:")[1][:-7]
    raw["requestParameters"]["secretId"] = by_arn["data"]["asset"]["provider_id"]
    by_name = only(normalizer, raw)
    assert by_name["subject"] == by_arn["subject"]


@pytest.mark.parametrize(
    ("name", "arn_rest"),
    [
        ("db-password", "db-password-AbC12x"),
        ("app/prod/db", "app/prod/db-Zz9Yy8"),
        ("token-AbCdEf", "token-AbCdEf-q1W2e3"),
    ],
)
def test_the_random_suffix_is_dropped_from_arns_only(
    normalizer: Normalizer, name: str, arn_rest: str
) -> None:
    """An ARN loses its `-XXXXXX` suffix; a name that merely looks suffixed keeps its tail."""
    arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{arn_rest}"
    by_name = normalizer.registry.resolve(SECRET, name, ACCOUNT, REGION)
    by_arn = normalizer.registry.resolve(SECRET, arn, ACCOUNT, REGION)
    assert by_name is not None
    assert by_arn is not None
    assert by_name.name == by_arn.name == f"aws/{ACCOUNT}/{REGION}/secretsmanager/secret/{name}"


@pytest.mark.parametrize("name", ["StartSecretVersionDelete", "EndSecretVersionDelete"])
def test_service_version_deletion_updates_the_secret(
    corpus: Path, normalizer: Normalizer, name: str
) -> None:
    """Secrets Manager removing an old version is a service-side update of the secret."""
    event = only(normalizer, record(corpus, name))
    assert action(event) == "update"
    assert event["data"]["asset"]["type"] == "AWS::SecretsManager::Secret"
    assert event["data"]["attribution"]["method"] == "provider"


def test_create_secret_event_carries_the_arn(corpus: Path, normalizer: Normalizer) -> None:
    """`CreateSecret` names the secret by the ARN it answers, so the event carries that ARN."""
    raw = record(corpus, "CreateSecret")
    event = only(normalizer, raw)
    assert action(event) == "create"
    assert event["data"]["asset"]["arn"] == raw["responseElements"]["arn"]
    assert event["data"]["asset"]["provider_id"] == raw["requestParameters"]["name"]


def test_restore_secret_is_an_update(corpus: Path, normalizer: Normalizer) -> None:
    """`RestoreSecret` undoes a deletion: an update, not the create its verb suggests."""
    raw = record(corpus, "PutSecretValue")
    raw.update(eventName="RestoreSecret", responseElements=None)
    assert action(only(normalizer, raw)) == "update"
