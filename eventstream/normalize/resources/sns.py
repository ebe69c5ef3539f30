"""SNS: topics and their subscriptions.

A topic's ARN is `arn:aws:sns:<region>:<account>:<name>` (no resource-type word): its id is the
name, whether the event names it by name (`CreateTopic`) or by ARN. A subscription exists only by
its ARN, `<topic ARN>:<uuid>`: its id is `<topic>:<uuid>`, and it is associated with the topic
its ARN names. `Subscribe` creates a subscription; when the endpoint must confirm it first, the
response says `pending confirmation` instead of an ARN, so the call is an update of the topic and
the subscription is created by `ConfirmSubscription`. Publishing is data, not a change.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.context import Call, Touch
from eventstream.normalize.naming import Kind
from eventstream.normalize.policies import with_attribute
from eventstream.normalize.rules import Family, Handler, Rule, Target
from eventstream.normalize.targets import apply_rule


def _subscription_id(value: str) -> str:
    """`topic:uuid` is a subscription id; anything else (`pending confirmation`) names none."""
    return value if ":" in value and " " not in value else ""


TOPIC = Kind(
    type="AWS::SNS::Topic",
    service="sns",
    slug="topic",
    arn_resource="",
    arn_template="arn:aws:sns:{region}:{account}:{id}",
)
SUBSCRIPTION = Kind(
    type="AWS::SNS::Subscription",
    service="sns",
    slug="subscription",
    arn_resource="",
    from_arn=_subscription_id,
    canonical=_subscription_id,
    arn_template="arn:aws:sns:{region}:{account}:{id}",
)

_TOPIC = "request.topicArn"
_RELATION = "Subscribes to Topic"


def _subscription(path: str, action: Action | None = None) -> Handler:
    """The subscription an ARN names, associated with the topic that ARN begins with."""

    def rule(call: Call) -> list[Touch]:
        touches = apply_rule(Target(SUBSCRIPTION, path, action=action), call)
        for touch in touches:
            topic_arn = (touch.ref.arn or "").rsplit(":", 1)[0]
            topic = call.ref(TOPIC, topic_arn)
            if topic is not None:
                touch.associations.append((_RELATION, topic))
        return touches

    return rule


_subscribed = _subscription("response.subscriptionArn", Action.CREATE)


def _subscribe(call: Call) -> list[Touch]:
    """A confirmed subscription is created; a pending one is, for now, an update of the topic."""
    return _subscribed(call) or apply_rule(Target(TOPIC, _TOPIC, action=Action.UPDATE), call)


_RULES: dict[str, Rule] = {
    "CreateTopic": Target(TOPIC, ("response.topicArn", "request.name")),
    "DeleteTopic": Target(TOPIC, _TOPIC),
    "SetTopicAttributes": with_attribute(
        Target(TOPIC, _TOPIC), "request.attributeName", "request.attributeValue"
    ),
    "AddPermission": Target(TOPIC, _TOPIC),
    "RemovePermission": Target(TOPIC, _TOPIC),
    "PutDataProtectionPolicy": Target(TOPIC, "request.resourceArn"),
    "TagResource": Target(TOPIC, "request.resourceArn", action=Action.UPDATE),
    "UntagResource": Target(TOPIC, "request.resourceArn", action=Action.UPDATE),
    "Subscribe": _subscribe,
    "ConfirmSubscription": _subscribed,
    "Unsubscribe": _subscription("request.subscriptionArn", Action.DELETE),
    "SetSubscriptionAttributes": _subscription("request.subscriptionArn", Action.UPDATE),
}

FAMILY = Family(
    name="sns",
    sources=("sns.amazonaws.com",),
    kinds=(TOPIC, SUBSCRIPTION),
    rules=_RULES,
    ignore=frozenset(
        {
            "Publish",
            "PublishBatch",
            "OptInPhoneNumber",
            "SetSMSAttributes",
            "CreateSMSSandboxPhoneNumber",
            "DeleteSMSSandboxPhoneNumber",
        }
    ),
)
