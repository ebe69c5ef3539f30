"""The one JSON codec: every byte of JSON in or out of EventStream goes through here."""

from __future__ import annotations

import json
from typing import Any

import orjson

JSONDecodeError = orjson.JSONDecodeError

_DUMP_OPTIONS = 0
"""Keys are strings everywhere (JSON in, dicts built with literal keys); accepting other keys
(`OPT_NON_STR_KEYS`) would make every dump about 40 % slower."""


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse one JSON document; raises `JSONDecodeError` (a `ValueError`)."""
    return orjson.loads(data)


def dumps(value: Any) -> bytes:
    """Serialize to compact UTF-8 JSON on one line."""
    return orjson.dumps(value, option=_DUMP_OPTIONS)


def dumps_sorted(value: Any) -> bytes:
    """Compact JSON with sorted keys: one canonical form per value (content-derived ids).

    Never raises on what a parsed document holds: integers beyond 64 bits, which orjson does
    not write, go through the standard library's encoder, as does anything else it refuses
    (written as its `str`)."""
    try:
        return orjson.dumps(value, option=_DUMP_OPTIONS | orjson.OPT_SORT_KEYS)
    except TypeError:
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
        )
        return text.encode("utf-8", "surrogatepass")


def dumps_pretty(value: Any) -> bytes:
    """Serialize with two-space indentation and sorted keys (files meant for people and diffs)."""
    return orjson.dumps(value, option=_DUMP_OPTIONS | orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)


def raw(data: bytes) -> Any:
    """Already-serialized JSON bytes, embedded as they are by `dumps` (not parsed again)."""
    return orjson.Fragment(data)
