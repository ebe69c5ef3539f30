"""The scripts in `examples/`, run as users run them against a real server fed with corpus
events and project-written ones; each test checks what the script reported."""

from __future__ import annotations

import asyncio
import copy
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from eventstream import codec
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from tests.conftest import corpus_dir, read_jsonl
from tests.serve.conftest import Journal, ServerFactory
from tests.serve.servers import ROOT, RedisServer, process_server

EXAMPLES = ROOT / "examples"


def _run(script: str, *args: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
        cwd=ROOT,
    )
    return result.stdout.splitlines()


def _variant(event: dict[str, Any], suffix: str, **data: Any) -> dict[str, Any]:
    """A project-written copy of a corpus event with a new id and changed parts of `data`."""
    made = copy.deepcopy(event)
    made["id"] = f"{event['id']}-{suffix}"
    for path, value in data.items():
        node = made["data"]
        *parents, leaf = path.split("__")
        for part in parents:
            node = node[part]
        node[leaf] = value
    return made


def _sg(events: list[dict[str, Any]]) -> dict[str, Any]:
    return next(
        e for e in events if e["data"]["change"]["operation"] == "AuthorizeSecurityGroupIngress"
    )


def test_open_to_world_reports_world_ingress_and_public_buckets(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """Every 0.0.0.0/0 ingress of the corpus, a project-written ::/0 one and a public bucket
    policy are reported; nothing else is."""
    sg = _sg(sample_events)
    ipv6 = copy.deepcopy(sg["data"]["raw"])
    ipv6["requestParameters"]["ipPermissions"] = {
        "items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
                   "ipv6Ranges": {"items": [{"cidrIpv6": "::/0"}]}}]
    }  # fmt: skip
    policy = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}
    bucket = _variant(sg, "bucket", raw={"requestParameters": {"bucketPolicy": policy}})
    bucket["data"]["change"]["operation"] = "PutBucketPolicy"
    events = [*sample_events[:300], _variant(sg, "v6", raw=ipv6), bucket]
    journal.append(events)
    world = 0
    for event in sample_events[:300]:
        if event["data"]["change"]["operation"] != "AuthorizeSecurityGroupIngress":
            continue
        params = event["data"]["raw"]["requestParameters"]
        items = (params.get("ipPermissions") or {}).get("items", [])
        cidrs = [
            r.get("cidrIp") for item in items for r in item.get("ipRanges", {}).get("items", [])
        ]
        world += cidrs.count("0.0.0.0/0") + (params.get("cidrIp") == "0.0.0.0/0")
    lines = _run("open_to_world.py", serve().url, "--from", "earliest", "--limit", str(len(events)))
    assert world >= 1
    assert len(lines) == world + 2, "\n".join(lines)
    assert sum("+ingress 0.0.0.0/0:" in line for line in lines) == world
    assert any("+ingress ::/0:22" in line for line in lines)
    assert any("PutBucketPolicy makes it public" in line for line in lines)


