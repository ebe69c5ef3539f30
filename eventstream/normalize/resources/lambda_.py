"""Lambda functions, layer versions and event source mappings.

Lambda event names carry an API version (`UpdateFunctionCode20150331v2`); the normalizer strips
it before looking the call up here. A function named by name, by ARN, by partial ARN or with a
version or alias qualifier is the same asset: versions, aliases, permissions, concurrency and URL
settings are parts of the function, so calls on them update it. Create and update calls return
the function's full configuration, which becomes the event's `configuration`, and name its
execution role, VPC subnets and security groups, layers, log group and KMS key.

A layer version (`AWS::Lambda::LayerVersion`) is immutable and has its own ARN
`layer:<name>:<version>`: its id is `<name>:<version>`, whether the request names it by that ARN
or by `layerName` and `versionNumber` apart.
"""

from __future__ import annotations

from typing import Any

from eventstream.models.event import Action
from eventstream.normalize.context import Call, Touch
from eventstream.normalize.naming import Kind
from eventstream.normalize.policies import STATEMENT, with_policy
from eventstream.normalize.resources.ec2 import SECURITY_GROUP, SUBNET, VPC
from eventstream.normalize.resources.iam import ROLE
from eventstream.normalize.resources.kms import KEY
from eventstream.normalize.resources.logs import LOG_GROUP
from eventstream.normalize.rules import Assoc, Family, Handler, Rule, Target


def _function_name(value: str) -> str:
    """`name`, `name:qualifier`, `123456789012:function:name[:q]` → `name`."""
    if ":function:" in value:
        value = value.split(":function:", 1)[1]
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
LAYER_VERSION = Kind(
    type="AWS::Lambda::LayerVersion",
    service="lambda",
    slug="layer-version",
    arn_resource="layer",
    arn_template="arn:aws:lambda:{region}:{account}:layer:{id}",
)
EVENT_SOURCE_MAPPING = Kind(
    type="AWS::Lambda::EventSourceMapping",
    service="lambda",
    slug="event-source-mapping",
    arn_resource="event-source-mapping",
    arn_template="arn:aws:lambda:{region}:{account}:event-source-mapping:{id}",
)

_NAME = "request.functionName"
_CONFIGURED = (
    Assoc("Assumes Role", ROLE, "response.role"),
    Assoc("Is contained in Subnet", SUBNET, "response.vpcConfig.subnetIds[]"),
    Assoc("Is contained in Vpc", VPC, "response.vpcConfig.vpcId"),
    Assoc(
        "Is associated with SecurityGroup", SECURITY_GROUP, "response.vpcConfig.securityGroupIds[]"
    ),
    Assoc("Uses LayerVersion", LAYER_VERSION, "response.layers[].arn"),
    Assoc("Logs to LogGroup", LOG_GROUP, "response.loggingConfig.logGroup"),
    # Lambda's `KMSKeyArn`, as CloudTrail lower-cases a member name's first letter
    Assoc("Is encrypted with Key", KEY, "response.kMSKeyArn"),
    Assoc("Is encrypted with Key", KEY, "response.kmsKeyArn"),
    Assoc("Sends failed events to", None, "response.deadLetterConfig.targetArn"),
)


def _update(*, config: bool = False) -> Target:
    return Target(
        FUNCTION,
        _NAME,
        action=Action.UPDATE,
        config="response" if config else None,
        assoc=_CONFIGURED if config else (),
    )


def _layer_version(action: Action) -> Handler:
    """The version a request names by `layerName` (name or layer ARN) and `versionNumber`."""

    def rule(call: Call) -> list[Touch]:
        request = call.roots["request"]
        layer: Any = request.get("layerName")
        version: Any = request.get("versionNumber")
        if not isinstance(layer, str) or isinstance(version, bool):
            return []
        if not isinstance(version, int | str) or not layer or not str(version):
            return []
        head, word, rest = layer.partition(":layer:")
        name, prefix = (rest, head + word) if word else (layer, "")
        ref = call.ref(LAYER_VERSION, f"{prefix}{name.split(':', 1)[0]}:{version}")
        return [Touch(ref, action)] if ref is not None else []

    return rule


_MAPPING_ASSOC = (
    Assoc("Invokes Function", FUNCTION, "response.functionArn"),
    Assoc("Reads from", None, "response.eventSourceArn"),
)

_RULES: dict[str, Rule] = {
    # functions
    "CreateFunction": Target(
        FUNCTION, ("response.functionName", _NAME), config="response", assoc=_CONFIGURED
    ),
    "DeleteFunction": Target(FUNCTION, _NAME),
    "UpdateFunctionCode": _update(config=True),
    "UpdateFunctionConfiguration": _update(config=True),
    "PublishVersion": _update(),
    "AddPermission": with_policy(_update(), "response.statement", STATEMENT),
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
    "PutFunctionRecursionConfig": _update(),
    # tags on a function, layer or mapping: the kind comes from the ARN
    "TagResource": Target(None, "request.resource", action=Action.UPDATE),
    "UntagResource": Target(None, "request.resource", action=Action.UPDATE),
    # layer versions
    "PublishLayerVersion": Target(
        LAYER_VERSION, "response.layerVersionArn", action=Action.CREATE, config="response"
    ),
    "DeleteLayerVersion": _layer_version(Action.DELETE),
    "AddLayerVersionPermission": _layer_version(Action.UPDATE),
    "RemoveLayerVersionPermission": _layer_version(Action.UPDATE),
    # event source mappings (their id is a UUID, `uUID` in CloudTrail)
    "CreateEventSourceMapping": Target(
        EVENT_SOURCE_MAPPING, "response.uUID", config="response", assoc=_MAPPING_ASSOC
    ),
    "UpdateEventSourceMapping": Target(
        EVENT_SOURCE_MAPPING, "request.uUID", config="response", assoc=_MAPPING_ASSOC
    ),
    "DeleteEventSourceMapping": Target(EVENT_SOURCE_MAPPING, "request.uUID"),
}

FAMILY = Family(
    name="lambda",
    sources=("lambda.amazonaws.com",),
    kinds=(FUNCTION, LAYER_VERSION, EVENT_SOURCE_MAPPING),
    rules=_RULES,
    ignore=frozenset({"Invoke", "InvokeAsync", "InvokeWithResponseStream"}),
)
