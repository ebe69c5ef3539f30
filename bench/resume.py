"""Resume: time to replay 10,000 missed events to one subscriber reconnecting with Last-Event-ID.

Method: a real redis-server and `python -m eventstream serve` (default settings, so
`replay_page_size` 500) as subprocesses on 127.0.0.1. The journal gets one event, then the
10,000 events the subscriber "missed" (real normalized events, ~2.9 KB each). In each round one
raw-socket client (asyncio/uvloop) connects and sends `Last-Event-ID: <id of the first event>`;
the time runs from just before the connection is opened to the read that completes the
10,000th `id:` line, and the last id received must be the journal's last. The median round is
the value (best and worst are printed too). For context, the time redis-py alone takes to read
the same 10,000 entries with `XRANGE` in pages of 500 is measured in the same run. The target
is absolute (< 1 s), so the JSON's `reference` is the target and `ratio` is target / value.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import redis

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._serving import (
    JOURNAL,
    Shared,
    SSEClient,
    append,
    exit_on_sigterm,
    load_payloads,
    out,
    raise_fd_limit,
    redis_server,
    run,
    serve,
)
from eventstream import codec

TARGET_S = 1.0


async def _resume(port: int, after: str, events: int, last: str, timeout_s: float) -> float:
    shared = Shared(expected=events)
    shared.target_ready = shared.target_done = 1
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    _, client = await loop.create_connection(
        lambda: SSEClient(port, shared, f"Last-Event-ID: {after}\r\n", head_id=False),
        "127.0.0.1",
        port,
    )
    try:
        await asyncio.wait_for(shared.done_event.wait(), timeout_s)
    except TimeoutError:
        raise RuntimeError(f"got {client.count} of {events} events in {timeout_s} s") from None
    finally:
        client.close()
    if client.count != events or client.last_id.decode() != last:
        raise RuntimeError(f"got {client.count} events ending at {client.last_id!r}, not {last}")
    return client.finished - started


def _xrange_s(client: redis.Redis, after: str, page: int) -> float:
    started = time.monotonic()
    cursor, total = f"({after}", 0
    while True:
        rows: list[tuple[bytes, dict[bytes, bytes]]] = client.xrange(  # type: ignore[assignment]
            JOURNAL, cursor, "+", count=page
        )
        total += len(rows)
        if len(rows) < page:
            break
        cursor = f"({rows[-1][0].decode()}"
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000, help="missed events")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--timeout-s", type=float, default=60.0, help="limit of one round")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1,000 events, 2 rounds")
    args = parser.parse_args()
    if args.quick:
        args.events, args.rounds = 1000, 2
    raise_fd_limit()
    exit_on_sigterm()
    payloads = load_payloads()
    times: list[float] = []
    xrange_times: list[float] = []
    with redis_server() as server:
        client = server.client()
        after = append(client, payloads, 0, 1)[0]
        ids: list[str] = []
        for start in range(1, args.events + 1, 1000):
            ids += append(client, payloads, start, min(1000, args.events + 1 - start))
        with serve("eventstream", server.url, {}) as served:
            for index in range(args.rounds):
                took = run(_resume(served.port, after, args.events, ids[-1], args.timeout_s))
                times.append(took)
                xrange_times.append(_xrange_s(client, after, 500))
                out(f"  round {index + 1}: {took * 1000:.0f} ms to replay {args.events:,} events")
        client.close()
    value = statistics.median(times)
    out(
        f"median {value * 1000:.0f} ms (best {min(times) * 1000:.0f}, worst "
        f"{max(times) * 1000:.0f}); XRANGE alone (redis-py, pages of 500): "
        f"{statistics.median(xrange_times) * 1000:.0f} ms; target < {TARGET_S * 1000:.0f} ms"
    )
    summary: dict[str, object] = {
        "metric": "sse_resume_replay_s",
        "value": round(value, 4),
        "reference": TARGET_S,
        "ratio": round(TARGET_S / value, 3),
        "target": TARGET_S,
        "events": args.events,
        "best_s": round(min(times), 4),
        "worst_s": round(max(times), 4),
        "xrange_only_s": round(statistics.median(xrange_times), 4),
    }
    print(codec.dumps(summary).decode(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
