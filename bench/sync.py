"""Resources per second of `eventstream inventory sync` against moto, against merely listing the
same resources with plain aiobotocore paginators in the same run.

Everything is real and on loopback: moto's server mode (`ThreadedMotoServer` on 127.0.0.1, in
this process: its CPU is the process's minus the event loop's thread) and a redis-server
(`bench._serving.redis_server`). The sync is `InventorySync` as `eventstream inventory sync`
builds it (`DefaultClients`, the explicit describers, the journal's `Committer`), on one
account and two regions, restricted to the five types the bench creates.

Scene (default 10,000 resources, `--quick` 1,000): security groups spread over the regions
(EC2 lists them with their configuration: one paginated call per region), and, split evenly,
SQS queues and DynamoDB tables (both regions), IAM roles and S3 buckets (global), which the
sync describes one by one (2, 1, 3 and 8 calls each). Created with boto3 from `--threads`
threads, each with its own client; the setup time is printed on its own. moto's default
security group of each region is listed too.

1. Reference: list every resource (no describe, no Redis), clients created in the timing as
   the sync does, per type group; best of one run before and one after the syncs.
2. First sync: everything is seeded. Resources/s overall and per type group (listed with
   their configuration vs described one by one; a unit's time runs from its start to the next
   unit's, from the sync's progress callback).
3. Second sync: everything is unchanged.
4. Checks (PASS/FAIL): inventory entries == resources the sync listed == resources the
   reference listed; the first sync seeded them all, the second found them all unchanged.

CPU seconds of each phase are split into the event loop's thread (the sync: our code,
aiobotocore, redis-py), moto's server threads and redis-server. `--profile FILE` runs both
syncs under cProfile (event loop thread only: moto's threads are not profiled), writes
`FILE.first` / `FILE.second` and prints where the time went (figures of a profiled run are
slower: use them for shares, not rates).

The last line printed is the JSON result (`ratio` = sync rate / list rate of the first sync).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import os
import pstats
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3
from aiobotocore.session import get_session
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError
from moto.server import ThreadedMotoServer
from redis.asyncio import Redis

from bench._serving import RedisServer, exit_on_sigterm, out, redis_server
from eventstream import codec
from eventstream.enrich.live.clients import DefaultClients
from eventstream.enrich.live.describe import describer
from eventstream.enrich.sync.run import InventorySync, SyncProgress, SyncSummary
from eventstream.enrich.sync.setup import SYNC_ATTEMPTS
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from eventstream.normalize.resources.catalog import default_registry

T = TypeVar("T")
ACCOUNT = "123456789012"  # moto's default account
REGIONS = ("us-east-1", "eu-west-1")
GLOBAL_REGION = "us-east-1"
SG = "AWS::EC2::SecurityGroup"
QUEUE, TABLE, ROLE, BUCKET = (
    "AWS::SQS::Queue",
    "AWS::DynamoDB::Table",
    "AWS::IAM::Role",
    "AWS::S3::Bucket",
)
DESCRIBED = (QUEUE, TABLE, ROLE, BUCKET)
GROUPS = {SG: "listed", **dict.fromkeys(DESCRIBED, "described")}  # type → type group
TIMEOUT_S = 900.0  # any one phase
CREATE_ATTEMPTS = 5
_ALREADY = frozenset(
    {
        "InvalidGroup.Duplicate",
        "QueueAlreadyExists",
        "ResourceInUseException",
        "EntityAlreadyExists",
        "BucketAlreadyOwnedByYou",
        "BucketAlreadyExists",
    }
)
_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": GLOBAL_REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:*"}
    ],
}
_INLINE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}],
}


# --- CPU accounting --------------------------------------------------------------------------


def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Cpu:
    """CPU seconds of one phase: this thread (the event loop), the rest of this process
    (moto's server threads, boto3's setup threads), redis-server."""

    loop: float = 0.0
    moto: float = 0.0
    redis: float = 0.0

    def __str__(self) -> str:
        return (
            f"CPU: event loop {self.loop:.1f} s, moto {self.moto:.1f} s, redis {self.redis:.1f} s"
        )


@contextmanager
def cpu_of(redis_pid: int, into: Cpu) -> Iterator[None]:
    thread, process, server = time.thread_time(), time.process_time(), _proc_cpu_s(redis_pid)
    try:
        yield
    finally:
        into.loop = time.thread_time() - thread
        into.moto = time.process_time() - process - into.loop
        into.redis = _proc_cpu_s(redis_pid) - server


# --- Scene -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    groups: int
    described: int

    def counts(self) -> dict[str, int]:
        """Resources of each described type (the remainder goes to queues)."""
        each, extra = divmod(self.described, len(DESCRIBED))
        return {kind: each + (extra if kind == QUEUE else 0) for kind in DESCRIBED}


_local = threading.local()


def _client(endpoint: str, service: str, region: str) -> Any:
    """A boto3 client of this thread (a session per thread: sessions are not thread-safe)."""
    cache: dict[tuple[str, str], Any] = _local.__dict__.setdefault("clients", {})
    key = (service, region)
    if key not in cache:
        session = _local.__dict__.setdefault("session", boto3.session.Session())
        cache[key] = session.client(service, region_name=region, endpoint_url=endpoint)
    return cache[key]


def _create(endpoint: str, kind: str, n: int) -> None:
    region = REGIONS[n % len(REGIONS)]
    if kind == SG:
        ec2 = _client(endpoint, "ec2", region)
        ec2.create_security_group(GroupName=f"bench-{n:05d}", Description=f"bench group {n}")
    elif kind == QUEUE:
        _client(endpoint, "sqs", region).create_queue(QueueName=f"bench-{n:05d}")
    elif kind == TABLE:
        _client(endpoint, "dynamodb", region).create_table(
            TableName=f"bench-{n:05d}",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    elif kind == ROLE:
        iam = _client(endpoint, "iam", GLOBAL_REGION)
        name = f"bench-{n:05d}"
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=codec.dumps(TRUST).decode())
        iam.put_role_policy(
            RoleName=name, PolicyName="read", PolicyDocument=codec.dumps(_INLINE).decode()
        )
    elif kind == BUCKET:
        _client(endpoint, "s3", GLOBAL_REGION).create_bucket(Bucket=f"bench-{n:05d}")


def _create_retried(endpoint: str, kind: str, n: int) -> int:
    """`_create`, again after a failure: moto's server is not thread-safe (two creates in one
    region at once can fail with a 500, "dictionary changed size during iteration", before
    anything is created). A retry that finds the resource already there is done. Returns the
    retries it took."""
    for attempt in range(CREATE_ATTEMPTS):
        try:
            _create(endpoint, kind, n)
            return attempt
        except (ClientError, ResponseParserError) as error:
            code = error.response["Error"]["Code"] if isinstance(error, ClientError) else ""
            if attempt and code in _ALREADY:
                return attempt
            if attempt + 1 == CREATE_ATTEMPTS:
                raise
    return CREATE_ATTEMPTS


def create(endpoint: str, kind: str, count: int, threads: int) -> tuple[float, int]:
    """Create `count` resources of `kind` from `threads` threads: (seconds, retries)."""
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        retries = sum(pool.map(lambda n: _create_retried(endpoint, kind, n), range(count)))
    return time.perf_counter() - start, retries


# --- Reference: plain paginators ------------------------------------------------------------


async def _count(client: Any, operation: str, key: str, **params: Any) -> int:
    found = 0
    async for page in client.get_paginator(operation).paginate(**params):
        found += len(page.get(key) or [])
    return found


async def list_all(endpoint: str) -> tuple[dict[str, int], dict[str, float]]:
    """(resources per type, seconds per type group) by plain aiobotocore listing."""
    session = get_session()
    counts: dict[str, int] = defaultdict(int)
    seconds: dict[str, float] = defaultdict(float)
    calls: list[tuple[str, str, str, Callable[[Any], Coroutine[Any, Any, int]]]] = []
    for region in REGIONS:
        calls.append(
            (SG, "ec2", region, lambda c: _count(c, "describe_security_groups", "SecurityGroups"))
        )
        calls.append((QUEUE, "sqs", region, lambda c: _count(c, "list_queues", "QueueUrls")))
        calls.append((TABLE, "dynamodb", region, lambda c: _count(c, "list_tables", "TableNames")))
    calls.append((ROLE, "iam", GLOBAL_REGION, lambda c: _count(c, "list_roles", "Roles")))

    async def buckets(client: Any) -> int:
        return len((await client.list_buckets()).get("Buckets") or [])

    calls.append((BUCKET, "s3", GLOBAL_REGION, buckets))
    for kind, service, region, call in calls:
        start = time.perf_counter()
        async with session.create_client(service, region_name=region, endpoint_url=endpoint) as c:
            counts[kind] += await call(c)
        seconds[GROUPS[kind]] += time.perf_counter() - start
    return dict(counts), dict(seconds)


# --- The sync --------------------------------------------------------------------------------


@dataclass
class UnitClock:
    """Seconds per type group, from the sync's progress callback (a unit runs from its start
    to the next unit's start, or the end)."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    by_type: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    _current: tuple[str, float] | None = None

    def __call__(self, progress: SyncProgress) -> None:
        now = time.perf_counter()
        if progress.unit is not None and progress.listed:
            return  # a chunk inside the current unit
        if self._current is not None:
            kind, since = self._current
            self.seconds[GROUPS[kind]] += now - since
            self.by_type[kind] += now - since
            self._current = None
        if progress.unit is not None:
            self._current = (progress.unit.asset_type, now)


