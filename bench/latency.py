"""Latency from journal commit to subscriber receipt: p50/p99/max at 1,000 subscribers, 1,000/s.

Method: a real redis-server and `python -m eventstream serve` (default settings: heartbeat
15 s, `subscriber_buffer` 1024, `write_timeout_s` 10 s) as subprocesses on 127.0.0.1. N
subscribers connect (one asyncio/uvloop client process, raw sockets) and get their head block;
then a writer process appends real normalized events (~2.9 KB each) to the journal at R events/s
(pipelines every 5 ms) for D seconds. The commit time of each entry is the ms part of its stream
id (`<ms>-<seq>`, Redis's clock at the XADD; same machine, same clock); the client stamps every
read with `time.time()` and counts each `id:` line it contains into a 1 ms histogram. Streams
the server cuts off (too slow) or that miss events are reported; the percentiles are over the
events received. With `--reference` (default on) the raw ASGI streamer of `bench/_rawstream.py`
is measured the same way, for context: the target is absolute (p99 <= 50 ms), so the JSON's
`reference` is the target and `ratio` is target / p99 (>= 1 meets it).
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
    Payload,
    Plan,
    Served,
    Shared,
    Writer,
    client_cpu_s,
    close_all,
    connect,
    exit_on_sigterm,
    load_payloads,
    maximum,
    new_histogram,
    out,
    percentile,
    raise_fd_limit,
    redis_server,
    run,
    serve,
)
from eventstream import codec

TARGET_P99_MS = 50.0


@dataclass
class Outcome:
    p50: int
    p99: int
    max: int
    delivered: int
    expected: int
    cut_off: int
    written: int
    write_s: float
    server_cpu_s: float
    client_cpu_s: float


async def _measure(
    served: Served, writer: Writer, subscribers: int, events: int, timeout_s: float
) -> Outcome:
    shared = Shared(expected=events)
    clients = await connect(served.port, shared, subscribers)
    shared.target_done = subscribers
    shared.histogram = new_histogram()
    cpu_before, client_before = served.cpu_s(), client_cpu_s()
    writer.go()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        settled = sum(1 for c in clients if c.count >= events or c.closed.done())
        if settled >= subscribers:
            break
        await asyncio.sleep(0.05)
    cpu, client_cpu = served.cpu_s() - cpu_before, client_cpu_s() - client_before
    started, ended, written, _first, _last = writer.result(timeout_s)
    cut_off = sum(1 for c in clients if c.closed.done() and c.count < events)
    delivered = sum(min(c.count, events) for c in clients)
    await close_all(clients)
    histogram = shared.histogram
    return Outcome(
        percentile(histogram, 0.50),
        percentile(histogram, 0.99),
        maximum(histogram),
        delivered,
        subscribers * events,
        cut_off,
        written,
        ended - started,
        cpu,
        client_cpu,
    )


def one_run(
    name: str,
    *,
    redis_url: str,
    payloads: list[Payload],
    subscribers: int,
    rate: float,
    seconds: float,
    timeout_s: float,
) -> Outcome:
    events = max(1, round(rate * seconds))
    with serve(name, redis_url, {}) as served:
        writer = Writer(redis_url, payloads, Plan(events, rate=rate))
        try:
            outcome = run(_measure(served, writer, subscribers, events, seconds + timeout_s))
        finally:
            writer.close()
    out(
        f"  {name:>11}: p50 {outcome.p50} ms, p99 {outcome.p99} ms, max {outcome.max} ms; "
        f"delivered {outcome.delivered:,}/{outcome.expected:,} "
        f"({outcome.cut_off} streams cut off); wrote {outcome.written:,} events in "
        f"{outcome.write_s:.2f} s; server CPU {outcome.server_cpu_s:.2f} s, "
        f"client CPU {outcome.client_cpu_s:.2f} s"
    )
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=1000.0, help="events/s written")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to write")
    parser.add_argument("--timeout-s", type=float, default=30.0, help="wait after writing")
    parser.add_argument(
        "--reference",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure the raw ASGI streamer (context)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 50 subscribers, 2 s")
    args = parser.parse_args()
    if args.quick:
        args.subscribers, args.rate, args.seconds, args.timeout_s = 50, 200.0, 2.0, 10.0
    raise_fd_limit()
    exit_on_sigterm()
    payloads = load_payloads()
    out(f"{args.subscribers} subscribers, {args.rate:g} events/s for {args.seconds:g} s")
    names = ["eventstream", "reference"] if args.reference else ["eventstream"]
    results: dict[str, Outcome] = {}
    with redis_server() as redis:
        for name in names:
            results[name] = one_run(
                name,
                redis_url=redis.url,
                payloads=payloads,
                subscribers=args.subscribers,
                rate=args.rate,
                seconds=args.seconds,
                timeout_s=args.timeout_s,
            )
    ours = results["eventstream"]
    out(f"p99 {ours.p99} ms (target <= {TARGET_P99_MS:g} ms)")
    summary: dict[str, object] = {
        "metric": "sse_commit_to_receipt_p99_ms",
        "value": ours.p99,
        "reference": TARGET_P99_MS,
        "ratio": round(TARGET_P99_MS / ours.p99, 3) if ours.p99 > 0 else None,
        "target": TARGET_P99_MS,
        "p50_ms": ours.p50,
        "max_ms": ours.max,
        "delivered_fraction": round(ours.delivered / ours.expected, 4),
        "streams_cut_off": ours.cut_off,
        "subscribers": args.subscribers,
        "rate": args.rate,
    }
    if "reference" in results:
        theirs = results["reference"]
        summary["raw_streamer_p50_ms"] = theirs.p50
        summary["raw_streamer_p99_ms"] = theirs.p99
        summary["raw_streamer_delivered_fraction"] = round(theirs.delivered / theirs.expected, 4)
    print(codec.dumps(summary).decode(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
