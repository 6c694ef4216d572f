"""One GitHub issue per stack for the scheduled audit, written from the uploaded audit.json.

    python -m audit.issues --report DIR/audit.json --run-url URL [--dry-run]

An issue is found by its hidden stack marker (any state), titled `Drift audit: <stack>`, labelled
`drift-audit`. Its body carries a second marker with the digest of the stack's findings, so it is
edited only when the set of findings changes. A clean stack's open issue is closed with a comment;
a stack in error (state unknown) leaves its issue as it is.

It talks to GitHub's REST API (issues, comments, labels) with GITHUB_TOKEN, under GITHUB_API_URL for
GITHUB_REPOSITORY, the variables Actions sets (drift.yml gives it `github.token`, issues: write). Not `gh`:
`gh issue` speaks GraphQL, which a runner does not need and the GitHub double does not serve.
"""

from __future__ import annotations

import argparse
import json
import re
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .report import stack_markdown
from .rest import Call, RestError, github_call

LABEL = "drift-audit"


def title(stack: str) -> str:
    return f"Drift audit: {stack}"


def stack_marker(stack: str) -> str:
    return f"<!-- drift-audit:stack={stack} -->"


def digest_marker(digest: str) -> str:
    return f"<!-- drift-audit:findings={digest} -->"


@dataclass(frozen=True)
class Issue:
    number: int
    state: str  # OPEN | CLOSED
    body: str

    @property
    def open(self) -> bool:
        return self.state.upper() == "OPEN"

    def digest(self) -> str | None:
        found = re.search(r"<!-- drift-audit:findings=([0-9a-f]+) -->", self.body or "")
        return found.group(1) if found else None


@dataclass(frozen=True)
class Action:
    kind: str  # create | edit | reopen | close | none
    stack: str
    reason: str
    number: int | None = None
    body: str | None = None
    comment: str | None = None


def body_of(doc: Mapping[str, Any], stack: str, run_url: str) -> str:
    entry = next(s for s in doc["stacks"] if s["name"] == stack)
    return "\n".join([
        stack_marker(stack), digest_marker(entry["findings_digest"]), "",
        stack_markdown(doc, stack),
        f"Found by {run_url}. This issue is edited when the set of findings changes and closed when the stack is "
        "clean; the audit only reads (docs/audit.md).", ""])


def decide(doc: Mapping[str, Any], stack: str, issues: list[Issue], run_url: str) -> Action:
    """What to do with the stack's issue after this audit. Pure."""
    entry = next(s for s in doc["stacks"] if s["name"] == stack)
    mine = sorted((i for i in issues if stack_marker(stack) in (i.body or "")), key=lambda i: (i.open, i.number))
    current = mine[-1] if mine else None
    status = entry["status"]
    if status == "error":
        return Action("none", stack, "the stack's state is unknown (an error): its issue stays as it is")
    if status == "clean":
        if current and current.open:
            return Action("close", stack, "clean", current.number,
                          comment=f"The drift audit {run_url} finds `{stack}` clean: closing.")
        return Action("none", stack, "clean, no open issue")
    body = body_of(doc, stack, run_url)
    if current is None:
        return Action("create", stack, "new findings", body=body)
    if not current.open:
        return Action("reopen", stack, "findings again", current.number, body,
                      comment=f"The drift audit {run_url} finds `{stack}` out of line again.")
    if current.digest() == entry["findings_digest"]:
        return Action("none", stack, "same findings as the open issue says", current.number)
    return Action("edit", stack, "the findings changed", current.number, body,
                  comment=f"The findings changed in {run_url}; the description is up to date.")


class SyncError(Exception):
    """A call GitHub refused: its method, path, status and message (never the token)."""


