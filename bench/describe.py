"""Changes per second committed with live configuration (`[describe]`) against moto, against
the same changes committed without describe, in the same run; describe calls per change.

Everything is real and on loopback: moto's server mode in its own process (`bench/_moto.py`)
holds `--assets` security groups (default 100), each with one ingress rule; a redis-server
(`EmbeddedRedis`, append-only, fsync every second) holds the journal.

Input: `--changes` (default 10,000) `AuthorizeSecurityGroupIngress` CloudTrail records in
bursts: runs of 5 to 50 consecutive changes (uniform, seeded) to one group drawn at random,
each record with its own event id, time (one second apart) and port, as CloudTrail writes it.

Both sides normalize the records (`Normalizer`) and commit them in batches of `--batch-size`
(default 500), `--parallel` batches in flight at once (default 2: the pipeline commits one at
a time; two let a burst cut by a batch boundary race itself, which the single-flight rule
must absorb), under a fresh key prefix each round, in alternating rounds; the best round of
each side is kept:
- describe: `LiveCommitter` (the real describers on moto, default settings but the budget)
  over the journal `Committer`; every event must come out `configuration_source: describe`;
- reference: the journal `Committer` alone.
The describer is wrapped in a `Fetcher` that counts the calls in flight per asset: at most
one may ever be (the stage's single-flight rule). Describe calls per change (target <= 0.2)
come from the stage's own counters. The last line printed is the JSON result.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from redis.asyncio import Redis

from bench._moto import AWS_ENV, REGION, Moto
from eventstream import codec
from eventstream.config import JournalSettings, RedisSettings
from eventstream.enrich.live.clients import DefaultClients
from eventstream.enrich.live.describe import describer
from eventstream.enrich.live.outcome import Clients, Fetcher, Outcome, Target
from eventstream.enrich.live.stage import LiveCommitter
from eventstream.journal.commit import CommitResult, Committer
from eventstream.journal.connect import client
from eventstream.journal.embedded import EmbeddedRedis
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry
from eventstream.pipeline.runner import Committer as PipelineCommitter

ACCOUNT = "123456789012"  # moto's default account
TARGET_CALLS_PER_CHANGE = 0.2
CIDR = "203.0.113.0/24"
START = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)


def ingress(gid: str, port: int, n: int) -> dict[str, Any]:
    """AuthorizeSecurityGroupIngress as CloudTrail writes it, `n` seconds after `START`."""
    moment = (START + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
    permission = {
        "ipProtocol": "tcp",
        "fromPort": port,
        "toPort": port,
        "groups": {},
        "ipRanges": {"items": [{"cidrIp": CIDR}]},
        "ipv6Ranges": {},
        "prefixListIds": {},
    }
    rule = {
        "groupId": gid,
        "groupOwnerId": ACCOUNT,
        "securityGroupRuleId": f"sgr-{uuid.uuid4().hex[:17]}",
        "isEgress": False,
        "ipProtocol": "tcp",
        "fromPort": port,
        "toPort": port,
        "cidrIpv4": CIDR,
    }
    return {
        "eventVersion": "1.09",
        "eventID": str(uuid.uuid4()),
        "eventTime": moment,
        "eventSource": "ec2.amazonaws.com",
        "eventName": "AuthorizeSecurityGroupIngress",
        "awsRegion": REGION,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
            "accountId": ACCOUNT,
            "userName": "alice",
        },
        "requestParameters": {"groupId": gid, "ipPermissions": {"items": [permission]}},
        "responseElements": {
            "requestId": str(uuid.uuid4()),
            "_return": True,
            "securityGroupRuleSet": {"items": [rule]},
        },
        "requestID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }


def bursts(groups: Sequence[str], changes: int, seed: int) -> tuple[list[dict[str, Any]], int]:
    """`changes` records in runs of 5-50 to one group each; and the number of runs."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    runs = 0
    while len(records) < changes:
        gid = rng.choice(groups)
        runs += 1
        for _ in range(min(rng.randint(5, 50), changes - len(records))):
            records.append(ingress(gid, 1024 + len(records) % 60000, len(records)))
    return records, runs


