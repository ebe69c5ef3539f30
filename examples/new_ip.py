"""Alert when a principal makes a change from an IP address never seen for it, and from a new
country when a GeoIP database is given.

The GeoIP database is a CSV of IP ranges, one `first_ip,last_ip,country` per line (the
format of the free db-ip "IP to Country Lite" files, IPv4 and IPv6). The first address seen
for a principal is its baseline; changes made by AWS itself are not considered.

    python examples/new_ip.py http://127.0.0.1:8080 [--geoip FILE.csv] [--from earliest]
"""

from __future__ import annotations

import argparse
import bisect
import csv
import ipaddress
from pathlib import Path

from eventstream.client import StreamEvent, SyncEventStreamClient

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class GeoIP:
    """Country of an address from sorted, non-overlapping ranges."""

    def __init__(self, path: Path) -> None:
        rows: list[tuple[int, int, int, str]] = []
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                if len(row) < 3 or row[0].startswith("#"):
                    continue
                first, last = ipaddress.ip_address(row[0]), ipaddress.ip_address(row[1])
                rows.append((first.version, int(first), int(last), row[2].strip()))
        rows.sort()
        self.rows = rows
        self.starts = [(version, start) for version, start, _, _ in rows]

    def country(self, address: Address) -> str | None:
        index = bisect.bisect_right(self.starts, (address.version, int(address))) - 1
        if index >= 0:
            version, start, last, country = self.rows[index]
            if version == address.version and start <= int(address) <= last:
                return country
        return None


class Baselines:
    """Addresses and countries seen per principal."""

    def __init__(self, geoip: GeoIP | None) -> None:
        self.geoip = geoip
        self.addresses: dict[str, set[str]] = {}
        self.countries: dict[str, set[str]] = {}

    def check(self, event: StreamEvent) -> list[str]:
        attribution = event.attribution
        who = attribution.principal.arn or attribution.principal.id
        if attribution.method.value == "provider" or not who or not attribution.ip:
            return []
        try:
            address = ipaddress.ip_address(attribution.ip)
        except ValueError:
            return []  # a service name, not an address
        alerts = []
        known = self.addresses.setdefault(who, set())
        if known and attribution.ip not in known:
            alerts.append(f"new IP {attribution.ip} for {who}")
        known.add(attribution.ip)
        country = self.geoip.country(address) if self.geoip else None
        if country:
            countries = self.countries.setdefault(who, set())
            if countries and country not in countries:
                alerts.append(f"new country {country} for {who}")
            countries.add(country)
        return alerts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--geoip", type=Path, help="CSV of first_ip,last_ip,country")
    parser.add_argument("--token")
    parser.add_argument("--from", dest="start")
    parser.add_argument("--limit", type=int, default=0, help="stop after N events (0: never)")
    args = parser.parse_args()
    baselines = Baselines(GeoIP(args.geoip) if args.geoip else None)
    with SyncEventStreamClient(args.url, token=args.token) as client:
        for count, event in enumerate(client.events(start=args.start), start=1):
            for alert in baselines.check(event):
                print(f"ALERT {event.time} {alert}: {event.change.operation} {event.subject}")
            if count == args.limit:
                break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
