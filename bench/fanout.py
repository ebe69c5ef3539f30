"""Fan-out: events delivered per second to N SSE subscribers, against a raw ASGI streamer.

Method, for each N (default 100 and 1,000) and each round, the two servers one after the other
(order alternating between rounds, so drift hits both alike), each a fresh subprocess on the
same real redis-server (127.0.0.1, free port), under the same uvicorn settings:
- eventstream: `python -m eventstream serve` with a `[serve]` config raising `subscriber_buffer`
  above the burst (so no subscriber is cut off for being slow: this measures throughput) and
  `write_timeout_s` to 60 s; heartbeat and the rest at their defaults;
- reference: `bench/_rawstream.py`, a raw ASGI app with the same single `XREAD` reader whose
  pre-encoded frames (byte for byte the real server's) go straight to the ASGI `send`.
N subscribers connect (one asyncio/uvloop client process, raw sockets, counting `id:` lines)
and each receives its head block; then a writer process appends M = deliveries / N real
normalized events (the corpus' Invictus trail, ~2.9 KB each) to the journal, in pipelines, as
fast as it can. The rate is N x M / (time of the last event received by the last subscriber -
time the writer started). The best round of each server is kept; the server's CPU seconds
(from /proc) during each run are printed. The last line is the JSON result, for N = 1,000
(the N = 100 figures are in its extra keys).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
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
    out,
    raise_fd_limit,
    redis_server,
    run,
    serve,
)
from eventstream import codec

TARGET_RATIO = 0.7


@dataclass
class Outcome:
    rate: float
    delivered: int
    expected: int
    seconds: float
    server_cpu_s: float
    client_cpu_s: float
    cut_off: int


async def _measure(
    served: Served, writer: Writer, subscribers: int, events: int, timeout_s: float
) -> Outcome:
    shared = Shared(expected=events)
    clients = await connect(served.port, shared, subscribers)
    shared.target_done = subscribers
    cpu_before, client_before = served.cpu_s(), client_cpu_s()
    writer.go()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(shared.done_event.wait(), timeout_s)
    last = max((c.finished for c in clients if c.finished), default=time.monotonic())
    cpu, client_cpu = served.cpu_s() - cpu_before, client_cpu_s() - client_before
    started, _end, written, _first, _last = writer.result(timeout_s)
    delivered = sum(min(c.count, events) for c in clients)
    cut_off = shared.ended
    await close_all(clients)
    if written != events:
        raise RuntimeError(f"writer wrote {written} of {events}")
    seconds = max(1e-6, last - started)
    return Outcome(
        delivered / seconds, delivered, subscribers * events, seconds, cpu, client_cpu, cut_off
    )


def one_run(
    name: str,
    *,
    redis_url: str,
    payloads: list[Payload],
    subscribers: int,
    events: int,
    timeout_s: float,
) -> Outcome:
    settings: dict[str, object] = {
        "subscriber_buffer": max(1024, 2 * events),
        "write_timeout_s": 60.0,
    }
    with serve(name, redis_url, settings) as served:
        writer = Writer(redis_url, payloads, Plan(events))
        try:
            outcome = run(_measure(served, writer, subscribers, events, timeout_s))
        finally:
            writer.close()
    out(
        f"  {name:>11}: {outcome.rate:>10,.0f} events/s delivered "
        f"({outcome.delivered:,}/{outcome.expected:,} in {outcome.seconds:.2f} s; "
        f"server CPU {outcome.server_cpu_s:.2f} s, client CPU {outcome.client_cpu_s:.2f} s"
        + (f"; {outcome.cut_off} streams ended early" if outcome.cut_off else "")
        + ")"
    )
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--subscribers", default="100,1000", help="comma-separated N (default 100,1000)"
    )
    parser.add_argument(
        "--deliveries",
        type=int,
        default=500_000,
        help="events x subscribers per run; M = deliveries / N (default 500000)",
    )
    parser.add_argument("--min-events", type=int, default=200, help="lower bound of M")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each server per N")
    parser.add_argument("--timeout-s", type=float, default=120.0, help="limit of one run")
    parser.add_argument("--quick", action="store_true", help="smoke run: N=10,50, small M")
    args = parser.parse_args()
    if args.quick:
        args.subscribers, args.deliveries, args.rounds, args.min_events = "10,50", 10_000, 1, 50
    sizes = [int(part) for part in args.subscribers.split(",") if part.strip()]
    raise_fd_limit()
    exit_on_sigterm()
    payloads = load_payloads()
    results: dict[int, tuple[Outcome, Outcome]] = {}
    with redis_server() as redis:
        for subscribers in sizes:
            events = max(args.min_events, args.deliveries // subscribers)
            out(f"N={subscribers} subscribers, M={events} events each, {args.rounds} rounds")
            best: dict[str, Outcome] = {}
            for index in range(args.rounds):
                order = ("eventstream", "reference") if index % 2 == 0 else ("reference",)
                if index % 2:
                    order = (*order, "eventstream")
                for name in order:
                    outcome = one_run(
                        name,
                        redis_url=redis.url,
                        payloads=payloads,
                        subscribers=subscribers,
                        events=events,
                        timeout_s=args.timeout_s,
                    )
                    if name not in best or outcome.rate > best[name].rate:
                        best[name] = outcome
            ours, ref = best["eventstream"], best["reference"]
            results[subscribers] = (ours, ref)
            out(
                f"N={subscribers}: eventstream {ours.rate:,.0f}/s, reference {ref.rate:,.0f}/s, "
                f"ratio {ours.rate / ref.rate:.3f} (target >= {TARGET_RATIO})"
            )
    main_n = 1000 if 1000 in results else sizes[-1]
    ours, ref = results[main_n]
    summary: dict[str, object] = {
        "metric": f"sse_fanout_events_per_s_n{main_n}",
        "value": round(ours.rate),
        "reference": round(ref.rate),
        "ratio": round(ours.rate / ref.rate, 3),
        "target": TARGET_RATIO,
    }
    for n, (mine, theirs) in results.items():
        summary[f"n{n}_value"] = round(mine.rate)
        summary[f"n{n}_reference"] = round(theirs.rate)
        summary[f"n{n}_ratio"] = round(mine.rate / theirs.rate, 3)
        summary[f"n{n}_complete"] = mine.delivered == mine.expected
    print(codec.dumps(summary).decode(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
