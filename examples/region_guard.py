"""Alert on changes in a region outside an allowed list (global services are always allowed).

python examples/region_guard.py http://127.0.0.1:8080 --allowed us-east-1,eu-west-1
"""

from __future__ import annotations

import argparse

from eventstream.client import StreamEvent, SyncEventStreamClient


def alert(event: StreamEvent, allowed: set[str]) -> str | None:
    region = event.asset.region
    if region == "global" or region in allowed:
        return None
    return (
        f"ALERT {event.time} {event.action.value} {event.subject} in region {region} "
        f"by {event.attribution.principal.arn} ({event.attribution.method.value})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--allowed", required=True, help="comma-separated regions")
    parser.add_argument("--token")
    parser.add_argument("--from", dest="start")
    parser.add_argument("--limit", type=int, default=0, help="stop after N events (0: never)")
    args = parser.parse_args()
    allowed = {region.strip() for region in args.allowed.split(",") if region.strip()}
    with SyncEventStreamClient(args.url, token=args.token) as client:
        for count, event in enumerate(client.events(start=args.start), start=1):
            line = alert(event, allowed)
            if line:
                print(line, flush=True)
            if count == args.limit:
                break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
