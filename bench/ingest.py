"""Records per second end to end from S3 exports announced on SQS, against `normalize` alone;
and the peak memory of the ingest process on one 100 MiB object.

Everything is real and on loopback: moto's server mode (its own process) holds a bucket and a
queue, a redis-server (`EmbeddedRedis`, append-only, fsync every second) the journal, and
`eventstream ingest --config <tmp>/ingest.toml` is the process measured, with one `sqs`
source on the queue (concurrency 4).

Input: the Invictus trail (`cloudtrail/invictus.jsonl`, 2,900 records) scaled as an
organization trail: copy `k` is the same trail in another account (the account id replaced
everywhere, so its assets are other assets) with event ids `<k>-<id>`: nothing is a duplicate,
and each account's events keep the corpus' own order (concurrent objects of one account would
otherwise turn most commits into out-of-order ones, which a real trail does not). The records
are cut into gzipped CloudTrail export objects of `--records-per-object` records
(`{"Records": [...]}`), uploaded under real trail keys and each announced by one
real-AWS-shaped S3 event notification (URL-encoded key).

1. Throughput: the ingest process starts with every message waiting; the clock runs from its
   `/readyz` first answering to the journal holding every event (polled every 20 ms), and gives
   records/s. The reference is `bench/normalize.py`'s loop (`codec.loads`, `normalize`,
   `codec.dumps`) on the same records as JSON lines, in this process, best of `--rounds`,
   before and after. Their ratio shows what download, gunzip, parsing, commit and
   acknowledgement cost on top of normalizing.
2. Memory: a fresh ingest process reads one object of at least 100 MiB uncompressed (the same
   records, scaled further), gzipped without compression so that it is over the 32 MiB
   (`objects.INLINE_BYTES`) as stored past which an object is streamed rather than downloaded
   whole: the streamed path is the one measured. Its peak resident set (`VmHWM` of /proc) is
   read once the journal holds all its events. `--memory-only` runs this phase alone.

The last line printed is the JSON result.
"""

from __future__ import annotations

import argparse
import gzip
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import redis

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._moto import AWS_ENV, Moto, free_port, wait_http
from bench.normalize import make_normalize
from eventstream import codec
from eventstream.journal.embedded import EmbeddedRedis
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry
from eventstream.sources.objects import INLINE_BYTES

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
ROOT = Path(__file__).resolve().parents[1]
TARGET_RECORDS_PER_S = 10_000
TARGET_RSS_MB = 300
BIG_OBJECT_BYTES = 100 * 2**20
REGION = "us-east-1"
ACCOUNT = "218007301253"
CORPUS_ACCOUNT = "123837392027"  # the account of (nearly) every Invictus record


def corpus_records(corpus: Path) -> list[dict[str, Any]]:
    path = corpus / "cloudtrail" / "invictus.jsonl"
    return [codec.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def scaled(records: list[dict[str, Any]], copies: int, first: int = 0) -> Iterator[dict[str, Any]]:
    """Copy k of each record: the same trail in another account of an organization (the
    corpus' account id replaced everywhere by `ACCOUNT + k`), event id `<k>-<id>`."""
    for k in range(first, first + copies):
        account = f"{int(CORPUS_ACCOUNT) + k:012d}".encode()
        for record in records:
            raw = codec.dumps(record)
            copy: dict[str, Any] = codec.loads(raw.replace(CORPUS_ACCOUNT.encode(), account))
            if k:
                copy["eventID"] = f"{k}-{record.get('eventID')}"
            yield copy


def export(records: list[dict[str, Any]]) -> bytes:
    return gzip.compress(codec.dumps({"Records": records}), compresslevel=6)


def trail_key(n: int) -> str:
    return (
        f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2023/07/10/"
        f"{ACCOUNT}_CloudTrail_{REGION}_20230710T1200Z_bench {n:06d}.json.gz"
    )


def s3_event(bucket: str, key: str, size: int) -> str:
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventName": "ObjectCreated:Put",
        "s3": {
            "bucket": {"name": bucket},
            "object": {"key": quote_plus(key, safe="/"), "size": size},
        },
    }
    return codec.dumps({"Records": [record]}).decode()


