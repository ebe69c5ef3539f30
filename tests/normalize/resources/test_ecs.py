"""ECS: a service is `<cluster>/<service>` however the call names either; task definitions are
`<family>:<revision>`; tasks are not tracked."""

from __future__ import annotations

from typing import Any

import pytest

from eventstream.normalize.classify import Outcome
from eventstream.normalize.normalizer import Normalizer
from tests.normalize.resources.corpus_calls import only
from tests.normalize.resources.project_records import Family

RECORDS = Family("ecs", template="UpdateService")
PREFIX = "arn:aws:ecs:us-east-1:111122223333"
SUBJECT = "aws/111122223333/us-east-1/ecs/service/web/api"


@pytest.mark.parametrize(
    "request_parameters",
    [
        {"cluster": "web", "service": "api"},
        {"cluster": f"{PREFIX}:cluster/web", "service": "api"},
        {"cluster": "web", "service": f"{PREFIX}:service/web/api"},
        {"service": f"{PREFIX}:service/web/api"},
        {"cluster": "web", "service": f"{PREFIX}:service/api"},
    ],
    ids=["names", "cluster-arn", "service-arn", "service-arn-alone", "short-arn"],
)
def test_every_way_of_naming_a_service_gives_one_subject(
    normalizer: Normalizer, request_parameters: dict[str, Any]
) -> None:
    """Names, cluster ARN, long and short service ARNs: all name `web/api`, in cluster `web`."""
    created = only(normalizer, RECORDS.record("CreateService"))
    event = only(normalizer, RECORDS.call("UpdateService", request_parameters))
    assert created["subject"] == event["subject"] == SUBJECT
    assert event["data"]["asset"]["type"] == "AWS::ECS::Service"
    assert event["data"]["associations"][0]["name"].endswith("/ecs/cluster/web")


def test_a_service_without_cluster_is_in_the_default_cluster(normalizer: Normalizer) -> None:
    """A request naming no cluster means ECS's `default` cluster."""
    event = only(normalizer, RECORDS.call("UpdateService", {"service": "api"}))
    assert event["subject"].endswith("/ecs/service/default/api")
    assert event["data"]["associations"][0]["name"].endswith("/ecs/cluster/default")


def test_task_definition_registered_then_deregistered(normalizer: Normalizer) -> None:
    """`DeregisterTaskDefinition` by `family:revision` deletes what `Register...` created."""
    created = only(normalizer, RECORDS.record("RegisterTaskDefinition"))
    record = RECORDS.call(
        "DeregisterTaskDefinition", {"taskDefinition": "api:7"}, template="RegisterTaskDefinition"
    )
    deleted = only(normalizer, record)
    assert created["data"]["asset"]["provider_id"] == "api:7"
    assert deleted["subject"] == created["subject"]
    assert deleted["data"]["change"]["action"] == "delete"


def test_service_runs_the_task_definition_registered(normalizer: Normalizer) -> None:
    """The created service is associated with the task definition registered before it."""
    task_definition = only(normalizer, RECORDS.record("RegisterTaskDefinition"))
    service = only(normalizer, RECORDS.record("CreateService"))
    related = {a["relation"]: a["name"] for a in service["data"]["associations"]}
    assert related["Runs TaskDefinition"] == task_definition["subject"]


@pytest.mark.parametrize("name", ["RunTask", "StartTask", "StopTask", "ExecuteCommand"])
def test_task_calls_change_no_tracked_asset(normalizer: Normalizer, name: str) -> None:
    """Tasks are not tracked: running or stopping one is non-asset, with no event."""
    record = RECORDS.call("UpdateService", {"cluster": "web", "taskDefinition": "api:7"})
    record["eventName"] = name
    result = normalizer.normalize(record)
    assert result.outcome is Outcome.NON_ASSET
    assert list(result.events) == []


def test_tagging_a_cluster_by_arn(normalizer: Normalizer) -> None:
    """`TagResource` on a cluster ARN updates the cluster."""
    record = RECORDS.call("UpdateService", {})
    record.update(
        eventName="TagResource",
        requestParameters={"resourceArn": f"{PREFIX}:cluster/web", "tags": []},
    )
    event = only(normalizer, record)
    assert event["data"]["asset"]["type"] == "AWS::ECS::Cluster"
    assert event["subject"].endswith("/ecs/cluster/web")
