"""CloudTrail trails and event data stores. Trails are named by name or by ARN in requests."""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind
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
)

_NAME = "request.name"
_LOGS_TO = (Assoc("Delivers to Bucket", BUCKET, "request.s3BucketName"),)

_RULES: dict[str, Rule] = {
    "CreateTrail": Target(TRAIL, _NAME, config="response", assoc=_LOGS_TO),
    "UpdateTrail": Target(TRAIL, _NAME, config="response", assoc=_LOGS_TO),
    "DeleteTrail": Target(TRAIL, _NAME),
    "StartLogging": Target(TRAIL, _NAME),
    "StopLogging": Target(TRAIL, _NAME),
    "PutEventSelectors": Target(TRAIL, "request.trailName"),
    "PutInsightSelectors": Target(TRAIL, "request.trailName"),
    "AddTags": Target(None, "request.resourceId", action=Action.UPDATE),
    "RemoveTags": Target(None, "request.resourceId", action=Action.UPDATE),
    "CreateEventDataStore": Target(
        EVENT_DATA_STORE, "response.eventDataStoreArn", config="response"
    ),
    "UpdateEventDataStore": Target(EVENT_DATA_STORE, "request.eventDataStore"),
    "DeleteEventDataStore": Target(EVENT_DATA_STORE, "request.eventDataStore"),
}

FAMILY = Family(
    name="cloudtrail",
    sources=("cloudtrail.amazonaws.com",),
    kinds=(TRAIL, EVENT_DATA_STORE),
    rules=_RULES,
)
