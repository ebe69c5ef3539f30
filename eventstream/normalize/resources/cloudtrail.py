"""CloudTrail trails and event data stores.

Requests name a trail by name or by ARN (`trail/<name>`): both give the trail's name as its id.
Logging on and off, event and insight selectors and tags are settings of the trail: updates.
`CreateTrail` and `UpdateTrail` answer with the trail's settings, which become its
configuration, and name the bucket, log group, role, KMS key and topic it delivers through.
CloudTrail Lake queries change no asset.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind
from eventstream.normalize.resources.iam import ROLE
from eventstream.normalize.resources.kms import KEY
from eventstream.normalize.resources.logs import LOG_GROUP
from eventstream.normalize.resources.s3 import BUCKET
from eventstream.normalize.rules import Assoc, Family, Rule, Target

TRAIL = Kind(
    type="AWS::CloudTrail::Trail",
    service="cloudtrail",
    slug="trail",
    arn_resource="trail",
    arn_template="arn:aws:cloudtrail:{region}:{account}:trail/{id}",
)
EVENT_DATA_STORE = Kind(
    type="AWS::CloudTrail::EventDataStore",
    service="cloudtrail",
    slug="event-data-store",
    arn_resource="eventdatastore",
    arn_template="arn:aws:cloudtrail:{region}:{account}:eventdatastore/{id}",
)

_NAME = "request.name"
_SELECTED = "request.trailName"
# From the response: it names the bucket, log group and key by full name or ARN.
_DELIVERS = (
    Assoc("Delivers to Bucket", BUCKET, "response.s3BucketName"),
    Assoc("Delivers to LogGroup", LOG_GROUP, "response.cloudWatchLogsLogGroupArn"),
    Assoc("Assumes Role", ROLE, "response.cloudWatchLogsRoleArn"),
    Assoc("Is encrypted with Key", KEY, "response.kmsKeyId"),
    Assoc("Notifies", None, "response.snsTopicARN"),
)
_STORE = "request.eventDataStore"

_RULES: dict[str, Rule] = {
    # trails
    "CreateTrail": Target(TRAIL, ("response.trailARN", _NAME), config="response", assoc=_DELIVERS),
    "UpdateTrail": Target(TRAIL, ("response.trailARN", _NAME), config="response", assoc=_DELIVERS),
    "DeleteTrail": Target(TRAIL, _NAME),
    "StartLogging": Target(TRAIL, _NAME),
    "StopLogging": Target(TRAIL, _NAME),
    "PutEventSelectors": Target(TRAIL, ("response.trailARN", _SELECTED)),
    "PutInsightSelectors": Target(TRAIL, ("response.trailARN", _SELECTED)),
    # tags on a trail or event data store: the kind comes from the ARN
    "AddTags": Target(None, "request.resourceId", action=Action.UPDATE),
    "RemoveTags": Target(None, "request.resourceId", action=Action.UPDATE),
    # CloudTrail Lake event data stores (named by ARN or by the id that ends it)
    "CreateEventDataStore": Target(
        EVENT_DATA_STORE, "response.eventDataStoreArn", config="response"
    ),
    "UpdateEventDataStore": Target(EVENT_DATA_STORE, _STORE, config="response"),
    "DeleteEventDataStore": Target(EVENT_DATA_STORE, _STORE),
    "RestoreEventDataStore": Target(EVENT_DATA_STORE, _STORE, action=Action.UPDATE),
    "StartEventDataStoreIngestion": Target(EVENT_DATA_STORE, _STORE),
    "StopEventDataStoreIngestion": Target(EVENT_DATA_STORE, _STORE),
}

FAMILY = Family(
    name="cloudtrail",
    sources=("cloudtrail.amazonaws.com",),
    kinds=(TRAIL, EVENT_DATA_STORE),
    rules=_RULES,
    ignore=frozenset({"StartQuery", "CancelQuery"}),
)
