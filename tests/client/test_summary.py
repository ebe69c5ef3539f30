"""One-line descriptions of events: security group rules, patch paths, colours."""

from __future__ import annotations

import copy
from typing import Any

from eventstream import codec
from eventstream.client import AssetEvent, StreamEvent, event_line, patch_summary, rules_of


def _event(base: dict[str, Any], operation: str, params: Any = None, **data: Any) -> StreamEvent:
    made = copy.deepcopy(base)
    made["data"]["change"]["operation"] = operation
    if params is not None:
        made["data"]["raw"] = {"requestParameters": params}
    made["data"].update(data)
    return StreamEvent("1-0", AssetEvent.model_validate_json(codec.dumps(made)))


def test_rules_of_every_form(sample_events: list[dict[str, Any]]) -> None:
    """IPv4 and IPv6 ranges, port ranges, all protocols, revokes, egress, the flat form."""
    base = sample_events[0]
    nested = {
        "ipPermissions": {
            "items": [
                {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
                 "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}, {"cidrIp": "10.0.0.0/8"}]},
                 "ipv6Ranges": {"items": [{"cidrIpv6": "::/0"}]}},
                {"ipProtocol": "-1", "ipRanges": {"items": [{"cidrIp": "192.0.2.0/24"}]}},
                {"ipProtocol": "udp", "fromPort": 1000, "toPort": 2000,
                 "ipRanges": {"items": [{"cidrIp": "198.51.100.1/32"}]}},
            ]
        }
    }  # fmt: skip
    rules = rules_of(_event(base, "AuthorizeSecurityGroupIngress", nested))
    assert [str(rule) for rule in rules] == [
        "+ingress 0.0.0.0/0:22",
        "+ingress 10.0.0.0/8:22",
        "+ingress ::/0:22",
        "+ingress 192.0.2.0/24:all",
        "+ingress 198.51.100.1/32:1000-2000",
    ]
    flat = {"cidrIp": "0.0.0.0/0", "fromPort": 3389, "toPort": 3389, "ipProtocol": "tcp"}
    assert [str(r) for r in rules_of(_event(base, "RevokeSecurityGroupEgress", flat))] == [
        "-egress 0.0.0.0/0:3389"
    ]
    assert rules_of(_event(base, "CreateBucket", nested)) == []


def test_patch_summary_and_lines(sample_events: list[dict[str, Any]]) -> None:
    """Without rules the summary lists the patch paths (three, then a count); a line has the
    fields in order, coloured only when asked."""
    base = sample_events[0]
    changes = [
        {"op": "replace", "path": "/Policy", "value": "x"},
        {"op": "add", "path": "/Tags/2", "value": {}},
        {"op": "remove", "path": "/Old"},
        {"op": "add", "path": "/More", "value": 1},
    ]
    event = _event(base, "PutBucketPolicy", changes=changes)
    assert patch_summary(event) == "~/Policy +/Tags/2 -/Old (+1 more)"
    plain = event_line(event)
    coloured = event_line(event, color=True)
    assert plain.startswith(f"{base['time']} {base['data']['change']['action']}")
    assert base["subject"] in plain
    assert plain.endswith("~/Policy +/Tags/2 -/Old (+1 more)")
    assert "\x1b[" not in plain
    assert "\x1b[" in coloured
    assert coloured.replace("\x1b[0m", "").count("\x1b[") == 4
