"""The drift issue of each stack: created, edited only when the findings change, reopened, closed when clean."""

from __future__ import annotations

import json

import pytest

from audit import issues, report
from audit.issues import Issue, decide, digest_marker, stack_marker
from audit.model import StackAudit
from scenarios import audits_of

RUN = "https://github.com/koomy-app/koomy/actions/runs/1"


def doc(scenario: str = "edited") -> dict:
    return report.document(audits_of(scenario), {"id": "r"})


def issue_for(d: dict, stack: str, *, open_: bool = True, number: int = 7, digest: str | None = None) -> Issue:
    entry = next(s for s in d["stacks"] if s["name"] == stack)
    return Issue(number, "OPEN" if open_ else "CLOSED",
                 f"{stack_marker(stack)}\n{digest_marker(digest or entry['findings_digest'])}\nold text")


def test_findings_without_an_issue_create_one_with_its_markers():
    d = doc()
    action = decide(d, "staging", [], RUN)
    assert action.kind == "create"
    assert action.body.startswith(stack_marker("staging") + "\n" + digest_marker(d["stacks"][1]["findings_digest"]))
    assert RUN in action.body and "staging-branch-gate-ruleset" in action.body


def test_same_findings_leave_the_issue_alone():
    d = doc()
    assert decide(d, "staging", [issue_for(d, "staging")], RUN).kind == "none"


def test_changed_findings_edit_the_issue_and_say_so():
    d = doc()
    action = decide(d, "staging", [issue_for(d, "staging", digest="0" * 16)], RUN)
    assert (action.kind, action.number) == ("edit", 7) and "changed" in action.comment


def test_findings_again_reopen_the_closed_issue():
    d = doc()
    action = decide(d, "staging", [issue_for(d, "staging", open_=False, number=3)], RUN)
    assert (action.kind, action.number) == ("reopen", 3)


def test_a_clean_stack_closes_its_open_issue_with_a_comment():
    d = report.document([StackAudit("staging", [])], {"id": "r"})
    action = decide(d, "staging", [Issue(5, "OPEN", stack_marker("staging"))], RUN)
    assert (action.kind, action.number) == ("close", 5) and RUN in action.comment
    assert decide(d, "staging", [Issue(5, "CLOSED", stack_marker("staging"))], RUN).kind == "none"
    assert decide(d, "staging", [], RUN).kind == "none"


def test_a_stack_in_error_leaves_its_issue_as_it_is():
    d = doc("api_down")
    assert decide(d, "staging", [Issue(5, "OPEN", stack_marker("staging"))], RUN).kind == "none"
    assert decide(d, "staging", [], RUN).kind == "none"


def test_issues_are_told_apart_by_marker_not_by_title():
    d = doc()
    other = Issue(9, "OPEN", stack_marker("production") + digest_marker("1" * 16))
    assert decide(d, "staging", [other], RUN).kind == "create"
    # "staging" must not match a stack named "staging-eu"
    assert stack_marker("staging") not in stack_marker("staging-eu")


class FakeGh:
    def __init__(self, listed: list[dict]):
        self.listed = listed
        self.calls: list[tuple[list[str], str | None]] = []

    def __call__(self, argv, stdin):
        self.calls.append((argv, stdin))
        return json.dumps(self.listed) if argv[:2] == ["issue", "list"] else ""


def test_sync_runs_gh_for_each_stack():
    d = doc()
    gh = FakeGh([{"number": 4, "state": "OPEN", "body": stack_marker("production") + digest_marker("f" * 16)}])
    actions = issues.sync(d, RUN, gh)
    assert {a.stack: a.kind for a in actions} == {"staging": "create", "production": "edit"}
    commands = [argv[:2] for argv, _ in gh.calls]
    assert commands == [["label", "create"], ["issue", "list"], ["issue", "edit"], ["issue", "comment"],
                        ["issue", "create"]]
    create = next((argv, stdin) for argv, stdin in gh.calls if argv[:2] == ["issue", "create"])
    assert create[0][create[0].index("--title") + 1] == "Drift audit: staging" and "--label" in create[0]
    assert stack_marker("staging") in create[1]


def test_dry_run_changes_nothing(tmp_path, capsys):
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(doc()))
    gh = FakeGh([])
    assert issues.main(["--report", str(path), "--run-url", RUN, "--dry-run"], run=gh) == 0
    assert [argv[:2] for argv, _ in gh.calls] == [["issue", "list"]]
    assert "staging: create" in capsys.readouterr().out


@pytest.mark.parametrize("version", [0, 2, None])
def test_an_unknown_report_version_is_refused(tmp_path, version):
    path = tmp_path / "audit.json"
    path.write_text(json.dumps({**doc(), "schema_version": version}))
    assert issues.main(["--report", str(path), "--run-url", RUN], run=FakeGh([])) == 1
