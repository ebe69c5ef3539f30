"""CloudWatch Logs log groups. Log streams and log events are data, not tracked assets.

A log group is the same asset whether an event names it `/aws/lambda/fn`, by its ARN
`log-group:/aws/lambda/fn:*` (with or without the trailing `:*`), or by the ARN of one of its
streams. Names keep their leading `/`: `/a` and `a` are two log groups. Retention, KMS key,
subscription and metric filters, data protection, index and transformer policies and tags are
parts of the log group: calls on them update it, `Delete*` ones included.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind
from eventstream.normalize.resources.iam import ROLE
from eventstream.normalize.resources.kms import KEY
from eventstream.normalize.rules import Assoc, Family, Rule, Target


def _group_name(rest: str) -> str:
    """`name:*` or `name:log-stream:x` (after `log-group:`) → `name`."""
    return rest.split(":", 1)[0]


LOG_GROUP = Kind(
    type="AWS::Logs::LogGroup",
    service="logs",
    slug="log-group",
    arn_resource="log-group",
    from_arn=_group_name,
    arn_template="arn:aws:logs:{region}:{account}:log-group:{id}",
)

_NAME = ("request.logGroupName", "request.logGroupIdentifier")
_ENCRYPTED = (Assoc("Is encrypted with Key", KEY, "request.kmsKeyId"),)
_STREAMS_TO = (
    Assoc("Streams to", None, "request.destinationArn"),
    Assoc("Assumes Role", ROLE, "request.roleArn"),
)


def _update(*, assoc: tuple[Assoc, ...] = ()) -> Target:
    return Target(LOG_GROUP, _NAME, action=Action.UPDATE, assoc=assoc)


_RULES: dict[str, Rule] = {
    "CreateLogGroup": Target(LOG_GROUP, _NAME, assoc=_ENCRYPTED),
    "DeleteLogGroup": Target(LOG_GROUP, _NAME),
    "PutRetentionPolicy": _update(),
    "DeleteRetentionPolicy": _update(),
    "AssociateKmsKey": _update(assoc=_ENCRYPTED),
    "DisassociateKmsKey": _update(),
    "TagLogGroup": _update(),
    "UntagLogGroup": _update(),
    "PutSubscriptionFilter": _update(assoc=_STREAMS_TO),
    "DeleteSubscriptionFilter": _update(),
    "PutMetricFilter": _update(),
    "DeleteMetricFilter": _update(),
    "PutDataProtectionPolicy": _update(),
    "DeleteDataProtectionPolicy": _update(),
    "PutIndexPolicy": _update(),
    "DeleteIndexPolicy": _update(),
    "PutTransformer": _update(),
    "DeleteTransformer": _update(),
    # tags and resource policies by ARN: the kind comes from the ARN; a resource policy that
    # names no resource is account-wide and changes no log group (it stays unmapped, visible)
    "TagResource": Target(None, "request.resourceArn", action=Action.UPDATE),
    "UntagResource": Target(None, "request.resourceArn", action=Action.UPDATE),
    "PutResourcePolicy": Target(None, "request.resourceArn", action=Action.UPDATE),
    "DeleteResourcePolicy": Target(None, "request.resourceArn", action=Action.UPDATE),
}

FAMILY = Family(
    name="logs",
    sources=("logs.amazonaws.com",),
    kinds=(LOG_GROUP,),
    rules=_RULES,
    ignore=frozenset(
        {
            "CreateLogStream",
            "DeleteLogStream",
            "PutLogEvents",
            "CreateExportTask",
            "CancelExportTask",
            "StartQuery",
            "StopQuery",
            "StartLiveTail",
        }
    ),
)
