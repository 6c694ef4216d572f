"""Keyed fingerprints of values: what the double keeps instead of a secret.

HMAC-SHA256 under a key drawn per double (as doubles/github does): a test proves a value reached Vercel
intact with `fingerprint(candidate)`, while a state dump or the log never shows it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


class Fingerprinter:
    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def __call__(self, value: str | bytes) -> str:
        data = value.encode() if isinstance(value, str) else value
        return "hmac-sha256:" + hmac.new(self._key, data, hashlib.sha256).hexdigest()
