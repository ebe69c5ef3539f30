"""RFC 6902 JSON Patch from one JSON document to another: `diff(old, new)`.

Deterministic: the same two documents always give the same patch, operations in this order:
for an object, removed keys (in `old`'s order), then changed keys (recursively, in `old`'s
order), then added keys (in `new`'s order); for an array, after skipping the common head and
tail, the pairs at the same index are diffed, then surplus old items are removed (highest index
first, so every path is valid when applied in order) or new items are added (lowest first).
Only `add`, `remove` and `replace` are produced. JSON types are compared as JSON sees them:
`1`, `1.0` and `true` are different values in a document, so `True` never equals `1` here.
"""

from __future__ import annotations

from typing import Any

Patch = list[dict[str, Any]]


def diff(old: Any, new: Any) -> Patch:
    """The operations that turn `old` into `new` (an empty list when they are equal)."""
    patch: Patch = []
    _diff(old, new, "", patch)
    return patch


def escape(token: str) -> str:
    """One JSON Pointer reference token (RFC 6901): `~` → `~0`, `/` → `~1`."""
    return token.replace("~", "~0").replace("/", "~1")


def equal(a: Any, b: Any) -> bool:
    """JSON equality: like `==`, but booleans, integers and floats of equal value differ."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(equal(value, b[key]) for key, value in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _diff(old: Any, new: Any, path: str, patch: Patch) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        _diff_objects(old, new, path, patch)
    elif isinstance(old, list) and isinstance(new, list):
        _diff_arrays(old, new, path, patch)
    elif not equal(old, new):
        patch.append({"op": "replace", "path": path, "value": new})


def _diff_objects(old: dict[str, Any], new: dict[str, Any], path: str, patch: Patch) -> None:
    for key in old:
        if key not in new:
            patch.append({"op": "remove", "path": f"{path}/{escape(key)}"})
    for key, value in old.items():
        if key in new:
            _diff(value, new[key], f"{path}/{escape(key)}", patch)
    for key, value in new.items():
        if key not in old:
            patch.append({"op": "add", "path": f"{path}/{escape(key)}", "value": value})


def _diff_arrays(old: list[Any], new: list[Any], path: str, patch: Patch) -> None:
    head = 0
    limit = min(len(old), len(new))
    while head < limit and equal(old[head], new[head]):
        head += 1
    tail = 0
    while tail < limit - head and equal(old[-1 - tail], new[-1 - tail]):
        tail += 1
    old_middle = len(old) - head - tail
    new_middle = len(new) - head - tail
    for offset in range(min(old_middle, new_middle)):
        index = head + offset
        _diff(old[index], new[index], f"{path}/{index}", patch)
    for index in range(head + old_middle - 1, head + new_middle - 1, -1):
        patch.append({"op": "remove", "path": f"{path}/{index}"})
    for index in range(head + old_middle, head + new_middle):
        patch.append({"op": "add", "path": f"{path}/{index}", "value": new[index]})
