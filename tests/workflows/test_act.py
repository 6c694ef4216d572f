"""The workflows, as they are on disk, run by act for every event they handle, against the doubles
(tests/workflows/act_harness.py; docs/workflows.md, "Running the workflows locally").

One team, one repository on the GitHub double (Team, private: the CTO approves production as code owner), played
in order, each test building on the one before:
  1. a pull request from a branch of the repository: preview.yml (one comment per previewed stack, edited by the
     next push) and code-freeze.yml;
  2. a pull request from a fork: the offline check only, no secret, nothing written;
  3. the deploys: a push to staging, then to main (release tag, notification); a promotion whose staging deploy
     fails its health check (the chain stops there), then passes; a manual emergency deploy without a reason
     (refused, nothing written) and with one (post-mortem issue, notification);
  4. the schedule: drift.yml opens the drift issue, leaves it alone while the findings stay, closes it once clean.

Assertions are on what reached the doubles and the loopback servers (comments, deployments, tags, issues,
requests, the backend's stacks, the artifact directory), never on log lines alone. Each run's time is printed.
GitHub's own part around a run, which act does not play, is done here and said so: a job that names an
environment is gated and its deployment recorded (the double's jobs), the CI's statuses are posted, and
merges happen through the double's REST API.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from act_harness import ACT, BOT, ROOT, RUN_TIMES, Act, ActResult, Repo, tail  # noqa: E402

from doubles.github import GitHubDouble  # noqa: E402
from doubles.loopback import Server  # noqa: E402
from doubles.vercel import VercelDouble  # noqa: E402
from rehearsal.doubles import Doubles, github_settings, vercel_settings  # noqa: E402
from topology.project import read_topology  # noqa: E402

PREVIEW, DEPLOY, DRIFT, FREEZE = (f".github/workflows/{name}.yml" for name in ("preview", "deploy", "drift", "code-freeze"))
CTO, LEAD, DEV, CI = "koomy-cto", "koomy-lead", "koomy-dev", "koomy-ci"
USERS = {LEAD: 1002, DEV: 1003, CI: 1005, BOT: 41898282}
CHECKS = ("ci/test", "ci/lint")
STACKS_DIR = Path(".pulumi") / "stacks" / "release-topology"


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "the act harness runs act in a private mount namespace (unshare --mount): run the tests as root"
    if not ACT.exists():
        return f"act is not installed ({ACT}): make workflow-tools"
    if shutil.which("node") is None:
        return "node is not on PATH"
    if subprocess.run(["bash", str(ROOT / "scripts" / "engine.sh")], capture_output=True).returncode:
        return "the Pulumi engine is not available (scripts/engine.sh)"
    return None


@dataclass
class Team:
    doubles: Doubles
    act: Act
    repo: Repo
    app: Server  # the app the health checks call
    hook: Server  # the notification webhook
    base: Path
    app_state: dict  # {"healthy": bool}: how the app answers the next health check

    @property
    def gh(self):
        return self.doubles.github

    @property
    def api(self) -> str:
        return f"/repos/{self.gh.store.full_name}"

    def writes(self) -> list[dict]:
        """Every write the GitHub double answered (REST and the control API excluded: what a client wrote)."""
        return [r for r in self.gh.store.requests() if r["method"] != "GET" and not r["path"].startswith("/_double")]

    def stack_file(self, stack: str) -> Path:
        return self.act.backend / STACKS_DIR / f"{stack}.json"

    def resources(self, stack: str) -> list[dict]:
        if not self.stack_file(stack).exists():
            return []
        return json.loads(self.stack_file(stack).read_text())["checkpoint"].get("latest", {}).get("resources") or []

    def messages(self) -> list[str]:
        """The notifications the webhook received (Slack's shape: `text`)."""
        return [json.loads(body)["text"] for method, _, body in self.hook.requests if method == "POST"]

    def tags(self) -> dict[str, str]:
        out = self.gh.git("for-each-ref", "--format=%(refname:short) %(objectname)", "refs/tags")
        return dict(line.split() for line in out.splitlines() if line)

    def deployments(self, environment: str, sha: str) -> list[str]:
        """The latest state of each deployment of `sha` to `environment`, as the REST API lists them."""
        status, listed = self.gh.as_user(CI).get(f"{self.api}/deployments?environment={environment}&sha={sha}")
        assert status == 200, listed
        states = []
        for deployment in listed:
            _, statuses = self.gh.as_user(CI).get(f"{self.api}/deployments/{deployment['id']}/statuses")
            states.append(statuses[0]["state"] if statuses else "none")
        return states

    def issues(self, label: str) -> list[dict]:
        status, listed = self.gh.as_user(CI).get(f"{self.api}/issues?labels={label}&state=all")
        assert status == 200, listed
        return listed

    def ci(self, sha: str) -> None:
        """The CI's statuses on a commit (what a test workflow posts)."""
        for context in CHECKS:
            status, _ = self.gh.as_user(CI).post(f"{self.api}/statuses/{sha}", {"state": "success", "context": context})
            assert status == 201, status

    # --- what GitHub does around a deploy run, then the run -------------------------------------------------

    def deploy(self, label: str, event: str, branch: str, environment: str, *, actor: str = LEAD,
               inputs: dict[str, str] | None = None) -> tuple[ActResult, str]:
        """A deploy.yml run for `event` on `branch` (the tip the double has). GitHub's part: the job that names
        `environment` is gated by the environment's protection rules and its deployment opened (the double's
        job, `running`), then the deployment gets the job's conclusion. An environment a job names that does
        not exist yet is created, as GitHub does. Returns act's result and the sha."""
        sha = self.repo.follow(branch)
        if self.gh.as_user(CTO).get(f"{self.api}/environments/{environment}")[0] == 404:
            # "Referencing an environment that does not exist will create an environment with the referenced
            # name" (docs.github.com, actions/deployment/targeting-different-environments).
            assert self.gh.as_user(CTO).put(f"{self.api}/environments/{environment}", {})[0] == 200
        job = self.gh.run_job(actor, environment, branch, sha, result="running")
        assert job["status"] == "in_progress", job
        if event == "push":
            payload = {"ref": f"refs/heads/{branch}", "before": "0" * 40, "after": sha, "repository": repo_json(self.gh),
                       "pusher": {"name": actor}, "head_commit": {"id": sha}}
        else:
            payload = {"ref": f"refs/heads/{branch}", "repository": repo_json(self.gh), "inputs": inputs or {}}
        extra = [arg for key, value in (inputs or {}).items() for arg in ("--input", f"{key}={value}")]
        result = self.act.run(self.repo, label, event, payload, DEPLOY, actor=actor, extra=extra,
                              secrets=self.act.secrets(environment, webhook=f"{self.hook.url}/hook"))
        self.gh.finish_job(job["id"], "success" if job_state(result, f"pulumi up {environment}") == "success" else "failure")
        return result, sha

    def merge(self, number: int, method: str, login: str = LEAD) -> tuple[int, dict]:
        return self.gh.as_user(login).put(f"{self.api}/pulls/{number}/merge", {"merge_method": method})

    def open_pr(self, author: str, head: str, base: str, title: str) -> int:
        status, pr = self.gh.as_user(author).post(f"{self.api}/pulls", {"title": title, "head": head, "base": base})
        assert status == 201, pr
        return pr["number"]


def repo_json(gh, fork: bool = False) -> dict:
    owner, name = gh.store.owner, gh.store.repo_name
    full = f"koomy-fork/{name}" if fork else f"{owner}/{name}"
    return {"full_name": full, "name": name, "owner": {"login": full.split("/")[0]}, "fork": fork}


def job_state(result: ActResult, name_part: str) -> str | None:
    """The conclusion act gave the job whose name contains `name_part` (None: it did not run)."""
    found = [state for job, state in result.jobs.items() if name_part in job]
    return found[-1] if found else None


def team_settings(app_url: str) -> str:
    """The team's Pulumi.yaml: the project's, with the health check on the loopback app and a deploy window open
    all week (the runs must not depend on the hour they run at; the window itself is proven by the walk)."""
    doc = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    doc["config"]["healthChecks"] = {"value": [{"url": f"{app_url}/api/health", "status": 200, "timeout": 5}]}
    doc["config"]["deployWindow"] = {"value": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                               "start": "00:00", "end": "23:59", "timezone": "UTC"}}
    return yaml.safe_dump(doc, sort_keys=False)


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    reason = _missing()
    if reason:
        pytest.fail(reason)  # a missing tool is a red run, never a skip: `make test` installs them
    topology = read_topology(ROOT / "Pulumi.yaml", strict=False)
    names = [env.name for env in topology.environments]
    base = tmp_path_factory.mktemp("act")
    state = {"healthy": True}
    with GitHubDouble(tls=True, server_name="github.localhost", **github_settings(topology, names, ROOT)) as github, \
            VercelDouble(**vercel_settings(topology, names, ROOT)) as vercel, \
            Server(lambda path: (200, '{"status":"ok"}', 0) if state["healthy"] else (500, "boom", 0)) as app, \
            Server(lambda path: (200, "ok", 0)) as hook:
        for login, number in USERS.items():
            github.add_user(login, number)
            github.set_role(login, "write")
        doubles = Doubles(github, vercel)
        repo = Repo(doubles, base / "repo", files={"Pulumi.yaml": team_settings(app.url)})
        # The CTO's first push, before any ruleset exists: main and staging at the same commit.
        for branch in ("main", "staging"):
            repo.push(branch)
        yield Team(doubles, Act(doubles, base), repo, app, hook, base, state)
    shutil.rmtree(base, ignore_errors=True)


