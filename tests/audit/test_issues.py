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


class FakeGitHub:
    """GitHub's REST answers for the calls the sync makes: the listed issues, 404 for a missing label, 201 and
    200 for writes. Records (method, path, body)."""

    def __init__(self, listed: list[dict], label: bool = False):
        self.listed, self.label = listed, label
        self.calls: list[tuple[str, str, object]] = []

    def __call__(self, method, path, body):
        self.calls.append((method, path, body))
        if method == "GET" and "/issues?" in path:
            return 200, self.listed
        if method == "GET" and "/labels/" in path:
            return (200, {"name": issues.LABEL}) if self.label else (404, {"message": "Not Found"})
        return (201 if method == "POST" else 200), {}

    def api(self) -> issues.IssueApi:
        return issues.IssueApi(self, "koomy-app/koomy")


def test_sync_calls_the_rest_api_for_each_stack():
    d = doc()
    gh = FakeGitHub([{"number": 4, "state": "open", "body": stack_marker("production") + digest_marker("f" * 16)},
                     {"number": 5, "state": "open", "body": stack_marker("staging"), "pull_request": {}}])
    actions = issues.sync(d, RUN, gh.api())
    assert {a.stack: a.kind for a in actions} == {"staging": "create", "production": "edit"}  # a PR is no issue
    repo = "/repos/koomy-app/koomy"
    assert [(m, p.split("?")[0]) for m, p, _ in gh.calls] == [
        ("GET", f"{repo}/labels/drift-audit"), ("POST", f"{repo}/labels"), ("GET", f"{repo}/issues"),
        ("PATCH", f"{repo}/issues/4"), ("POST", f"{repo}/issues/4/comments"), ("POST", f"{repo}/issues")]
    listing = gh.calls[2][1]
    assert "labels=drift-audit" in listing and "state=all" in listing
    create = gh.calls[-1][2]
    assert create["title"] == "Drift audit: staging" and create["labels"] == ["drift-audit"]
    assert stack_marker("staging") in create["body"]


def test_close_comments_then_closes_and_reopen_reopens():
    clean = report.document([StackAudit("staging", [])], {"id": "r"})
    gh = FakeGitHub([{"number": 5, "state": "open", "body": stack_marker("staging")}], label=True)
    issues.sync(clean, RUN, gh.api())
    assert [(m, p) for m, p, _ in gh.calls[1:]] == [("GET", gh.calls[1][1]), ("POST", "/repos/koomy-app/koomy/issues/5/comments"),
                                                   ("PATCH", "/repos/koomy-app/koomy/issues/5")]
    assert gh.calls[-1][2]["state"] == "closed"
    d = doc()
    gh = FakeGitHub([{"number": 3, "state": "closed", "body": stack_marker("staging")}], label=True)
    issues.sync(d, RUN, gh.api())
    reopened = next(body for m, p, body in gh.calls if m == "PATCH" and p.endswith("/issues/3"))
    assert reopened["state"] == "open" and reopened["title"] == "Drift audit: staging"


def test_a_refused_call_is_one_error_naming_it(tmp_path, capsys):
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(doc()))

    def forbidden(method, path_, body):
        return 403, {"message": "Resource not accessible by integration"}
    assert issues.main(["--report", str(path), "--run-url", RUN], api=issues.IssueApi(forbidden, "o/r")) == 1
    err = capsys.readouterr().err
    assert "GET /repos/o/r/issues: HTTP 403: Resource not accessible by integration" in err


def test_without_a_token_it_says_which_variable_to_set():
    with pytest.raises(SystemExit, match="GITHUB_TOKEN must be set"):
        issues.from_environment({"GITHUB_REPOSITORY": "o/r"})


def test_dry_run_changes_nothing(tmp_path, capsys):
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(doc()))
    gh = FakeGitHub([])
    assert issues.main(["--report", str(path), "--run-url", RUN, "--dry-run"], api=gh.api()) == 0
    assert [m for m, _, _ in gh.calls] == ["GET"]
    assert "staging: create" in capsys.readouterr().out


@pytest.mark.parametrize("version", [0, 2, None])
def test_an_unknown_report_version_is_refused(tmp_path, version):
    path = tmp_path / "audit.json"
    path.write_text(json.dumps({**doc(), "schema_version": version}))
    assert issues.main(["--report", str(path), "--run-url", RUN], api=FakeGitHub([]).api()) == 1
