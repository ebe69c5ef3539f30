"""Events shown to the account that owns their asset, without the identity of the caller.

With `serve.share_with_asset_account`, an event that account A's trail recorded about an asset
of account B is also shown to B's tokens, as it is but without what identifies A's caller: the
principal's ARN, id and name, the assumed role and session, the source IP and user agent, and
the raw record (which holds all of these and the access key id). What is kept: the change, the
asset, the configuration, the method, and the caller's account.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from eventstream import codec
from eventstream.journal.reader import Entry, frame

_CACHE_ENTRIES = 4096

_WITHHELD_ATTRIBUTION = ("ip", "user_agent", "assumed_role", "session_name")
_WITHHELD_PRINCIPAL = ("id", "arn", "name")


def redacted(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of `event` (a parsed `AssetEvent`) without its caller's identity."""
    data = dict(event.get("data") or {})
    attribution = dict(data.get("attribution") or {})
    for name in _WITHHELD_ATTRIBUTION:
        if name in attribution:
            attribution[name] = None
    principal = dict(attribution.get("principal") or {})
    for name in _WITHHELD_PRINCIPAL:
        if name in principal:
            principal[name] = None
    if principal:
        attribution["principal"] = principal
    data["attribution"] = attribution
    data["raw"] = {}
    return {**event, "data": data}


class Redactions:
    """The redacted form of journal entries, kept for the last few thousand (one entry fans
    out to every subscriber of the asset's account: redacted once, not once per stream)."""

    def __init__(self, size: int = _CACHE_ENTRIES) -> None:
        self._size = size
        self._entries: OrderedDict[str, Entry] = OrderedDict()

    def of(self, entry: Entry) -> Entry:
        cached = self._entries.get(entry.id)
        if cached is not None:
            self._entries.move_to_end(entry.id)
            return cached
        parsed = codec.loads(entry.event)
        event = codec.dumps(redacted(parsed))
        kind = str(parsed.get("type", "message"))
        view = Entry(entry.key, entry.id, entry.meta, event, frame(entry.id.encode(), kind, event))
        self._entries[entry.id] = view
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return view

    def event(self, event: bytes) -> bytes:
        """The redacted form of one event's JSON (for the inventory's history, not cached)."""
        return codec.dumps(redacted(codec.loads(event)))
