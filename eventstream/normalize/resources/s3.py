"""S3 buckets. Bucket names are global, so buckets are named with region `global`.

Every bucket sub-resource call (policy, lifecycle, versioning, encryption, ACL, tags, ...) is an
update of the bucket, including the `Delete*` ones: deleting a bucket's policy changes the bucket.
Object-level calls are data, not changes of a tracked asset: they are counted as non-asset.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind
from eventstream.normalize.rules import Family, Rule, Target


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

# Bucket sub-resources, as the S3 API names them in Put<X>/Delete<X>.
_SUB_RESOURCES = (
    "BucketPolicy",
    "BucketLifecycle",
    "BucketLifecycleConfiguration",
    "BucketVersioning",
    "BucketEncryption",
    "BucketAcl",
    "BucketTagging",
    "BucketCors",
    "BucketWebsite",
    "BucketLogging",
    "BucketNotification",
    "BucketNotificationConfiguration",
    "BucketReplication",
    "BucketPublicAccessBlock",
    "PublicAccessBlock",
    "BucketOwnershipControls",
    "BucketRequestPayment",
    "BucketAccelerateConfiguration",
    "BucketAnalyticsConfiguration",
    "BucketIntelligentTieringConfiguration",
    "BucketInventoryConfiguration",
    "BucketMetricsConfiguration",
    "ObjectLockConfiguration",
)

_RULES: dict[str, Rule] = {
    "CreateBucket": Target(BUCKET, _NAME),
    "DeleteBucket": Target(BUCKET, _NAME),
    **{f"Put{name}": Target(BUCKET, _NAME, action=Action.UPDATE) for name in _SUB_RESOURCES},
    **{f"Delete{name}": Target(BUCKET, _NAME, action=Action.UPDATE) for name in _SUB_RESOURCES},
    "CreateAccessPoint": Target(ACCESS_POINT, "request.name"),
    "DeleteAccessPoint": Target(ACCESS_POINT, "request.name"),
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
        }
    ),
)
