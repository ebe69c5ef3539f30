"""AWS Config: configuration recorders, delivery channels, rules and aggregators.

Each is named by its name (`default` for the usual recorder and channel). `Put*` calls create or
overwrite and say not which, so they are updates by the leading-verb rule. A recorder's ARN reads
`configuration-recorder/<name>/<id>`: its id is the name. Rules and aggregators have ARNs built on
a generated id (`config-rule/config-rule-ab12cd`), not on the name every call uses, so an ARN of
one cannot be named like its calls: those ARNs are left to the generic fallback (tag calls on a
rule show as `AWS::Generic::config/config-rule`). Remediation configurations are settings of
their rule. Evaluations are data: submitting, starting or deleting them changes no asset.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind
from eventstream.normalize.rules import Assoc, Family, Rule, Target


def _first_segment(rest: str) -> str:
    """`<name>/<id>` → `<name>`."""
    return rest.split("/", 1)[0]


def _config(cfn: str, slug: str) -> Kind:
    return Kind(type=f"AWS::Config::{cfn}", service="config", slug=slug)


CONFIGURATION_RECORDER = Kind(
    type="AWS::Config::ConfigurationRecorder",
    service="config",
    slug="configuration-recorder",
    arn_resource="configuration-recorder",
    from_arn=_first_segment,
)
DELIVERY_CHANNEL = _config("DeliveryChannel", "delivery-channel")
CONFIG_RULE = _config("ConfigRule", "config-rule")
CONFIGURATION_AGGREGATOR = _config("ConfigurationAggregator", "configuration-aggregator")

_RECORDER = "request.configurationRecorderName"
_RULE = "request.configRuleName"


def _rule(path: str = _RULE, *, action: Action | None = None) -> Target:
    return Target(CONFIG_RULE, path, action=action)


_RULES: dict[str, Rule] = {
    "PutConfigurationRecorder": Target(
        CONFIGURATION_RECORDER,
        "request.configurationRecorder.name",
        assoc=(Assoc("Assumes Role", None, "request.configurationRecorder.roleARN"),),
    ),
    "StartConfigurationRecorder": Target(CONFIGURATION_RECORDER, _RECORDER),
    "StopConfigurationRecorder": Target(CONFIGURATION_RECORDER, _RECORDER),
    "DeleteConfigurationRecorder": Target(CONFIGURATION_RECORDER, _RECORDER),
    "PutDeliveryChannel": Target(DELIVERY_CHANNEL, "request.deliveryChannel.name"),
    "DeleteDeliveryChannel": Target(DELIVERY_CHANNEL, "request.deliveryChannelName"),
    "PutConfigRule": _rule("request.configRule.configRuleName"),
    "DeleteConfigRule": _rule(),
    "PutRemediationConfigurations": _rule(
        "request.remediationConfigurations[].configRuleName", action=Action.UPDATE
    ),
    "DeleteRemediationConfiguration": _rule(action=Action.UPDATE),
    "PutRemediationExceptions": _rule(action=Action.UPDATE),
    "DeleteRemediationExceptions": _rule(action=Action.UPDATE),
    "PutConfigurationAggregator": Target(
        CONFIGURATION_AGGREGATOR,
        (
            "response.configurationAggregator.configurationAggregatorName",
            "request.configurationAggregatorName",
        ),
        config="response.configurationAggregator",
    ),
    "DeleteConfigurationAggregator": Target(
        CONFIGURATION_AGGREGATOR, "request.configurationAggregatorName"
    ),
}

FAMILY = Family(
    name="config",
    sources=("config.amazonaws.com",),
    kinds=(CONFIGURATION_RECORDER, DELIVERY_CHANNEL, CONFIG_RULE, CONFIGURATION_AGGREGATOR),
    rules=_RULES,
    ignore=frozenset(
        {
            "PutEvaluations",
            "PutExternalEvaluation",
            "StartConfigRulesEvaluation",
            "DeleteEvaluationResults",
            "StartRemediationExecution",
            "StartResourceEvaluation",
        }
    ),
)
