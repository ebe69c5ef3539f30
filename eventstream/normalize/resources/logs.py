"""CloudWatch Logs log groups. Log streams and log events are data, not tracked assets."""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind
from eventstream.normalize.rules import Family, Rule, Target


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


def _update(path: str | tuple[str, ...] = _NAME) -> Target:
    return Target(LOG_GROUP, path, action=Action.UPDATE)


_RULES: dict[str, Rule] = {
    "CreateLogGroup": Target(LOG_GROUP, _NAME),
    "DeleteLogGroup": Target(LOG_GROUP, _NAME),
    "PutRetentionPolicy": _update(),
    "DeleteRetentionPolicy": _update(),
    "AssociateKmsKey": _update(),
    "DisassociateKmsKey": _update(),
    "TagLogGroup": _update(),
    "UntagLogGroup": _update(),
    "PutSubscriptionFilter": _update(),
    "DeleteSubscriptionFilter": _update(),
    "PutMetricFilter": _update(),
    "DeleteMetricFilter": _update(),
    "PutDataProtectionPolicy": _update(),
    "DeleteDataProtectionPolicy": _update(),
    "TagResource": Target(None, "request.resourceArn", action=Action.UPDATE),
    "UntagResource": Target(None, "request.resourceArn", action=Action.UPDATE),
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
