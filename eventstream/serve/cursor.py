"""Opaque cursors: positions handed to a scoped client without telling it anything else.

A page's `next`/`last`, a live stream's first `id:`, a `reset` event's position and the
inventory's `next` name are positions in data the client may not see (the newest entry of the
journal may be another account's, and its id is the time of that account's last change). A
client whose token is scoped gets them sealed: `c1.` + base64url(nonce, ciphertext, tag), the
position encrypted with a keystream of HMAC-SHA256 over (nonce, counter) and authenticated with
HMAC-SHA256 (encrypt-then-MAC), keys derived from one secret kept in Redis (`Keys.cursor_secret`,
created once, shared by every replica). Sealed cursors are accepted back wherever a raw
position is; a forged or altered one is a 400. Each is sealed with a fresh nonce, so two
cursors of the same position cannot be told equal.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from redis.asyncio import Redis

from eventstream.journal.keys import Keys

PREFIX = "c1."
_NONCE = 12
_TAG = 16
_BLOCK = 32  # SHA-256 output


class Cursors:
    """Seals and opens cursors with one secret."""

    def __init__(self, secret: bytes) -> None:
        self._enc = hmac.new(secret, b"eventstream cursor encryption", hashlib.sha256).digest()
        self._mac = hmac.new(secret, b"eventstream cursor authentication", hashlib.sha256).digest()

    def _stream(self, nonce: bytes, size: int) -> bytes:
        blocks = (size + _BLOCK - 1) // _BLOCK
        return b"".join(
            hmac.new(self._enc, nonce + n.to_bytes(4, "big"), hashlib.sha256).digest()
            for n in range(blocks)
        )[:size]

    def _tag(self, body: bytes) -> bytes:
        return hmac.new(self._mac, body, hashlib.sha256).digest()[:_TAG]

    def seal(self, position: str) -> str:
        plain = position.encode()
        nonce = secrets.token_bytes(_NONCE)
        cipher = bytes(a ^ b for a, b in zip(plain, self._stream(nonce, len(plain)), strict=True))
        body = nonce + cipher
        return PREFIX + base64.urlsafe_b64encode(body + self._tag(body)).decode().rstrip("=")

    def open(self, cursor: str) -> str:
        """The position sealed in `cursor`; raises `ValueError` for anything else."""
        if not is_sealed(cursor):
            raise ValueError("not a sealed cursor")
        text = cursor[len(PREFIX) :]
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except ValueError:
            raise ValueError("not a sealed cursor") from None
        if len(raw) < _NONCE + _TAG:
            raise ValueError("not a sealed cursor")
        body, tag = raw[:-_TAG], raw[-_TAG:]
        if not hmac.compare_digest(tag, self._tag(body)):
            raise ValueError("the cursor was not issued by this deployment")
        nonce, cipher = body[:_NONCE], body[_NONCE:]
        plain = bytes(a ^ b for a, b in zip(cipher, self._stream(nonce, len(cipher)), strict=True))
        try:
            return plain.decode()
        except UnicodeDecodeError:
            raise ValueError("not a sealed cursor") from None


def is_sealed(text: str) -> bool:
    return text.startswith(PREFIX)


async def load(redis: Redis, keys: Keys) -> Cursors:
    """The deployment's cursors: its secret is created in Redis by the first replica."""
    await redis.set(keys.cursor_secret, secrets.token_bytes(32), nx=True)
    secret = await redis.get(keys.cursor_secret)
    if not isinstance(secret, bytes) or len(secret) < 16:
        raise ValueError(f"{keys.cursor_secret} does not hold a cursor secret")
    return Cursors(secret)
