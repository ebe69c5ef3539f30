"""Events per second forwarded to a Splunk HEC receiver (batches of 500) against reading the
same journal entries alone; and what a second destination that is down costs the first.

Input: the asset events of `cloudtrail/invictus.jsonl` (about 490, ~2.9 KB each), cycled into
`--events` (default 50,000) journal entries in the journal contract (XADD event/subject/eid),
written once into a real redis-server started for the bench in a temporary folder.

The receiver is a separate process (forked): an aiohttp server on 127.0.0.1 answering
`POST /services/collector/event` as HEC does (`{"text": "Success", "code": 0}`), counting
the events of each body. The forwarder is the real `Forwarding` in this process, as
`eventstream webhooks run` runs it (uvloop, signed with one secret, gzip off). Three sides, in
rounds (the two forwarding sides in alternating order), each on a consumer group of its own
over the same entries (best round of each kept; this process's CPU per event printed too,
the figure that does not depend on what else the machine runs):
- reference: read the entries alone: `XREADGROUP COUNT 500` and `XACK`, the loop of a
  forwarder without formatting or HTTP;
- alone: one `splunk-hec` destination, `batch_max_events = 500`, timed from start until
  its group has nothing left to read or settle;
- with a down destination: the same, beside a second destination on a port where nothing
  listens (connections refused; the default retry schedule).
The last line printed is the JSON result.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web
from redis.asyncio import Redis

from eventstream import codec
from eventstream.commands.webhooks import loop_factory
from eventstream.config import RedisSettings, WebhookSettings
from eventstream.forward.service import Forwarding
from eventstream.journal.connect import client
from eventstream.journal.embedded import EmbeddedRedis
from eventstream.journal.keys import EVENT_FIELD, ID_FIELD, SUBJECT_FIELD, Keys
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry

DEFAULT_CORPUS = Path(
    os.environ.get("EVENTSTREAM_CORPUS")
    or Path(__file__).resolve().parents[2] / "shared" / "corpus"
)
TARGET_EVENTS_PER_S = 20_000
TARGET_DOWN_COST = 0.10
BATCH = 500
SECRET = "whsec_" + base64.b64encode(b"bench-secret-0123456789abcdef").decode()
SUCCESS = codec.dumps({"text": "Success", "code": 0})


def corpus_events(corpus: Path) -> list[dict[str, Any]]:
    normalizer = Normalizer(default_registry())
    events: list[dict[str, Any]] = []
    for line in (corpus / "cloudtrail" / "invictus.jsonl").read_bytes().splitlines():
        if line.strip():
            events.extend(normalizer.normalize(codec.loads(line)).events)
    return events


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def receive(port: int, counter: Any, cpu: Any) -> None:
    """The HEC receiver process: counts events (`{"time":` objects) per body."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    async def collect(request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("Authorization") != "Splunk bench-token":
            return web.Response(status=403, body=b'{"text":"Invalid token","code":4}')
        with counter.get_lock():
            counter.value += body.count(b'{"time":')
            cpu.value = time.process_time()
        return web.Response(body=SUCCESS, content_type="application/json")

    app = web.Application(client_max_size=256 * 2**20)
    app.router.add_post("/services/collector/event", collect)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


async def fill(redis: Redis, keys: Keys, events: list[dict[str, Any]], total: int) -> None:
    for first in range(0, total, 1000):
        pipe = redis.pipeline(transaction=False)
        for n in range(first, min(total, first + 1000)):
            event = {**events[n % len(events)], "id": f"{n}-{events[n % len(events)]['id']}"}
            fields = {
                EVENT_FIELD: codec.dumps(event),
                SUBJECT_FIELD: event["subject"],
                ID_FIELD: event["id"],
            }
            pipe.xadd(keys.journal, fields)  # type: ignore[arg-type]
        await pipe.execute()


Rate = tuple[float, float]
"""Events per second, and this process's CPU microseconds per event."""


async def read_alone(redis: Redis, keys: Keys, group: str, total: int) -> Rate:
    await redis.xgroup_create(keys.journal, group, id="0")
    cpu = time.process_time()
    start = time.perf_counter()
    seen = 0
    while seen < total:
        reply: Any = await redis.xreadgroup(group, "bench", {keys.journal: ">"}, count=BATCH)
        rows = reply[0][1] if reply else []
        if not rows:
            break
        await redis.xack(keys.journal, group, *(row[0] for row in rows))
        seen += len(rows)
    return seen / (time.perf_counter() - start), (time.process_time() - cpu) / seen * 1e6


def destination(name: str, port: int) -> WebhookSettings:
    return WebhookSettings(
        name=name,
        url=f"http://127.0.0.1:{port}/services/collector/event",
        format="splunk-hec",
        token="bench-token",
        secrets=[SECRET],
        batch_max_events=BATCH,
        batch_max_wait_s=0.05,
        allow_private=True,
        start="all",
    )