def backups(team: Team, stack: str) -> list[tuple[str, dict]]:
    """The stack exports deploy runs uploaded (act's artifact server keeps each upload as a zip), in run order."""
    found = []
    for archive in sorted(team.act.artifacts.rglob(f"stack-backup-{stack}-*.zip"), key=lambda p: int(p.parts[-3])):
        with zipfile.ZipFile(archive) as zipped:
            found += [(name, json.loads(zipped.read(name))) for name in zipped.namelist()]
    return found


def comments(gh, number: int) -> list[dict]:
    return [c for c in gh.store.flow.comments.values() if c["issue"] == number]


def backend_digest(team: Team) -> str:
    digest = hashlib.sha256()
    for path in sorted(team.act.backend.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def pr_event(gh, number: int, head_ref: str, head_sha: str, base_sha: str, fork: bool = False) -> dict:
    base_repo = repo_json(gh)
    return {"action": "synchronize", "number": number, "repository": base_repo,
            "pull_request": {"number": number, "labels": [], "body": "",
                             "head": {"ref": head_ref, "sha": head_sha, "repo": repo_json(gh, fork)},
                             "base": {"ref": "main", "sha": base_sha, "repo": base_repo}}}


# --- 1. a pull request from a branch of the repository ---------------------------------------------------------


def test_a_pull_request_previews_each_stack_into_one_comment_that_the_next_push_edits(team):
    gh, repo = team.gh, team.repo
    base_sha = repo.follow("main")
    head = repo.commit({"NOTES.md": "first\n"}, "a change", branch="feature/preview")
    repo.push("feature/preview")
    number = team.open_pr(DEV, "feature/preview", "main", "preview")
    writes = len(team.writes())

    first = team.act.run(repo, "pull_request (same repository): preview.yml + code-freeze.yml", "pull_request",
                         pr_event(gh, number, "feature/preview", head, base_sha),
                         secrets=team.act.secrets("preview-staging"))
    assert first.ok(), tail(first)
    assert job_state(first, "offline check production") == "success", first.jobs
    assert job_state(first, "release/code-freeze") == "success", first.jobs  # no freeze declared
    [comment] = comments(gh, number)  # staging, the only non-production stack, previewed with its own key
    body = comment["body"]
    assert body.startswith("#### :tropical_drink: `preview` on release-topology/staging")
    assert "Previewing update (staging)" in body and "release-topology:index:ReleaseEnvironment" in body
    assert comment["user"] == BOT  # posted with `github.token`
    # The preview wrote nothing to GitHub but its comment, and created only the (empty) stack it previewed.
    assert {(r["method"], r["path"].split("?")[0]) for r in team.writes()[writes:]} == {
        ("POST", f"/api/v3{team.api}/issues/{number}/comments")}
    assert team.stack_file("staging").exists() and team.resources("staging") == []
    assert not team.stack_file("production").exists()

    head2 = repo.commit({"NOTES.md": "second\n"}, "another change")
    repo.push("feature/preview")
    second = team.act.run(repo, "pull_request (second push): preview.yml + code-freeze.yml", "pull_request",
                          pr_event(gh, number, "feature/preview", head2, base_sha),
                          secrets=team.act.secrets("preview-staging"))
    assert second.ok(), tail(second)
    [edited] = comments(gh, number)  # edited, not posted again
    assert edited["id"] == comment["id"] and edited["edits"] == 1


# --- 2. a pull request from a fork ------------------------------------------------------------------------------


def test_a_fork_pull_request_gets_the_offline_check_and_no_secret(team):
    gh, repo = team.gh, team.repo
    base_sha = repo.follow("main")
    head = repo.commit({"NOTES.md": "from a fork\n"}, "fork change", branch="fork/feature")
    repo.push("fork/feature")  # where GitHub keeps a fork PR's head: here a branch of the base repository
    number = team.open_pr(DEV, "fork/feature", "main", "fork")
    before, writes = backend_digest(team), len(team.writes())
    result = team.act.run(repo, "pull_request (fork): preview.yml", "pull_request",
                          pr_event(gh, number, "feature", head, base_sha, fork=True), PREVIEW,
                          secrets=team.act.secrets(None))  # GitHub gives a fork PR's run no secret
    assert result.ok(), tail(result)
    assert job_state(result, "offline check staging") == "success", result.jobs
    assert job_state(result, "offline check production") == "success", result.jobs
    assert job_state(result, "preview staging") is None, result.jobs
    assert comments(gh, number) == [] and team.writes()[writes:] == []
    assert backend_digest(team) == before  # no stack created, no state read or written


# --- 3. the deploys -----------------------------------------------------------------------------------------------


def test_a_push_to_staging_deploys_staging_at_that_commit_backup_first(team):
    result, sha = team.deploy("push staging: deploy.yml", "push", "staging", "staging")
    assert result.ok(), tail(result)
    assert job_state(result, "pulumi up production") is None, result.jobs
    types = {r["type"] for r in team.resources("staging")}
    assert "github:index/repositoryRuleset:RepositoryRuleset" in types and "vercel:index/project:Project" in types
    assert team.resources("production") == []
    [(name, export)] = backups(team, "staging")  # taken before the `up`: the stack as it was, still empty
    assert name.startswith(f"staging-{sha}-") and not export["deployment"].get("resources"), name
    assert team.deployments("staging", sha) == ["success"]  # what main's ruleset requires before a promotion
    assert ("GET", "/api/health", b"") in team.app.requests  # the health check ran after the `up`
    assert team.messages() == []  # staging deploys are not announced


def test_a_push_to_main_deploys_production_tags_the_release_and_announces_it(team):
    result, sha = team.deploy("push main: deploy.yml", "push", "main", "production")
    assert result.ok(), tail(result)
    assert job_state(result, "release version") == "success", result.jobs
    assert "github:index/repositoryRuleset:RepositoryRuleset" in {r["type"] for r in team.resources("production")}
    assert team.deployments("production", sha) == ["success"]
    [(tag, tagged)] = team.tags().items()
    assert re.fullmatch(r"v\d{4}\.\d{2}\.\d{2}-1", tag) and tagged == sha
    [message] = team.messages()
    assert "production" in message and sha[:12] in message and LEAD in message
    assert "release-topology-demo" not in json.dumps(team.hook.requests[-1][2].decode())


def test_a_promotion_waits_for_a_healthy_staging_deploy_of_its_head(team):
    gh, repo = team.gh, team.repo
    repo.follow("staging")
    head = repo.commit({"app/invoices.py": "def invoice():\n    return 1\n"}, "invoices", branch="feature/invoices")
    repo.push("feature/invoices")
    feature = team.open_pr(DEV, "feature/invoices", "staging", "Invoices")
    team.ci(head)
    assert gh.as_user(LEAD).post(f"{team.api}/pulls/{feature}/reviews", {"event": "APPROVE"})[0] == 200
    status, merged = team.merge(feature, "squash")
    assert status == 200, merged
    staging_tip = merged["sha"]
    team.ci(staging_tip)
    promotion = team.open_pr(LEAD, "staging", "main", "Promote staging to production")
    assert gh.as_user(CTO).post(f"{team.api}/pulls/{promotion}/reviews", {"event": "APPROVE"})[0] == 200
    status, body = team.merge(promotion, "merge")
    assert status == 405 and 'Changes must be successfully deployed to "staging"' in body["message"], body

    team.app_state["healthy"] = False  # the app answers 500 after this deploy
    failed, sha = team.deploy("push staging (unhealthy app): deploy.yml", "push", "staging", "staging")
    assert sha == staging_tip and not failed.ok()
    assert job_state(failed, "pulumi up staging") == "failure", failed.jobs
    assert team.deployments("staging", sha) == ["failure"]
    status, body = team.merge(promotion, "merge")  # the chain stops before production
    assert status == 405 and 'Changes must be successfully deployed to "staging"' in body["message"], body
    assert any("health check failed" in m.lower() and "staging" in m for m in team.messages()), team.messages()

    team.app_state["healthy"] = True  # fixed; the deploy is run again
    again, _ = team.deploy("push staging (re-run, healthy): deploy.yml", "push", "staging", "staging")
    assert again.ok(), tail(again)
    assert team.deployments("staging", sha) == ["success", "failure"]  # newest first
    # Each deploy exported the stack before its `up`: the re-run's backup holds what the failed run applied.
    name, export = backups(team, "staging")[-1]
    assert name.startswith(f"staging-{sha}-") and export["deployment"]["resources"]
    status, body = team.merge(promotion, "merge")
    assert status == 200, body
    result, main_sha = team.deploy("push main (promotion): deploy.yml", "push", "main", "production")
    assert result.ok(), tail(result)
    assert gh.git("rev-list", "--parents", "-n", "1", main_sha).split()[1:][1] == sha  # staging's SHA, promoted
    assert team.deployments("production", main_sha) == ["success"]
    assert sorted(team.tags().values()).count(main_sha) == 1 and len(team.tags()) == 2


def test_an_emergency_without_a_reason_changes_nothing(team):
    before, writes, tags, hooks = backend_digest(team), len(team.writes()), team.tags(), len(team.hook.requests)
    sha = team.repo.follow("main")
    payload = {"ref": "refs/heads/main", "repository": repo_json(team.gh), "inputs": {"emergency": "true", "reason": " "}}
    result = team.act.run(team.repo, "workflow_dispatch emergency, no reason: deploy.yml", "workflow_dispatch",
                          payload, DEPLOY, actor=CTO, extra=["--input", "emergency=true", "--input", "reason= "],
                          secrets=team.act.secrets("production", webhook=f"{team.hook.url}/hook"))
    assert not result.ok() and job_state(result, "check the request") == "failure", result.jobs
    assert job_state(result, "pulumi up production") is None, result.jobs
    assert backend_digest(team) == before and team.writes()[writes:] == [] and team.tags() == tags
    assert len(team.hook.requests) == hooks and team.deployments("production", sha) == ["success"]


def test_an_emergency_with_a_reason_deploys_and_opens_its_post_mortem(team):
    reason = "checkout broken: revert INC-42"
    result, sha = team.deploy("workflow_dispatch emergency with a reason: deploy.yml", "workflow_dispatch", "main",
                              "production", actor=CTO, inputs={"emergency": "true", "reason": reason})
    assert result.ok(), tail(result)
    [issue] = team.issues("post-mortem")
    assert issue["title"] == f"Post-mortem: emergency deploy of production at {sha[:12]}"
    assert reason in issue["body"] and sha in issue["body"] and issue["user"]["login"] == BOT
    assert [a["login"] for a in issue["assignees"]] == [CTO]  # production's reviewers
    assert any("EMERGENCY" in m and reason in m for m in team.messages()), team.messages()
    assert len(team.tags()) == 2  # the same commit: the release job creates no second tag
    outputs = json.loads(team.stack_file("production").read_text())["checkpoint"]["latest"]["resources"]
    stack = next(r for r in outputs if r["type"] == "pulumi:pulumi:Stack")
    assert reason in json.dumps(stack.get("outputs", {}).get("emergencyOverride"))


# --- 4. the schedule ------------------------------------------------------------------------------------------


def drift(team: Team, label: str, event: str = "schedule") -> ActResult:
    """drift.yml on its schedule, or run by hand (workflow_dispatch), on main."""
    payload = {"schedule": "17 6 * * *"} if event == "schedule" else {"ref": "refs/heads/main", "inputs": {}}
    team.repo.follow("main")
    return team.act.run(team.repo, label, event, {**payload, "repository": repo_json(team.gh)}, DRIFT,
                        secrets=team.act.secrets("drift", webhook=f"{team.hook.url}/hook"))


def test_the_schedule_opens_the_drift_issue_keeps_it_while_the_findings_stay_and_closes_it_when_clean(team):
    gh = team.gh
    clean = drift(team, "schedule (clean): drift.yml")
    assert clean.ok(), tail(clean)
    assert team.issues("drift-audit") == []
    ruleset = gh.store.state()["rulesets"]["production-branch-gate"]
    hooks = len(team.messages())
    gh.store.disable_ruleset(ruleset["id"])  # someone disables it in GitHub's UI

    found = drift(team, "schedule (a ruleset disabled): drift.yml")
    assert found.ok(), tail(found)  # findings keep the job green: the issue says what to do
    [issue] = team.issues("drift-audit")
    assert issue["title"] == "Drift audit: production" and issue["state"] == "open"
    assert "pulumi up --refresh --stack production" in issue["body"]
    assert len(team.messages()) == hooks + 1 and "production" in team.messages()[-1]

    same = drift(team, "schedule (same findings): drift.yml")
    assert same.ok(), tail(same)
    [unchanged] = team.issues("drift-audit")
    assert unchanged["updated_at"] == issue["updated_at"] and unchanged["body"] == issue["body"]
    assert len(team.messages()) == hooks + 1  # no new finding, no new message

    gh.store.disable_ruleset(ruleset["id"], enforcement="active")  # and puts it back
    fixed = drift(team, "workflow_dispatch (clean again): drift.yml", event="workflow_dispatch")
    assert fixed.ok(), tail(fixed)
    [closed] = team.issues("drift-audit")
    assert closed["state"] == "closed" and closed["number"] == issue["number"]
    assert any("clean" in c["body"] for c in gh.store.flow.comments.values() if c["issue"] == issue["number"])


def test_zz_print_workflow_run_times():
    total = sum(seconds for _, seconds, _ in RUN_TIMES)
    for label, seconds, code in RUN_TIMES:
        print(f"[act] {label}: {seconds:.0f} s, exit {code}")
    print(f"[act] {len(RUN_TIMES)} workflow runs in {total:.0f} s")
    assert RUN_TIMES, "no workflow ran"
