"""Environment secrets for real: per-environment X25519 keys and keyed fingerprints.

The provider seals each value with `box.SealAnonymous` (libsodium `crypto_box_seal`), which PyNaCl's
`SealedBox(private_key).decrypt` opens. The double keeps no plaintext: only an HMAC-SHA256 of the value
under a key drawn per double, so a test can prove a value arrived intact (`fingerprint(candidate)`)
while a state dump or a log never shows it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as random

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox


class Fingerprinter:
    def __init__(self) -> None:
        self._key = random.token_bytes(32)

    def __call__(self, value: str | bytes) -> str:
        data = value.encode() if isinstance(value, str) else value
        return "hmac-sha256:" + hmac.new(self._key, data, hashlib.sha256).hexdigest()


class EnvKeypair:
    """The public key GitHub hands out for one environment, and the private half that opens it."""

    def __init__(self) -> None:
        self._private = PrivateKey.generate()
        # GitHub's key ids are long decimal strings (e.g. "568250167242549743").
        self.key_id = str(random.randbelow(10**18 - 10**17) + 10**17)
        self.public_b64 = base64.b64encode(bytes(self._private.public_key)).decode()

    def open(self, encrypted_b64: str) -> bytes | None:
        """The plaintext bytes, or None if the value is not a box sealed to this key."""
        try:
            sealed = base64.b64decode(encrypted_b64, validate=True)
            return SealedBox(self._private).decrypt(sealed)
        except (binascii.Error, ValueError, CryptoError):
            return None
