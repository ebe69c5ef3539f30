"""Test events in several accounts and regions, made from real normalized events."""

from __future__ import annotations

import copy
from typing import Any

ACCOUNTS = ("111111111111", "222222222222", "333333333333")
REGIONS = ("us-east-1", "eu-west-1")


def variant(event: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    """`event` moved to another account and region, with its names and ids kept consistent (as
    recorded by that account's own trail: the raw record's `recipientAccountId` and the
    caller's account move too)."""
    out = copy.deepcopy(event)
    data = out["data"]
    if isinstance(data.get("raw"), dict) and "recipientAccountId" in data["raw"]:
        data["raw"]["recipientAccountId"] = account
    principal = data["attribution"]["principal"]
    if principal.get("account"):
        principal["account"] = account
    asset = out["data"]["asset"]
    old = f"aws/{asset['account']}/{asset['region']}/"
    region_out = asset["region"] if asset["region"] == "global" else region
    new = f"aws/{account}/{region_out}/"
    asset["account"], asset["region"] = account, region_out
    asset["name"] = asset["name"].replace(old, new, 1)
    out["subject"] = asset["name"]
    out["source"] = f"aws/{account}/{region_out}"
    out["id"] = f"{out['id']}-{account}-{region_out}"
    return out


def spread(events: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """`count` events cycling over `ACCOUNTS` and `REGIONS`."""
    out = []
    for index in range(count):
        account = ACCOUNTS[index % len(ACCOUNTS)]
        region = REGIONS[(index // len(ACCOUNTS)) % len(REGIONS)]
        out.append(variant(events[index % len(events)], account, region))
    return out