class IssueApi:
    """The few REST calls the sync makes for one repository; any answer but the expected one is an error
    that names the call and GitHub's message."""

    def __init__(self, call: Call, repository: str):
        self.call, self.repo = call, f"/repos/{repository}"

    def expect(self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200,)) -> Any:
        status, answer = self.call(method, self.repo + path, body)
        if status not in ok:
            message = answer.get("message") if isinstance(answer, dict) else None
            raise SyncError(f"github {method} {self.repo}{path.split('?')[0]}: HTTP {status}: "
                            f"{(message or 'unexpected answer')[:200]}")
        return answer

    def ensure_label(self) -> None:
        status, _ = self.call("GET", f"{self.repo}/labels/{LABEL}", None)
        if status == 404:
            self.expect("POST", "/labels", {"name": LABEL, "color": "D93F0B",
                                            "description": "A stack differs from its declaration (scheduled drift audit)"},
                        ok=(201,))

    def existing(self) -> list[Issue]:
        found: list[Issue] = []
        for page in range(1, 11):  # 1000 drift issues is more than a repository ever holds
            listed = self.expect("GET", f"/issues?labels={LABEL}&state=all&per_page=100&page={page}")
            found += [Issue(int(i["number"]), i["state"].upper(), i.get("body") or "")
                      for i in listed if "pull_request" not in i]
            if len(listed) < 100:
                break
        return found

    def apply(self, action: Action) -> None:
        n = action.number
        if action.kind == "create":
            self.expect("POST", "/issues", {"title": title(action.stack), "body": action.body, "labels": [LABEL]},
                        ok=(201,))
        elif action.kind == "edit":
            self.expect("PATCH", f"/issues/{n}", {"body": action.body})
            self.expect("POST", f"/issues/{n}/comments", {"body": action.comment}, ok=(201,))
        elif action.kind == "reopen":
            self.expect("PATCH", f"/issues/{n}", {"state": "open", "title": title(action.stack), "body": action.body})
            self.expect("POST", f"/issues/{n}/comments", {"body": action.comment}, ok=(201,))
        elif action.kind == "close":
            self.expect("POST", f"/issues/{n}/comments", {"body": action.comment or "clean"}, ok=(201,))
            self.expect("PATCH", f"/issues/{n}", {"state": "closed", "state_reason": "completed"})


def sync(doc: Mapping[str, Any], run_url: str, api: IssueApi, dry_run: bool = False) -> list[Action]:
    if not dry_run:
        api.ensure_label()
    issues = api.existing()
    actions = [decide(doc, s["name"], issues, run_url) for s in doc["stacks"]]
    for action in actions:
        if not dry_run:
            api.apply(action)
    return actions


def from_environment(environ: Mapping[str, str] = os.environ) -> IssueApi:
    missing = [k for k in ("GITHUB_TOKEN", "GITHUB_REPOSITORY") if not environ.get(k)]
    if missing:
        raise SystemExit(f"error: {' and '.join(missing)} must be set (Actions sets GITHUB_REPOSITORY; give the step "
                         "GITHUB_TOKEN: ${{ github.token }} with issues: write)")
    return IssueApi(github_call(environ.get("GITHUB_API_URL") or "https://api.github.com", environ["GITHUB_TOKEN"]),
                    environ["GITHUB_REPOSITORY"])


def main(argv: list[str] | None = None, api: IssueApi | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audit.issues", description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", required=True, help="the audit.json of the run")
    parser.add_argument("--run-url", required=True, help="link to the workflow run, for the issue text")
    parser.add_argument("--dry-run", action="store_true", help="print the decisions, change nothing")
    args = parser.parse_args(argv)
    doc = json.loads(Path(args.report).read_text())
    if doc.get("schema_version") != 1:
        print(f"error: unsupported report schema {doc.get('schema_version')!r}", file=sys.stderr)
        return 1
    try:
        actions = sync(doc, args.run_url, api or from_environment(), args.dry_run)
    except (RestError, SyncError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for action in actions:
        target = f" #{action.number}" if action.number else ""
        print(f"{action.stack}: {action.kind}{target} ({action.reason})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
