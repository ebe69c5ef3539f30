"""Prometheus metrics of the forwarder, per destination, in a registry the caller owns."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class ForwardMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.delivered = Counter(
            "eventstream_webhook_events_delivered",
            "Events a destination accepted (2xx; for Elastic, created or already there).",
            ["destination"],
            registry=r,
        )
        self.filtered = Counter(
            "eventstream_webhook_events_filtered",
            "Journal entries not sent because the destination's filter refused them.",
            ["destination"],
            registry=r,
        )
        self.dead = Counter(
            "eventstream_webhook_events_dead_lettered",
            "Events put in the destination's dead-letter list.",
            ["destination"],
            registry=r,
        )
        self.requests = Counter(
            "eventstream_webhook_requests",
            "Requests by outcome (ok, retry, dead, partial, split, disabled, failed).",
            ["destination", "outcome"],
            registry=r,
        )
        self.trim_gaps = Counter(
            "eventstream_webhook_trim_gaps",
            "Times the journal was trimmed past entries the destination had not read yet.",
            ["destination"],
            registry=r,
        )
        self.trimmed_unread = Counter(
            "eventstream_webhook_events_trimmed_unread",
            "Entries trimmed from the journal before the destination read them (counted where "
            "Redis >= 7 reports entries-added and entries-read; see trim_gaps otherwise).",
            ["destination"],
            registry=r,
        )
        self.last_success = Gauge(
            "eventstream_webhook_last_success_timestamp_seconds",
            "When the destination last accepted a request.",
            ["destination"],
            registry=r,
        )
        self.disabled = Gauge(
            "eventstream_webhook_disabled",
            "1 while the destination is disabled (410 Gone, or HEC refused the token or index).",
            ["destination"],
            registry=r,
        )
        self.disables = Counter(
            "eventstream_webhook_disables",
            "Times the destination was disabled, by cause (gone, credentials, index).",
            ["destination", "cause"],
            registry=r,
        )
        self.backlog = Gauge(
            "eventstream_webhook_in_flight_events",
            "Events read for the destination and not yet delivered or dead-lettered.",
            ["destination"],
            registry=r,
        )
