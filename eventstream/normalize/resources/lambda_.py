"""Lambda functions, layers and event source mappings.

Lambda event names carry an API version (`UpdateFunctionCode20150331v2`); the normalizer strips
it before looking the call up here. A function named by name, by ARN, by partial ARN or with a
version or alias qualifier is the same asset. Create and update calls return the function's full
configuration, which becomes the event's `configuration`.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind
from eventstream.normalize.resources.ec2 import SECURITY_GROUP, SUBNET
from eventstream.normalize.resources.iam import ROLE
from eventstream.normalize.rules import Assoc, Family, Rule, Target


def _function_name(value: str) -> str:
    """`name`, `name:qualifier`, `123456789012:function:name[:q]` → `name`."""
    if ":function:" in value:
        value = value.split(":function:", 1)[1]
    return value.split(":", 1)[0]


def _layer_name(value: str) -> str:
    """`name:3` (a layer version) → `name`."""
    return value.split(":", 1)[0]


FUNCTION = Kind(
    type="AWS::Lambda::Function",
    service="lambda",
    slug="function",
    arn_resource="function",
    from_arn=_function_name,
    canonical=_function_name,
    arn_template="arn:aws:lambda:{region}:{account}:function:{id}",
)
LAYER = Kind(
    type="AWS::Lambda::LayerVersion",
    service="lambda",
    slug="layer",
    arn_resource="layer",
    from_arn=_layer_name,
    canonical=_layer_name,
)
EVENT_SOURCE_MAPPING = Kind(
    type="AWS::Lambda::EventSourceMapping",
    service="lambda",
    slug="event-source-mapping",
    arn_resource="event-source-mapping",
)

_NAME = "request.functionName"
_CONFIGURED = (
    Assoc("Assumes Role", ROLE, "response.role"),
    Assoc("Is contained in Subnet", SUBNET, "response.vpcConfig.subnetIds[]"),
    Assoc(
        "Is associated with SecurityGroup", SECURITY_GROUP, "response.vpcConfig.securityGroupIds[]"
    ),
    Assoc("Uses LayerVersion", LAYER, "response.layers[].arn"),
)


def _update(*, config: bool = False) -> Target:
    return Target(
        FUNCTION,
        _NAME,
        action=Action.UPDATE,
        config="response" if config else None,
        assoc=_CONFIGURED if config else (),
    )


_RULES: dict[str, Rule] = {
    "CreateFunction": Target(
        FUNCTION, ("response.functionName", _NAME), config="response", assoc=_CONFIGURED
    ),
    "DeleteFunction": Target(FUNCTION, _NAME),
    "UpdateFunctionCode": _update(config=True),
    "UpdateFunctionConfiguration": _update(config=True),
    "PublishVersion": _update(),
    "AddPermission": _update(),
    "RemovePermission": _update(),
    "CreateAlias": _update(),
    "UpdateAlias": _update(),
    "DeleteAlias": _update(),
    "PutFunctionConcurrency": _update(),
    "DeleteFunctionConcurrency": _update(),
    "PutProvisionedConcurrencyConfig": _update(),
    "DeleteProvisionedConcurrencyConfig": _update(),
    "PutFunctionEventInvokeConfig": _update(),
    "UpdateFunctionEventInvokeConfig": _update(),
    "DeleteFunctionEventInvokeConfig": _update(),
    "CreateFunctionUrlConfig": _update(),
    "UpdateFunctionUrlConfig": _update(),
    "DeleteFunctionUrlConfig": _update(),
    "PutFunctionCodeSigningConfig": _update(),
    "DeleteFunctionCodeSigningConfig": _update(),
    "PutRuntimeManagementConfig": _update(),
    "TagResource": Target(None, "request.resource", action=Action.UPDATE),
    "UntagResource": Target(None, "request.resource", action=Action.UPDATE),
    "PublishLayerVersion": Target(
        LAYER, ("response.layerArn", "request.layerName"), action=Action.CREATE
    ),
    "DeleteLayerVersion": Target(LAYER, "request.layerName", action=Action.UPDATE),
    "AddLayerVersionPermission": Target(LAYER, "request.layerName"),
    "RemoveLayerVersionPermission": Target(LAYER, "request.layerName"),
    "CreateEventSourceMapping": Target(
        EVENT_SOURCE_MAPPING,
        "response.uUID",
        config="response",
        assoc=(Assoc("Invokes Function", FUNCTION, "response.functionArn"),),
    ),
    "UpdateEventSourceMapping": Target(EVENT_SOURCE_MAPPING, "request.uUID"),
    "DeleteEventSourceMapping": Target(EVENT_SOURCE_MAPPING, "request.uUID"),
}

FAMILY = Family(
    name="lambda",
    sources=("lambda.amazonaws.com",),
    kinds=(FUNCTION, LAYER, EVENT_SOURCE_MAPPING),
    rules=_RULES,
    ignore=frozenset({"Invoke", "InvokeAsync", "InvokeWithResponseStream"}),
)
