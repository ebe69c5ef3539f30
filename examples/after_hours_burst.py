"""Alert on a burst of changes outside working hours: changes are counted per hour (of their
event time); an hour outside working hours whose count passes `--factor` times the baseline
(the mean count of the hours seen before it) and at least `--min-events` is reported once.

    python examples/after_hours_burst.py http://127.0.0.1:8080 --hours 8-18 --utc-offset 1
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone

from eventstream.client import StreamEvent, SyncEventStreamClient


class Bursts:
    def __init__(self, hours: tuple[int, int], offset_h: float, factor: float, floor: int) -> None:
        self.start_h, self.end_h = hours
        self.zone = timezone(timedelta(hours=offset_h))
        self.factor = factor
        self.floor = floor
        self.counts: dict[datetime, int] = {}
        self.reported: set[datetime] = set()

    def working(self, moment: datetime) -> bool:
        return moment.weekday() < 5 and self.start_h <= moment.hour < self.end_h

    def check(self, event: StreamEvent) -> str | None:
        moment = datetime.fromisoformat(event.time.replace("Z", "+00:00")).astimezone(self.zone)
        hour = moment.replace(minute=0, second=0, microsecond=0)
        count = self.counts[hour] = self.counts.get(hour, 0) + 1
        if self.working(hour) or hour in self.reported:
            return None
        others = [n for h, n in self.counts.items() if h != hour]
        baseline = sum(others) / len(others) if others else 0.0
        if count >= max(self.floor, self.factor * baseline):
            self.reported.add(hour)
            return (
                f"ALERT burst of {count} changes in the hour from {hour.isoformat()} "
                f"(outside working hours; baseline {baseline:.1f} per hour)"
            )
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--hours", default="8-18", help="working hours, e.g. 8-18")
    parser.add_argument("--utc-offset", type=float, default=0.0, help="hours east of UTC")
    parser.add_argument("--factor", type=float, default=3.0)
    parser.add_argument("--min-events", type=int, default=10)
    parser.add_argument("--token")
    parser.add_argument("--from", dest="start")
    parser.add_argument("--limit", type=int, default=0, help="stop after N events (0: never)")
    args = parser.parse_args()
    first, _, last = args.hours.partition("-")
    bursts = Bursts((int(first), int(last)), args.utc_offset, args.factor, args.min_events)
    with SyncEventStreamClient(args.url, token=args.token) as client:
        for count, event in enumerate(client.events(start=args.start), start=1):
            alert = bursts.check(event)
            if alert:
                print(alert, flush=True)
            if count == args.limit:
                break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
