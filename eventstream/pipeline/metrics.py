"""Prometheus metrics of the pipeline, in a registry the caller owns (no process-wide state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from eventstream.enrich.live.counters import DescribeCollector, LiveCounters


class PipelineMetrics:
    """What the pipeline counts, per source: every record lands in exactly one outcome."""

    def __init__(self, registry: CollectorRegistry) -> None:
        r = self.registry = registry
        self.records_in = Counter(
            "eventstream_records_in", "Raw records read from sources.", ["source"], registry=r
        )
        self.outcomes = Counter(
            "eventstream_records",
            "Raw records by outcome (change, read_only, failed, sign_in, non_asset, "
            "native_skipped, unmapped, malformed).",
            ["source", "outcome"],
            registry=r,
        )
        self.events_in = Counter(
            "eventstream_events_in", "Asset events normalized from sources.", ["source"], registry=r
        )
        self.events_committed = Counter(
            "eventstream_events_committed",
            "Asset events appended to the journal (duplicates excluded).",
            ["source"],
            registry=r,
        )
        self.duplicates = Counter(
            "eventstream_events_duplicate",
            "Asset events already in the journal, skipped.",
            ["source"],
            registry=r,
        )
        self.quarantined = Counter(
            "eventstream_records_quarantined",
            "Raw records that could not be read or normalized, kept aside with their reason.",
            ["source"],
            registry=r,
        )
        self.source_lag = Gauge(
            "eventstream_source_lag_seconds",
            "Age of the newest record a source handed on (now minus its event time).",
            ["source"],
            registry=r,
        )
        self.source_up = Gauge(
            "eventstream_source_running", "1 while a source runs.", ["source"], registry=r
        )
        self.batches = Counter(
            "eventstream_pipeline_batches", "Batches committed by the pipeline.", registry=r
        )
        # The AWS sources (SQS, LookupEvents): what they received, fetched and settled.
        self.messages = Counter(
            "eventstream_source_messages",
            "SQS messages by what became of them (received, deleted, released, quarantined, "
            "ignored: test events, subscription confirmations).",
            ["source", "event"],
            registry=r,
        )
        self.message_records = Histogram(
            "eventstream_source_message_records",
            "Raw records carried by one SQS message (inline or in its objects).",
            ["source"],
            buckets=(0, 1, 10, 100, 1_000, 10_000, 100_000),
            registry=r,
        )
        self.objects = Counter(
            "eventstream_source_objects",
            "S3 objects announced, by outcome (fetched, skipped: digest, insight or not a "
            "trail file, too_large).",
            ["source", "outcome"],
            registry=r,
        )
        self.object_bytes = Counter(
            "eventstream_source_object_bytes",
            "Bytes of S3 objects downloaded (as stored, before decompression).",
            ["source"],
            registry=r,
        )
        self.errors = Counter(
            "eventstream_source_errors",
            "Failed calls of a source, by kind (throttled, expired_credentials, access_denied, "
            "not_found, malformed_message, unreachable, ...); the source retries with backoff.",
            ["source", "kind"],
            registry=r,
        )
        self.requests = Counter(
            "eventstream_source_requests",
            "Calls a polling source made (LookupEvents pages), per region.",
            ["source", "region"],
            registry=r,
        )
        # The live-configuration stage (`[describe]`): its counters, rendered at scrape time.
        self.describe = LiveCounters()
        r.register(DescribeCollector(self.describe))