async def forward(
    redis: Redis, keys: Keys, up: WebhookSettings, down: WebhookSettings | None, total: int
) -> Rate:
    destinations = [up] if down is None else [up, down]
    forwarding = Forwarding(destinations, redis=redis, keys=keys, environ={})
    await forwarding.prepare()
    group = keys.webhook_group(up.name)
    cpu = time.process_time()
    start = time.perf_counter()
    newest: Any = await redis.xrevrange(keys.journal, count=1)
    last_id = newest[0][0]
    task = asyncio.create_task(forwarding.run())
    try:
        while True:
            groups: Any = await redis.xinfo_groups(keys.journal)
            mine = next(g for g in groups if g["name"].decode() == group)
            # the last entry delivered and nothing pending (XINFO's `lag` is not reported by
            # every Redis and client version)
            if mine["last-delivered-id"] == last_id and mine["pending"] == 0:
                break
            if task.done():
                raise SystemExit(f"forwarding ended early: {task}")
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - start
        cpu_us = (time.process_time() - cpu) / total * 1e6
    finally:
        forwarding.stop()
        await asyncio.wait_for(task, 30)
    return total / elapsed, cpu_us


async def measure(
    url: str, receiver_port: int, counter: Any, args: argparse.Namespace
) -> tuple[dict[str, Rate], list[float]]:
    redis = client(url, RedisSettings())
    keys = Keys(prefix="bench")
    events = corpus_events(args.corpus)
    await fill(redis, keys, events, args.events)
    closed = free_port()
    best: dict[str, Rate] = {"reference": (0, 0), "alone": (0, 0), "with_down": (0, 0)}
    paired: list[float] = []  # per round: 1 - (beside a down one) / (alone), run back to back
    try:
        for n in range(args.rounds):
            reference = await read_alone(redis, keys, f"reference-{n}", args.events)
            up = destination(f"up-{n}", receiver_port)
            down = destination(f"down-{n}", closed)
            before = counter.value
            if n % 2:  # alternate which goes first, so that drift hits both alike
                with_down = await forward(redis, keys, up, down, args.events)
                alone = await forward(
                    redis, keys, destination(f"alone-{n}", receiver_port), None, args.events
                )
            else:
                alone = await forward(
                    redis, keys, destination(f"alone-{n}", receiver_port), None, args.events
                )
                with_down = await forward(redis, keys, up, down, args.events)
            delivered = counter.value - before
            if delivered != 2 * args.events:
                raise SystemExit(f"receiver counted {delivered} of {2 * args.events} events")
            for name, rate in (
                ("reference", reference),
                ("alone", alone),
                ("with_down", with_down),
            ):
                best[name] = max(best[name], rate)
            paired.append(1 - with_down[0] / alone[0])
            print(
                f"round {n + 1}/{args.rounds}: read alone {reference[0]:,.0f}/s, "
                f"forwarded alone {alone[0]:,.0f}/s, beside a down destination "
                f"{with_down[0]:,.0f}/s",
                file=sys.stderr,
            )
    finally:
        await redis.aclose()
    return best, paired


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    args = parser.parse_args()
    port = free_port()
    counter: Any = multiprocessing.get_context("fork").Value("q", 0)
    receiver_cpu: Any = multiprocessing.get_context("fork").Value("d", 0.0)
    process = multiprocessing.get_context("fork").Process(
        target=receive, args=(port, counter, receiver_cpu)
    )
    process.start()
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the receiver did not start") from None
                time.sleep(0.05)
        with (
            tempfile.TemporaryDirectory(prefix="es-bench-") as folder,
            EmbeddedRedis(Path(folder), fsync="everysec") as server,
            asyncio.Runner(
                loop_factory=loop_factory() if args.loop == "uvloop" else None
            ) as runner,
        ):
            best, paired = runner.run(measure(server.url, port, counter, args))
            delivered_total = counter.value
    finally:
        if process.pid is not None:
            os.kill(process.pid, signal.SIGTERM)
        process.join(10)
    (value, cpu), (ref, ref_cpu), (down, down_cpu) = (
        best["alone"],
        best["reference"],
        best["with_down"],
    )
    cost = max(0.0, 1 - down / value)
    median_cost = statistics.median(paired)
    print(f"events: {args.events}, {args.rounds} rounds, Splunk HEC batches of {BATCH}")
    print(
        f"reference (read the journal alone, XREADGROUP + XACK): {ref:,.0f} events/s, "
        f"{ref_cpu:.0f} us CPU per event"
    )
    print(
        f"forwarded to one destination: {value:,.0f} events/s (ratio {value / ref:.3f}), "
        f"{cpu:.0f} us CPU per event in the forwarder"
    )
    print(
        f"forwarded beside a down destination: {down:,.0f} events/s "
        f"(cost {cost:.1%} best against best, median of the rounds' paired costs "
        f"{median_cost:.1%}; target < {TARGET_DOWN_COST:.0%}), {down_cpu:.0f} us CPU per event"
    )
    receiver_us = receiver_cpu.value / max(1, delivered_total) * 1e6
    print(f"receiver process: {receiver_us:.0f} us CPU per event received (all rounds)")
    print(
        f"machine load average (1 min) at the end: {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs"
    )
    print(f"target: >= {TARGET_EVENTS_PER_S:,} events/s per destination")
    print(
        codec.dumps(
            {
                "metric": "webhook_events_per_s",
                "value": round(value),
                "reference": round(ref),
                "ratio": round(value / ref, 3),
                "target": TARGET_EVENTS_PER_S,
                "with_down_destination": round(down),
                "down_cost": round(cost, 3),
                "down_cost_median_paired": round(median_cost, 3),
                "target_down_cost": TARGET_DOWN_COST,
                "cpu_us_per_event": {
                    "forwarder": round(cpu),
                    "with_down_destination": round(down_cpu),
                    "reference": round(ref_cpu),
                    "receiver": round(receiver_us),
                },
                "load_average": round(os.getloadavg()[0], 2),
            }
        ).decode()
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