def make_groups(moto: Moto, count: int) -> list[str]:
    ec2 = moto.client("ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    groups = []
    for n in range(count):
        gid = ec2.create_security_group(GroupName=f"bench-{n}", Description="bench", VpcId=vpc)[
            "GroupId"
        ]
        ec2.authorize_security_group_ingress(
            GroupId=gid, IpProtocol="tcp", FromPort=443, ToPort=443, CidrIp=CIDR
        )
        groups.append(gid)
    return groups


class Watched:
    """The real describer, counting the calls in flight per asset (and the most at once)."""

    def __init__(self) -> None:
        self.inner = describer()
        self.in_flight: dict[Target, int] = {}
        self.most = 0

    def supports(self, asset_type: str) -> bool:
        return self.inner.supports(asset_type)

    async def fetch(self, target: Target, clients: Clients) -> Outcome:
        self.in_flight[target] = self.in_flight.get(target, 0) + 1
        self.most = max(self.most, self.in_flight[target])
        try:
            return await self.inner.fetch(target, clients)
        finally:
            self.in_flight[target] -= 1


class Described:
    """Counts the events that reach the journal committer described."""

    def __init__(self, inner: PipelineCommitter) -> None:
        self.inner = inner
        self.described = 0

    async def commit(
        self, events: Sequence[dict[str, Any]], into: CommitResult | None = None
    ) -> CommitResult:
        self.described += sum(e["data"]["configuration_source"] == "describe" for e in events)
        return await self.inner.commit(events, into)


@dataclass
class Side:
    rate: float = 0.0
    seconds: float = 0.0

    def keep(self, changes: int, seconds: float) -> None:
        if changes / seconds > self.rate:
            self.rate, self.seconds = changes / seconds, seconds


@dataclass
class Describing:
    calls: int = 0  # of the best round
    most_in_flight: int = 0  # over every round
    described: int = 0
    outcomes: dict[str, int] | None = None


async def run_side(
    normalizer: Normalizer,
    records: list[dict[str, Any]],
    committer: PipelineCommitter,
    args: argparse.Namespace,
) -> tuple[int, float]:
    """Normalize and commit `records` in batches, `--parallel` at once: (journaled, seconds)."""
    batch, parallel = args.batch_size, args.parallel
    start = time.perf_counter()
    limit = asyncio.Semaphore(parallel)
    journaled = 0

    async def one(chunk: list[dict[str, Any]]) -> None:
        nonlocal journaled
        async with limit:
            events = [e for r in chunk for e in normalizer.normalize(r).events]
            result = await committer.commit(events)
            journaled += result.journaled  # after the await: no lost update between tasks

    async with asyncio.TaskGroup() as group:
        for first in range(0, len(records), batch):
            group.create_task(one(records[first : first + batch]))
    return journaled, time.perf_counter() - start


async def measure(
    url: str, endpoint: str, records: list[dict[str, Any]], args: argparse.Namespace
) -> tuple[Side, Side, Describing]:
    redis: Redis = client(url, RedisSettings())
    settings = JournalSettings(batch_size=args.batch_size, max_length=0, max_age_s=0)
    ours, theirs, describing = Side(), Side(), Describing()
    normalizer = Normalizer(default_registry())  # loaded once, outside the clock
    clients = DefaultClients(endpoint)
    try:
        for n in range(args.rounds):
            plain = Committer(redis, Keys(prefix=f"plain{n}"), settings)
            journaled, seconds = await run_side(normalizer, records, plain, args)
            if journaled != len(records):
                raise SystemExit(f"reference journaled {journaled} of {len(records)}")
            theirs.keep(len(records), seconds)

            watched = Watched()
            counted = Described(Committer(redis, Keys(prefix=f"live{n}"), settings))
            fetchers: dict[str, Fetcher] = {"AWS::EC2::SecurityGroup": watched}
            live = LiveCommitter(counted, fetchers, clients, timeout_s=args.timeout_s)
            journaled, seconds = await run_side(normalizer, records, live, args)
            if journaled != len(records):
                raise SystemExit(f"describe journaled {journaled} of {len(records)}")
            if counted.described != len(records):
                raise SystemExit(f"described {counted.described} of {len(records)} changes")
            describing.most_in_flight = max(describing.most_in_flight, watched.most)
            if len(records) / seconds > ours.rate:
                describing.calls = live.counters.calls["ec2"]
                describing.described = counted.described
                describing.outcomes = {
                    f"{service}:{label}": count
                    for (service, label), count in sorted(live.counters.counts.items())
                }
            ours.keep(len(records), seconds)
            await redis.flushall()
            print(f"round {n + 1}/{args.rounds}: done", file=sys.stderr)
    finally:
        await clients.close()
        await redis.aclose()
    return ours, theirs, describing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=100)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--parallel", type=int, default=2, help="batches in flight at once")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout-s", type=float, default=30.0, help="the stage's budget")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    os.environ.update(AWS_ENV)  # moto's test credentials, for the default chain
    moto = Moto()
    try:
        groups = make_groups(moto, args.assets)
        records, runs = bursts(groups, args.changes, args.seed)
        with (
            tempfile.TemporaryDirectory(prefix="es-bench-") as folder,
            EmbeddedRedis(Path(folder), fsync="everysec") as server,
        ):
            ours, theirs, describing = asyncio.run(
                measure(server.url, moto.endpoint, records, args)
            )
    finally:
        moto.close()
    ratio = ours.rate / theirs.rate
    per_change = describing.calls / len(records)
    verdict = "PASS" if per_change <= TARGET_CALLS_PER_CHANGE else "MISS"
    single = "PASS" if describing.most_in_flight <= 1 else "MISS"
    print(
        f"changes: {len(records):,} to {args.assets} security groups in {runs} bursts "
        f"(5-50 each), batches of {args.batch_size}, {args.parallel} in flight, "
        f"best of {args.rounds} rounds"
    )
    print(f"with describe (moto): {ours.rate:,.0f} changes/s ({ours.seconds:.2f} s)")
    print(f"without describe:     {theirs.rate:,.0f} changes/s ({theirs.seconds:.2f} s)")
    print(f"ratio: {ratio:.3f}")
    print(
        f"describe calls: {describing.calls:,}, {per_change:.3f} per change "
        f"(target <= {TARGET_CALLS_PER_CHANGE}): {verdict}; described "
        f"{describing.described:,} of {len(records):,} changes"
    )
    print(f"most calls in flight for one asset: {describing.most_in_flight} (must be 1): {single}")
    print(f"outcomes: {describing.outcomes}")
    print(
        codec.dumps(
            {
                "metric": "describe_changes_per_s",
                "value": round(ours.rate),
                "reference": round(theirs.rate),
                "ratio": round(ratio, 3),
                "target": TARGET_CALLS_PER_CHANGE,
                "calls_per_change": round(per_change, 4),
                "calls_per_change_ok": verdict == "PASS",
                "max_in_flight_per_asset": describing.most_in_flight,
                "changes": len(records),
                "assets": args.assets,
                "bursts": runs,
            }
        ).decode()
    )
    return 0 if verdict == "PASS" and single == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
