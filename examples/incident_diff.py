"""Print a readable diff of every change of one asset since a time, during an incident.

    python examples/incident_diff.py http://127.0.0.1:8080 --asset NAME --since 2023-07-10T12:00:00Z

It reads the journal from `--since` with the asset's name as the filter, and prints each
change made since then (by its event time: the journal also holds, after `--since`, changes
made before it that CloudTrail delivered late): who, how, and the JSON Patch (or, without
one, the configuration before and after).
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime

from eventstream import codec
from eventstream.client import EventStreamClient, StreamEvent, patch_summary


def describe(event: StreamEvent) -> list[str]:
    who = event.attribution.principal.arn or event.attribution.principal.name or "-"
    lines = [
        f"== {event.time} {event.action.value} {event.change.operation} "
        f"by {who} via {event.attribution.method.value} from {event.attribution.ip or '-'}"
    ]
    for op in event.changes or []:
        value = "" if op.op == "remove" else " " + codec.dumps(op.value).decode()
        lines.append(f"   {op.op:<7} {op.path}{value}")
    if not event.changes:
        summary = patch_summary(event)
        if summary:
            lines.append(f"   {summary}")
        if event.previous_configuration is not None:
            lines.append(f"   before: {codec.dumps(event.previous_configuration).decode()}")
        if event.configuration is not None:
            lines.append(f"   after:  {codec.dumps(event.configuration).decode()}")
    return lines


def moment(text: str) -> datetime | None:
    """`--since` as a time (None for `earliest`): RFC 3339, or epoch milliseconds."""
    if text == "earliest":
        return None
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def changes(url: str, asset: str, since: str, token: str | None, idle_s: float) -> int:
    """Print the asset's changes from `since` until the stream has been quiet for `idle_s`."""
    count = 0
    start = moment(since)
    async with EventStreamClient(url, token=token) as client:
        subscription = client.subscribe(start=since, subject_prefixes=asset)
        while True:
            try:
                event = await asyncio.wait_for(anext(subscription), idle_s)
            except TimeoutError:
                break
            made = datetime.fromisoformat(event.time.replace("Z", "+00:00"))
            if event.subject == asset and (start is None or made >= start):
                count += 1
                print("\n".join(describe(event)), flush=True)
        await subscription.aclose()
    print(f"{count} change(s) of {asset} since {since}", flush=True)
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--asset", required=True, help="the asset's name (the event subject)")
    parser.add_argument("--since", required=True, help="RFC 3339 time, epoch ms or `earliest`")
    parser.add_argument("--token")
    parser.add_argument("--idle-s", type=float, default=2.0, help="stop after this long quiet")
    args = parser.parse_args()
    asyncio.run(changes(args.url, args.asset, args.since, args.token, args.idle_s))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