@dataclass
class SyncRun:
    summary: SyncSummary
    wall_s: float
    by_group: dict[str, float]
    by_type: dict[str, float]
    cpu: Cpu
    entries: int


async def sync_once(
    endpoint: str,
    redis: Redis,
    keys: Keys,
    *,
    concurrency: int,
    chunk: int,
    redis_pid: int,
    profile: Path | None,
) -> SyncRun:
    clock = UnitClock()
    cpu = Cpu()
    clients = DefaultClients(endpoint, max_attempts=SYNC_ATTEMPTS)
    sync = InventorySync(
        redis=redis,
        keys=keys,
        committer=Committer(redis, keys),
        clients=clients,
        fetcher=describer(),
        registry=default_registry(),
        accounts=[ACCOUNT],
        regions=list(REGIONS),
        types=list(GROUPS),
        concurrency=concurrency,
        chunk=chunk,
        on_progress=clock,
    )
    profiler = cProfile.Profile() if profile else None
    try:
        with cpu_of(redis_pid, cpu):
            start = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            try:
                summary = await asyncio.wait_for(sync.run(), TIMEOUT_S)
            finally:
                if profiler is not None:
                    profiler.disable()
            wall = time.perf_counter() - start
    finally:
        await clients.close()
    if profiler is not None and profile is not None:
        profiler.dump_stats(str(profile))
    entries = int(await redis.zcard(keys.asset_index))
    return SyncRun(summary, wall, dict(clock.seconds), dict(clock.by_type), cpu, entries)


