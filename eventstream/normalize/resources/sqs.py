"""SQS: queues.

A queue is named by its name (`CreateQueue`), by its URL `https://sqs.<region>.amazonaws.com/
<account>/<name>` (every other call) or by its ARN `arn:aws:sqs:<region>:<account>:<name>`: its
id is the name in each case, the last segment of a URL (legacy `queue.amazonaws.com` and VPC
endpoint URLs included). Messages are data: sending, receiving, deleting, purging or moving
them changes no asset.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind, last_segment
from eventstream.normalize.policies import with_attributes
from eventstream.normalize.rules import Family, Rule, Target


def _queue_name(value: str) -> str:
    """`https://sqs.us-east-1.amazonaws.com/111122223333/jobs` or `jobs` → `jobs`."""
    return last_segment(value.rstrip("/"))


QUEUE = Kind(
    type="AWS::SQS::Queue",
    service="sqs",
    slug="queue",
    arn_resource="",
    canonical=_queue_name,
    arn_template="arn:aws:sqs:{region}:{account}:{id}",
)

_URL = "request.queueUrl"

_RULES: dict[str, Rule] = {
    "CreateQueue": Target(QUEUE, ("response.queueUrl", "request.queueName")),
    "DeleteQueue": Target(QUEUE, _URL),
    "SetQueueAttributes": with_attributes(Target(QUEUE, _URL), "request.attributes"),
    "AddPermission": Target(QUEUE, _URL),
    "RemovePermission": Target(QUEUE, _URL),
    "TagQueue": Target(QUEUE, _URL, action=Action.UPDATE),
    "UntagQueue": Target(QUEUE, _URL, action=Action.UPDATE),
}

FAMILY = Family(
    name="sqs",
    sources=("sqs.amazonaws.com",),
    kinds=(QUEUE,),
    rules=_RULES,
    ignore=frozenset(
        {
            "SendMessage",
            "SendMessageBatch",
            "ReceiveMessage",
            "DeleteMessage",
            "DeleteMessageBatch",
            "ChangeMessageVisibility",
            "ChangeMessageVisibilityBatch",
            "PurgeQueue",
            "StartMessageMoveTask",
            "CancelMessageMoveTask",
        }
    ),
)
