"""Events per second committed (enrich + atomic commit) against raw pipelined XADD.

Input: the asset events of `cloudtrail/invictus.jsonl` (about 490), normalized once. That is
too few to time, so the bench scales them: copy `k` of every event gets the id `<k>-<id>` and
its time moved `k` days later, so the same ~160 assets live on through `--copies` (default
100) rounds of the corpus' own creates, updates and deletes (about 49,000 events): states
grow, histories fill and roll over, and the file's own disorder (it is not in time order)
sends some events down the out-of-order path, as in production.

Both sides run in this process against the same real redis-server, started for the bench in
a temporary folder (append-only file, fsync every second: the setting of a production Redis
with persistence, where the embedded default fsyncs every write), in
alternating rounds so that noise hits both alike; the best round of each is kept:
- commit: `Committer.commit` of all events (batches of `--batch-size`), under a fresh key
  prefix each round so nothing is a duplicate: read state, enrich, EVALSHA of `commit.lua`;
- reference: the same events serialized beforehand, appended with plain `XADD` (fields
  `event`, `subject`, `eid`) in pipelines of the same batch size to another stream.
Each side's CPU time per event is printed too (this process: `time.process_time`; Redis: its
`used_cpu_user + used_cpu_sys`), which shows where the time goes whatever else the machine is
doing. The last line printed is the JSON result.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from eventstream import codec
from eventstream.config import JournalSettings, RedisSettings
from eventstream.journal.commit import Committer
from eventstream.journal.connect import client
from eventstream.journal.embedded import EmbeddedRedis
from eventstream.journal.keys import EVENT_FIELD, ID_FIELD, SUBJECT_FIELD, Keys
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TARGET_EVENTS_PER_S = 20_000
TARGET_RATIO = 0.25


def corpus_events(corpus: Path) -> list[dict[str, Any]]:
    normalizer = Normalizer(default_registry())
    events: list[dict[str, Any]] = []
    for line in (corpus / "cloudtrail" / "invictus.jsonl").read_bytes().splitlines():
        if line.strip():
            events.extend(normalizer.normalize(codec.loads(line)).events)
    return events


def scaled(events: list[dict[str, Any]], copies: int) -> list[dict[str, Any]]:
    """`copies` copies of `events`: distinct ids, copy `k` moved `k` days later."""
    out = []
    for k in range(copies):
        shift = timedelta(days=k)
        for event in events:
            moment = datetime.fromisoformat(event["time"].replace("Z", "+00:00")) + shift
            time_text = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
            out.append({**event, "id": f"{k}-{event['id']}", "time": time_text})
    return out


@dataclass
class Side:
    """One side's best rate, and its CPU cost per event (this process, and Redis)."""

    rate: float = 0.0
    client_us: float = 0.0
    redis_us: float = 0.0

    def keep(self, rate: float, client_s: float, redis_s: float, events: int) -> None:
        if rate > self.rate:
            self.rate = rate
            self.client_us = client_s / events * 1e6
            self.redis_us = redis_s / events * 1e6


async def redis_cpu_s(redis: Redis) -> float:
    info = await redis.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def timed(redis: Redis, side: Side, events: int, run: Awaitable[None]) -> None:
    """Run one round; keeps its rate and CPU split in `side` if it is the best so far."""
    redis_start, cpu_start, start = (
        await redis_cpu_s(redis),
        time.process_time(),
        time.perf_counter(),
    )
    await run
    elapsed = time.perf_counter() - start
    client_s = time.process_time() - cpu_start
    side.keep(events / elapsed, client_s, await redis_cpu_s(redis) - redis_start, events)


async def commit_round(redis: Redis, events: list[dict[str, Any]], batch: int, n: int) -> None:
    settings = JournalSettings(batch_size=batch, max_length=0, max_age_s=0)
    committer = Committer(redis, Keys(prefix=f"bench{n}"), settings)
    result = await committer.commit(events)
    if result.journaled != len(events):
        raise SystemExit(f"journaled {result.journaled} of {len(events)} events")


async def reference_round(redis: Redis, rows: list[dict[bytes, Any]], batch: int, n: int) -> None:
    key = Keys(prefix=f"ref{n}").journal
    for first in range(0, len(rows), batch):
        pipe = redis.pipeline(transaction=False)
        for fields in rows[first : first + batch]:
            pipe.xadd(key, fields)  # type: ignore[arg-type]
        await pipe.execute()


async def measure(
    url: str, events: list[dict[str, Any]], args: argparse.Namespace
) -> tuple[Side, Side]:
    redis = client(url, RedisSettings())
    rows = [
        {EVENT_FIELD: codec.dumps(e), SUBJECT_FIELD: e["subject"], ID_FIELD: e["id"]}
        for e in events
    ]
    ours, theirs = Side(), Side()
    try:
        for n in range(args.rounds):
            await timed(redis, theirs, len(rows), reference_round(redis, rows, args.batch_size, n))
            await timed(redis, ours, len(events), commit_round(redis, events, args.batch_size, n))
            await redis.flushall()
            print(f"round {n + 1}/{args.rounds}: done", file=sys.stderr)
    finally:
        await redis.aclose()
    return ours, theirs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    events = scaled(corpus_events(args.corpus), args.copies)
    with (
        tempfile.TemporaryDirectory(prefix="es-bench-") as folder,
        EmbeddedRedis(Path(folder), fsync="everysec") as server,
    ):
        ours, theirs = asyncio.run(measure(server.url, events, args))
    value, ref = ours.rate, theirs.rate
    ratio = value / ref
    print(f"events: {len(events)}, {args.rounds} rounds, batch {args.batch_size}")
    for label, side in (
        ("commit (enrich + atomic commit)", ours),
        ("reference (raw XADD)", theirs),
    ):
        print(
            f"{label}: {side.rate:,.0f} events/s; CPU per event: this process "
            f"{side.client_us:.0f} us, redis-server {side.redis_us:.0f} us"
        )
    print(f"ratio: {ratio:.3f} (target >= {TARGET_RATIO}, and >= {TARGET_EVENTS_PER_S:,} events/s)")
    print(
        codec.dumps(
            {
                "metric": "commit_events_per_s",
                "value": round(value),
                "reference": round(ref),
                "ratio": round(ratio, 3),
                "target": TARGET_EVENTS_PER_S,
                "target_ratio": TARGET_RATIO,
                "cpu_us_per_event": {
                    "client": round(ours.client_us),
                    "redis": round(ours.redis_us),
                    "reference_client": round(theirs.client_us),
                    "reference_redis": round(theirs.redis_us),
                },
            }
        ).decode()
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
