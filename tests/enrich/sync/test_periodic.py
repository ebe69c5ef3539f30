"""The sync run from `ingest` every `[sync] interval_s`, and `eventstream inventory sync`, as
processes against moto's server and a real redis-server; replicas taking turns."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
from redis.asyncio import Redis

from eventstream import codec
from eventstream.config import Settings
from eventstream.enrich.sync.periodic import PeriodicSync
from eventstream.journal.keys import Keys
from tests.aws.conftest import REGION, Moto
from tests.serve.servers import ROOT, RedisServer

ACCOUNT = "123456789012"
GROUPS = ("AWS::EC2::SecurityGroup",)


def _settings(moto: Moto, redis: RedisServer, keys: Keys, interval_s: float) -> Settings:
    return Settings.model_validate(
        {
            "redis": {"url": redis.url, "key_prefix": keys.prefix},
            "describe": {"endpoint_url": moto.endpoint},
            "sync": {
                "interval_s": interval_s,
                "regions": [REGION],
                "types": list(GROUPS),
                "drift_grace_s": 0,
            },
        }
    )


def _group(moto: Moto) -> str:
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=moto.endpoint)
    made = ec2.create_security_group(GroupName=f"g{time.time_ns()}", Description="d")
    return str(made["GroupId"])


def _ingest(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "eventstream", "ingest", "--config", str(config)],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=output,
        )


async def _wait_for(check: Any, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("timed out")


async def test_replicas_take_one_turn_per_interval_and_stop_at_once(
    moto: Moto, redis_srv: RedisServer, aredis: Redis, keys: Keys
) -> None:
    group = _group(moto)
    settings = _settings(moto, redis_srv, keys, interval_s=3600)
    replicas = [
        PeriodicSync(settings, redis=aredis, keys=keys, redis_url=redis_srv.url) for _ in range(3)
    ]
    tasks = [asyncio.ensure_future(replica.run()) for replica in replicas]
    name = f"aws/{ACCOUNT}/{REGION}/ec2/security-group/{group}"

    async def synced() -> bool:
        return bool(await aredis.exists(keys.sync_last))

    try:
        await _wait_for(synced)
        await asyncio.sleep(1.0)  # the others had their turn to look
        assert await aredis.hexists(keys.asset(name), "version")
        assert sum(replica.runs for replica in replicas) == 1
    finally:
        started = time.monotonic()
        for replica in replicas:
            replica.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    assert time.monotonic() - started < 2.0


async def test_ingest_syncs_periodically_reports_drift_and_stops_on_sigterm(
    moto: Moto, redis_srv: RedisServer, aredis: Redis, keys: Keys, tmp_path: Path
) -> None:
    group = _group(moto)
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=moto.endpoint)
    queue = sqs.create_queue(QueueName=f"q{time.time_ns()}")["QueueUrl"]
    config = tmp_path / "eventstream.toml"
    config.write_text(
        f'[redis]\nurl = "{redis_srv.url}"\nkey_prefix = "{keys.prefix}"\n'
        f'[describe]\nendpoint_url = "{moto.endpoint}"\n'
        f'[sync]\ninterval_s = 1\nregions = ["{REGION}"]\ntypes = {list(GROUPS)!r}\n'
        "drift_grace_s = 0\n"
        f'[[sources]]\ntype = "sqs"\nqueue_url = "{queue}"\nregion = "{REGION}"\n'
        f'endpoint_url = "{moto.endpoint}"\nwait_time_s = 1\n'
    )
    log = tmp_path / "ingest.log"
    process = _ingest(config, log)
    name = f"aws/{ACCOUNT}/{REGION}/ec2/security-group/{group}"

    async def seeded() -> bool:
        return bool(await aredis.hexists(keys.asset(name), "version"))

    async def drifted() -> bool:
        return bool(await aredis.xlen(keys.journal))

    try:
        await _wait_for(seeded)
        assert await aredis.xlen(keys.journal) == 0
        ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=moto.endpoint)
        ec2.authorize_security_group_ingress(
            GroupId=group, IpProtocol="tcp", FromPort=5432, ToPort=5432, CidrIp="10.1.0.0/16"
        )
        await _wait_for(drifted)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)
    assert code == 0, log.read_text()
    rows: Any = await aredis.xrange(keys.journal)
    [event] = [codec.loads(fields[b"event"]) for _, fields in rows]
    assert event["subject"] == name
    assert event["data"]["change"]["operation"] == "Drift"
    assert "10.1.0.0/16" in codec.dumps(event["data"]["changes"]).decode()


def test_the_command_prints_a_summary_resumes_and_dry_runs(
    moto: Moto, redis_srv: RedisServer, keys: Keys
) -> None:
    _group(moto)
    base = [
        sys.executable,
        "-m",
        "eventstream",
        "inventory",
        "sync",
        "--redis-url",
        redis_srv.url,
        "--prefix",
        keys.prefix,
        "--endpoint-url",
        moto.endpoint,
        "--region",
        REGION,
        "--type",
        GROUPS[0],
        "--type",
        "AWS::IAM::Role",
    ]

    def run(*more: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, *more], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
        )

    dry = run("--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    planned = codec.loads(dry.stdout)
    assert planned["dry_run"] is True
    assert planned["types"][GROUPS[0]]["seeded"] >= 2  # the default group and ours
    done = run()
    assert done.returncode == 0, done.stderr
    table = done.stderr.splitlines()
    assert table[0].split() == [
        "type",
        "listed",
        "described",
        "seeded",
        "refreshed",
        "unchanged",
        "suspected",
        "drifted",
        "failed",
        "skipped",
    ]
    row = next(line.split() for line in table if line.startswith(GROUPS[0]))
    assert row[3] == str(planned["types"][GROUPS[0]]["seeded"])  # what the dry run foresaw
    again = codec.loads(run("--json").stdout)
    assert again["total"]["unchanged"] == again["total"]["listed"]
    assert again["total"]["seeded"] == 0
    bad = run("--type", "AWS::Nope::Thing")
    assert bad.returncode == 2
    assert "cannot sync AWS::Nope::Thing" in bad.stderr
