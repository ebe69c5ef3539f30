"""Every key of one asset (and the journal it commits into) lives in one Redis Cluster slot."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from eventstream.journal.keys import Keys

CLUSTER_SLOTS = 16384


def crc16(data: bytes) -> int:
    """CRC16-XMODEM, the checksum of the Redis Cluster specification."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def slot(key: str) -> int:
    """The cluster slot of `key`, hash tags included (the first non-empty `{...}`)."""
    raw = key.encode()
    start = raw.find(b"{")
    if start != -1:
        end = raw.find(b"}", start + 1)
        if end > start + 1:
            raw = raw[start + 1 : end]
    return crc16(raw) % CLUSTER_SLOTS


def test_crc16_matches_the_specification_example() -> None:
    assert crc16(b"123456789") == 0x31C3  # the check value given by the Cluster spec
    assert slot("{user1000}.following") == slot("{user1000}.followers")
    assert slot("foo{}{bar}") == crc16(b"foo{}{bar}") % CLUSTER_SLOTS


NAMES = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="{}"), max_size=80
)


@given(name=NAMES, event_id=st.uuids(), prefix=st.sampled_from(["es", "prod", "team-a"]))
def test_every_key_of_one_asset_hashes_to_one_slot(
    name: str, event_id: object, prefix: str
) -> None:
    keys = Keys(prefix=prefix)
    name = f"aws/123456789012/us-east-1/ec2/instance/{name}"
    touched = [keys.asset(name), keys.dedup(str(event_id)), keys.journal, keys.asset_index]
    assert len({slot(key) for key in touched}) == 1


def test_different_prefixes_are_different_deployments() -> None:
    assert Keys(prefix="a").journal != Keys(prefix="b").journal
    assert slot(Keys(prefix="es").journal) == slot("{es}")
