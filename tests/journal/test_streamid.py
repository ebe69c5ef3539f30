"""Stream ids: parsing, ordering, stepping back, and times."""

from __future__ import annotations

import pytest

from eventstream.journal import streamid


def test_parse_and_text_round_trip() -> None:
    """An id parses to a pair that prints back the same; a bare number means sequence 0."""
    assert streamid.parse("1690000000000-3") == (1690000000000, 3)
    assert streamid.text(streamid.parse("1690000000000-3")) == "1690000000000-3"
    assert streamid.parse("5") == (5, 0)


@pytest.mark.parametrize(
    "bad", ["", "x", "1-", "-1", "1-2-3", "1 2", "1\x002", "99999999999999999999999-0"]
)
def test_parse_rejects_what_is_not_an_id(bad: str) -> None:
    """Anything but digits, a dash and digits (in range) is refused."""
    with pytest.raises(ValueError, match="stream id"):
        streamid.parse(bad)


def test_before_steps_to_the_previous_id() -> None:
    """`before` gives the greatest smaller id, across a millisecond boundary too."""
    assert streamid.before((10, 3)) == (10, 2)
    assert streamid.before((10, 0)) == (9, streamid.MAX_SEQ)
    assert streamid.before(streamid.ZERO) == streamid.ZERO


def test_of_time_reads_rfc3339_and_epoch_ms() -> None:
    """Times become the first id of their millisecond; a time without offset is refused."""
    assert streamid.of_time("1970-01-01T00:00:01.5Z") == (1500, 0)
    assert streamid.of_time("1700000000000") == (1700000000000, 0)
    with pytest.raises(ValueError, match="offset"):
        streamid.of_time("2024-01-01T00:00:00")
