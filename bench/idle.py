"""Memory per idle SSE subscriber: server RSS growth with 5,000 streams open, divided by 5,000.

Method: a real redis-server and `python -m eventstream serve` (default settings: heartbeat every
15 s) as subprocesses on 127.0.0.1, the server launched with its open-file limit raised to the
hard limit (`preexec_fn` + `setrlimit(RLIMIT_NOFILE)`), as is this client. After a warm-up (a
few streams opened, served and closed, so lazy imports and first-use allocations are done), the
server's VmRSS is read from /proc/<pid>/status; then one asyncio/uvloop client process opens N
raw-socket streams in waves and waits until every one received its head block, lets the server
settle, and reads VmRSS again. Per subscriber = (RSS after - RSS before) / N. The raw ASGI
streamer of `bench/_rawstream.py` (a queue and a task per stream) is measured the same way, for
context. The target is absolute (<= 20 KB), so the JSON's `reference` is the target and `ratio`
is target / value (>= 1 meets it).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._serving import (
    Served,
    Shared,
    close_all,
    connect,
    exit_on_sigterm,
    out,
    raise_fd_limit,
    redis_server,
    run,
    serve,
)
from eventstream import codec

TARGET_KB = 20.0
WARM_UP_STREAMS = 20


@dataclass
class Outcome:
    before_kb: int
    after_kb: int
    streams: int
    open_at_end: int

    @property
    def per_stream_kb(self) -> float:
        return (self.after_kb - self.before_kb) / self.streams


async def _measure(served: Served, streams: int, settle_s: float) -> Outcome:
    warm = await connect(served.port, Shared(), WARM_UP_STREAMS)
    await asyncio.sleep(0.5)
    await close_all(warm)
    await asyncio.sleep(settle_s)
    before = served.rss_kb()
    clients = await connect(served.port, Shared(), streams)
    await asyncio.sleep(settle_s)
    after = served.rss_kb()
    open_at_end = sum(1 for client in clients if not client.closed.done())
    await close_all(clients, timeout_s=30.0)
    return Outcome(before, after, streams, open_at_end)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument("--settle-s", type=float, default=3.0, help="wait before reading RSS")
    parser.add_argument(
        "--reference",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure the raw ASGI streamer (context)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 300 subscribers")
    args = parser.parse_args()
    if args.quick:
        args.subscribers, args.settle_s = 300, 1.0
    limit = raise_fd_limit()
    exit_on_sigterm()
    if limit < args.subscribers + 100:
        raise SystemExit(f"open-file limit {limit} is too low for {args.subscribers} streams")
    names = ["eventstream", "reference"] if args.reference else ["eventstream"]
    results: dict[str, Outcome] = {}
    with redis_server() as redis:
        for name in names:
            with serve(name, redis.url, {}) as served:
                outcome = run(_measure(served, args.subscribers, args.settle_s))
            results[name] = outcome
            out(
                f"  {name:>11}: RSS {outcome.before_kb:,} KB -> {outcome.after_kb:,} KB with "
                f"{outcome.streams:,} streams ({outcome.open_at_end:,} still open): "
                f"{outcome.per_stream_kb:.1f} KB per stream"
            )
    ours = results["eventstream"]
    out(f"{ours.per_stream_kb:.1f} KB per idle subscriber (target <= {TARGET_KB:g} KB)")
    summary: dict[str, object] = {
        "metric": "sse_idle_subscriber_rss_kb",
        "value": round(ours.per_stream_kb, 2),
        "reference": TARGET_KB,
        "ratio": round(TARGET_KB / ours.per_stream_kb, 3) if ours.per_stream_kb > 0 else None,
        "target": TARGET_KB,
        "subscribers": ours.streams,
        "rss_before_kb": ours.before_kb,
        "rss_after_kb": ours.after_kb,
        "streams_open_at_end": ours.open_at_end,
    }
    if "reference" in results:
        summary["raw_streamer_kb"] = round(results["reference"].per_stream_kb, 2)
    print(codec.dumps(summary).decode(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
