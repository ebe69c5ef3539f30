"""Alert when a security group opens a port to the whole internet (0.0.0.0/0 or ::/0), or a
bucket policy or ACL becomes public (a policy allowing `*`, a public canned ACL such as
`x-amz-acl: public-read` at creation or later, a grant to AllUsers or AuthenticatedUsers).

    python examples/open_to_world.py http://127.0.0.1:8080 [--from earliest] [--limit N]
"""

from __future__ import annotations

import argparse
from typing import Any

from eventstream import codec
from eventstream.client import StreamEvent, SyncEventStreamClient, rules_of

WORLD = {"0.0.0.0/0", "::/0"}
PUBLIC_GRANTEES = ("http://acs.amazonaws.com/groups/global/AllUsers", "AuthenticatedUsers")
BUCKET_CALLS = {
    "CreateBucket",
    "PutBucketPolicy",
    "PutBucketAcl",
    "PutObjectAcl",
    "DeletePublicAccessBlock",
}
PUBLIC_CANNED_ACLS = {"public-read", "public-read-write", "authenticated-read"}


def _public_canned_acl(params: dict[str, Any]) -> bool:
    """The `x-amz-acl` header (a string, or a list of them in CloudTrail) names a public ACL."""
    acl = params.get("x-amz-acl")
    acls = acl if isinstance(acl, list) else [acl]
    return any(isinstance(item, str) and item.lower() in PUBLIC_CANNED_ACLS for item in acls)


def _public_policy(params: dict[str, Any]) -> bool:
    policy = params.get("bucketPolicy") or params.get("policy")
    if isinstance(policy, str):
        try:
            policy = codec.loads(policy)
        except ValueError:
            return False
    statements = policy.get("Statement", []) if isinstance(policy, dict) else []
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        allowed = isinstance(statement, dict) and statement.get("Effect") == "Allow"
        if allowed and (
            principal == "*" or (isinstance(principal, dict) and "*" in str(principal.get("AWS")))
        ):
            return True
    return False


def alerts(event: StreamEvent) -> list[str]:
    """What is wrong with this change, if anything."""
    found = [
        f"{event.subject}: {rule} ({rule.protocol or 'any'})"
        for rule in rules_of(event)
        if rule.sign == "+" and rule.direction == "ingress" and rule.cidr in WORLD
    ]
    operation = event.change.operation
    params = event.raw.get("requestParameters") or {}
    if operation in BUCKET_CALLS and isinstance(params, dict):
        text = codec.dumps(params).decode()
        if operation == "DeletePublicAccessBlock":
            found.append(f"{event.subject}: public access block removed")
        elif (
            _public_policy(params)
            or _public_canned_acl(params)
            or any(grantee in text for grantee in PUBLIC_GRANTEES)
        ):
            found.append(f"{event.subject}: {operation} makes it public")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--token")
    parser.add_argument("--from", dest="start")
    parser.add_argument("--limit", type=int, default=0, help="stop after N events (0: never)")
    args = parser.parse_args()
    with SyncEventStreamClient(args.url, token=args.token) as client:
        for count, event in enumerate(client.events(start=args.start), start=1):
            for alert in alerts(event):
                print(
                    f"ALERT {event.time} {alert} by {event.attribution.principal.arn}", flush=True
                )
            if count == args.limit:
                break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
