"""RFC 6902 JSON Patch from `enrich.patch.diff`: applying the patch to `old` gives `new`.

The patch is applied by a small, strict RFC 6902 applier written here (add, remove, replace;
JSON Pointer unescaping; array indices), independent of the code under test. Equality is JSON
equality: `1`, `1.0` and `true` are different values.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstream.enrich.patch import diff

# --- a strict RFC 6902 applier (add / remove / replace) -------------------------------------


class PatchFailure(Exception):
    """An operation that RFC 6902 says must fail (the patch is then invalid)."""


def parse_pointer(pointer: str) -> list[str]:
    """RFC 6901: "" is the whole document; else "/"-separated tokens, `~1` → `/` then
    `~0` → `~` (in that order, so `~01` is `~1`, not `/`)."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchFailure(f"pointer {pointer!r} does not start with /")
    tokens = pointer[1:].split("/")
    for token in tokens:
        stripped = token.replace("~0", "").replace("~1", "")
        if "~" in stripped:
            raise PatchFailure(f"bad escape in {pointer!r}")
    return [token.replace("~1", "/").replace("~0", "~") for token in tokens]


def _index(token: str, length: int, *, insert: bool) -> int:
    if token == "-" and insert:
        return length
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PatchFailure(f"bad array index {token!r}")
    index = int(token)
    if index > length or (index == length and not insert):
        raise PatchFailure(f"array index {index} out of range (length {length})")
    return index


def _parent(document: Any, tokens: list[str]) -> Any:
    node = document
    for token in tokens:
        if isinstance(node, dict):
            if token not in node:
                raise PatchFailure(f"missing member {token!r}")
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(token, len(node), insert=False)]
        else:
            raise PatchFailure(f"cannot descend into {type(node).__name__}")
    return node


def _apply_one(result: Any, op: str, tokens: list[str], value: Any) -> Any:
    """`result` after one operation at `tokens` (changed in place unless at the root)."""
    if not tokens:
        if op == "remove":
            raise PatchFailure("cannot remove the whole document")
        return value
    parent = _parent(result, tokens[:-1])
    last = tokens[-1]
    if isinstance(parent, dict):
        if op != "add" and last not in parent:
            raise PatchFailure(f"{op} of missing member {last!r}")
        if op == "remove":
            del parent[last]
        else:
            parent[last] = value
    elif isinstance(parent, list):
        index = _index(last, len(parent), insert=op == "add")
        if op == "add":
            parent.insert(index, value)
        elif op == "remove":
            del parent[index]
        else:
            parent[index] = value
    else:
        raise PatchFailure(f"{op} inside a {type(parent).__name__}")
    return result


def apply_patch(document: Any, patch: list[dict[str, Any]]) -> Any:
    """`document` after `patch` (the input is not changed)."""
    result = copy.deepcopy(document)
    for operation in patch:
        op = operation["op"]
        if op in ("add", "replace"):
            assert set(operation) == {"op", "path", "value"}
        elif op == "remove":
            assert set(operation) == {"op", "path"}
        else:
            raise PatchFailure(f"unexpected op {op!r}")
        value = copy.deepcopy(operation.get("value"))
        result = _apply_one(result, op, parse_pointer(operation["path"]), value)
    return result


