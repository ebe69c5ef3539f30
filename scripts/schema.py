"""Write (or with --check, verify) the JSON Schema of `AssetEvent` under `schemas/`."""

from __future__ import annotations

import sys
from pathlib import Path

from eventstream import codec
from eventstream.models.event import SCHEMA_FILE, json_schema

TARGET = Path(__file__).resolve().parent.parent / "schemas" / SCHEMA_FILE


def main(argv: list[str]) -> int:
    generated = codec.dumps_pretty(json_schema()) + b"\n"
    if "--check" in argv:
        if not TARGET.is_file() or TARGET.read_bytes() != generated:
            print(f"{TARGET} is out of date: run `make schema`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_bytes(generated)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