def _listed(summary: SyncSummary, group: str) -> int:
    return sum(t.listed for kind, t in summary.by_type.items() if GROUPS[kind] == group)


def report_sync(name: str, run: SyncRun) -> None:
    total = run.summary.total()
    out(
        f"{name}: {total.listed:,} resources in {run.wall_s:.2f} s: "
        f"{total.listed / run.wall_s:,.0f} resources/s "
        f"(seeded {total.seeded:,}, unchanged {total.unchanged:,}, refreshed {total.refreshed:,}, "
        f"suspected {total.suspected:,}, drifted {total.drifted:,}, described {total.described:,}, "
        f"failed {total.failed:,}, skipped {total.skipped:,}; units failed "
        f"{run.summary.units_failed})"
    )
    for group in ("listed", "described"):
        seconds = run.by_group.get(group, 0.0)
        listed = _listed(run.summary, group)
        rate = listed / seconds if seconds else 0.0
        out(f"  {_GROUP_NAMES[group]}: {listed:,} in {seconds:.2f} s: {rate:,.0f}/s")
    parts = []
    for kind, tally in sorted(run.summary.by_type.items()):
        seconds = run.by_type.get(kind, 0.0)
        rate = tally.listed / seconds if seconds else 0.0
        parts.append(f"{kind.rsplit('::', 1)[-1]} {rate:,.0f}/s")
    out(f"  per type: {', '.join(parts)}")
    out(f"  {run.cpu}")
    for error in run.summary.errors:
        out(f"  error: {error}")


_GROUP_NAMES = {
    "listed": "listed with their configuration (security groups)",
    "described": "described one by one (queues, tables, roles, buckets)",
}


# --- Profile summary -------------------------------------------------------------------------

