"""Notifications (issue 18): airhost "Notifications Slack/Discord".

    python scripts/notify.py --event production-deploy --stack production --commit SHA --actor LOGIN --link URL
                             [--detail TEXT]

Posts one message to the webhook of Pulumi.yaml's `notifications: {format: slack | discord}`. The webhook URL is
a secret (the environment secret RELEASE_NOTIFY_WEBHOOK of `staging`, `production` and `drift`), never in config or output.
Events: production-deploy, emergency, health-check-failed, drift. The message says what, which commit, who, and
links the run or issue; it never carries a secret value (only these fields; anything that looks like a key is
redacted). Without `notifications` or without the secret it posts nothing; a failed post warns and exits 0 (a
notification never fails a deploy) unless --strict.

Payloads: Slack incoming webhooks take `{"text": ...}` (mrkdwn, links `<url|label>`), with `blocks` for layout
(https://api.slack.com/messaging/webhooks); Discord's Execute Webhook takes `{"content": ...}` (at most 2000
characters) and `allowed_mentions` (https://discord.com/developers/docs/resources/webhook#execute-webhook).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python scripts/notify.py` without the editable install
    sys.path.insert(0, str(ROOT))

from topology.project import read_topology  # noqa: E402
from topology.seed_rules import NOTIFY_SECRET  # noqa: E402

EVENTS = {
    "production-deploy": "Production deploy",
    "emergency": "EMERGENCY deploy",
    "health-check-failed": "Health check FAILED",
    "drift": "New drift finding",
}
DISCORD_MAX = 2000
# What must never leave in a message even if someone pastes it into a reason: Stripe keys and webhook secrets,
# GitHub tokens, JWTs, Slack/Discord webhook URLs.
SECRET_LIKE = re.compile(
    r"(?:sk|pk|rk)_(?:live|test)_\w+|whsec_\w+|gh[pousr]_\w{20,}|github_pat_\w+|eyJ[\w-]{10,}\.[\w-]+\.[\w-]+"
    r"|https://hooks\.slack\.com/\S+|https://(?:\w+\.)?discord(?:app)?\.com/api/webhooks/\S+")


@dataclass(frozen=True)
class Event:
    kind: str
    stack: str
    commit: str
    actor: str
    link: str
    detail: str = ""


def redact(text: str) -> str:
    return SECRET_LIKE.sub("[redacted]", text)


def summary(event: Event) -> str:
    what = EVENTS[event.kind]
    line = f"{what}: {event.stack} at {event.commit[:12]} by {event.actor}"
    return redact(line + (f" ({event.detail})" if event.detail else ""))


def payload(fmt: str, event: Event) -> dict:
    """The webhook's JSON body in the declared format."""
    text = summary(event)
    if fmt == "slack":
        return {"text": f"{text} <{event.link}|details>",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*\n<{event.link}|{event.link}>"}}]}
    if fmt == "discord":
        content = f"**{text}**\n{event.link}"
        return {"content": content[:DISCORD_MAX], "allowed_mentions": {"parse": []}}
    raise ValueError(f"unknown notification format {fmt!r}")


def post(url: str, body: dict, timeout: float = 10.0) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "release-topology"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the declared webhook
        return response.status


def notify(event: Event, *, root: Path = ROOT, environ: Mapping[str, str] = os.environ, strict: bool = False,
           send: Callable[[str, dict], int] = post, out=print) -> int:
    notifications = read_topology(root / "Pulumi.yaml").notifications
    if notifications is None:
        out("notifications: not declared in Pulumi.yaml; nothing posted")
        return 0
    url = environ.get(NOTIFY_SECRET, "").strip()
    if not url:
        out(f"::warning title=Notification not sent::the environment secret {NOTIFY_SECRET} is not set")
        return 1 if strict else 0
    try:
        status = send(url, payload(notifications.format, event))
    except (urllib.error.URLError, OSError) as error:
        # The error may quote the URL (a secret): say what failed, not where.
        out(f"::warning title=Notification not sent::{notifications.format} webhook: {type(error).__name__}")
        return 1 if strict else 0
    out(f"notified ({notifications.format}, {status}): {summary(event)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/notify.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--event", required=True, choices=sorted(EVENTS))
    parser.add_argument("--stack", required=True)
    parser.add_argument("--commit", required=True)
    parser.add_argument("--actor", required=True)
    parser.add_argument("--link", required=True)
    parser.add_argument("--detail", default="")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the message could not be posted")
    args = parser.parse_args(argv)
    event = Event(args.event, args.stack, args.commit, args.actor, args.link, args.detail)
    return notify(event, strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
