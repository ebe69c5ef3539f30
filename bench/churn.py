"""Server RSS over streams closed straight after opening, mid-replay (a flapping dashboard).

The real `eventstream serve` (via `bench/_serving.py`) on a journal of 2,000 real events
(~6 MB); the client opens `--streams` (default 8,000) `from=earliest` streams one after the
other and closes each as soon as its response head arrives, so every one is cut in its replay.
Printed: the server's RSS at start, after each quarter, and 2 s after the last; the
subscribers the server still counts; and whether its log holds any error or warning. Target
(absolute): RSS back within 50 MB of the start, no stream left, nothing logged. The last line
printed is the JSON result.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._serving import (
    append,
    exit_on_sigterm,
    load_payloads,
    out,
    redis_server,
    serve,
)
from eventstream import codec

TARGET_GROWTH_MB = 50
JOURNAL_EVENTS = 2000


async def churn(url: str, streams: int, rss: list[int], sample: Callable[[], int]) -> int:
    """Open and drop `streams` streams; returns the subscribers the server counts after."""
    async with aiohttp.ClientSession() as session:
        for index in range(streams):
            response = await session.get(f"{url}/v1/events?from=earliest")
            response.close()
            if (index + 1) % max(1, streams // 4) == 0:
                await asyncio.sleep(0.5)
                rss.append(sample())
        await asyncio.sleep(2.0)
        async with session.get(f"{url}/metrics") as response:
            text = await response.text()
    counts = [line for line in text.splitlines() if line.startswith("eventstream_subscribers ")]
    return int(float(counts[0].split()[1])) if counts else -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--streams", type=int, default=8000, help="streams (default 8,000)")
    parser.add_argument("--quick", action="store_true", help="1,000 streams")
    args = parser.parse_args()
    streams = 1000 if args.quick else args.streams
    exit_on_sigterm()
    payloads = load_payloads(JOURNAL_EVENTS)
    with redis_server() as redis:
        append(redis.client(), payloads, 0, JOURNAL_EVENTS)
        with serve("eventstream", redis.url, {}) as server:
            start = server.rss_kb() // 1024
            rss: list[int] = []
            started = time.perf_counter()
            left = asyncio.run(
                churn(
                    f"http://127.0.0.1:{server.port}", streams, rss, lambda: server.rss_kb() // 1024
                )
            )
            took = time.perf_counter() - started
            end = server.rss_kb() // 1024
            log = server.output()
    logged = [
        line
        for line in log.splitlines()
        if '"level":"error"' in line or "Traceback" in line or "destroyed" in line
    ]
    growth = end - start
    out(f"{streams:,} streams opened and dropped in {took:.1f} s")
    out(f"server RSS: start {start} MB, each quarter {rss} MB, end {end} MB (+{growth} MB)")
    out(f"streams the server still counts: {left}; error lines in its log: {len(logged)}")
    for line in logged[:3]:
        out(f"  {line[:200]}")
    result = {
        "metric": "churn_rss_growth_mb",
        "value": growth,
        "reference": TARGET_GROWTH_MB,
        "ratio": round(TARGET_GROWTH_MB / max(growth, 1), 3),
        "target": TARGET_GROWTH_MB,
        "streams": streams,
        "left": left,
        "errors_logged": len(logged),
    }
    out(codec.dumps(result).decode())


if __name__ == "__main__":
    main()
