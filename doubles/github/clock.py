"""A clock whose every tick is a strictly later second.

GitHub stamps `updated_at` with second resolution (RFC 3339, `Z`). The provider detects secret drift
by comparing `updated_at` strings, so two writes in the same second must still differ: each tick is
max(wall clock, previous tick + 1 s). Under a burst of writes the double's clock runs ahead of the wall
clock by at most the number of writes in the burst; it never goes backwards.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Callable


def rfc3339(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class StrictClock:
    """Not thread-safe on its own: the store calls it under its lock."""

    def __init__(self, now: Callable[[], float] = time.time):
        self._now = now
        self._last = 0
        self._offset = 0  # seconds a test moved the clock forward (wait timers)

    def advance(self, seconds: int) -> None:
        """Move the double's time forward, e.g. past an environment's wait timer."""
        self._offset += int(seconds)
        self._last += int(seconds)  # ticks may run ahead of the wall clock: they move forward as much

    def seconds(self) -> int:
        """The current second, without ticking."""
        return max(int(self._now()) + self._offset, self._last)

    def tick(self) -> str:
        self._last = max(int(self._now()) + self._offset, self._last + 1)
        return rfc3339(self._last)
