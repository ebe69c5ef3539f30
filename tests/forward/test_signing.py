"""Standard Webhooks signatures, verified by the third-party `standardwebhooks` package."""

from __future__ import annotations

import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from eventstream.config.webhooks import secret_key
from eventstream.forward import signing
from tests.forward.conftest import OLD_SECRET, SECRET

BODY = b'{"id":"5bc8acee","type":"io.eventstream.asset.update"}\n'


def _headers(body: bytes = BODY, timestamp: int | None = None) -> dict[str, str]:
    keys = [secret_key(SECRET)]
    return signing.headers(keys, signing.message_id("siem", ["1-0", "2-0"]), body, timestamp)


def test_signature_verifies() -> None:
    """The package accepts our headers for the body as sent."""
    Webhook(SECRET).verify(BODY, _headers(), json_parse=False)


@pytest.mark.parametrize("position", [0, 1, len(BODY) // 2, len(BODY) - 1])
def test_one_changed_byte_is_rejected(position: int) -> None:
    """Changing any one byte of the body breaks the signature."""
    changed = bytearray(BODY)
    changed[position] = (changed[position] + 1) % 128 or 1
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(bytes(changed), _headers(), json_parse=False)


def test_changed_id_or_timestamp_is_rejected() -> None:
    """The id and the timestamp are signed too."""
    headers = _headers()
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(BODY, {**headers, "webhook-id": "msg_other"}, json_parse=False)
    later = str(int(headers["webhook-timestamp"]) + 1)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(BODY, {**headers, "webhook-timestamp": later}, json_parse=False)


def test_old_timestamp_is_rejected() -> None:
    """A request signed more than five minutes ago is refused by the receiver."""
    headers = _headers(timestamp=int(time.time()) - 6 * 60)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(SECRET).verify(BODY, headers, json_parse=False)


def test_rotation_signs_with_every_secret_newest_first() -> None:
    """With two secrets, a receiver knowing either one verifies; the newest signs first."""
    keys = [secret_key(SECRET), secret_key(OLD_SECRET)]
    headers = signing.headers(keys, "msg_1", BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(SECRET).verify(BODY, headers, json_parse=False)
    Webhook(OLD_SECRET).verify(BODY, headers, json_parse=False)
    newest = signing.headers(keys[:1], "msg_1", BODY, int(headers["webhook-timestamp"]))
    assert headers["webhook-signature"].startswith(newest["webhook-signature"])


def test_message_id_is_stable_per_delivery() -> None:
    """The same destination and entries give the same id; anything else another."""
    one = signing.message_id("siem", ["1-0", "2-0"])
    assert one == signing.message_id("siem", ["1-0", "2-0"])
    assert one != signing.message_id("siem", ["1-0"])
    assert one != signing.message_id("other", ["1-0", "2-0"])
    assert one.startswith("msg_")
