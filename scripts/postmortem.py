"""Post-mortem after an emergency (issue 18): koomy §9 "Post-mortem obligatoire".

    python scripts/postmortem.py --stack production --reason TEXT --commit SHA --run-url URL

Run by the deploy workflow after an emergency deploy: lists the post-mortems still open (so this emergency sees
them), then opens one issue assigned to the production stack's reviewers, with the reason, the commit and the run,
labelled with Pulumi.yaml's `postMortem.labels` (REST: GET and POST /repos/{owner}/{repo}/issues). Needs
GITHUB_TOKEN (issues: write); GITHUB_API_URL (default https://api.github.com) and GITHUB_REPOSITORY (default the
declared repository) as Actions sets them. Without `postMortem` in Pulumi.yaml it does nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.parse
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python scripts/postmortem.py` without the editable install
    sys.path.insert(0, str(ROOT))

from audit.rest import RestError, github_call as rest  # noqa: E402  (the project's one GitHub client)
from topology.project import production_reviewers, read_topology  # noqa: E402

Request = Callable[[str, str, Any], tuple[int, Any]]


def issue(stack: str, reason: str, commit: str, run_url: str, reviewers: Sequence[str], labels: Sequence[str],
          still_open: Sequence[Mapping[str, Any]]) -> dict:
    """The issue's REST body: title, body, assignees, labels."""
    lines = [f"An emergency deploy of **{stack}** ran outside the release policy's usual path.", "",
             f"- **Reason given:** {reason.strip()}", f"- **Commit:** `{commit}`", f"- **Run:** {run_url}", "",
             "koomy §9: post-mortem obligatoire. Write what happened, why the usual path could not be taken, and what "
             "changes so it need not be taken again; close this issue when it is done."]
    if still_open:
        lines += ["", "Post-mortems still open from earlier emergencies:",
                  *(f"- #{i['number']} {i['title']}" for i in still_open)]
    return {"title": f"Post-mortem: emergency deploy of {stack} at {commit[:12]}", "body": "\n".join(lines),
            "assignees": list(reviewers), "labels": list(labels)}


def run(stack: str, reason: str, commit: str, run_url: str, *, call: Request, repository: str,
        root: Path = ROOT, out=print) -> int:
    topology = read_topology(root / "Pulumi.yaml")
    if topology.post_mortem is None:
        out("postMortem: not declared in Pulumi.yaml; no issue opened")
        return 0
    labels = topology.post_mortem.labels
    query = urllib.parse.urlencode({"state": "open", "labels": ",".join(labels), "per_page": 100})
    status, found = call("GET", f"/repos/{repository}/issues?{query}", None)
    if status != 200:
        out(f"::error title=Post-mortem::listing open post-mortems answered {status}")
        return 1
    still_open = [i for i in found if "pull_request" not in i]
    for i in still_open:
        out(f"::warning title=Open post-mortem::#{i['number']} {i['title']} is still open")
    body = issue(stack, reason, commit, run_url, production_reviewers(topology, root), labels, still_open)
    status, created = call("POST", f"/repos/{repository}/issues", body)
    if status != 201:
        out(f"::error title=Post-mortem::opening the issue answered {status}: {(created or {}).get('message', '')}")
        return 1
    out(f"post-mortem opened: #{created['number']} {created.get('html_url', '')} "
        f"(assigned to {', '.join(body['assignees']) or 'nobody'}; {len(still_open)} still open before it)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/postmortem.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", default="production")
    parser.add_argument("--reason", required=True)
    parser.add_argument("--commit", required=True)
    parser.add_argument("--run-url", required=True)
    args = parser.parse_args(argv)
    token = os.environ.get("GITHUB_TOKEN", "")
    if not token:
        print("::error title=Post-mortem::GITHUB_TOKEN is not set", file=sys.stderr)
        return 1
    topology = read_topology(ROOT / "Pulumi.yaml")
    repository = os.environ.get("GITHUB_REPOSITORY") or f"{topology.owner}/{topology.repository}"
    call = rest(os.environ.get("GITHUB_API_URL", "https://api.github.com"), token)
    try:
        return run(args.stack, args.reason, args.commit, args.run_url, call=call, repository=repository)
    except RestError as error:  # no answer at all: the error names the call, never the token
        print(f"::error title=Post-mortem::{error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
