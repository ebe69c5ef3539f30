"""ECS: a service is `<cluster>/<service>` however the call names either; task definitions are
`<family>:<revision>`; tasks are not tracked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eventstream.normalize.classify import Outcome
from eventstream.normalize.normalizer import Normalizer
from tests.conftest import read_jsonl

RECORDS = Path(__file__).resolve().parent.parent / "records" / "ecs.jsonl"
PREFIX = "arn:aws:ecs:us-east-1:111122223333"
SUBJECT = "aws/111122223333/us-east-1/ecs/service/web/api"


def _record(name: str) -> dict[str, Any]:
    for record in read_jsonl(RECORDS):
        if record["eventName"] == name:
            return record
    raise LookupError(name)


def _only(normalizer: Normalizer, record: dict[str, Any]) -> dict[str, Any]:
    events = normalizer.normalize(record).events
    assert len(events) == 1
    return events[0]


def _update(request: dict[str, Any]) -> dict[str, Any]:
    """`UpdateService` with this request and no response (the service is named by the request)."""
    record = _record("UpdateService")
    record.update(requestParameters=request, responseElements=None)
    return record


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
    created = _only(normalizer, _record("CreateService"))
    event = _only(normalizer, _update(request_parameters))
    assert created["subject"] == event["subject"] == SUBJECT
    assert event["data"]["asset"]["type"] == "AWS::ECS::Service"
    assert event["data"]["associations"][0]["name"].endswith("/ecs/cluster/web")


def test_a_service_without_cluster_is_in_the_default_cluster(normalizer: Normalizer) -> None:
    """A request naming no cluster means ECS's `default` cluster."""
    event = _only(normalizer, _update({"service": "api"}))
    assert event["subject"].endswith("/ecs/service/default/api")
    assert event["data"]["associations"][0]["name"].endswith("/ecs/cluster/default")


def test_task_definition_registered_then_deregistered(normalizer: Normalizer) -> None:
    """`DeregisterTaskDefinition` by `family:revision` deletes what `Register...` created."""
    created = _only(normalizer, _record("RegisterTaskDefinition"))
    record = _record("RegisterTaskDefinition")
    record.update(
        eventName="DeregisterTaskDefinition",
        requestParameters={"taskDefinition": "api:7"},
        responseElements=None,
    )
    deleted = _only(normalizer, record)
    assert created["data"]["asset"]["provider_id"] == "api:7"
    assert deleted["subject"] == created["subject"]
    assert deleted["data"]["change"]["action"] == "delete"


def test_service_runs_the_task_definition_registered(normalizer: Normalizer) -> None:
    """The created service is associated with the task definition registered before it."""
    task_definition = _only(normalizer, _record("RegisterTaskDefinition"))
    service = _only(normalizer, _record("CreateService"))
    related = {a["relation"]: a["name"] for a in service["data"]["associations"]}
    assert related["Runs TaskDefinition"] == task_definition["subject"]


@pytest.mark.parametrize("name", ["RunTask", "StartTask", "StopTask", "ExecuteCommand"])
def test_task_calls_change_no_tracked_asset(normalizer: Normalizer, name: str) -> None:
    """Tasks are not tracked: running or stopping one is non-asset, with no event."""
    record = _update({"cluster": "web", "taskDefinition": "api:7"})
    record["eventName"] = name
    result = normalizer.normalize(record)
    assert result.outcome is Outcome.NON_ASSET
    assert list(result.events) == []


def test_tagging_a_cluster_by_arn(normalizer: Normalizer) -> None:
    """`TagResource` on a cluster ARN updates the cluster."""
    record = _update({})
    record.update(
        eventName="TagResource",
        requestParameters={"resourceArn": f"{PREFIX}:cluster/web", "tags": []},
    )
    event = _only(normalizer, record)
    assert event["data"]["asset"]["type"] == "AWS::ECS::Cluster"
    assert event["subject"].endswith("/ecs/cluster/web")
