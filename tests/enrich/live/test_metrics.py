"""The live stage's counters at `/metrics`: the committing pipeline of serve and ingest counts
into its metrics' `LiveCounters`, rendered by the server's real exposition as
`eventstream_describe_calls_total` and `eventstream_describe_outcomes_total`."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from eventstream import codec
from eventstream.commands.common import committing_pipeline
from eventstream.config import Settings
from eventstream.journal.keys import Keys
from eventstream.serve.metrics import Metrics
from eventstream.sources.local import FilesSource
from tests.aws.conftest import Moto
from tests.enrich.live.changes import record


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_describe_counters_at_metrics(
    moto: Moto, aredis: Redis, keys: Keys, tmp_path: Path
) -> None:
    ec2 = moto.client("ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    gid = ec2.create_security_group(GroupName="metered", Description="d", VpcId=vpc)["GroupId"]
    ec2.delete_security_group(GroupId=gid)
    lines = [
        record("ec2", "AuthorizeSecurityGroupIngress", {"groupId": "sg-0absent"}, at=1),
        record("ec2", "DeleteSecurityGroup", {"groupId": gid}, {"_return": True}, at=2),
    ]
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"".join(codec.dumps(line) + b"\n" for line in lines))
    metrics = Metrics()
    before = _samples(bytes(metrics.exposition().body).decode())
    assert not any(name.startswith("eventstream_describe") for name, _ in before)
    settings = Settings.model_validate(
        {"describe": {"enabled": True, "endpoint_url": moto.endpoint, "timeout_s": 10}}
    )
    pipeline = committing_pipeline(
        settings,
        [FilesSource([str(path)])],
        redis=aredis,
        keys=keys,
        redis_url="redis://127.0.0.1",
        metrics=metrics.pipeline,
        wait_for_redis=False,
    )
    totals = await pipeline.run()
    assert totals.journaled == 2
    text = bytes(metrics.exposition().body).decode()
    assert "# TYPE eventstream_describe_calls_total counter" in text
    samples = _samples(text)
    calls = ("eventstream_describe_calls_total", (("service", "ec2"),))
    assert samples[calls] == 2
    outcome = "eventstream_describe_outcomes_total"
    assert samples[(outcome, (("outcome", "missing"), ("service", "ec2")))] == 2
    assert samples[(outcome, (("outcome", "confirmed_delete"), ("service", "ec2")))] == 1
    described = [name for name, _ in samples if name.startswith("eventstream_describe")]
    assert sorted(described) == [calls[0], outcome, outcome]
