"""What the live-configuration stage counts, and the Prometheus view of it.

`LiveCounters` is a plain object the stage increments (no Prometheus in the hot path, no
process-wide state); `DescribeCollector` renders it at scrape time, in the registry of the
pipeline's metrics, as `eventstream_describe_outcomes_total{service,outcome}` and
`eventstream_describe_calls_total{service}`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector


@dataclass
class LiveCounters:
    """Counts by (service, label): found, missing, confirmed_delete, timeout, error (a
    fetcher raised), Skipped reasons (per fetch), and each Failed kind (throttled,
    access_denied, ...) per answer: a call throttled twice, then found, counts 2 throttled
    and 1 found."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)  # fetch calls made, per service

    def add(self, service: str, label: str) -> None:
        self.counts[(service, label)] += 1


class DescribeCollector(Collector):
    """`LiveCounters` as two Prometheus counters, read when the registry is collected."""

    def __init__(self, counters: LiveCounters) -> None:
        self.counters = counters

    def collect(self) -> Iterator[CounterMetricFamily]:
        outcomes = CounterMetricFamily(
            "eventstream_describe_outcomes",
            "Live describe outcomes by service: found, missing, confirmed_delete, timeout, "
            "error, each failure kind per answer (throttled, access_denied, no_credentials, "
            "...) and each skip reason.",
            labels=["service", "outcome"],
        )
        for (service, outcome), count in sorted(self.counters.counts.items()):
            outcomes.add_metric([service, outcome], count)
        yield outcomes
        calls = CounterMetricFamily(
            "eventstream_describe_calls",
            "Live describe calls made (retries included), by service.",
            labels=["service"],
        )
        for service, count in sorted(self.counters.calls.items()):
            calls.add_metric([service], count)
        yield calls
