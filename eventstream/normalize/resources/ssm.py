"""Systems Manager: parameters, documents, associations, and managed instances.

`PutParameter` creates or overwrites: the response's `version` tells which (1 = created).
Parameter names `/a/b` and their ARN `parameter/a/b` give the same id `a/b`.

The SSM agent on an instance reports its state (`UpdateInstanceInformation`, `PutInventory`,
`PutComplianceItems`, `UpdateInstanceAssociationStatus`): these are updates of the
`AWS::SSM::ManagedInstance` (SSM's record of the instance), associated with the EC2 instance,
not changes of the EC2 instance itself. Running commands and sessions changes no asset.
"""

from __future__ import annotations

from typing import Any

from eventstream.models.event import Action
from eventstream.normalize.context import Call, Touch
from eventstream.normalize.naming import Kind
from eventstream.normalize.resources.ec2 import INSTANCE
from eventstream.normalize.rules import Assoc, Family, Rule, Target
from eventstream.normalize.targets import apply_rule


def _parameter_id(value: str) -> str:
    return value.lstrip("/")


PARAMETER = Kind(
    type="AWS::SSM::Parameter",
    service="ssm",
    slug="parameter",
    arn_resource="parameter",
    from_arn=_parameter_id,
    canonical=_parameter_id,
)
DOCUMENT = Kind(type="AWS::SSM::Document", service="ssm", slug="document", arn_resource="document")
MANAGED_INSTANCE = Kind(
    type="AWS::SSM::ManagedInstance",
    service="ssm",
    slug="managed-instance",
    arn_resource="managed-instance",
    id_prefix="mi-",
)
ASSOCIATION = Kind(
    type="AWS::SSM::Association", service="ssm", slug="association", arn_resource="association"
)
MAINTENANCE_WINDOW = Kind(
    type="AWS::SSM::MaintenanceWindow",
    service="ssm",
    slug="maintenance-window",
    arn_resource="maintenancewindow",
    id_prefix="mw-",
)

_TAGGABLE = {
    "Parameter": PARAMETER,
    "Document": DOCUMENT,
    "ManagedInstance": MANAGED_INSTANCE,
    "MaintenanceWindow": MAINTENANCE_WINDOW,
    "Association": ASSOCIATION,
}


def _agent_report(path: str) -> Target:
    return Target(
        MANAGED_INSTANCE,
        path,
        action=Action.UPDATE,
        assoc=(Assoc("Is managed EC2 Instance", INSTANCE, path),),
    )


def _put_parameter(call: Call) -> list[Touch]:
    """Version 1 in the response means the parameter was created; anything else overwrote it."""
    version: Any = call.roots["response"].get("version")
    action = Action.CREATE if version == 1 else Action.UPDATE
    return apply_rule(Target(PARAMETER, "request.name", action=action), call)


def _tags(call: Call) -> list[Touch]:
    """`AddTagsToResource`/`RemoveTagsFromResource` name the resource by type and id."""
    kind = _TAGGABLE.get(str(call.roots["request"].get("resourceType")))
    if kind is None:
        return []
    return apply_rule(Target(kind, "request.resourceId", action=Action.UPDATE), call)


_RULES: dict[str, Rule] = {
    "PutParameter": _put_parameter,
    "DeleteParameter": Target(PARAMETER, "request.name"),
    "DeleteParameters": Target(PARAMETER, ("response.deletedParameters[]", "request.names[]")),
    "LabelParameterVersion": Target(PARAMETER, "request.name"),
    "UnlabelParameterVersion": Target(PARAMETER, "request.name"),
    "AddTagsToResource": _tags,
    "RemoveTagsFromResource": _tags,
    "CreateDocument": Target(
        DOCUMENT,
        ("response.documentDescription.name", "request.name"),
        config="response.documentDescription",
    ),
    "UpdateDocument": Target(DOCUMENT, "request.name"),
    "UpdateDocumentDefaultVersion": Target(DOCUMENT, "request.name"),
    "UpdateDocumentMetadata": Target(DOCUMENT, "request.name"),
    "ModifyDocumentPermission": Target(DOCUMENT, "request.name"),
    "DeleteDocument": Target(DOCUMENT, "request.name"),
    "CreateAssociation": Target(
        ASSOCIATION,
        "response.associationDescription.associationId",
        config="response.associationDescription",
    ),
    "UpdateAssociation": Target(ASSOCIATION, "request.associationId"),
    "DeleteAssociation": Target(ASSOCIATION, "request.associationId"),
    "UpdateInstanceInformation": _agent_report("request.instanceId"),
    "UpdateInstanceAssociationStatus": _agent_report("request.instanceId"),
    "PutInventory": _agent_report("request.instanceId"),
    "PutComplianceItems": _agent_report("request.resourceId"),
    "DeregisterManagedInstance": Target(MANAGED_INSTANCE, "request.instanceId"),
    "CreateMaintenanceWindow": Target(MAINTENANCE_WINDOW, "response.windowId"),
    "UpdateMaintenanceWindow": Target(MAINTENANCE_WINDOW, "request.windowId"),
    "DeleteMaintenanceWindow": Target(MAINTENANCE_WINDOW, "request.windowId"),
}

FAMILY = Family(
    name="ssm",
    sources=("ssm.amazonaws.com",),
    kinds=(PARAMETER, DOCUMENT, MANAGED_INSTANCE, ASSOCIATION, MAINTENANCE_WINDOW),
    rules=_RULES,
    ignore=frozenset(
        {
            "SendCommand",
            "CancelCommand",
            "StartSession",
            "ResumeSession",
            "TerminateSession",
            "StartAutomationExecution",
            "StopAutomationExecution",
            "SendAutomationSignal",
            "StartChangeRequestExecution",
        }
    ),
)
