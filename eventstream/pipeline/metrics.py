"""Prometheus metrics of the pipeline, in a registry the caller owns (no process-wide state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class PipelineMetrics:
    """What the pipeline counts, per source: every record lands in exactly one outcome."""

    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
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