def json_equal(a: Any, b: Any) -> bool:
    """Type-strict JSON equality: bool, int and float never equal each other; objects are
    unordered; numbers of one type compare by value."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(json_equal(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


# --- strategies -----------------------------------------------------------------------------

_TRICKY_KEYS = ["a/b", "~", "~0", "~1", "/", "", "0", "-", "a~1b", "~01", "1"]
keys = st.sampled_from(_TRICKY_KEYS) | st.text(alphabet="ab/~01-", max_size=5) | st.text(max_size=5)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-3, max_value=3)
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0.0, 1.0, -1.0])
    | st.text(max_size=6)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=20,
)


@st.composite
def edited(draw: st.DrawFn, value: Any, depth: int = 0) -> Any:
    """`value` with a few edits somewhere inside: documents that share most of their shape,
    so the patch descends into objects and arrays instead of replacing the root."""
    choice = draw(st.integers(min_value=0, max_value=5))
    if choice == 0 or depth > 6:
        return draw(json_values)
    if isinstance(value, dict):
        out = dict(value)
        for key in list(out):
            action = draw(st.integers(min_value=0, max_value=4))
            if action == 0:
                del out[key]
            elif action == 1:
                out[key] = draw(edited(out[key], depth + 1))
        for key in draw(st.lists(keys, max_size=2)):
            out[key] = draw(json_values)
        return out
    if isinstance(value, list):
        items = list(value)
        if draw(st.booleans()) and items:
            position = draw(st.integers(min_value=0, max_value=len(items) - 1))
            items[position] = draw(edited(items[position], depth + 1))
        if draw(st.booleans()) and items:
            del items[draw(st.integers(min_value=0, max_value=len(items) - 1))]
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            position = draw(st.integers(min_value=0, max_value=len(items)))
            items.insert(position, draw(json_values))
        return items
    return draw(scalars) if choice < 4 else value


@st.composite
def related_pairs(draw: st.DrawFn) -> tuple[Any, Any]:
    old = draw(json_values)
    return old, draw(edited(old))


_PROPERTY = settings(max_examples=300, deadline=None)


def _check(old: Any, new: Any) -> None:
    before_old, before_new = copy.deepcopy(old), copy.deepcopy(new)
    patch = diff(old, new)
    assert json_equal(old, before_old), "diff changed its input"
    assert json_equal(new, before_new), "diff changed its input"
    assert {op["op"] for op in patch} <= {"add", "remove", "replace"}
    assert json_equal(apply_patch(old, patch), new), patch
    assert diff(old, new) == patch, "not deterministic"


@_PROPERTY
@given(json_values, json_values)
def test_patch_turns_any_document_into_any_other(old: Any, new: Any) -> None:
    _check(old, new)


@_PROPERTY
@given(related_pairs())
def test_patch_of_an_edited_document(pair: tuple[Any, Any]) -> None:
    old, new = pair
    _check(old, new)


@_PROPERTY
@given(json_values)
def test_equal_documents_give_an_empty_patch(document: Any) -> None:
    assert diff(document, copy.deepcopy(document)) == []


# --- concrete cases -------------------------------------------------------------------------


def test_applier_self_check() -> None:
    """The applier follows RFC 6901/6902 on the examples the tests below rely on."""
    assert parse_pointer("/a~1b/m~0n/~01") == ["a/b", "m~n", "~1"]
    assert apply_patch({"a": [1, 2]}, [{"op": "add", "path": "/a/-", "value": 3}]) == {
        "a": [1, 2, 3]
    }
    with pytest.raises(PatchFailure):
        apply_patch({"a": 1}, [{"op": "replace", "path": "/b", "value": 2}])
    with pytest.raises(PatchFailure):
        apply_patch([1], [{"op": "remove", "path": "/1"}])
    with pytest.raises(PatchFailure):
        apply_patch([1], [{"op": "add", "path": "/01", "value": 0}])
    assert not json_equal(1, 1.0)
    assert not json_equal(True, 1)
    assert not json_equal(0, False)
    assert json_equal({"a": 1, "b": 2}, {"b": 2, "a": 1})


def test_keys_with_slash_and_tilde_are_escaped() -> None:
    old = {"a/b": 1, "m~n": {"x": 1}, "~1": "keep", "gone/~": True}
    new = {"a/b": 2, "m~n": {"x": 2}, "~1": "keep", "new~/": None}
    patch = diff(old, new)
    assert patch == [
        {"op": "remove", "path": "/gone~1~0"},
        {"op": "replace", "path": "/a~1b", "value": 2},
        {"op": "replace", "path": "/m~0n/x", "value": 2},
        {"op": "add", "path": "/new~0~1", "value": None},
    ]
    assert json_equal(apply_patch(old, patch), new)


def test_key_that_looks_like_an_escape() -> None:
    """A key spelled `~1` must be escaped to `~01`, not read back as `/`."""
    old = {"~1": 1, "/": 1}
    new = {"~1": 2, "/": 1}
    assert diff(old, new) == [{"op": "replace", "path": "/~01", "value": 2}]


def test_array_grows_at_the_end_and_in_the_middle() -> None:
    assert diff([1, 2, 3], [1, 2, 3, 4, 5]) == [
        {"op": "add", "path": "/3", "value": 4},
        {"op": "add", "path": "/4", "value": 5},
    ]
    old, new = ["a", "z"], ["a", "b", "c", "z"]
    patch = diff(old, new)
    assert json_equal(apply_patch(old, patch), new)
    assert all(op["op"] == "add" for op in patch)


def test_array_shrinks_highest_index_first() -> None:
    patch = diff([1, 2, 3, 4, 5], [1, 5])
    assert patch == [
        {"op": "remove", "path": "/3"},
        {"op": "remove", "path": "/2"},
        {"op": "remove", "path": "/1"},
    ]
    assert apply_patch([1, 2, 3, 4, 5], patch) == [1, 5]
    assert json_equal(apply_patch([{"a": 1}, 2], diff([{"a": 1}, 2], [])), [])


def test_nested_array_inside_objects() -> None:
    old = {"Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}
    new = {"Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "3"}, {"Key": "c"}]}
    patch = diff(old, new)
    assert patch == [
        {"op": "replace", "path": "/Tags/1/Value", "value": "3"},
        {"op": "add", "path": "/Tags/2", "value": {"Key": "c"}},
    ]


@pytest.mark.parametrize(
    "document",
    [None, 0, 1.5, True, "", "x", [], {}, [1, [2, {"a": None}]], {"a/b": {"~": [1.0, 1, True]}}],
)
def test_equal_documents_give_no_operations(document: Any) -> None:
    assert diff(document, copy.deepcopy(document)) == []


def test_key_order_does_not_matter() -> None:
    assert diff({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1}) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [(1, 1.0), (1, True), (0, False), (1.0, True), ([1], [True]), ({"a": 0}, {"a": 0.0})],
)
def test_json_types_differ(old: Any, new: Any) -> None:
    """`1`, `1.0` and `true` are different JSON values: the patch carries the new type."""
    patch = diff(old, new)
    assert patch
    result = apply_patch(old, patch)
    assert json_equal(result, new)
    assert not json_equal(result, old)


def test_type_change_of_a_container_is_one_replace() -> None:
    assert diff({"a": [1]}, {"a": {"0": 1}}) == [{"op": "replace", "path": "/a", "value": {"0": 1}}]
    assert diff([1], {"0": 1}) == [{"op": "replace", "path": "", "value": {"0": 1}}]
