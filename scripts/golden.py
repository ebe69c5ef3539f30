"""Write a golden case from a corpus record: `python scripts/golden.py FAMILY CASE FILE EVENT_ID`.

The expected events are today's output: read them and correct them by hand before committing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from eventstream import codec
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "normalize" / "golden"


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    family, case, file, event_id = argv
    with open(file, "rb") as handle:
        records = [codec.loads(line) for line in handle if line.strip()]
    matches = [r for r in records if event_id in (r.get("eventID"), r.get("id"))]
    if not matches:
        print(f"event_id={event_id} not found in {file}", file=sys.stderr)
        return 1
    record = matches[0]
    events = Normalizer(default_registry()).normalize(record).events
    for event in events:
        del event["data"]["raw"]
    target = GOLDEN / family / f"{case}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(codec.dumps_pretty({"input": record, "expected": events}) + b"\n")
    print(f"wrote {target} ({len(events)} events)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
