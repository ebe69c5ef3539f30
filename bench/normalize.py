"""Records per second of `normalize` against merely reading and re-writing every record.

Both sides run over `cloudtrail/invictus.jsonl` held in memory as raw lines, in the same process,
alternating rounds so that machine noise hits both alike:
- normalize: `codec.loads` of each line, `Normalizer.normalize`, `codec.dumps` of every event;
- reference: `orjson.loads` of each line and `orjson.dumps` of the parsed record.
The best round of each is kept. The normalizer runs with the derived resolver's table loaded;
the start-up cost of loading it (parsing `eventstream/data/derived.json`, once per process) is
measured apart, best of 5, and printed beside. The last line printed is the JSON result.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from eventstream import codec
from eventstream.normalize.derived import load_table
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TARGET_RATIO = 0.5


def reference(lines: list[bytes]) -> int:
    for line in lines:
        orjson.dumps(orjson.loads(line))
    return len(lines)


def make_normalize(normalizer: Normalizer) -> Callable[[list[bytes]], int]:
    def normalize(lines: list[bytes]) -> int:
        for line in lines:
            for event in normalizer.normalize(codec.loads(line)).events:
                codec.dumps(event)
        return len(lines)

    return normalize


def best_rate(run: Callable[[list[bytes]], int], lines: list[bytes]) -> float:
    start = time.perf_counter()
    count = run(lines)
    return count / (time.perf_counter() - start)


def table_load_s(rounds: int = 5) -> float:
    """Best time to read and parse the derived table, bypassing the per-process cache."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        load_table.__wrapped__()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    path = args.corpus / "cloudtrail" / "invictus.jsonl"
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    normalize = make_normalize(Normalizer(default_registry()))
    normalize(lines)  # warm caches and imports
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(args.rounds):
        theirs.append(best_rate(reference, lines))
        ours.append(best_rate(normalize, lines))
    value, ref = max(ours), max(theirs)
    load_s = table_load_s()
    print(f"records: {len(lines)} x {args.rounds} rounds", file=sys.stderr)
    print(f"normalize: {value:,.0f} records/s")
    print(f"reference (orjson loads + dumps): {ref:,.0f} records/s")
    print(f"ratio: {value / ref:.3f} (target >= {TARGET_RATIO})")
    print(f"derived table load (once per process): {load_s * 1000:.1f} ms")
    print(
        codec.dumps(
            {
                "metric": "normalize_records_per_s",
                "value": round(value),
                "reference": round(ref),
                "ratio": round(value / ref, 3),
                "target": TARGET_RATIO,
                "table_load_ms": round(load_s * 1000, 1),
            }
        ).decode()
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
