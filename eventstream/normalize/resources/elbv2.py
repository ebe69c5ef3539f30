"""Elastic Load Balancing: application, network and gateway load balancers (v2), their target
groups, listeners and rules, and classic load balancers.

Both APIs share the source `elasticloadbalancing.amazonaws.com` and some call names
(`CreateLoadBalancer`, `DeleteLoadBalancer`, `AddTags`, `ModifyLoadBalancerAttributes`...). The
request's shape tells them apart: v2 calls name resources by ARN (`loadBalancerArn`,
`resourceArns`), classic calls by name (`loadBalancerName`, `loadBalancerNames`), so each such
call lists one target per API and only the one whose path is present applies.

v2 ids are what follows the ARN's resource-type word: `app/<name>/<id>` for a load balancer
(`loadbalancer/app/<name>/<id>`), `<name>/<id>` for a target group, `app/<lb>/<lb-id>/<id>` for
a listener, `app/<lb>/<lb-id>/<listener-id>/<id>` for a rule. A classic load balancer's id is its
name (`loadbalancer/<name>` in its ARN). Listeners, policies, health checks, subnets and
registered instances of a classic load balancer are settings of it: `CreateLoadBalancerPolicy`,
`CreateLoadBalancerListeners` and `RegisterInstancesWithLoadBalancer` update it. Registering
targets updates a target group.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind
from eventstream.normalize.resources.ec2 import INSTANCE, SECURITY_GROUP, SUBNET, VPC
from eventstream.normalize.rules import Assoc, Family, Rule, Target, targets

_SERVICE = "elasticloadbalancing"


def _kind(cfn: str, slug: str, arn_resource: str) -> Kind:
    return Kind(
        type=cfn,
        service=_SERVICE,
        slug=slug,
        arn_resource=arn_resource,
        arn_template=f"arn:aws:elasticloadbalancing:{{region}}:{{account}}:{arn_resource}/{{id}}",
    )


# v2 first: an ARN `loadbalancer/...` without a kind given resolves to the v2 load balancer
LOAD_BALANCER = _kind("AWS::ElasticLoadBalancingV2::LoadBalancer", "load-balancer", "loadbalancer")
TARGET_GROUP = _kind("AWS::ElasticLoadBalancingV2::TargetGroup", "target-group", "targetgroup")
LISTENER = _kind("AWS::ElasticLoadBalancingV2::Listener", "listener", "listener")
LISTENER_RULE = _kind("AWS::ElasticLoadBalancingV2::ListenerRule", "listener-rule", "listener-rule")
CLASSIC_LOAD_BALANCER = _kind(
    "AWS::ElasticLoadBalancing::LoadBalancer", "classic-load-balancer", "loadbalancer"
)

_LB = "request.loadBalancerArn"
_CLASSIC = "request.loadBalancerName"
_TG = "request.targetGroupArn"
_LISTENER = "request.listenerArn"
_RULE = "request.ruleArn"


def _either(*, action: Action | None = None) -> tuple[Target, ...]:
    """A call both APIs make: the v2 load balancer by ARN or the classic one by name."""
    return targets(
        Target(LOAD_BALANCER, _LB, action=action),
        Target(CLASSIC_LOAD_BALANCER, _CLASSIC, action=action),
    )


def _classic(*, action: Action | None = None, assoc: tuple[Assoc, ...] = ()) -> Target:
    return Target(CLASSIC_LOAD_BALANCER, _CLASSIC, action=action, assoc=assoc)


def _tagged(v2: str, classic: str) -> tuple[Target, ...]:
    """Tags: each v2 resource by ARN (kind from the ARN), each classic load balancer by name."""
    return targets(
        Target(None, v2, action=Action.UPDATE),
        Target(CLASSIC_LOAD_BALANCER, classic, action=Action.UPDATE),
    )


# targets are instance ids, IP addresses or Lambda ARNs: the kind comes from each value
_TARGETS = (Assoc("Routes traffic to", None, "request.targets[].id"),)
_CLASSIC_INSTANCES = (Assoc("Routes to Instance", INSTANCE, "request.instances[].instanceId"),)
_CLASSIC_SUBNETS = (Assoc("Is contained in Subnet", SUBNET, "request.subnets[]"),)

_RULES: dict[str, Rule] = {
    # load balancers, v2 and classic
    "CreateLoadBalancer": targets(
        Target(
            LOAD_BALANCER,
            "@.loadBalancerArn",
            items="response.loadBalancers[]",
            config="@",
            assoc=(
                Assoc("Is contained in Vpc", VPC, "@.vpcId"),
                Assoc("Is contained in Subnet", SUBNET, "@.availabilityZones[].subnetId"),
                Assoc("Is associated with SecurityGroup", SECURITY_GROUP, "@.securityGroups[]"),
            ),
        ),
        _classic(
            assoc=(
                *_CLASSIC_SUBNETS,
                Assoc(
                    "Is associated with SecurityGroup", SECURITY_GROUP, "request.securityGroups[]"
                ),
            )
        ),
    ),
    "DeleteLoadBalancer": _either(),
    "ModifyLoadBalancerAttributes": _either(),
    "AddTags": _tagged("request.resourceArns[]", "request.loadBalancerNames[]"),
    "RemoveTags": _tagged("request.resourceArns[]", "request.loadBalancerNames[]"),
    # v2 load balancers
    "SetSecurityGroups": Target(
        LOAD_BALANCER,
        _LB,
        assoc=(
            Assoc("Is associated with SecurityGroup", SECURITY_GROUP, "request.securityGroups[]"),
        ),
    ),
    "SetSubnets": Target(
        LOAD_BALANCER, _LB, assoc=(Assoc("Is contained in Subnet", SUBNET, "request.subnets[]"),)
    ),
    "SetIpAddressType": Target(LOAD_BALANCER, _LB),
    "ModifyLoadBalancerCapacity": Target(LOAD_BALANCER, _LB),
    # target groups
    "CreateTargetGroup": Target(
        TARGET_GROUP,
        "@.targetGroupArn",
        items="response.targetGroups[]",
        config="@",
        assoc=(Assoc("Is contained in Vpc", VPC, "@.vpcId"),),
    ),
    "ModifyTargetGroup": Target(TARGET_GROUP, _TG),
    "ModifyTargetGroupAttributes": Target(TARGET_GROUP, _TG),
    "DeleteTargetGroup": Target(TARGET_GROUP, _TG),
    "RegisterTargets": Target(TARGET_GROUP, _TG, action=Action.UPDATE, assoc=_TARGETS),
    "DeregisterTargets": Target(TARGET_GROUP, _TG, action=Action.UPDATE),
    # listeners and rules
    "CreateListener": Target(
        LISTENER,
        "@.listenerArn",
        items="response.listeners[]",
        config="@",
        assoc=(Assoc("Listens for LoadBalancer", LOAD_BALANCER, "@.loadBalancerArn"),),
    ),
    "ModifyListener": Target(LISTENER, _LISTENER),
    "ModifyListenerAttributes": Target(LISTENER, _LISTENER),
    "DeleteListener": Target(LISTENER, _LISTENER),
    "AddListenerCertificates": Target(LISTENER, _LISTENER),
    "RemoveListenerCertificates": Target(LISTENER, _LISTENER),
    "CreateRule": Target(
        LISTENER_RULE,
        "@.ruleArn",
        items="response.rules[]",
        config="@",
        assoc=(Assoc("Is rule of Listener", LISTENER, _LISTENER),),
    ),
    "ModifyRule": Target(LISTENER_RULE, _RULE),
    "DeleteRule": Target(LISTENER_RULE, _RULE),
    "SetRulePriorities": Target(LISTENER_RULE, "request.rulePriorities[].ruleArn"),
    # classic load balancers: everything else is a setting of the load balancer
    "CreateLoadBalancerListeners": _classic(action=Action.UPDATE),
    "DeleteLoadBalancerListeners": _classic(action=Action.UPDATE),
    "SetLoadBalancerListenerSSLCertificate": _classic(),
    "CreateLoadBalancerPolicy": _classic(action=Action.UPDATE),
    "DeleteLoadBalancerPolicy": _classic(action=Action.UPDATE),
    "CreateAppCookieStickinessPolicy": _classic(action=Action.UPDATE),
    "CreateLBCookieStickinessPolicy": _classic(action=Action.UPDATE),
    "SetLoadBalancerPoliciesOfListener": _classic(),
    "SetLoadBalancerPoliciesForBackendServer": _classic(),
    "ConfigureHealthCheck": _classic(),
    "ApplySecurityGroupsToLoadBalancer": _classic(
        assoc=(
            Assoc("Is associated with SecurityGroup", SECURITY_GROUP, "request.securityGroups[]"),
        )
    ),
    "AttachLoadBalancerToSubnets": _classic(assoc=_CLASSIC_SUBNETS),
    "DetachLoadBalancerFromSubnets": _classic(),
    "EnableAvailabilityZonesForLoadBalancer": _classic(),
    "DisableAvailabilityZonesForLoadBalancer": _classic(),
    "RegisterInstancesWithLoadBalancer": _classic(action=Action.UPDATE, assoc=_CLASSIC_INSTANCES),
    "DeregisterInstancesFromLoadBalancer": _classic(action=Action.UPDATE),
}

FAMILY = Family(
    name="elbv2",
    sources=("elasticloadbalancing.amazonaws.com",),
    kinds=(LOAD_BALANCER, TARGET_GROUP, LISTENER, LISTENER_RULE, CLASSIC_LOAD_BALANCER),
    rules=_RULES,
)
