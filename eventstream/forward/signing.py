"""Standard Webhooks signatures: `webhook-id`, `webhook-timestamp` (unix seconds) and
`webhook-signature`, `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` once per secret,
space-separated, newest secret first (receivers rotate by accepting any of them)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Sequence


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of `body` under `key`."""
    signed = b"%s.%d.%s" % (message_id.encode(), timestamp, body)
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    keys: Sequence[bytes], message_id: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """The Standard Webhooks headers of one request (no signature header without keys)."""
    moment = int(time.time()) if timestamp is None else timestamp
    out = {"webhook-id": message_id, "webhook-timestamp": str(moment)}
    if keys:
        out["webhook-signature"] = " ".join(
            signature(key, message_id, moment, body) for key in keys
        )
    return out


def message_id(destination: str, entry_ids: Sequence[str]) -> str:
    """The `webhook-id` of a delivery: derived from the destination and the journal ids it
    carries, so every retry of the same delivery (even by another process after a crash)
    has the same id."""
    joined = "".join("\0" + entry_id for entry_id in entry_ids)  # as if hashed one by one
    digest = hashlib.sha256(destination.encode() + joined.encode())
    return "msg_" + digest.hexdigest()[:32]
