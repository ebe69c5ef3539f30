"""The scripts in `examples/`, run as users run them against a real server fed with corpus
events and project-written ones; each test checks what the script reported."""

from __future__ import annotations

import copy
import subprocess
import sys
from typing import Any

from tests.serve.conftest import Journal, ServerFactory
from tests.serve.servers import ROOT

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
