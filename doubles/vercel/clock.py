"""Millisecond timestamps and Vercel-looking ids.

Vercel stamps `createdAt`/`updatedAt` in epoch milliseconds. Our drift audit compares a sensitive variable's
`updatedAt` with the last update's end, and env pagination uses `createdAt` as its cursor (`until`), so two
writes must never share a stamp: each tick is max(wall clock, previous tick + 1 ms).
"""

from __future__ import annotations

import secrets
import string
import time
from typing import Callable

_ALPHABET = string.ascii_letters + string.digits


class StrictClock:
    """Not thread-safe on its own: the store calls it under its lock."""

    def __init__(self, now: Callable[[], float] = time.time):
        self._now = now
        self._last = 0

    def tick(self) -> int:
        self._last = max(int(self._now() * 1000), self._last + 1)
        return self._last


def random_id(prefix: str = "", length: int = 24) -> str:
    """`prj_` + 28 characters for projects, 16 for env vars (the lengths Vercel's ids have) [guess: alphabet]."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))
