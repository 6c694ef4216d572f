"""One GitHub issue per stack for the scheduled audit, written from the uploaded audit.json.

    python -m audit.issues --report DIR/audit.json --run-url URL [--dry-run]

An issue is found by its hidden stack marker (any state), titled `Drift audit: <stack>`, labelled
`drift-audit`. Its body carries a second marker with the digest of the stack's findings, so it is
edited only when the set of findings changes. A clean stack's open issue is closed with a comment;
a stack in error (state unknown) leaves its issue as it is. `gh` does the talking (GH_TOKEN, GH_REPO).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from .report import stack_markdown

LABEL = "drift-audit"
Runner = Callable[[list[str], str | None], str]  # argv, stdin -> stdout


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


def gh(argv: list[str], stdin: str | None = None) -> str:
    result = subprocess.run(["gh", *argv], input=stdin, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"gh {' '.join(argv[:2])} failed ({result.returncode}): {result.stderr.strip()[-500:]}")
    return result.stdout


def existing(run: Runner) -> list[Issue]:
    out = run(["issue", "list", "--label", LABEL, "--state", "all", "--limit", "500", "--json", "number,state,body"], None)
    return [Issue(int(i["number"]), i["state"], i.get("body") or "") for i in json.loads(out or "[]")]


def apply(action: Action, run: Runner) -> None:
    n = str(action.number)
    if action.kind == "create":
        run(["issue", "create", "--title", title(action.stack), "--label", LABEL, "--body-file", "-"], action.body)
    elif action.kind == "edit":
        run(["issue", "edit", n, "--body-file", "-"], action.body)
        run(["issue", "comment", n, "--body-file", "-"], action.comment)
    elif action.kind == "reopen":
        run(["issue", "reopen", n], None)
        run(["issue", "edit", n, "--title", title(action.stack), "--body-file", "-"], action.body)
        run(["issue", "comment", n, "--body-file", "-"], action.comment)
    elif action.kind == "close":
        run(["issue", "close", n, "--comment", action.comment or "clean"], None)


def sync(doc: Mapping[str, Any], run_url: str, run: Runner, dry_run: bool = False) -> list[Action]:
    if not dry_run:
        run(["label", "create", LABEL, "--color", "D93F0B", "--force",
             "--description", "A stack differs from its declaration (scheduled drift audit)"], None)
    issues = existing(run)
    actions = [decide(doc, s["name"], issues, run_url) for s in doc["stacks"]]
    for action in actions:
        if not dry_run:
            apply(action, run)
    return actions


def main(argv: list[str] | None = None, run: Runner = gh) -> int:
    parser = argparse.ArgumentParser(prog="python -m audit.issues", description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", required=True, help="the audit.json of the run")
    parser.add_argument("--run-url", required=True, help="link to the workflow run, for the issue text")
    parser.add_argument("--dry-run", action="store_true", help="print the decisions, change nothing")
    args = parser.parse_args(argv)
    doc = json.loads(Path(args.report).read_text())
    if doc.get("schema_version") != 1:
        print(f"error: unsupported report schema {doc.get('schema_version')!r}", file=sys.stderr)
        return 1
    for action in sync(doc, args.run_url, run, args.dry_run):
        target = f" #{action.number}" if action.number else ""
        print(f"{action.stack}: {action.kind}{target} ({action.reason})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
