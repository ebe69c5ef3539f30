"""Prometheus metrics of one server, in a registry of its own (no process-wide state).

`MetricsMiddleware` times every request until its response headers are sent (for an SSE stream
that is the time to the first byte, not the stream's life) and labels it by route template.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eventstream.forward.metrics import ForwardMetrics
from eventstream.pipeline.metrics import PipelineMetrics
from eventstream.serve.auth import metrics_gate

_LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """Every metric the server exposes at /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.pipeline = PipelineMetrics(self.registry)
        self.forward = ForwardMetrics(self.registry)
        self._serving(self.registry)

    def _serving(self, r: CollectorRegistry) -> None:
        self.broker_entries = Counter(
            "eventstream_journal_entries_read", "Journal entries read by this process.", registry=r
        )
        self.subscribers = Gauge(
            "eventstream_subscribers", "Open SSE streams on this process.", registry=r
        )
        self.slow_disconnects = Counter(
            "eventstream_slow_subscriber_disconnects",
            "SSE streams ended because the subscriber fell too far behind or a write timed out.",
            registry=r,
        )
        self.latency = Histogram(
            "eventstream_http_request_duration_seconds",
            "Time from request to response headers, by route.",
            ["method", "route", "status"],
            buckets=_LATENCY_BUCKETS_S,
            registry=r,
        )
        self.connections = Gauge(
            "eventstream_http_connections",
            "Open HTTP connections admitted within the connection limits.",
            registry=r,
        )
        self.refusals = Counter(
            "eventstream_http_refusals",
            "Requests answered (or connections closed) by the HTTP protocol before the app: "
            "head_too_large, head_timeout, body_too_large, client_limit, total_limit, dropped.",
            ["reason"],
            registry=r,
        )

    def exposition(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Pure ASGI middleware (streaming-safe) that records request latency by route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _TimedSend(self.metrics, scope, send))


class _TimedSend:
    """The `send` of one request, observing its latency at the response start (a small object
    rather than a closure: it lives as long as the request, an SSE stream's whole life)."""

    __slots__ = ("metrics", "scope", "send", "started")

    def __init__(self, metrics: Metrics, scope: Scope, send: Send) -> None:
        self.metrics = metrics
        self.scope = scope
        self.send = send
        self.started = time.perf_counter()

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            scope = self.scope
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.latency.labels(scope["method"], route, str(message["status"])).observe(
                time.perf_counter() - self.started
            )
        await self.send(message)


async def metrics_endpoint(request: Request) -> Response:
    await metrics_gate(request)
    metrics: Metrics = request.state.metrics
    return metrics.exposition()
