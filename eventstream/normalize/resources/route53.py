"""Route 53: hosted zones and health checks (global: named in region `global`).

A hosted zone is named by its id, bare (`Z123`) or with its path (`/hostedzone/Z123`, as
responses give it), or by its ARN `arn:aws:route53:::hostedzone/Z123`: its id is `Z123`. Record
sets are not tracked apart: `ChangeResourceRecordSets` is an update of the hosted zone, as are
DNSSEC, key-signing keys, query logging and VPC associations. A health check's id is its uuid.

A private zone's VPC may live in another region than the call's (Route 53 records every call in
us-east-1): the VPC association is named with the request's `vPCRegion`.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.context import Call, Touch
from eventstream.normalize.naming import Kind, last_segment
from eventstream.normalize.resources.ec2 import VPC
from eventstream.normalize.rules import Family, Handler, Rule, Target
from eventstream.normalize.targets import apply_rule


def _route53(cfn: str, slug: str, arn_resource: str) -> Kind:
    return Kind(
        type=f"AWS::Route53::{cfn}",
        service="route53",
        slug=slug,
        arn_resource=arn_resource,
        global_=True,
        from_arn=last_segment,
        canonical=last_segment,
        arn_template=f"arn:aws:route53:::{arn_resource}/{{id}}",
    )


HOSTED_ZONE = _route53("HostedZone", "hosted-zone", "hostedzone")
HEALTH_CHECK = _route53("HealthCheck", "health-check", "healthcheck")

_ZONE = "request.hostedZoneId"
_HEALTH_CHECK = "request.healthCheckId"
_TAGGABLE = {"hostedzone": HOSTED_ZONE, "healthcheck": HEALTH_CHECK}


def _with_vpc(target: Target) -> Handler:
    """The zone, associated with the VPC `request.vPC` names, in the VPC's own region."""

    def rule(call: Call) -> list[Touch]:
        touches = apply_rule(target, call)
        vpc = call.roots["request"].get("vPC")
        if not isinstance(vpc, dict) or not vpc.get("vPCId"):
            return touches
        region = vpc.get("vPCRegion") or call.region
        ref = call.registry.resolve(VPC, vpc["vPCId"], call.account, str(region))
        if ref is not None:
            for touch in touches:
                touch.associations.append(("Is associated with Vpc", ref))
        return touches

    return rule


_TAGGED = {
    name: Target(kind, "request.resourceId", action=Action.UPDATE)
    for name, kind in _TAGGABLE.items()
}


def _tags(call: Call) -> list[Touch]:
    """`ChangeTagsForResource` names the resource by type (`hostedzone`, `healthcheck`) and id."""
    target = _TAGGED.get(str(call.roots["request"].get("resourceType")))
    if target is None:
        return []
    return apply_rule(target, call)


def _zone(*, action: Action | None = None) -> Target:
    return Target(HOSTED_ZONE, _ZONE, action=action)


_RULES: dict[str, Rule] = {
    "CreateHostedZone": _with_vpc(
        Target(HOSTED_ZONE, "response.hostedZone.id", config="response.hostedZone")
    ),
    "DeleteHostedZone": Target(HOSTED_ZONE, "request.id"),
    "UpdateHostedZoneComment": Target(HOSTED_ZONE, "request.id"),
    "ChangeResourceRecordSets": _zone(action=Action.UPDATE),
    "AssociateVPCWithHostedZone": _with_vpc(_zone()),
    "DisassociateVPCFromHostedZone": _with_vpc(_zone()),
    "CreateVPCAssociationAuthorization": _with_vpc(_zone(action=Action.UPDATE)),
    "DeleteVPCAssociationAuthorization": _with_vpc(_zone(action=Action.UPDATE)),
    "EnableHostedZoneDNSSEC": _zone(),
    "DisableHostedZoneDNSSEC": _zone(),
    "CreateKeySigningKey": _zone(action=Action.UPDATE),
    "ActivateKeySigningKey": _zone(),
    "DeactivateKeySigningKey": _zone(),
    "DeleteKeySigningKey": _zone(action=Action.UPDATE),
    "CreateQueryLoggingConfig": _zone(action=Action.UPDATE),
    "ChangeTagsForResource": _tags,
    "CreateHealthCheck": Target(
        HEALTH_CHECK, "response.healthCheck.id", config="response.healthCheck"
    ),
    "UpdateHealthCheck": Target(HEALTH_CHECK, _HEALTH_CHECK),
    "DeleteHealthCheck": Target(HEALTH_CHECK, _HEALTH_CHECK),
}

FAMILY = Family(
    name="route53",
    sources=("route53.amazonaws.com",),
    kinds=(HOSTED_ZONE, HEALTH_CHECK),
    rules=_RULES,
)
