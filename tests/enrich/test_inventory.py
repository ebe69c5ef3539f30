"""The pure inventory model: arrival order never changes the final state."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from eventstream.enrich.inventory import AssetModel, Change, Version


@st.composite
def lives(draw: st.DrawFn) -> list[Change]:
    """An asset's events: distinct seconds, any actions, some carrying a configuration."""
    count = draw(st.integers(min_value=1, max_value=12))
    seconds = draw(st.lists(st.integers(0, 59), min_size=count, max_size=count, unique=True))
    changes = []
    for index, second in enumerate(sorted(seconds)):
        action = draw(st.sampled_from(["create", "update", "delete"]))
        config = draw(st.one_of(st.none(), st.integers(0, 5).map(lambda n: b'{"n":%d}' % n)))
        time = f"2024-01-01T00:00:{second:02d}.000Z"
        changes.append(Change(time, action, f"e{index}", None if action == "delete" else config))
    return changes


def fold(changes: list[Change], depth: int = 1000) -> tuple[AssetModel, list[bytes | None]]:
    """Apply `changes` in the given order; returns the model and each step's previous."""
    model = AssetModel(None, "", [], depth)
    previous = [model.apply(change).previous for change in changes]
    return model, previous


def state(model: AssetModel) -> tuple[int, str, bool, bytes | None]:
    current = model.current
    assert current is not None
    return (current.number, current.eid, current.deleted, current.config)


@settings(max_examples=300, deadline=None)
@given(life=lives(), seed=st.integers(0, 2**32))
def test_any_arrival_order_folds_to_the_in_order_state(life: list[Change], seed: int) -> None:
    in_order, _ = fold(life)
    shuffled = list(life)
    random.Random(seed).shuffle(shuffled)
    arrived, previous = fold(shuffled)
    assert state(arrived) == state(in_order)
    # The last event to arrive finds all its predecessors: its previous configuration is the
    # one of its own time, exactly as in order.
    last = shuffled[-1]
    _, expected = fold(life[: life.index(last) + 1])
    assert previous[-1] == expected[-1]


def test_previous_configuration_rules() -> None:
    create = Change("2024-01-01T00:00:01.000Z", "create", "a", b'{"v":1}')
    update = Change("2024-01-01T00:00:02.000Z", "update", "b", None)
    delete = Change("2024-01-01T00:00:03.000Z", "delete", "c", None)
    again = Change("2024-01-01T00:00:04.000Z", "create", "d", b'{"v":2}')
    model, previous = fold([create, update, delete, again])
    assert previous == [None, b'{"v":1}', b'{"v":1}', None]
    current = model.current
    assert current == Version(4, again.time, "create", "d", False, True, b'{"v":2}')


def test_same_second_orders_create_before_update_before_delete() -> None:
    update = Change("2024-01-01T00:00:01.000Z", "update", "z", None)
    create = Change("2024-01-01T00:00:01.000Z", "create", "y", b"{}")
    model, _ = fold([update, create])
    assert model.current is not None
    assert model.current.eid == "z"
    assert model.current.config == b"{}"


@st.composite
def partial_lives(draw: st.DrawFn) -> list[Change]:
    """Lives whose updates may carry part of the configuration (`event_partial`)."""
    changes = []
    for change in draw(lives()):
        if change.action == "update" and change.config is not None and draw(st.booleans()):
            key = draw(st.sampled_from(["p", "q"])).encode()
            changes.append(Change(change.time, "update", change.eid, b'{"%s":1}' % key, True))
        else:
            changes.append(change)
    return changes


@settings(max_examples=300, deadline=None)
@given(life=partial_lives(), seed=st.integers(0, 2**32))
def test_partial_configurations_fold_the_same_in_any_order(life: list[Change], seed: int) -> None:
    """Merged parts too: any arrival order ends in the in-order state."""
    in_order, _ = fold(life)
    shuffled = list(life)
    random.Random(seed).shuffle(shuffled)
    arrived, _ = fold(shuffled)
    assert state(arrived) == state(in_order)


def test_a_partial_configuration_is_merged_over_the_known_one() -> None:
    """A policy set on a known asset keeps the rest of its configuration; on an unknown one it
    is all that is known; after a delete and a new create it starts the new life alone."""
    create = Change("2024-01-01T00:00:01.000Z", "create", "a", b'{"a":1,"Policy":{"v":1}}')
    policy = Change("2024-01-01T00:00:02.000Z", "update", "b", b'{"Policy":{"v":2}}', True)
    model, previous = fold([create, policy])
    assert model.current is not None
    assert model.current.config == b'{"a":1,"Policy":{"v":2}}'
    assert previous[-1] == b'{"a":1,"Policy":{"v":1}}'
    alone, _ = fold([policy])
    assert alone.current is not None
    assert alone.current.config == b'{"Policy":{"v":2}}'


def test_a_partial_version_keeps_its_part_through_the_history() -> None:
    """The history entry of a partial event keeps the part it set, so folding an older event
    in later merges the same part again (not the merged configuration)."""
    policy = Change("2024-01-01T00:00:02.000Z", "update", "b", b'{"Policy":{"v":2}}', True)
    model, _ = fold([policy])
    assert model.current is not None
    decoded = Version.decode(model.current.encode())
    assert decoded == model.current
    assert decoded.change() == policy
    create = Change("2024-01-01T00:00:01.000Z", "create", "a", b'{"a":1}')
    model.apply(create)
    assert model.current.config == b'{"a":1,"Policy":{"v":2}}'