def test_open_to_world_reports_public_canned_acls_and_grants(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """A bucket created or re-ACLed with a public canned ACL (`x-amz-acl`, a string or a list
    in CloudTrail) or granted to AllUsers is reported; the corpus' own `private` buckets are
    not."""
    created = [e for e in sample_events if e["data"]["change"]["operation"] == "CreateBucket"]
    assert created
    assert all(e["data"]["raw"]["requestParameters"]["x-amz-acl"] == "private" for e in created)
    base = created[0]

    def with_acl(suffix: str, operation: str, **params: Any) -> dict[str, Any]:
        made = _variant(base, suffix)
        made["data"]["change"]["operation"] = operation
        made["data"]["raw"]["requestParameters"] = {
            "bucketName": base["data"]["raw"]["requestParameters"]["bucketName"],
            **params,
        }
        return made

    grant = {
        "AccessControlList": {
            "Grant": [{"Grantee": {"URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                       "Permission": "READ"}]
        }
    }  # fmt: skip
    public = [
        with_acl("read", "CreateBucket", **{"x-amz-acl": "public-read"}),
        with_acl("readwrite", "PutBucketAcl", **{"x-amz-acl": ["public-read-write"]}),
        with_acl("grant", "PutBucketAcl", AccessControlPolicy=grant),
    ]
    private = with_acl("owner", "PutBucketAcl", **{"x-amz-acl": ["bucket-owner-full-control"]})
    events = [*created, *public, private]
    journal.append(events)
    lines = _run("open_to_world.py", serve().url, "--from", "earliest", "--limit", str(len(events)))
    assert len(lines) == 3, "\n".join(lines)
    assert sum("CreateBucket makes it public" in line for line in lines) == 1
    assert sum("PutBucketAcl makes it public" in line for line in lines) == 2


def test_region_guard_reports_changes_outside_the_allowed_regions(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """Changes in a region not allowed are reported, global and allowed ones are not."""
    base = sample_events[:200]
    odd = _variant(base[0], "odd", asset__region="ap-south-9")
    events = [*base, odd]
    journal.append(events)
    outside = [e for e in events if e["data"]["asset"]["region"] not in ("us-east-1", "global")]
    lines = _run(
        "region_guard.py", serve().url, "--allowed", "us-east-1",
        "--from", "earliest", "--limit", str(len(events)),
    )  # fmt: skip
    assert len(lines) == len(outside)
    assert any("ap-south-9" in line and odd["subject"] in line for line in lines)


def test_incident_diff_prints_every_change_of_one_asset(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """Every change of the asset since the time given is printed, with who and the rule."""
    sg = _sg(sample_events)
    later = _variant(sg, "later", changes=[{"op": "add", "path": "/IpPermissions/1", "value": {}}])
    events = [*sample_events[:300], later]
    journal.append(events)
    mine = [e for e in events if e["subject"] == sg["subject"]]
    lines = _run(
        "incident_diff.py", serve().url, "--asset", sg["subject"], "--since", "earliest",
        "--idle-s", "1.5",
    )  # fmt: skip
    headers = [line for line in lines if line.startswith("== ")]
    assert len(headers) == len(mine)
    assert lines[-1] == f"{len(mine)} change(s) of {sg['subject']} since earliest"
    assert any("+ingress 0.0.0.0/0:" in line for line in lines)
    assert any(line.strip().startswith("add") and "/IpPermissions/1" in line for line in lines)


def test_incident_diff_since_a_time_leaves_out_earlier_changes(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """`--since` an RFC 3339 time: the changes made before it are not printed, even when the
    journal got them after it (CloudTrail delivers minutes late; here every entry is new)."""
    sg = _sg(sample_events)
    early = _variant(sg, "early") | {"time": "2023-07-10T11:00:00.000Z"}
    late = _variant(sg, "late") | {"time": "2023-07-10T13:00:00.000Z"}
    events = [*sample_events[:300], early, late]
    journal.append(events)
    since = "2023-07-10T12:30:00Z"
    mine = [e for e in events if e["subject"] == sg["subject"]]
    after = [e for e in mine if e["time"] >= "2023-07-10T12:30:00"]
    assert late in after
    assert early not in after
    lines = _run(
        "incident_diff.py", serve().url, "--asset", sg["subject"], "--since", since,
        "--idle-s", "1.5",
    )  # fmt: skip
    headers = [line for line in lines if line.startswith("== ")]
    assert [line.split(" ")[1] for line in headers] == [e["time"] for e in after]
    assert lines[-1] == f"{len(after)} change(s) of {sg['subject']} since {since}"


def _committed(redis_srv: RedisServer, keys: Keys, events: list[dict[str, Any]]) -> None:
    async def commit() -> None:
        client = Redis.from_url(redis_srv.url)
        try:
            await Committer(client, keys).commit(events)
        finally:
            await client.aclose()

    asyncio.run(commit())


def test_console_on_managed_uses_the_stream_history_and_tags(
    serve: ServerFactory,
    journal: Journal,
    sample_events: list[dict[str, Any]],
    redis_srv: RedisServer,
    keys: Keys,
) -> None:
    """Console changes to an asset Terraform made (seen in the stream, or only in its REST
    history) and to one carrying CloudFormation's tags are reported; an unmanaged one is not."""
    corpus = sample_events[:300]
    _committed(redis_srv, keys, corpus)
    managed = next(e for e in corpus if e["data"]["attribution"]["method"] == "terraform")
    unmanaged = next(e for e in corpus if e["data"]["attribution"]["method"] == "sdk")
    assert all(
        e["data"]["attribution"]["method"] not in ("terraform", "cloudformation")
        for e in corpus
        if e["subject"] == unmanaged["subject"]
    )
    console = {"method": "console", "user_agent": "console.amazonaws.com"}

    def by_console(event: dict[str, Any], suffix: str) -> dict[str, Any]:
        made = _variant(event, suffix)
        made["data"]["attribution"].update(console)
        made["data"]["change"].update({"action": "update", "operation": "ModifyByHand"})
        made["type"] = made["type"].rsplit(".", 1)[0] + ".update"
        return made

    tagged = _variant(unmanaged, "stack")
    tagged["subject"] = tagged["data"]["asset"]["name"] = unmanaged["subject"] + "-stack"
    tagged["data"]["configuration"] = {
        "Tags": [{"Key": "aws:cloudformation:stack-name", "Value": "network"}]
    }
    time.sleep(0.01)
    ids = journal.append(
        [
            by_console(managed, "hand"),
            by_console(unmanaged, "hand"),
            tagged,
            by_console(tagged, "hand"),
        ]
    )
    server = serve()
    everything = _run(
        "console_on_managed.py",
        server.url,
        "--from",
        "earliest",
        "--limit",
        str(len(journal.ids())),
    )
    only_new = _run(
        "console_on_managed.py", server.url, "--from", ids[0].split("-")[0], "--limit", "4"
    )
    for lines in (everything, only_new):
        assert len(lines) == 2, lines
        assert f"terraform-managed {managed['subject']}" in lines[0]
        assert f"cloudformation-managed {tagged['subject']}" in lines[1]
        assert all(f"{unmanaged['subject']} " not in line for line in lines)


def test_console_on_managed_reads_tags_the_first_time_an_asset_shows_up(
    serve: ServerFactory,
    journal: Journal,
    sample_events: list[dict[str, Any]],
    redis_srv: RedisServer,
    keys: Keys,
) -> None:
    """The watcher starts after the assets were made: a console change to an asset whose
    inventory history carries CloudFormation's tags, and one to an asset whose own event
    carries a `ManagedBy: terraform` tag, are reported; both were made by the SDK, so
    only the tags tell."""
    sdk = next(e for e in sample_events if e["data"]["attribution"]["method"] == "sdk")
    stack = _variant(sdk, "stack")
    stack["subject"] = stack["data"]["asset"]["name"] = sdk["subject"] + "-stack"
    stack["data"]["configuration"] = {
        "Tags": [{"Key": "aws:cloudformation:stack-name", "Value": "network"}]
    }
    _committed(redis_srv, keys, [stack])  # in the inventory and the journal, before the watcher

    def by_console(event: dict[str, Any], suffix: str, configuration: Any) -> dict[str, Any]:
        made = _variant(event, suffix)
        made["data"]["attribution"].update({"method": "console"})
        made["data"]["change"].update({"action": "update", "operation": "ModifyByHand"})
        made["data"]["configuration"] = configuration
        made["type"] = made["type"].rsplit(".", 1)[0] + ".update"
        return made

    tf = _variant(sdk, "tf")
    tf["subject"] = tf["data"]["asset"]["name"] = sdk["subject"] + "-tf"
    time.sleep(0.01)
    ids = journal.append(
        [
            by_console(stack, "hand", None),
            by_console(tf, "hand", {"Tags": [{"Key": "ManagedBy", "Value": "Terraform"}]}),
        ]
    )
    lines = _run(
        "console_on_managed.py", serve().url, "--from", ids[0].split("-")[0], "--limit", "2"
    )
    assert len(lines) == 2, lines
    assert f"cloudformation-managed {stack['subject']} " in lines[0]
    assert f"terraform-managed {tf['subject']} " in lines[1]


def test_new_ip_reports_new_addresses_and_countries(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]], tmp_path: Path
) -> None:
    """A principal's second address is reported, with its country when the GeoIP file knows it;
    the same address again is not."""
    base = next(
        e
        for e in sample_events
        if e["data"]["attribution"]["method"] == "terraform" and e["data"]["attribution"]["ip"]
    )
    home = base["data"]["attribution"]["ip"]
    geoip = tmp_path / "country.csv"
    geoip.write_text(
        f"{home},{home},NL\n203.0.113.0,203.0.113.255,BR\n2001:db8::,2001:db8::ffff,JP\n"
    )
    events = [
        _variant(base, "a"),
        _variant(base, "b", attribution__ip="203.0.113.7"),
        _variant(base, "c", attribution__ip="203.0.113.7"),
        _variant(base, "d", attribution__ip="2001:db8::1"),
        _variant(base, "e", attribution__ip="ec2.amazonaws.com"),
    ]
    journal.append(events)
    url = serve().url
    plain = _run("new_ip.py", url, "--from", "earliest", "--limit", "5")
    geo = _run("new_ip.py", url, "--geoip", str(geoip), "--from", "earliest", "--limit", "5")
    who = base["data"]["attribution"]["principal"]["arn"]
    assert [line.split(": ")[0].split(" ", 2)[2] for line in plain] == [
        f"new IP 203.0.113.7 for {who}",
        f"new IP 2001:db8::1 for {who}",
    ]
    assert sum("new country BR" in line for line in geo) == 1
    assert sum("new country JP" in line for line in geo) == 1
    assert len(geo) == 4


def test_after_hours_burst_reports_the_night_hour_only(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """Thirty changes at 02:00 on a Sunday pass the baseline of the working-hours corpus and
    are reported once; the corpus' own hours (Monday, 11:00 and 12:00 UTC) are not."""
    corpus = sample_events[:200]
    night = [
        _variant(corpus[n % len(corpus)], f"night{n}") | {"time": f"2023-07-09T02:{n:02d}:00.000Z"}
        for n in range(30)
    ]
    journal.append([*corpus, *night])
    lines = _run(
        "after_hours_burst.py", serve().url, "--hours", "8-18", "--factor", "0.1",
        "--min-events", "25", "--from", "earliest", "--limit", str(230),
    )  # fmt: skip
    assert len(lines) == 1
    assert "burst of 25 changes in the hour from 2023-07-09T02:00:00+00:00" in lines[0]


def test_open_to_world_end_to_end_from_trail_records(
    redis_srv: RedisServer, journal: Journal, normalizer: Normalizer, tmp_path: Path
) -> None:
    """CloudTrail records (the corpus' up to its first security group rule, and project-written
    ones: an IPv6 ::/0 rule, a public copy of the corpus' bucket policy) go through
    `eventstream serve --ingest`; the example reports the world-open rules and the public
    policy, not the corpus' own policy (a CloudTrail service principal)."""
    records = list(read_jsonl(corpus_dir() / "cloudtrail" / "invictus.jsonl"))
    sg = next(r for r in records if r["eventName"] == "AuthorizeSecurityGroupIngress")
    trail = records[: records.index(sg) + 1]
    policy = next(r for r in records if r["eventName"] == "PutBucketPolicy")
    v6 = copy.deepcopy(sg) | {"eventID": "00000000-0000-4000-8000-000000000006"}
    v6["requestParameters"]["ipPermissions"] = {
        "items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipRanges": {},
                   "ipv6Ranges": {"items": [{"cidrIpv6": "::/0"}]}}]
    }  # fmt: skip
    public = copy.deepcopy(policy) | {"eventID": "00000000-0000-4000-8000-000000000007"}
    public["requestParameters"]["bucketPolicy"]["Statement"][0]["Principal"] = "*"
    trail = [*trail, policy, v6, public]
    path = tmp_path / "trail.jsonl"
    path.write_bytes(b"\n".join(codec.dumps(record) for record in trail) + b"\n")
    events = [event for record in trail for event in normalizer.normalize(record).events]
    expected = len({event["id"] for event in events})
    world = sum(
        1
        for event in events
        if event["data"]["change"]["operation"] == "AuthorizeSecurityGroupIngress"
        and "0.0.0.0/0" in codec.dumps(event["data"]["raw"]["requestParameters"]).decode()
    )
    args = ["--redis-url", redis_srv.url, "--prefix", journal.keys.prefix, "--ingest", str(path)]
    with process_server([*args, "--ingest-pace-s", "0"]) as server:
        deadline = time.monotonic() + 60
        while len(journal.ids()) < expected:
            assert time.monotonic() < deadline, f"{len(journal.ids())} of {expected} journaled"
            time.sleep(0.1)
        lines = _run("open_to_world.py", server.url, "--from", "earliest", "--limit", str(expected))
    assert world >= 1
    assert sum("ingress 0.0.0.0/0:" in line for line in lines) >= world
    assert sum("+ingress ::/0:22" in line for line in lines) == 1
    assert sum("PutBucketPolicy makes it public" in line for line in lines) == 1
    assert len(lines) == sum("ingress 0.0.0.0/0:" in line for line in lines) + 2
