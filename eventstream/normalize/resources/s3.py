"""S3 buckets and access points. Bucket names are global, so buckets are named in region `global`.

A bucket is the same asset whether an event names it `name`, `arn:aws:s3:::name` or by the ARN
of an object in it (`arn:aws:s3:::name/key`).

Every bucket sub-resource call (policy, lifecycle, versioning, encryption, ACL, tags, ...) is an
update of the bucket, including the `Delete*` ones: deleting a bucket's policy changes the bucket.
CloudTrail records some sub-resource calls under names that differ from the API's
(`PutBucketLifecycleConfiguration` is recorded as `PutBucketLifecycle`), so both are listed.
Object-level calls are data, not changes of a tracked asset: they are counted as non-asset.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind
from eventstream.normalize.policies import with_policy
from eventstream.normalize.resources.iam import ROLE
from eventstream.normalize.resources.kms import KEY
from eventstream.normalize.rules import Assoc, Family, Rule, Target


def _bucket_of(resource: str) -> str:
    """`bucket` or `bucket/key` (an object ARN) → `bucket`."""
    return resource.split("/", 1)[0]


BUCKET = Kind(
    type="AWS::S3::Bucket",
    service="s3",
    slug="bucket",
    arn_resource="",
    global_=True,
    from_arn=_bucket_of,
    arn_template="arn:aws:s3:::{id}",
)
ACCESS_POINT = Kind(
    type="AWS::S3::AccessPoint",
    service="s3",
    slug="access-point",
    arn_resource="accesspoint",
)

_NAME = "request.bucketName"

# Bucket sub-resources, as the S3 API and CloudTrail name them in Put<X>/Delete<X>.
_SUB_RESOURCES = (
    "BucketPolicy",
    "BucketLifecycle",
    "BucketLifecycleConfiguration",
    "LifecycleConfiguration",
    "BucketVersioning",
    "BucketEncryption",
    "EncryptionConfiguration",
    "BucketAcl",
    "BucketTagging",
    "BucketCors",
    "BucketWebsite",
    "BucketLogging",
    "BucketNotification",
    "BucketNotificationConfiguration",
    "BucketReplication",
    "ReplicationConfiguration",
    "BucketPublicAccessBlock",
    "PublicAccessBlock",
    "BucketOwnershipControls",
    "BucketRequestPayment",
    "AccelerateConfiguration",
    "BucketAccelerateConfiguration",
    "BucketAnalyticsConfiguration",
    "AnalyticsConfiguration",
    "BucketIntelligentTieringConfiguration",
    "IntelligentTieringConfiguration",
    "BucketInventoryConfiguration",
    "InventoryConfiguration",
    "BucketMetricsConfiguration",
    "MetricsConfiguration",
    "ObjectLockConfiguration",
    "BucketObjectLockConfiguration",
)

# Other assets a sub-resource's configuration names (request bodies converted from XML: a
# repeated element is a list, a single one is bare; `[]` reads both).
_LOGGING = (
    Assoc("Logs to Bucket", BUCKET, "request.BucketLoggingStatus.LoggingEnabled.TargetBucket"),
)
_REPLICATION = (
    Assoc(
        "Replicates to Bucket", BUCKET, "request.ReplicationConfiguration.Rule[].Destination.Bucket"
    ),
    Assoc("Assumes Role", ROLE, "request.ReplicationConfiguration.Role"),
)
_ENCRYPTION = (
    Assoc(
        "Is encrypted with Key",
        KEY,
        "request.ServerSideEncryptionConfiguration.Rule[]"
        ".ApplyServerSideEncryptionByDefault.KMSMasterKeyID",
    ),
)
_NOTIFICATION = (
    Assoc(
        "Notifies",
        None,
        "request.NotificationConfiguration.CloudFunctionConfiguration[].CloudFunction",
    ),
    Assoc("Notifies", None, "request.NotificationConfiguration.QueueConfiguration[].Queue"),
    Assoc("Notifies", None, "request.NotificationConfiguration.TopicConfiguration[].Topic"),
)
_SUB_ASSOC = {
    "BucketLogging": _LOGGING,
    "BucketReplication": _REPLICATION,
    "ReplicationConfiguration": _REPLICATION,
    "BucketEncryption": _ENCRYPTION,
    "EncryptionConfiguration": _ENCRYPTION,
    "BucketNotification": _NOTIFICATION,
    "BucketNotificationConfiguration": _NOTIFICATION,
}


def _sub_resource(name: str, *, put: bool) -> Target:
    assoc = _SUB_ASSOC.get(name, ()) if put else ()
    return Target(BUCKET, _NAME, action=Action.UPDATE, assoc=assoc)


_ACCESS_POINT = "request.name"

_RULES: dict[str, Rule] = {
    "CreateBucket": Target(BUCKET, _NAME),
    "DeleteBucket": Target(BUCKET, _NAME),
    **{f"Put{name}": _sub_resource(name, put=True) for name in _SUB_RESOURCES},
    **{f"Delete{name}": _sub_resource(name, put=False) for name in _SUB_RESOURCES},
    # the bucket policy, logged as an object: the bucket's configuration holds it
    "PutBucketPolicy": with_policy(_sub_resource("BucketPolicy", put=True), "request.bucketPolicy"),
    "CreateAccessPoint": Target(ACCESS_POINT, _ACCESS_POINT),
    "DeleteAccessPoint": Target(ACCESS_POINT, _ACCESS_POINT),
    "PutAccessPointPolicy": with_policy(Target(ACCESS_POINT, _ACCESS_POINT), "request.policy"),
    "DeleteAccessPointPolicy": Target(ACCESS_POINT, _ACCESS_POINT, action=Action.UPDATE),
}

FAMILY = Family(
    name="s3",
    sources=("s3.amazonaws.com",),
    kinds=(BUCKET, ACCESS_POINT),
    rules=_RULES,
    ignore=frozenset(
        {
            "PutObject",
            "DeleteObject",
            "DeleteObjects",
            "CopyObject",
            "CreateMultipartUpload",
            "CompleteMultipartUpload",
            "AbortMultipartUpload",
            "UploadPart",
            "UploadPartCopy",
            "PutObjectAcl",
            "PutObjectTagging",
            "DeleteObjectTagging",
            "RestoreObject",
            "PutObjectRetention",
            "PutObjectLegalHold",
            "WriteGetObjectResponse",
            "ReplicateObject",
            "ReplicateDelete",
            "ReplicateTags",
            "CreateSession",
        }
    ),
)
