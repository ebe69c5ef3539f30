"""SSM: parameters by name or ARN, `PutParameter`'s create-or-update, managed instances reported
by the agent, and commands and sessions that change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventstream.normalize.classify import Outcome
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.ssm import MANAGED_INSTANCE, PARAMETER
from tests.normalize.resources.corpus_calls import action, by_id, only, record, related

ACCOUNT, REGION = "123837392027", "us-east-1"
PARAMETER_34 = "/credentials/stratus-red-team/credentials-34"
RUN_INSTANCES = "86eac0ac-8521-4126-aa32-a22f2b74d02e"  # launches i-0dbc91f429e48eeed


def _is_34(raw: dict[str, object]) -> bool:
    return PARAMETER_34 in str(raw["requestParameters"])


def test_parameter_by_name_and_by_arn_is_one_asset(corpus: Path, normalizer: Normalizer) -> None:
    """`PutParameter` and `DeleteParameter` (names) and the record's ARN give one parameter."""
    put = record(corpus, "PutParameter", _is_34)
    created = only(normalizer, put)
    deleted = only(normalizer, record(corpus, "DeleteParameter", _is_34))
    assert created["subject"] == deleted["subject"]
    by_arn = normalizer.registry.resolve(PARAMETER, put["resources"][0]["ARN"], ACCOUNT, REGION)
    assert by_arn is not None
    assert by_arn.name == created["subject"]
    assert created["data"]["asset"]["arn"] == put["resources"][0]["ARN"]


def test_parameter_named_by_arn_in_the_request(corpus: Path, normalizer: Normalizer) -> None:
    """A `DeleteParameter` whose `name` is the parameter's ARN deletes the same parameter."""
    raw = record(corpus, "DeleteParameter")
    expected = only(normalizer, raw)["subject"]
    raw["requestParameters"]["name"] = raw["resources"][0]["ARN"]
    event = only(normalizer, raw)
    assert event["subject"] == expected
    assert action(event) == "delete"


def test_put_parameter_is_a_create_only_when_the_response_says_version_1(
    corpus: Path, normalizer: Normalizer
) -> None:
    """Version 1 answers a create; a later version, or no response at all, is an update."""
    raw = record(corpus, "PutParameter")
    assert raw["responseElements"]["version"] == 1
    assert action(only(normalizer, raw)) == "create"
    raw["responseElements"]["version"] = 4
    assert action(only(normalizer, raw)) == "update"
    raw["responseElements"] = None
    assert action(only(normalizer, raw)) == "update"


@pytest.mark.parametrize("name", ["LabelParameterVersion", "UnlabelParameterVersion"])
def test_labels_update_the_parameter(corpus: Path, normalizer: Normalizer, name: str) -> None:
    """Labelling a version, a verb the verb rule does not know, updates the parameter."""
    raw = record(corpus, "DeleteParameter")
    raw["eventName"] = name
    event = only(normalizer, raw)
    assert action(event) == "update"
    assert event["data"]["asset"]["type"] == "AWS::SSM::Parameter"


@pytest.mark.parametrize(
    "name",
    [
        "UpdateInstanceInformation",
        "UpdateInstanceAssociationStatus",
        "PutInventory",
        "PutComplianceItems",
    ],
)
def test_agent_reports_update_the_managed_instance_of_the_ec2_instance(
    corpus: Path, normalizer: Normalizer, name: str
) -> None:
    """The agent's reports update SSM's managed instance, related to the EC2 instance launched."""
    (launched,) = normalizer.normalize(by_id(corpus, RUN_INSTANCES)).events
    event = only(normalizer, record(corpus, name))
    assert event["data"]["asset"]["type"] == "AWS::SSM::ManagedInstance"
    assert event["subject"] == f"aws/{ACCOUNT}/{REGION}/ssm/managed-instance/i-0dbc91f429e48eeed"
    assert action(event) == "update"
    assert related(event)["Is managed EC2 Instance"] == launched["subject"]


def test_hybrid_machine_is_no_ec2_instance(corpus: Path, normalizer: Normalizer) -> None:
    """An `mi-` machine is a managed instance with no EC2 instance, by its id prefix too."""
    raw = record(corpus, "UpdateInstanceInformation")
    raw["requestParameters"]["instanceId"] = "mi-0123456789abcdef0"
    event = only(normalizer, raw)
    assert event["subject"].endswith("/ssm/managed-instance/mi-0123456789abcdef0")
    assert event["data"]["associations"] == []
    assert normalizer.registry.kind_for_id("mi-0123456789abcdef0") is MANAGED_INSTANCE
    assert normalizer.registry.kind_for_id("i-0dbc91f429e48eeed") is not MANAGED_INSTANCE


@pytest.mark.parametrize(
    "name", ["SendCommand", "StartSession", "TerminateSession", "ResumeSession"]
)
def test_commands_and_sessions_change_no_asset(
    corpus: Path, normalizer: Normalizer, name: str
) -> None:
    """Running a command or a session is counted as non-asset, with no event."""
    raw = record(corpus, "TerminateSession")
    raw["eventName"] = name
    result = normalizer.normalize(raw)
    assert result.outcome is Outcome.NON_ASSET
    assert list(result.events) == []
