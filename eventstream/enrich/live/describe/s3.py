"""S3 bucket: policy, ACL, encryption, versioning, public access block, lifecycle, tags; a
sub-call's "not configured" error leaves its key None."""

from __future__ import annotations

import asyncio
from typing import Any

from eventstream import codec
from eventstream.enrich.live.describe.base import Kind, name_of, optional
from eventstream.enrich.live.outcome import Target


async def _bucket(made: Any, target: Target) -> dict[str, Any] | None:
    bucket = name_of(target.provider_id)
    await made.head_bucket(Bucket=bucket)  # 404 / NoSuchBucket: Missing
    b = {"Bucket": bucket}
    # The sub-calls are independent: at once, so a bucket costs one round trip after the head.
    answers = await asyncio.gather(
        optional(made.get_bucket_policy(**b), "NoSuchBucketPolicy"),
        made.get_bucket_acl(**b),
        optional(made.get_bucket_encryption(**b), "ServerSideEncryptionConfigurationNotFoundError"),
        made.get_bucket_versioning(**b),
        optional(made.get_public_access_block(**b), "NoSuchPublicAccessBlockConfiguration"),
        optional(made.get_bucket_lifecycle_configuration(**b), "NoSuchLifecycleConfiguration"),
        optional(made.get_bucket_tagging(**b), "NoSuchTagSet"),
        return_exceptions=True,
    )
    got: list[Any] = []
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer  # the first failure, as the describer reports it (all have ended)
        got.append(answer)
    policy, acl, encryption, versioning, public, lifecycle, tags = got
    return {
        "BucketName": bucket,
        "Policy": codec.loads(policy["Policy"]) if policy else None,
        "Acl": {k: acl.get(k) for k in ("Owner", "Grants")},
        "Encryption": encryption.get("ServerSideEncryptionConfiguration") if encryption else None,
        "Versioning": {k: v for k, v in versioning.items() if k != "ResponseMetadata"},
        "PublicAccessBlock": public.get("PublicAccessBlockConfiguration") if public else None,
        "Lifecycle": lifecycle.get("Rules") if lifecycle else None,
        "Tags": tags.get("TagSet") if tags else None,
    }


KINDS = {"AWS::S3::Bucket": Kind("s3", _bucket)}