def announce(moto: Moto, bucket: str, queue: str, objects: list[bytes], first: int) -> None:
    s3, sqs = moto.client("s3"), moto.client("sqs")
    bodies = []
    for n, body in enumerate(objects, start=first):
        key = trail_key(n)
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        bodies.append(s3_event(bucket, key, len(body)))
    for start in range(0, len(bodies), 10):
        entries = [
            {"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies[start : start + 10])
        ]
        sqs.send_message_batch(QueueUrl=queue, Entries=entries)


def expected_events(normalizer: Normalizer, records: list[dict[str, Any]]) -> int:
    return len({e["id"] for r in records for e in normalizer.normalize(r).events})


def normalize_rate(lines: list[bytes], rounds: int) -> float:
    normalize = make_normalize(Normalizer(default_registry()))
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        count = normalize(lines)
        best = max(best, count / (time.perf_counter() - start))
    return best


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_ingest(
    folder: Path,
    moto: Moto,
    queue: str,
    redis_url: str,
    *,
    keys: Keys,
    events: int,
    timeout_s: float,
) -> tuple[float, float, float]:
    """One ingest process until the journal holds `events`: (seconds from ready, its CPU
    seconds meanwhile, peak RSS MB)."""
    port = free_port()
    config = folder / f"{keys.prefix}.toml"
    config.write_text(
        f'[redis]\nurl = "{redis_url}"\nkey_prefix = "{keys.prefix}"\n'
        f'[[sources]]\ntype = "sqs"\nqueue_url = "{queue}"\nregion = "{REGION}"\n'
        f'endpoint_url = "{moto.endpoint}"\nwait_time_s = 1\nconcurrency = 4\n'
    )
    log = (folder / f"{keys.prefix}.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "eventstream",
            "ingest",
            "--config",
            str(config),
            "--metrics-port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **AWS_ENV},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    client = redis.Redis.from_url(redis_url)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", 60)
        start, cpu_start = time.perf_counter(), cpu_s(process.pid)
        deadline = start + timeout_s
        while int(client.xlen(keys.journal)) < events:
            if process.poll() is not None:
                raise RuntimeError(f"ingest exited: {(folder / f'{keys.prefix}.log').read_text()}")
            if time.perf_counter() > deadline:
                raise RuntimeError(f"timed out at {client.xlen(keys.journal)} of {events} events")
            time.sleep(0.02)
        elapsed = time.perf_counter() - start
        cpu = cpu_s(process.pid) - cpu_start
        peak = peak_rss_mb(process.pid)
        return elapsed, cpu, peak
    finally:
        client.close()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--copies", type=int, default=20, help="copies of the trail (2,900 each)")
    parser.add_argument("--records-per-object", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the normalize reference")
    phases = parser.add_mutually_exclusive_group()
    phases.add_argument("--no-memory", action="store_true", help="skip the 100 MiB object")
    phases.add_argument(
        "--memory-only", action="store_true", help="only the 100 MiB object (no throughput)"
    )
    args = parser.parse_args()
    os.environ.update(AWS_ENV)  # moto's test credentials, for this process and its children
    base = corpus_records(args.corpus)
    normalizer = Normalizer(default_registry())
    result: dict[str, Any] = {"metric": "ingest_records_per_s"}
    with tempfile.TemporaryDirectory(prefix="es-bench-") as tmp:
        folder = Path(tmp)
        moto = Moto(free_port())
        try:
            with EmbeddedRedis(folder / "redis", fsync="everysec") as server:
                bucket = "bench-trail"
                moto.client("s3").create_bucket(Bucket=bucket)
                if not args.memory_only:
                    result |= throughput_run(folder, moto, bucket, server.url, base=base, args=args)
                if not args.no_memory:
                    big = memory_run(
                        folder,
                        moto,
                        bucket,
                        server.url,
                        base=base,
                        normalizer=normalizer,
                        first=args.copies,
                    )
                    print(
                        f"memory: one object of {big.mib:.0f} MiB uncompressed, "
                        f"{big.stored_mib:.0f} MiB stored (streamed: over "
                        f"{INLINE_BYTES // 2**20} MiB), {big.records:,} records: "
                        f"peak RSS {big.rss_mb:.0f} MB (target < {TARGET_RSS_MB} MB)"
                    )
                    result |= {
                        "peak_rss_mb_100mib_object": round(big.rss_mb),
                        "object_stored_mib": round(big.stored_mib, 1),
                        "object_path": "streamed",
                    }
        finally:
            moto.close()
    result.setdefault("value", None)
    result["target"] = TARGET_RECORDS_PER_S
    result.setdefault("peak_rss_mb_100mib_object", None)
    result["target_rss_mb"] = TARGET_RSS_MB
    print(codec.dumps(result).decode())
    return 0


def throughput_run(
    folder: Path,
    moto: Moto,
    bucket: str,
    redis_url: str,
    *,
    base: list[dict[str, Any]],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Phase 1: records/s of a fresh ingest process through every object, and the reference."""
    normalizer = Normalizer(default_registry())
    records = list(scaled(base, args.copies))
    lines = [codec.dumps(r) for r in records]
    size = args.records_per_object
    objects = [export(records[i : i + size]) for i in range(0, len(records), size)]
    events = expected_events(normalizer, records)
    reference = normalize_rate(lines, args.rounds)
    queue = moto.client("sqs").create_queue(QueueName="bench-trail")["QueueUrl"]
    announce(moto, bucket, queue, objects, 0)
    print(
        f"throughput: {len(records):,} records in {len(objects)} objects "
        f"({sum(map(len, objects)) / 2**20:.1f} MiB gzipped), {events:,} events",
        file=sys.stderr,
    )
    elapsed, cpu, rss_run = run_ingest(
        folder, moto, queue, redis_url, keys=Keys(prefix="bench"), events=events, timeout_s=600
    )
    value = len(records) / elapsed
    reference = max(reference, normalize_rate(lines, args.rounds))
    ratio = value / reference
    print(
        f"ingest (SQS -> S3 -> normalize -> commit -> delete): {value:,.0f} records/s "
        f"({elapsed:.2f} s; peak RSS {rss_run:.0f} MB)"
    )
    per_cpu = len(records) / cpu if cpu else 0.0
    print(
        f"ingest process CPU: {cpu:.2f} s, {per_cpu:,.0f} records per CPU second "
        "(moto and Redis run beside it, in their own processes)"
    )
    print(f"reference (bench/normalize.py loop, same records): {reference:,.0f} records/s")
    print(f"ratio: {ratio:.3f} (target >= {TARGET_RECORDS_PER_S:,} records/s)")
    return {
        "value": round(value),
        "reference": round(reference),
        "ratio": round(ratio, 3),
        "records_per_cpu_s": round(per_cpu),
    }


@dataclass(frozen=True)
class BigObject:
    rss_mb: float  # peak RSS of the ingest process
    mib: float  # uncompressed
    stored_mib: float
    records: int


def memory_run(
    folder: Path,
    moto: Moto,
    bucket: str,
    redis_url: str,
    *,
    base: list[dict[str, Any]],
    normalizer: Normalizer,
    first: int,
) -> BigObject:
    """A fresh ingest reading one object of at least 100 MiB uncompressed. It is gzipped
    without compression (deflate's stored blocks, still a gzip the source must gunzip), so
    that it is also over `INLINE_BYTES` as stored and takes the streamed path: a CloudTrail
    file compresses about 10:1, and a 100 MiB one gzipped as usual (~10 MiB) would be
    downloaded whole and parsed in the event loop, which is not the path to bound."""
    records: list[dict[str, Any]] = []
    raw = 0
    copy = first
    while raw < BIG_OBJECT_BYTES:
        for record in scaled(base, 1, copy):
            records.append(record)
            raw += len(codec.dumps(record)) + 1
        copy += 1
    document = codec.dumps({"Records": records})
    body = gzip.compress(document, compresslevel=0)
    if len(body) <= INLINE_BYTES:
        raise RuntimeError(f"the object is {len(body)} bytes stored: not streamed")
    events = expected_events(normalizer, records)
    queue = moto.client("sqs").create_queue(QueueName="bench-big")["QueueUrl"]
    announce(moto, bucket, queue, [body], 10**6)
    mib, stored_mib = len(document) / 2**20, len(body) / 2**20
    del document, body
    print(
        f"memory: one object, {mib:.0f} MiB uncompressed, {stored_mib:.0f} MiB stored, "
        f"{len(records):,} records, {events:,} events",
        file=sys.stderr,
    )
    count = len(records)
    del records
    _elapsed, _cpu, peak = run_ingest(
        folder, moto, queue, redis_url, keys=Keys(prefix="bench-big"), events=events, timeout_s=900
    )
    return BigObject(peak, mib, stored_mib, count)


if __name__ == "__main__":
    raise SystemExit(main())
