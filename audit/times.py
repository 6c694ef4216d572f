"""Timestamps from three sources (GitHub RFC 3339, Vercel epoch milliseconds, Pulumi history) as aware UTC."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

UTC = dt.timezone.utc
# Go's time.String(), which the github provider stores in state: "2026-11-22 03:18:01 +0000 UTC".
_GO = re.compile(r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) ([+-]\d\d)(\d\d)(?: \S+)?$")


def parse(value: Any) -> dt.datetime | None:
    """RFC 3339 or Go time text, epoch milliseconds, or a datetime (naive = UTC); None when absent or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value / 1000, tz=UTC)
    text = str(value).strip()
    go = _GO.match(text)
    if go:
        date, clock, hours, minutes = go.groups()
        clock = clock if "." not in clock else clock[:clock.index(".") + 7]  # Python keeps microseconds
        text = f"{date}T{clock}{hours}:{minutes}"
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso(value: Any) -> str | None:
    """A canonical `YYYY-MM-DDTHH:MM:SSZ` (UTC) for the report."""
    parsed = parse(value)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if parsed else None


def later(a: Any, b: Any) -> bool:
    """a is strictly later than b; False when either is unknown."""
    pa, pb = parse(a), parse(b)
    return bool(pa and pb and pa > pb)
