"""Every Redis key name EventStream uses is built here, and nowhere else.

All keys of one deployment share the hash tag `{<prefix>}`, so on a Redis Cluster they live in
one slot: the commit touches an asset's keys *and* the journal in one atomic Lua script, which a
cluster allows only within one slot. (Keys of one asset therefore trivially share a slot too.)

The journal contract, relied on by every reader (SSE, REST, webhooks):
- key: `{<prefix>}:journal`, a Redis Stream; the entry id is the SSE `id:`;
- each entry has the field `event`: the serialized `AssetEvent` JSON, written once and never
  re-serialized by readers, plus `subject` (the asset name) and `eid` (the CloudEvents id).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PREFIX = "es"
EVENT_FIELD = b"event"
SUBJECT_FIELD = b"subject"
ID_FIELD = b"eid"

# The asset hash (`Keys.asset`) holds the whole inventory of one asset (read and written by
# `read.lua` and `commit.lua` under the same names):
VERSION = b"version"  # how many events were committed for the asset: the current version
LAST = b"last"  # id of the last event committed for the asset, whatever its position
ASSET = b"asset"  # the event's `data.asset` object, as JSON
HISTORY_PREFIX = b"h:"  # `h:<n>`: version n (`Version.encode`), for the last `depth` versions


def version_field(number: int) -> bytes:
    """The hash field of version `number`."""
    return HISTORY_PREFIX + str(number).encode()


@dataclass(frozen=True, slots=True)
class Keys:
    """Key names under one prefix (several deployments can share a Redis)."""

    prefix: str = DEFAULT_PREFIX

    @property
    def tag(self) -> str:
        return f"{{{self.prefix}}}"

    @property
    def journal(self) -> str:
        return f"{self.tag}:journal"

    def asset(self, name: str) -> str:
        """Hash: the asset's inventory (fields in `enrich.inventory`): version count, last event
        id, the asset's metadata, and its last versions as `h:<n>` fields."""
        return f"{self.tag}:asset:{name}"

    def dedup(self, event_id: str) -> str:
        """Marker that one provider event was committed for one asset (expires); its value is
        the journal id of the entry.

        Keyed by the CloudEvents id, which is derived from the provider event id and the asset
        name (`normalize.normalizer.event_id`): one marker per (provider event, asset).
        """
        return f"{self.tag}:dedup:{event_id}"

    @property
    def quarantine(self) -> str:
        """Stream of quarantined records: what could not be read or normalized, with the
        reason, where it came from and its first bytes (`journal.quarantine`)."""
        return f"{self.tag}:quarantine"

    @property
    def cursor_secret(self) -> str:
        """String: the secret that seals the opaque cursors of scoped clients (created once
        by the first server, shared by every replica; `serve.cursor`)."""
        return f"{self.tag}:cursor-secret"

    def session(self, digest: str) -> str:
        """Hash: one browser session of `POST /v1/session`, under the SHA-256 of its id (the
        cookie), holding the SHA-256 of its token; expires with the cookie."""
        return f"{self.tag}:session:{digest}"

    @property
    def asset_index(self) -> str:
        """Sorted set of every asset name, for listing and pagination."""
        return f"{self.tag}:assets"

    def lookup_checkpoint(self, source: str, region: str) -> str:
        """String: the end (epoch seconds) of the last LookupEvents window of one source and
        region whose records are all committed (`sources.lookup`)."""
        return f"{self.tag}:lookup:{source}:{region}"

    @staticmethod
    def webhook_group(destination: str) -> str:
        """The consumer group of one webhook destination on the journal stream (a group is
        part of the stream's key, so it lives in the deployment's slot)."""
        return f"webhook:{destination}"

    def webhook_dead(self, destination: str) -> str:
        """Stream of one destination's dead letters: journal entries whose delivery ran out of
        attempts or was refused for good, each with its journal id, event and last error."""
        return f"{self.tag}:webhook:{destination}:dead"

    def webhook_state(self, destination: str) -> str:
        """Hash of one destination's delivery state: last success, last error, counters, and
        `disabled` (why, after a 410 Gone)."""
        return f"{self.tag}:webhook:{destination}:state"

    @property
    def sync_progress(self) -> str:
        """Hash of the inventory sync in progress: `run` (its id), `started`, and one
        `done:<account>/<region>/<type>` field per unit already synced (its counts, JSON), so
        that an interrupted sync resumes where it stopped (`enrich.sync.progress`)."""
        return f"{self.tag}:sync:progress"

    @property
    def sync_suspects(self) -> str:
        """Hash: asset name → the drift a sync saw but has not reported yet (the asset's
        version, the configuration's digest and when it was first seen), reported as a
        `Drift` update by a sync past the grace time if nothing explained it meanwhile."""
        return f"{self.tag}:sync:suspects"

    @property
    def sync_lock(self) -> str:
        """String: held by the process running a sync (expires), so that replicas running
        periodic syncs do not sync at once."""
        return f"{self.tag}:sync:lock"

    @property
    def sync_last(self) -> str:
        """String: when the last inventory sync of this deployment finished (epoch seconds),
        so that replicas running periodic syncs take one turn per interval between them."""
        return f"{self.tag}:sync:last"
