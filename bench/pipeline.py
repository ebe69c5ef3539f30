"""Records per second through `eventstream serve --ingest` against `eventstream replay`.

Input: the Invictus trail (`cloudtrail/invictus.jsonl`, 2,900 records) scaled to `--copies`
copies (default 20, 58,000 records): copy `k` of every record gets the event id `<id>-<k>` and
its time moved `k` days later, so the same assets live on through every round of the corpus'
own creates, updates and deletes and nothing is a duplicate. The copies are written once to one
JSON-lines file in a temporary folder.

Both sides are the real command, a subprocess of `python -m eventstream`, against the same real
redis-server (started for the bench on loopback), each run under a fresh key prefix, in
alternating rounds so that noise hits both alike; the best round of each is kept:
- reference: `eventstream replay --redis-url URL --prefix P --quiet FILE`;
- server: `eventstream serve --port PORT --redis-url URL --prefix P --ingest FILE`.
Each run is timed from spawn until its journal holds every entry (polled every 5 ms; the count
comes from a warm-up replay), so both times include start-up (interpreter, imports, Redis
connection; uvicorn's for the server), which is part of what a user waits for. Every run is
then checked: the server's own `/metrics` must say it read every record, it is stopped with
SIGTERM, and both must exit with status 0 and the same number of journal entries. The last line
printed is the JSON result.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import redis

from eventstream import codec

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("EVENTSTREAM_CORPUS") or ROOT.parent / "shared" / "corpus")
TARGET_RATIO = 0.9
POLL_S = 0.005
RUN_TIMEOUT_S = 600.0

sys.path.insert(0, str(ROOT))
from bench._serving import exit_on_sigterm, free_port, out, redis_server  # noqa: E402


def scaled_trail(source: Path, copies: int, target: Path) -> int:
    """Writes `copies` shifted copies of `source`'s records to `target`; returns the count."""
    records = [codec.loads(line) for line in source.read_bytes().splitlines() if line.strip()]
    count = 0
    with target.open("wb") as sink:
        for k in range(copies):
            shift = timedelta(days=k)
            for record in records:
                moment = datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00"))
                copy = {
                    **record,
                    "eventID": f"{record['eventID']}-{k}",
                    "eventTime": (moment + shift).strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
                sink.write(codec.dumps(copy) + b"\n")
                count += 1
    return count


@dataclass
class Run:
    """One timed run of one side: spawn to last journal entry, and what it read."""

    wall_s: float
    entries: int


def timed(
    command: list[str], client: redis.Redis, key: str, expect: int, port: int | None
) -> tuple[Run, float]:
    """Runs `command` until journal `key` holds `expect` entries; returns the run and, with a
    metrics `port`, the records the process says it read. The process is then stopped (SIGTERM)
    or, for `replay`, waited for; a non-zero exit is an error."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = started + RUN_TIMEOUT_S
        while int(client.xlen(key)) < expect:
            if process.poll() is not None and int(client.xlen(key)) < expect:
                error = process.stderr.read().decode()[-2000:] if process.stderr else ""
                raise SystemExit(f"{command[3]} exited {process.returncode}: {error}")
            if time.perf_counter() > deadline:
                raise SystemExit(f"{command[3]} did not journal {expect} events in time")
            time.sleep(POLL_S)
        wall = time.perf_counter() - started
        records_in = metric_total(port, "eventstream_records_in_total") if port else 0.0
    finally:
        if port:
            process.send_signal(signal.SIGTERM)
        try:
            _, error_bytes = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            raise SystemExit(f"{command[3]} did not exit") from None
    if process.returncode != 0:
        raise SystemExit(
            f"{command[3]} exited {process.returncode}: {error_bytes.decode()[-2000:]}"
        )
    return Run(wall, int(client.xlen(key))), records_in


def replay_command(url: str, prefix: str, trail: Path) -> list[str]:
    command = [sys.executable, "-m", "eventstream", "replay", "--redis-url", url]
    return [*command, "--prefix", prefix, "--quiet", str(trail)]


def serve_command(url: str, prefix: str, trail: Path, port: int) -> list[str]:
    command = [sys.executable, "-m", "eventstream", "serve", "--port", str(port)]
    command += ["--redis-url", url, "--prefix", prefix, "--log-level", "warning"]
    return [*command, "--ingest", str(trail)]


def metric_total(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((name + "{", name + " "))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--copies", type=int, default=20, help="copies of the trail (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--quick", action="store_true", help="2 copies, 1 round (a smoke run)")
    args = parser.parse_args()
    copies, rounds = (2, 1) if args.quick else (args.copies, args.rounds)
    exit_on_sigterm()

    with tempfile.TemporaryDirectory(prefix="es-bench-pipeline-") as folder:
        trail = Path(folder) / "trail.jsonl"
        records = scaled_trail(CORPUS / "cloudtrail" / "invictus.jsonl", copies, trail)
        out(f"input: {records:,} records ({copies} copies of the Invictus trail)")
        with redis_server() as server:
            client = server.client()
            # A warm-up replay gives the number of journal entries both sides must reach.
            warm, _ = timed(
                replay_command(server.url, "warm", trail), client, "{warm}:journal", 1, None
            )
            expect = warm.entries
            best_replay: Run | None = None
            best_serve: Run | None = None
            for n in range(rounds):
                replay, _ = timed(
                    replay_command(server.url, f"rp{n}", trail),
                    client,
                    f"{{rp{n}}}:journal",
                    expect,
                    None,
                )
                port = free_port()
                served, seen = timed(
                    serve_command(server.url, f"sv{n}", trail, port),
                    client,
                    f"{{sv{n}}}:journal",
                    expect,
                    port,
                )
                if int(seen) != records:
                    raise SystemExit(f"serve read {seen:.0f} records, expected {records}")
                if served.entries != expect or replay.entries != expect:
                    raise SystemExit(
                        f"journaled {served.entries} and {replay.entries}, not {expect}"
                    )
                out(
                    f"round {n + 1}: replay {records / replay.wall_s:,.0f} records/s "
                    f"({replay.wall_s:.2f} s), serve --ingest "
                    f"{records / served.wall_s:,.0f} records/s ({served.wall_s:.2f} s)"
                )
                if best_replay is None or replay.wall_s < best_replay.wall_s:
                    best_replay = replay
                if best_serve is None or served.wall_s < best_serve.wall_s:
                    best_serve = served
                for prefix in (f"rp{n}", f"sv{n}"):
                    client.delete(*(client.keys(f"{{{prefix}}}:*") or [f"{{{prefix}}}:journal"]))
            assert best_replay is not None
            assert best_serve is not None
        out(f"{expect:,} events journaled by each run")
    value = records / best_serve.wall_s
    reference = records / best_replay.wall_s
    ratio = value / reference
    out(f"serve --ingest / replay: {ratio:.3f} (target >= {TARGET_RATIO})")
    result = {
        "metric": "serve_ingest_records_per_s",
        "value": round(value),
        "reference": round(reference),
        "ratio": round(ratio, 3),
        "target": TARGET_RATIO,
        "records": records,
        "events": best_replay.entries,
        "copies": copies,
    }
    out(codec.dumps(result).decode())


if __name__ == "__main__":
    main()