_BUCKETS = (
    ("eventstream/enrich/sync/", "eventstream: sync (planning, verdicts)"),
    ("eventstream/journal/", "eventstream: journal (commit, inventory)"),
    ("eventstream/enrich/", "eventstream: describe, inventory"),
    ("eventstream/normalize/", "eventstream: normalize (names, events)"),
    ("eventstream/", "eventstream: other"),
    ("aiobotocore/", "aiobotocore"),
    ("botocore/", "botocore (serialize, parse, sign)"),
    ("redis/", "redis-py"),
    ("aiohttp/", "aiohttp"),
    ("orjson", "orjson"),
    ("asyncio/", "asyncio"),
    ("selectors", "asyncio"),
)


def profile_summary(path: Path, wall_s: float) -> None:
    stats = pstats.Stats(str(path))
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    shares: dict[str, float] = defaultdict(float)
    waiting = 0.0
    for (filename, _line, function), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        if function in ("<method 'poll' of 'select.epoll' objects>", "select"):
            waiting += tottime
            continue
        label = next((name for part, name in _BUCKETS if part in filename), None)
        if label is None and filename == "~":
            label = "builtins (C calls)"
        shares[label or "other Python"] += tottime
    total = sum(shares.values()) + waiting
    out(f"  profile {path.name}: {total:.2f} s profiled ({wall_s:.2f} s wall)")
    out(f"    waiting in epoll (moto, Redis answering): {waiting:.2f} s")
    for label, seconds in sorted(shares.items(), key=lambda item: -item[1]):
        out(f"    {label}: {seconds:.2f} s ({seconds / total:.0%})")
    out("    top functions by own time:")
    stats.sort_stats("tottime")
    for line in _top(stats, 15):
        out(f"      {line}")
    out("    eventstream functions by cumulative time:")
    stats.sort_stats("cumulative")
    for line in _top(stats, 15, only="eventstream/"):
        out(f"      {line}")


def _top(stats: pstats.Stats, count: int, only: str = "") -> list[str]:
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    order: list[Any] = stats.fcn_list  # type: ignore[attr-defined]
    lines = []
    for key in order:
        filename, line, function = key
        if only and only not in filename:
            continue
        _cc, calls, tottime, cumtime, _ = raw[key]
        where = filename.split("site-packages/")[-1].split("syncbench/")[-1]
        lines.append(f"{tottime:7.2f} {cumtime:7.2f} {calls:9,}  {where}:{line}({function})")
        if len(lines) >= count:
            break
    return lines


# --- Main ------------------------------------------------------------------------------------


def check(name: str, ok: bool) -> bool:
    out(f"check {'PASS' if ok else 'FAIL'}: {name}")
    return ok


