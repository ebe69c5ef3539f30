"""ECS: clusters, services, task definitions and capacity providers.

Canonical ids:
- cluster: its name (`cluster/<name>` in its ARN); a call that may name no cluster uses `default`,
  as ECS does.
- service: `<cluster>/<service>`, as in the long service ARN `service/<cluster>/<service>`.
  Requests name the service by name or ARN and its cluster apart (`cluster`, default `default`);
  a short ARN `service/<service>` (the pre-2018 format) is completed with the request's cluster.
  Task sets are part of their service.
- task definition: `<family>:<revision>`, as in its ARN `task-definition/<family>:<revision>`;
  `RegisterTaskDefinition` takes it from the response.
Tasks are not tracked assets: running, starting and stopping them, the agent's state reports and
`ExecuteCommand` change no asset. Container instances are tracked as part of their cluster.
Account settings belong to no asset.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.context import Call, Touch
from eventstream.normalize.naming import Kind
from eventstream.normalize.resources.ec2 import SECURITY_GROUP, SUBNET
from eventstream.normalize.rules import Assoc, Family, Handler, Rule, Target
from eventstream.normalize.targets import apply_rule, nested


def _ecs(cfn: str, slug: str, arn_resource: str) -> Kind:
    return Kind(
        type=f"AWS::ECS::{cfn}",
        service="ecs",
        slug=slug,
        arn_resource=arn_resource,
        arn_template=f"arn:aws:ecs:{{region}}:{{account}}:{arn_resource}/{{id}}",
    )


CLUSTER = _ecs("Cluster", "cluster", "cluster")
SERVICE = _ecs("Service", "service", "service")
TASK_DEFINITION = _ecs("TaskDefinition", "task-definition", "task-definition")
CAPACITY_PROVIDER = _ecs("CapacityProvider", "capacity-provider", "capacity-provider")

_CLUSTER = "request.cluster"
_DEFAULT_CLUSTER = "default"
_SERVICE = ("response.service.serviceArn", "request.service")
_AWSVPC = "networkConfiguration.awsvpcConfiguration"
_SERVICE_ASSOC = (
    Assoc("Runs TaskDefinition", TASK_DEFINITION, "response.service.taskDefinition"),
    *(
        assoc
        for root in ("response.service", "request")
        for assoc in (
            Assoc("Is contained in Subnet", SUBNET, f"{root}.{_AWSVPC}.subnets[]"),
            Assoc(
                "Is associated with SecurityGroup",
                SECURITY_GROUP,
                f"{root}.{_AWSVPC}.securityGroups[]",
            ),
        )
    ),
)
_TASK_DEFINITION = "response.taskDefinition"


def _service(
    child: str | tuple[str, ...] = _SERVICE,
    *,
    action: Action | None = None,
    described: bool = True,
) -> Handler:
    """A service in its cluster; `described`: the response holds the service's description."""
    return nested(
        SERVICE,
        CLUSTER,
        _CLUSTER,
        child,
        relation="Is contained in Cluster",
        default_parent=_DEFAULT_CLUSTER,
        action=action,
        config="response.service" if described else None,
        assoc=_SERVICE_ASSOC if described else (),
    )


def _cluster_part(call: Call) -> list[Touch]:
    """Container instances and their attributes: an update of the cluster, `default` if unnamed."""
    found = apply_rule(Target(CLUSTER, _CLUSTER, action=Action.UPDATE), call)
    if found:
        return found
    default = call.ref(CLUSTER, _DEFAULT_CLUSTER)
    return [Touch(default, Action.UPDATE)] if default is not None else []


_task_set = _service("request.service", action=Action.UPDATE, described=False)

_RULES: dict[str, Rule] = {
    # clusters
    "CreateCluster": Target(
        CLUSTER,
        ("response.cluster.clusterArn", "request.clusterName"),
        config="response.cluster",
    ),
    "DeleteCluster": Target(CLUSTER, ("response.cluster.clusterArn", _CLUSTER)),
    "UpdateCluster": Target(CLUSTER, _CLUSTER, config="response.cluster"),
    "UpdateClusterSettings": Target(CLUSTER, _CLUSTER, config="response.cluster"),
    "PutClusterCapacityProviders": Target(
        CLUSTER,
        _CLUSTER,
        config="response.cluster",
        assoc=(Assoc("Uses CapacityProvider", CAPACITY_PROVIDER, "request.capacityProviders[]"),),
    ),
    "RegisterContainerInstance": _cluster_part,
    "DeregisterContainerInstance": _cluster_part,
    "UpdateContainerInstancesState": _cluster_part,
    "UpdateContainerAgent": _cluster_part,
    "PutAttributes": _cluster_part,
    "DeleteAttributes": _cluster_part,
    # services and their task sets
    "CreateService": _service(("response.service.serviceArn", "request.serviceName")),
    "UpdateService": _service(),
    "DeleteService": _service(),
    "CreateTaskSet": _task_set,
    "UpdateTaskSet": _task_set,
    "DeleteTaskSet": _task_set,
    "UpdateServicePrimaryTaskSet": _task_set,
    # task definitions
    "RegisterTaskDefinition": Target(
        TASK_DEFINITION,
        f"{_TASK_DEFINITION}.taskDefinitionArn",
        config=_TASK_DEFINITION,
        assoc=(
            Assoc("Assumes Role", None, f"{_TASK_DEFINITION}.taskRoleArn"),
            Assoc("Assumes Role", None, f"{_TASK_DEFINITION}.executionRoleArn"),
        ),
    ),
    "DeregisterTaskDefinition": Target(
        TASK_DEFINITION, (f"{_TASK_DEFINITION}.taskDefinitionArn", "request.taskDefinition")
    ),
    "DeleteTaskDefinitions": Target(
        TASK_DEFINITION,
        ("response.taskDefinitions[].taskDefinitionArn", "request.taskDefinitions[]"),
    ),
    # capacity providers
    "CreateCapacityProvider": Target(
        CAPACITY_PROVIDER,
        ("response.capacityProvider.capacityProviderArn", "request.name"),
        config="response.capacityProvider",
    ),
    "UpdateCapacityProvider": Target(
        CAPACITY_PROVIDER, "request.name", config="response.capacityProvider"
    ),
    "DeleteCapacityProvider": Target(CAPACITY_PROVIDER, "request.capacityProvider"),
    # tags on any ECS resource, named by ARN
    "TagResource": Target(None, "request.resourceArn", action=Action.UPDATE),
    "UntagResource": Target(None, "request.resourceArn", action=Action.UPDATE),
}

FAMILY = Family(
    name="ecs",
    sources=("ecs.amazonaws.com",),
    kinds=(CLUSTER, SERVICE, TASK_DEFINITION, CAPACITY_PROVIDER),
    rules=_RULES,
    ignore=frozenset(
        {
            "RunTask",
            "StartTask",
            "StopTask",
            "UpdateTaskProtection",
            "ExecuteCommand",
            "SubmitTaskStateChange",
            "SubmitContainerStateChange",
            "SubmitAttachmentStateChanges",
            "DiscoverPollEndpoint",
            "PutAccountSetting",
            "PutAccountSettingDefault",
            "DeleteAccountSetting",
        }
    ),
)
