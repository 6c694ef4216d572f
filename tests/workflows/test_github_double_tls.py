"""The GitHub double as a GHES on https (tls=True): git over https with the checkout's `x-access-token`
credentials and a URL without `.git`, and the issue, comment and label routes the workflows use (pulumi/actions'
PR comment, the drift issues), every answer and request body checked against githubkit's schemas."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "doubles"))
from github_contract import conforms, gh as schema  # noqa: E402

from doubles.github import GitHubDouble  # noqa: E402
from doubles.github.workspace import Checkout  # noqa: E402


@pytest.fixture
def double():
    with GitHubDouble(tls=True, plan="team", visibility="private") as gh:
        yield gh
    assert not Path(gh.ca_path or "/nonexistent").exists()


def test_https_with_a_test_ca_and_checkouts_git_credentials(double, tmp_path):
    assert double.base_url.startswith("https://127.0.0.1:") and Path(double.ca_path).exists()
    assert double.instance == f"127.0.0.1:{double.port}"
    dev = Checkout(double, "koomy-cto", tmp_path / "dev")
    sha = dev.commit({"a.txt": "x\n"}, "first")
    assert dev.push("HEAD:refs/heads/main").returncode == 0
    header = base64.b64encode(f"x-access-token:{double.token_for('koomy-cto')}".encode()).decode()
    env = {"GIT_SSL_CAINFO": double.ca_path, "GIT_CONFIG_GLOBAL": "/dev/null", "HOME": str(tmp_path),
           "PATH": "/usr/bin:/bin", "GIT_TERMINAL_PROMPT": "0"}
    url = f"https://127.0.0.1:{double.port}/koomy-app/koomy"  # actions/checkout's URL: no .git
    done = subprocess.run(["git", "-c", f"http.extraheader=AUTHORIZATION: basic {header}", "clone", "-q", url,
                           str(tmp_path / "c")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path / "c", capture_output=True,
                          text=True).stdout.strip() == sha
    untrusted = subprocess.run(["git", "ls-remote", url], env=env | {"GIT_SSL_CAINFO": "/etc/ssl/certs/ca-certificates.crt"},
                               capture_output=True, text=True)
    assert untrusted.returncode != 0 and "certificate" in untrusted.stderr


def test_issue_comment_routes_as_pulumi_actions_uses_them(double, tmp_path):
    api, repo = double.as_user("koomy-cto"), "/repos/koomy-app/koomy"
    dev = Checkout(double, "koomy-cto", tmp_path / "dev")
    dev.commit({"a.txt": "x\n"}, "first")
    dev.push("HEAD:refs/heads/main")
    dev.commit({"a.txt": "y\n"}, "second")
    dev.push("HEAD:refs/heads/feature/x")
    status, pull = api.post(f"{repo}/pulls", {"title": "x", "head": "feature/x", "base": "main"})
    assert status == 201
    n = pull["number"]
    body = {"body": "#### :tropical_drink: `preview` on release-topology/staging\n<summary>Pulumi report</summary>"}
    conforms(schema.ReposOwnerRepoIssuesIssueNumberCommentsPostBody, body)
    status, created = api.post(f"{repo}/issues/{n}/comments", body)
    assert status == 201
    conforms(schema.IssueComment, created)
    status, listed = api.get(f"{repo}/issues/{n}/comments")
    assert status == 200 and [c["id"] for c in listed] == [created["id"]]
    conforms(list[schema.IssueComment], listed)
    status, edited = api.patch(f"{repo}/issues/comments/{created['id']}", {"body": "new"})
    assert status == 200 and edited["body"] == "new"
    conforms(schema.IssueComment, edited)
    assert api.get(f"{repo}/issues/comments/{created['id']}")[1]["body"] == "new"
    assert api.get(f"{repo}/issues/{n + 5}/comments")[0] == 404
    assert api.delete(f"{repo}/issues/comments/{created['id']}")[0] == 204
    assert not double.unknown_requests()


def test_issue_routes_create_list_by_label_and_state_edit_close(double):
    api, repo = double.as_user("koomy-cto"), "/repos/koomy-app/koomy"
    label = {"name": "drift-audit", "color": "D93F0B", "description": "drift"}
    conforms(schema.ReposOwnerRepoLabelsPostBody, label)
    status, made = api.post(f"{repo}/labels", label)
    assert status == 201
    conforms(schema.Label, made)
    assert api.post(f"{repo}/labels", label)[0] == 422
    new = {"title": "Drift audit: staging", "body": "<!-- marker -->", "labels": ["drift-audit"]}
    conforms(schema.ReposOwnerRepoIssuesPostBody, new)
    status, issue = api.post(f"{repo}/issues", new)
    assert status == 201 and issue["state"] == "open"
    conforms(schema.Issue, issue)
    api.post(f"{repo}/issues", {"title": "unrelated"})
    status, listed = api.get(f"{repo}/issues?labels=drift-audit&state=all")
    assert status == 200 and [i["number"] for i in listed] == [issue["number"]]
    conforms(list[schema.Issue], listed)
    edit = {"body": "changed"}
    conforms(schema.ReposOwnerRepoIssuesIssueNumberPatchBody, edit)
    assert api.patch(f"{repo}/issues/{issue['number']}", edit)[1]["body"] == "changed"
    status, closed = api.patch(f"{repo}/issues/{issue['number']}", {"state": "closed"})
    assert status == 200 and closed["state"] == "closed" and closed["closed_at"]
    conforms(schema.Issue, closed)
    assert api.get(f"{repo}/issues?labels=drift-audit")[1] == []  # state defaults to open
    assert not double.unknown_requests()


def test_assignees_are_kept_only_when_the_author_can_push(double):
    """"Only users with push access can set assignees for new issues. Assignees are silently dropped otherwise."
    (docs: create an issue) The post-mortem of an emergency is assigned this way."""
    repo = "/repos/koomy-app/koomy"
    double.add_user("koomy-reader", 1010)
    double.set_role("koomy-reader", "read")
    body = {"title": "Post-mortem", "assignees": ["koomy-cto", "nobody-here"]}
    conforms(schema.ReposOwnerRepoIssuesPostBody, body)
    status, issue = double.as_user("koomy-cto").post(f"{repo}/issues", body)
    assert status == 201 and [a["login"] for a in issue["assignees"]] == ["koomy-cto"]
    assert issue["assignee"]["login"] == "koomy-cto"
    conforms(schema.Issue, issue)
    status, dropped = double.as_user("koomy-reader").post(f"{repo}/issues", body)
    assert status == 201 and dropped["assignees"] == [] and dropped["assignee"] is None