async def measure(args: argparse.Namespace, endpoint: str, server: RedisServer) -> int:
    keys = Keys(prefix="bench-sync")
    redis = Redis.from_url(server.url)
    pid = server.process.pid
    profile: Path | None = args.profile
    try:
        ref_counts, ref_seconds = await asyncio.wait_for(list_all(endpoint), TIMEOUT_S)
        first = await sync_once(
            endpoint,
            redis,
            keys,
            concurrency=args.concurrency,
            chunk=args.chunk,
            redis_pid=pid,
            profile=profile.with_suffix(".first") if profile else None,
        )
        second = await sync_once(
            endpoint,
            redis,
            keys,
            concurrency=args.concurrency,
            chunk=args.chunk,
            redis_pid=pid,
            profile=profile.with_suffix(".second") if profile else None,
        )
        ref_cpu = Cpu()
        with cpu_of(pid, ref_cpu):
            again_counts, again_seconds = await asyncio.wait_for(list_all(endpoint), TIMEOUT_S)
        if again_counts != ref_counts:
            out(f"the reference listed {again_counts} after the syncs, {ref_counts} before")
        if sum(again_seconds.values()) < sum(ref_seconds.values()):
            ref_seconds = again_seconds
        ref_wall = sum(ref_seconds.values())
    finally:
        await redis.aclose()

    listed = sum(ref_counts.values())
    ref_rate = listed / ref_wall
    out(
        f"reference (plain aiobotocore paginators, no describe, no Redis): {listed:,} resources "
        f"in {ref_wall:.2f} s: {ref_rate:,.0f} resources/s (best of 2; {ref_cpu} in the second)"
    )
    ref_groups: dict[str, int] = defaultdict(int)
    for kind, count in ref_counts.items():
        ref_groups[GROUPS[kind]] += count
    for group in ("listed", "described"):
        seconds = ref_seconds.get(group, 0.0)
        rate = ref_groups[group] / seconds if seconds else 0.0
        out(f"  {_GROUP_NAMES[group]}: {ref_groups[group]:,} in {seconds:.2f} s: {rate:,.0f}/s")
    report_sync("first sync (everything seeded)", first)
    report_sync("second sync (everything unchanged)", second)

    value = first.summary.total().listed / first.wall_s
    second_rate = second.summary.total().listed / second.wall_s
    out(
        f"ratio sync time / list time: first {first.wall_s / ref_wall:.1f}x, "
        f"second {second.wall_s / ref_wall:.1f}x"
    )
    for group in ("listed", "described"):
        ref = ref_seconds.get(group, 0.0)
        if ref:
            out(
                f"  {group}: first {first.by_group.get(group, 0.0) / ref:.1f}x, "
                f"second {second.by_group.get(group, 0.0) / ref:.1f}x"
            )
    total1, total2 = first.summary.total(), second.summary.total()
    ok = all(
        [
            check(
                f"inventory entries {second.entries:,} == listed by the sync {total1.listed:,} "
                f"== listed by the reference {listed:,}",
                first.entries == second.entries == total1.listed == total2.listed == listed,
            ),
            check(
                f"first sync seeded {total1.seeded:,} of {total1.listed:,}",
                total1.seeded == total1.listed,
            ),
            check(
                f"second sync found {total2.unchanged:,} of {total2.listed:,} unchanged",
                total2.unchanged == total2.listed,
            ),
            check(
                "no failures",
                not (total1.failed or total2.failed or first.summary.units_failed)
                and not second.summary.units_failed,
            ),
        ]
    )
    if profile is not None:
        out("profile (cProfile, event loop thread; rates above are slowed by it):")
        profile_summary(profile.with_suffix(".first"), first.wall_s)
        profile_summary(profile.with_suffix(".second"), second.wall_s)
    result = {
        "metric": "sync_resources_per_s",
        "value": round(value),
        "reference": round(ref_rate),
        "ratio": round(value / ref_rate, 3),
        "target": None,
        "resources": total1.listed,
        "first_s": round(first.wall_s, 2),
        "second_resources_per_s": round(second_rate),
        "second_s": round(second.wall_s, 2),
        "list_s": round(ref_wall, 2),
        "listed_group_per_s": round(
            _listed(first.summary, "listed") / first.by_group.get("listed", 1e-9)
        ),
        "described_group_per_s": round(
            _listed(first.summary, "described") / first.by_group.get("described", 1e-9)
        ),
        "checks": "PASS" if ok else "FAIL",
        "profiled": profile is not None,
    }
    out(codec.dumps(result).decode())
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--groups", type=int, default=9000, help="security groups (9,000)")
    parser.add_argument(
        "--described", type=int, default=1000, help="queues, tables, roles, buckets (1,000)"
    )
    parser.add_argument("--quick", action="store_true", help="900 groups + 100 others")
    parser.add_argument("--threads", type=int, default=8, help="boto3 threads creating (8)")
    parser.add_argument("--concurrency", type=int, default=8, help="sync describe calls (8)")
    parser.add_argument("--chunk", type=int, default=500, help="sync chunk (500)")
    parser.add_argument("--profile", type=Path, help="cProfile both syncs into FILE.first/.second")
    args = parser.parse_args()
    scene = Scene(900, 100) if args.quick else Scene(args.groups, args.described)
    exit_on_sigterm()
    os.environ.update(_AWS_ENV)  # moto's test credentials, for boto3 and aiobotocore
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)  # moto: a line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        with redis_server() as redis:
            setup = Cpu()
            with cpu_of(redis.process.pid, setup):
                started = time.perf_counter()
                seconds, retries = {}, 0
                for kind, count in {SG: scene.groups, **scene.counts()}.items():
                    seconds[kind], retried = create(endpoint, kind, count, args.threads)
                    retries += retried
                setup_s = time.perf_counter() - started
            made = scene.groups + scene.described
            parts = ", ".join(
                f"{kind.rsplit('::', 1)[-1]} {n:,} in {seconds[kind]:.1f} s"
                for kind, n in {SG: scene.groups, **scene.counts()}.items()
            )
            out(
                f"setup: {made:,} resources created with boto3 from {args.threads} threads in "
                f"{setup_s:.1f} s ({made / setup_s:,.0f}/s; {retries} retried): {parts}"
            )
            out(f"  {setup} (moto and the boto3 threads share one process)")
            return asyncio.run(measure(args, endpoint, redis))
    finally:
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
