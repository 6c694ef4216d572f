"""Last line of defence: any secret value the audit held in memory is cut out of every text it emits.

The audit reads decrypted config secrets only to fingerprint them; it registers each value here as
it reads it, and the report, the Markdown and the log lines pass through `scrub` before they leave
the process. Findings are built without values in the first place; this catches what a provider
or the engine might echo in an error message.
"""

from __future__ import annotations

import json
import threading

MIN_LENGTH = 6  # shorter values ("1", "true") would shred ordinary text and are no real secrets
MASK = "[secret]"


class Redactor:
    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: object) -> None:
        if isinstance(value, str) and len(value) >= MIN_LENGTH:
            forms = {value, json.dumps(value)[1:-1]}  # as is, and as it appears inside a JSON string
            with self._lock:
                self._values |= forms

    def scrub(self, text: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            text = text.replace(value, MASK)
        return text
