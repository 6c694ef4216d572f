"""The GitHub double plays a team's flow: real git pushes checked against rulesets, pull requests,
reviews, statuses, merges as real git, environment jobs, tags and releases (doubles/README.md,
"The flow"; GitHub's rules in shared/notes/github-flow.md).

Rulesets are created through the REST route exactly as the provider sends them; every answer of the
flow's routes is checked against GitHub's published schema (github_contract.conforms).
"""

from __future__ import annotations

import copy
import socket

import pytest

from doubles.github import GitHubDouble
from doubles.github.refmatch import fnmatch_path, ruleset_targets
from doubles.github.workspace import Checkout
from github_contract import conforms, gh as schema

REPO = "/repos/koomy-app/koomy"
CTO, LEAD, DEV, GUEST = "koomy-cto", "koomy-lead", "koomy-dev", "koomy-guest"

PULL_REQUEST = {"type": "pull_request", "parameters": {
    "dismiss_stale_reviews_on_push": True, "require_code_owner_review": False,
    "require_last_push_approval": False, "required_approving_review_count": 1,
    "required_review_thread_resolution": True, "allowed_merge_methods": ["merge"]}}
STATUS_CHECKS = {"type": "required_status_checks", "parameters": {
    "required_status_checks": [{"context": "ci/test"}, {"context": "ci/lint"}],
    "strict_required_status_checks_policy": True, "do_not_enforce_on_create": False}}
MAIN_GATE = {  # as the provider's expandRules/expandConditions send it (test_github_double.py)
    "name": "production-branch-gate", "target": "branch", "source_type": "Repository",
    "source": "koomy", "enforcement": "active", "bypass_actors": [],
    "conditions": {"ref_name": {"include": ["refs/heads/main"], "exclude": []}},
    "rules": [{"type": "deletion"}, {"type": "non_fast_forward"}, PULL_REQUEST, STATUS_CHECKS],
}
TAG_ARCHIVE = {
    "name": "release-archive", "target": "tag", "source_type": "Repository", "source": "koomy",
    "enforcement": "active", "bypass_actors": None,
    "conditions": {"ref_name": {"include": ["refs/tags/v*"], "exclude": []}},
    "rules": [{"type": "deletion"}, {"type": "update"}, {"type": "non_fast_forward"}],
}


@pytest.fixture
def double():
    """A started double with GUEST (read) added; after stop, its repository, thread and port are gone."""
    started = GitHubDouble(users={CTO: 1234567, LEAD: 1002, DEV: 1003, GUEST: 1004}, roles={GUEST: "read"})
    started.start()
    root, port, thread = started.store.flow.repo.root, started.port, started._thread
    assert root.exists()
    yield started
    started.stop()
    assert not root.exists(), "the bare repository's temporary directory must go with the double"
    assert not thread.is_alive()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the port must be closed"


@pytest.fixture
def team(double, tmp_path):
    """main holds a first commit (with CODEOWNERS) pushed by the CTO before any rule exists."""
    cto = Checkout(double, CTO, tmp_path / "cto")
    cto.commit({".github/CODEOWNERS": "* @koomy-cto\n", "app.py": "VERSION = 1\n"}, "first")
    assert cto.push("HEAD:refs/heads/main").returncode == 0
    dev = Checkout(double, DEV, tmp_path / "dev")
    return {"cto": cto, "dev": dev, "tmp": tmp_path}


def create_ruleset(double, body) -> dict:
    status, ruleset = double.as_user(CTO).post(REPO + "/rulesets", body)
    assert status == 201, ruleset
    return ruleset


def gate(**pull_request) -> dict:
    body = copy.deepcopy(MAIN_GATE)
    body["rules"][2]["parameters"].update(pull_request)
    return body


def tip(double, ref="refs/heads/main") -> str:
    return double.git("rev-parse", ref)


def feature(team, name="feature/login", files=None, message="add login") -> str:
    dev = team["dev"]
    dev.run("checkout", "--quiet", "-B", name, "origin/main")
    sha = dev.commit(files or {f"{name.replace('/', '_')}.py": "x = 1\n"}, message)
    done = dev.push(f"HEAD:refs/heads/{name}")
    assert done.returncode == 0, done.stderr
    return sha


def open_pull(double, head, base="main", author=DEV) -> dict:
    status, pull = double.as_user(author).post(REPO + "/pulls", {"title": f"{head} into {base}", "head": head,
                                                                "base": base})
    assert status == 201, pull
    conforms(schema.PullRequest, pull)
    return pull


def green(double, sha, *contexts):
    for context in contexts or ("ci/test", "ci/lint"):
        status, answer = double.as_user(LEAD).post(f"{REPO}/statuses/{sha}", {"state": "success", "context": context})
        assert status == 201, answer
        conforms(schema.Status, answer)


def approve(double, number, reviewer=LEAD):
    status, review = double.as_user(reviewer).post(f"{REPO}/pulls/{number}/reviews", {"event": "APPROVE"})
    assert status == 200, review
    conforms(schema.PullRequestReview, review)
    return review


def merge(double, number, method="merge", actor=LEAD, **extra):
    return double.as_user(actor).put(f"{REPO}/pulls/{number}/merge", {"merge_method": method, **extra})


def violations(answer) -> list[str]:
    status, body = answer
    assert status == 405, body
    assert body["message"].startswith("Repository rule violations found\n\n"), body
    return [line for line in body["message"].splitlines()[2:] if line]


# ---- pushes --------------------------------------------------------------------------------------

def test_a_direct_push_to_protected_main_is_refused_with_githubs_gh013_text(double, team):
    create_ruleset(double, MAIN_GATE)
    before = tip(double)
    cto = team["cto"]
    cto.commit({"app.py": "VERSION = 2\n"}, "straight to main")
    done = cto.push("HEAD:main")
    assert done.returncode != 0
    assert "remote: error: GH013: Repository rule violations found for refs/heads/main." in done.stderr
    assert ("remote: Review all repository rules at "
            "https://github.com/koomy-app/koomy/rules?ref=refs%2Fheads%2Fmain") in done.stderr
    assert "remote: - Changes must be made through a pull request." in done.stderr
    assert "! [remote rejected] HEAD -> main (push declined due to repository rule violations)" in done.stderr
    assert tip(double) == before, "the ref must not move"


def test_force_push_and_deletion_of_main_are_refused(double, team):
    create_ruleset(double, MAIN_GATE)
    before = tip(double)
    dev = team["dev"]
    dev.run("checkout", "--quiet", "--orphan", "rewrite")
    dev.commit({"other.py": "y = 2\n"}, "unrelated history")
    forced = dev.push("HEAD:main", force=True)
    assert forced.returncode != 0 and "remote: - Cannot force-push to this branch" in forced.stderr
    deleted = dev.push(":main")
    assert deleted.returncode != 0 and "remote: - Cannot delete this branch" in deleted.stderr
    assert "(push declined due to repository rule violations)" in deleted.stderr
    assert tip(double) == before


def test_a_feature_branch_push_is_accepted_and_only_then_moves_the_ref(double, team):
    create_ruleset(double, MAIN_GATE)
    sha = feature(team)
    assert tip(double, "refs/heads/feature/login") == sha


def test_git_needs_a_users_token_and_write_access_to_push(double, team, tmp_path):
    import subprocess
    from doubles.github.gitrepo import clean_env
    url = f"http://{DEV}:wrong@127.0.0.1:{double.port}/koomy-app/koomy.git"
    refused = subprocess.run(["git", "ls-remote", url], capture_output=True, text=True,
                             env=clean_env({"GIT_TERMINAL_PROMPT": "0"}))
    assert refused.returncode != 0 and ("401" in refused.stderr or "Authentication failed" in refused.stderr)
    guest = Checkout(double, GUEST, tmp_path / "guest")  # read access: clone works
    guest.commit({"g.py": "1\n"}, "guest")
    pushed = guest.push("HEAD:refs/heads/guest")
    assert pushed.returncode != 0 and "403" in pushed.stderr
    assert double.store.flow.repo.resolve("refs/heads/guest") is None


def test_linear_history_refuses_a_pushed_merge_commit(double, team):
    create_ruleset(double, {**MAIN_GATE, "name": "release-lines", "rules": [{"type": "required_linear_history"}],
                            "conditions": {"ref_name": {"include": ["refs/heads/release/*"], "exclude": []}}})
    dev = team["dev"]
    dev.run("checkout", "--quiet", "-b", "side", "origin/main")
    dev.commit({"side.py": "1\n"}, "side")
    dev.run("checkout", "--quiet", "-b", "release/1", "origin/main")
    dev.commit({"rel.py": "1\n"}, "release work")
    assert dev.push("HEAD:refs/heads/release/1").returncode == 0
    dev.run("merge", "--quiet", "--no-ff", "-m", "merge side", "side")
    done = dev.push("HEAD:refs/heads/release/1")
    assert done.returncode != 0 and "remote: - This branch must not contain merge commits." in done.stderr


def test_disabled_and_evaluate_rulesets_block_nothing(double, team):
    create_ruleset(double, {**MAIN_GATE, "enforcement": "disabled"})
    create_ruleset(double, {**MAIN_GATE, "name": "evaluated", "enforcement": "evaluate"})
    cto = team["cto"]
    sha = cto.commit({"app.py": "VERSION = 3\n"}, "allowed")
    assert cto.push("HEAD:main").returncode == 0 and tip(double) == sha


def test_a_bypass_actor_pushes_with_the_bypassed_note(double, team):
    body = copy.deepcopy(MAIN_GATE)
    body["bypass_actors"] = [{"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "always"}]
    create_ruleset(double, body)
    cto = team["cto"]  # admin: role id 5
    sha = cto.commit({"app.py": "VERSION = 4\n"}, "hotfix")
    done = cto.push("HEAD:main")
    assert done.returncode == 0, done.stderr
    assert "remote: Bypassed rule violations for refs/heads/main:" in done.stderr
    assert "remote: - Changes must be made through a pull request." in done.stderr
    assert tip(double) == sha
    dev = team["dev"]  # write only: no bypass
    dev.run("fetch", "--quiet", "origin")
    dev.run("checkout", "--quiet", "-B", "main", "origin/main")
    dev.commit({"app.py": "VERSION = 5\n"}, "not mine to bypass")
    assert dev.push("HEAD:main").returncode != 0


def test_pull_request_bypass_mode_does_not_let_a_direct_push_through(double, team):
    body = copy.deepcopy(MAIN_GATE)
    body["bypass_actors"] = [{"actor_id": 1234567, "actor_type": "User", "bypass_mode": "pull_request"}]
    create_ruleset(double, body)
    cto = team["cto"]
    cto.commit({"app.py": "VERSION = 6\n"}, "direct")
    assert cto.push("HEAD:main").returncode != 0
    head = feature(team)
    pull = open_pull(double, "feature/login")
    status, result = merge(double, pull["number"], actor=CTO)  # unapproved, no checks: bypassed on merge
    assert status == 200, result
    assert double.git("rev-list", "--parents", "-n", "1", "main").split()[2] == head


# ---- pull requests -----------------------------------------------------------------------------

def test_the_pull_request_flow_to_a_merge_commit(double, team):
    body = copy.deepcopy(MAIN_GATE)
    body["rules"].append({"type": "required_deployments",
                          "parameters": {"required_deployment_environments": ["staging"]}})
    create_ruleset(double, body)
    base = tip(double)
    head = feature(team)
    pull = open_pull(double, "feature/login")
    number = pull["number"]
    assert pull["head"]["sha"] == head and pull["base"]["sha"] == base and pull["state"] == "open"

    status, error = double.as_user(DEV).post(f"{REPO}/pulls/{number}/reviews", {"event": "APPROVE"})
    assert status == 422 and error["errors"] == ["Can not approve your own pull request"]
    assert violations(merge(double, number)) == [
        "Waiting on 1 more approval from a reviewer with write access.",
        "2 of 2 required status checks are expected.",
        'Changes must be successfully deployed to "staging" before merging.']

    approve(double, number, LEAD)
    green(double, head, "ci/test")
    assert violations(merge(double, number)) == ['Required status check "ci/lint" is expected.',
                                                 'Changes must be successfully deployed to "staging" before merging.']
    green(double, head, "ci/lint")
    run = double.run_job(DEV, "staging", "feature/login")  # staging has no rules: deploys at once
    assert run["conclusion"] == "success"
    status, found = double.as_user(DEV).get(f"{REPO}/deployments?environment=staging&sha={head}")
    assert status == 200 and [d["sha"] for d in found] == [head]
    conforms(list[schema.Deployment], found)
    status, statuses = double.as_user(DEV).get(f"{REPO}/deployments/{found[0]['id']}/statuses")
    assert [s["state"] for s in statuses] == ["success", "in_progress"]
    conforms(list[schema.DeploymentStatus], statuses)

    assert merge(double, number, sha="0" * 40)[0] == 409
    status, result = merge(double, number, sha=head)
    assert status == 200 and result["merged"] is True, result
    conforms(schema.PullRequestMergeResult, result)
    parents = double.git("rev-list", "--parents", "-n", "1", "main").split()
    assert parents == [result["sha"], base, head]  # a merge commit: base then head
    status, merged = double.as_user(DEV).get(f"{REPO}/pulls/{number}")
    assert merged["merged"] is True and merged["state"] == "closed" and merged["merge_commit_sha"] == result["sha"]
    assert merged["merged_by"]["login"] == LEAD
    conforms(schema.PullRequest, merged)
    assert double.as_user(DEV).get(f"{REPO}/pulls/{number}/merge")[0] == 204


def test_merge_methods_follow_allowed_merge_methods_and_are_real_git(double, team):
    ruleset = create_ruleset(double, gate(allowed_merge_methods=["merge"]))
    base = tip(double)
    head = feature(team, "feature/a")
    number = open_pull(double, "feature/a")["number"]
    approve(double, number)
    green(double, head)
    status, error = merge(double, number, "squash")
    assert (status, error["message"]) == (405, "Squash merges are not allowed on this repository.")
    status, error = merge(double, number, "rebase")
    assert (status, error["message"]) == (405, "Rebase merges are not allowed on this repository.")

    body = gate(allowed_merge_methods=["squash", "rebase"])
    assert double.as_user(CTO).put(f"{REPO}/rulesets/{ruleset['id']}", body)[0] == 200
    status, error = merge(double, number, "merge")
    assert (status, error["message"]) == (405, "Merge commits are not allowed on this repository.")
    status, result = merge(double, number, "squash")
    assert status == 200, result
    assert double.git("rev-list", "--parents", "-n", "1", "main").split() == [result["sha"], base]
    assert not double.store.flow.repo.is_ancestor(head, "main"), "a squash never brings the head's commits"
    assert "feature_a.py" in double.git("ls-tree", "--name-only", "main").split()

    dev = team["dev"]
    dev.run("fetch", "--quiet", "origin")
    dev.run("checkout", "--quiet", "-B", "feature/b", "origin/main")
    first = dev.commit({"b1.py": "1\n"}, "b one")
    second = dev.commit({"b2.py": "2\n"}, "b two")
    assert dev.push("HEAD:refs/heads/feature/b").returncode == 0
    number = open_pull(double, "feature/b")["number"]
    approve(double, number)
    green(double, second)
    before = tip(double)
    status, result = merge(double, number, "rebase")
    assert status == 200, result
    replayed = double.git("rev-list", "--reverse", f"{before}..main").split()
    assert len(replayed) == 2 and not {first, second} & set(replayed), "rebase mints new SHAs"
    assert double.git("rev-list", "--parents", "-n", "1", replayed[0]).split()[1] == before


def test_strict_status_checks_refuse_an_out_of_date_head(double, team):
    create_ruleset(double, gate(required_approving_review_count=0))
    one = feature(team, "feature/one")
    two = feature(team, "feature/two")
    first, second = open_pull(double, "feature/one")["number"], open_pull(double, "feature/two")["number"]
    green(double, one)
    green(double, two)
    assert merge(double, first)[0] == 200
    assert violations(merge(double, second)) == ["This branch is out-of-date with the base branch."]
    dev = team["dev"]  # bring it up to date: merge main into the head, push, checks again
    dev.run("fetch", "--quiet", "origin")
    dev.run("checkout", "--quiet", "feature/two")
    dev.run("merge", "--quiet", "--no-edit", "origin/main")
    assert dev.push("HEAD:refs/heads/feature/two").returncode == 0
    updated = double.as_user(DEV).get(f"{REPO}/pulls/{second}")[1]["head"]["sha"]
    assert updated != two
    green(double, updated)
    assert merge(double, second)[0] == 200


def test_code_owners_are_read_from_the_base_branch(double, team):
    create_ruleset(double, gate(require_code_owner_review=True))
    # The head rewrites CODEOWNERS to name its author: the base's file still decides.
    head = feature(team, "feature/owners", {".github/CODEOWNERS": "* @koomy-dev\n", "x.py": "1\n"})
    number = open_pull(double, "feature/owners")["number"]
    green(double, head)
    approve(double, number, LEAD)
    assert violations(merge(double, number)) == ["Waiting on code owner review from koomy-cto."]
    approve(double, number, CTO)
    assert merge(double, number)[0] == 200


def test_a_push_dismisses_stale_approvals(double, team):
    create_ruleset(double, gate())
    feature(team, "feature/stale")
    number = open_pull(double, "feature/stale")["number"]
    approve(double, number)
    dev = team["dev"]
    newer = dev.commit({"more.py": "1\n"}, "more")
    assert dev.push("HEAD:refs/heads/feature/stale").returncode == 0
    green(double, newer)
    states = [r["state"] for r in double.as_user(DEV).get(f"{REPO}/pulls/{number}/reviews")[1]]
    assert states == ["DISMISSED"]
    assert violations(merge(double, number)) == ["Waiting on 1 more approval from a reviewer with write access."]
    approve(double, number)
    assert merge(double, number)[0] == 200


def test_last_push_approval_needs_someone_other_than_the_last_pusher(double, team):
    create_ruleset(double, gate(require_last_push_approval=True, dismiss_stale_reviews_on_push=False))
    feature(team, "feature/pair")
    number = open_pull(double, "feature/pair")["number"]
    lead = Checkout(double, LEAD, team["tmp"] / "lead")  # the lead pushes last to the dev's branch
    lead.run("checkout", "--quiet", "-B", "feature/pair", "origin/feature/pair")
    newer = lead.commit({"fix.py": "1\n"}, "lead's fix")
    assert lead.push("HEAD:refs/heads/feature/pair").returncode == 0
    green(double, newer)
    approve(double, number, LEAD)
    assert violations(merge(double, number)) == [
        "Waiting on 1 more approval from a reviewer with write access other than the last pusher."]
    approve(double, number, CTO)
    assert merge(double, number)[0] == 200


def test_only_write_access_approvals_count_and_changes_requested_block(double, team):
    create_ruleset(double, gate())
    head = feature(team, "feature/reads")
    number = open_pull(double, "feature/reads")["number"]
    green(double, head)
    approve(double, number, GUEST)  # read access: recorded, not counted
    assert violations(merge(double, number)) == ["Waiting on 1 more approval from a reviewer with write access."]
    status, _ = double.as_user(CTO).post(f"{REPO}/pulls/{number}/reviews", {"event": "REQUEST_CHANGES", "body": "no"})
    assert status == 200
    approve(double, number, LEAD)
    assert violations(merge(double, number)) == ["Changes requested by a reviewer with write access must be addressed."]
    approve(double, number, CTO)
    assert merge(double, number)[0] == 200


def test_check_runs_count_as_status_checks(double, team):
    create_ruleset(double, gate(required_approving_review_count=0))
    head = feature(team, "feature/checks")
    number = open_pull(double, "feature/checks")["number"]
    for name, conclusion in (("ci/test", "success"), ("ci/lint", "failure")):
        status, run = double.as_user(LEAD).post(f"{REPO}/check-runs", {"name": name, "head_sha": head,
                                                                       "status": "completed", "conclusion": conclusion})
        assert status == 201
        conforms(schema.CheckRun, run)
    assert violations(merge(double, number)) == ['Required status check "ci/lint" is failing.']
    double.as_user(LEAD).post(f"{REPO}/check-runs", {"name": "ci/lint", "head_sha": head, "conclusion": "skipped"})
    assert merge(double, number)[0] == 200


def test_a_pushed_head_that_lands_in_the_base_marks_the_pull_request_merged(double, team):
    head = feature(team, "feature/ff")
    number = open_pull(double, "feature/ff")["number"]
    dev = team["dev"]
    assert dev.push("HEAD:main").returncode == 0  # no rules yet: a fast-forward of main
    pull = double.as_user(DEV).get(f"{REPO}/pulls/{number}")[1]
    assert pull["merged"] is True and pull["merge_commit_sha"] == head


# ---- tags and releases ---------------------------------------------------------------------------

def test_release_tags_can_be_created_but_never_moved_or_deleted(double, team):
    create_ruleset(double, TAG_ARCHIVE)
    cto = team["cto"]
    cto.run("tag", "v1.0")
    assert cto.push("refs/tags/v1.0").returncode == 0
    tagged = tip(double, "refs/tags/v1.0")
    cto.commit({"app.py": "VERSION = 7\n"}, "later")
    cto.run("tag", "--force", "v1.0")
    moved = cto.push("refs/tags/v1.0", force=True)
    assert moved.returncode != 0
    assert "remote: error: GH013: Repository rule violations found for refs/tags/v1.0." in moved.stderr
    assert "remote: - Cannot update this protected ref." in moved.stderr
    deleted = cto.push(":refs/tags/v1.0")
    assert deleted.returncode != 0 and "remote: - Cannot delete this tag" in deleted.stderr
    assert tip(double, "refs/tags/v1.0") == tagged
    assert double.as_user(CTO).delete(f"{REPO}/git/refs/tags/v1.0")[0] == 422  # through the API as well
    other = cto.push("HEAD:refs/tags/nightly")  # not v*: no rule
    assert other.returncode == 0


def test_a_release_creates_its_tag_and_is_read_back(double, team):
    create_ruleset(double, TAG_ARCHIVE)
    main = tip(double)
    status, release = double.as_user(CTO).post(f"{REPO}/releases", {"tag_name": "v2026.11.30-1",
                                                                    "target_commitish": "main", "name": "first"})
    assert status == 201, release
    conforms(schema.Release, release)
    assert tip(double, "refs/tags/v2026.11.30-1") == main
    status, found = double.as_user(DEV).get(f"{REPO}/releases/tags/v2026.11.30-1")
    assert status == 200 and found["id"] == release["id"]
    assert [r["tag_name"] for r in double.as_user(DEV).get(f"{REPO}/releases")[1]] == ["v2026.11.30-1"]
    status, ref = double.as_user(DEV).get(f"{REPO}/git/ref/tags/v2026.11.30-1")
    assert status == 200 and ref["object"]["sha"] == main
    conforms(schema.GitRef, ref)
    status, refs = double.as_user(DEV).get(f"{REPO}/git/matching-refs/tags/v")
    assert [r["ref"] for r in refs] == ["refs/tags/v2026.11.30-1"]
    assert double.as_user(CTO).post(f"{REPO}/releases", {"tag_name": "v2026.11.30-1"})[0] == 422


# ---- environments, jobs, deployments ----------------------------------------------------------

def put_environment(double, name, **body):
    status, env = double.as_user(CTO).put(f"{REPO}/environments/{name}", body)
    assert status == 200, env
    return env


def test_an_environment_job_from_another_branch_is_refused(double, team):
    put_environment(double, "production", deployment_branch_policy={"protected_branches": False,
                                                                     "custom_branch_policies": True})
    status, _ = double.as_user(CTO).post(f"{REPO}/environments/production/deployment-branch-policies",
                                         {"name": "main", "type": "branch"})
    assert status == 200
    feature(team, "feature/sneaky")
    run = double.run_job(DEV, "production", "feature/sneaky")
    assert run["conclusion"] == "failure"
    assert run["message"] == ('Branch "feature/sneaky" is not allowed to deploy to production due to environment '
                              "protection rules.")
    assert double.as_user(DEV).get(f"{REPO}/deployments?environment=production")[1] == []
    assert double.run_job(DEV, "production", "main")["conclusion"] == "success"
    # The REST API skips environment protection rules, as on GitHub [c24].
    status, deployment = double.as_user(DEV).post(f"{REPO}/deployments", {"ref": "feature/sneaky",
                                                                          "environment": "production"})
    assert status == 201 and deployment["environment"] == "production"
    conforms(schema.Deployment, deployment)
    status, deployment_status = double.as_user(DEV).post(f"{REPO}/deployments/{deployment['id']}/statuses",
                                                         {"state": "success"})
    assert status == 201
    conforms(schema.DeploymentStatus, deployment_status)


def test_protected_branches_policy_admits_only_branches_a_ruleset_protects(double, team):
    put_environment(double, "staging", deployment_branch_policy={"protected_branches": True,
                                                                  "custom_branch_policies": False})
    feature(team, "feature/x")
    assert double.run_job(DEV, "staging", "feature/x")["conclusion"] == "success"  # nothing protected yet
    create_ruleset(double, MAIN_GATE)
    assert double.run_job(DEV, "staging", "feature/x")["conclusion"] == "failure"
    assert double.run_job(DEV, "staging", "main")["conclusion"] == "success"


def test_a_pending_deployment_is_approved_by_a_reviewer_other_than_the_trigger(double, team):
    put_environment(double, "production", reviewers=[{"type": "User", "id": 1234567}, {"type": "User", "id": 1002}],
                    prevent_self_review=True, wait_timer=5, can_admins_bypass=False)
    run = double.run_job(CTO, "production", "main", url="https://koomy.app")
    assert run["status"] == "waiting"
    status, pending = double.as_user(LEAD).get(f"{REPO}/actions/runs/{run['id']}/pending_deployments")
    assert status == 200 and pending[0]["current_user_can_approve"] is True
    conforms(list[schema.PendingDeployment], pending)
    env_id = pending[0]["environment"]["id"]
    assert double.as_user(CTO).get(f"{REPO}/actions/runs/{run['id']}/pending_deployments")[1][0][
        "current_user_can_approve"] is False
    # prevent_self_review: the CTO triggered the run and cannot approve it; DEV is no reviewer.
    for who in (CTO, DEV):
        status, _ = double.as_user(who).post(f"{REPO}/actions/runs/{run['id']}/pending_deployments",
                                             {"environment_ids": [env_id], "state": "approved", "comment": "ok"})
        assert status == 422
    status, started = double.as_user(LEAD).post(f"{REPO}/actions/runs/{run['id']}/pending_deployments",
                                                {"environment_ids": [env_id], "state": "approved", "comment": "ok"})
    assert status == 200 and started == []  # approved: now the 5-minute wait timer runs
    assert double.job(run["id"])["status"] == "waiting"
    double.advance_clock(5 * 60)
    finished = double.job(run["id"])
    assert finished["conclusion"] == "success"
    deployments = double.as_user(CTO).get(f"{REPO}/deployments?environment=production")[1]
    assert [(d["id"], d["ref"], d["sha"]) for d in deployments] == [(finished["deployment_id"], "main", tip(double))]


def test_a_rejected_pending_deployment_never_deploys(double, team):
    put_environment(double, "production", reviewers=[{"type": "User", "id": 1234567}], prevent_self_review=True)
    run = double.run_job(DEV, "production", "main")
    env_id = double.as_user(CTO).get(f"{REPO}/actions/runs/{run['id']}/pending_deployments")[1][0]["environment"]["id"]
    status, _ = double.as_user(CTO).post(f"{REPO}/actions/runs/{run['id']}/pending_deployments",
                                         {"environment_ids": [env_id], "state": "rejected", "comment": "not today"})
    assert status == 200
    assert double.job(run["id"])["conclusion"] == "failure"
    assert double.as_user(CTO).get(f"{REPO}/deployments?environment=production")[1] == []


def test_only_the_environments_latest_success_counts_for_required_deployments(double, team):
    body = copy.deepcopy(MAIN_GATE)
    body["rules"] = [{"type": "required_deployments",
                      "parameters": {"required_deployment_environments": ["staging"]}}]
    create_ruleset(double, body)
    head = feature(team, "feature/deployed")
    number = open_pull(double, "feature/deployed")["number"]
    double.run_job(DEV, "staging", "feature/deployed")
    feature(team, "feature/later")
    double.run_job(DEV, "staging", "feature/later")  # a later success makes the first one inactive
    assert violations(merge(double, number)) == ['Changes must be successfully deployed to "staging" before merging.']
    double.run_job(DEV, "staging", "feature/deployed", sha=head)
    assert merge(double, number)[0] == 200


# ---- patterns -----------------------------------------------------------------------------------

def test_ref_name_patterns_match_as_fnmatch_with_pathname():
    assert fnmatch_path("refs/heads/feature/*", "refs/heads/feature/a")
    assert not fnmatch_path("refs/heads/feature/*", "refs/heads/feature/a/b")
    assert fnmatch_path("refs/heads/feature/**", "refs/heads/feature/a/b")
    assert fnmatch_path("refs/tags/v*", "refs/tags/v1.2.3")
    ruleset = {"target": "branch", "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH", "refs/heads/rel/*"],
                                                               "exclude": ["refs/heads/rel/old"]}}}
    assert ruleset_targets(ruleset, "refs/heads/main", "main")
    assert ruleset_targets(ruleset, "refs/heads/rel/2", "main")
    assert not ruleset_targets(ruleset, "refs/heads/rel/old", "main")
    assert not ruleset_targets(ruleset, "refs/tags/rel/2", "main")  # a branch ruleset never targets tags
    assert ruleset_targets({"target": "tag", "conditions": {"ref_name": {"include": ["~ALL"]}}}, "refs/tags/x", "main")


def test_a_gzip_encoded_git_request_is_inflated_by_http_backend(double, team):
    """git gzips large upload-pack requests (Content-Encoding: gzip): http-backend inflates them."""
    import base64
    import gzip
    import urllib.request
    sha = tip(double)
    body = b"0032want %s\n" % sha.encode() + b"0000" + b"0009done\n"
    request = urllib.request.Request(f"http://127.0.0.1:{double.port}/koomy-app/koomy.git/git-upload-pack",
                                     data=gzip.compress(body), method="POST")
    request.add_header("Content-Type", "application/x-git-upload-pack-request")
    request.add_header("Content-Encoding", "gzip")
    credentials = base64.b64encode(f"{DEV}:{double.token_for(DEV)}".encode()).decode()
    request.add_header("Authorization", f"Basic {credentials}")
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"] == "application/x-git-upload-pack-result"
        assert b"PACK" in answer.read()


def test_a_job_that_runs_elsewhere_keeps_its_deployment_in_progress_until_it_ends(double, team):
    """What the act harness does around a workflow run: the job is gated and its deployment opened, the
    workflow runs, then the job's conclusion becomes the deployment's status."""
    put_environment(double, "staging")
    feature(team, "feature/x")
    run = double.run_job(DEV, "staging", "feature/x", result="running")
    assert run["status"] == "in_progress" and run["conclusion"] is None

    def states():
        listed = double.as_user(DEV).get(f"{REPO}/deployments/{run['deployment_id']}/statuses")[1]
        return [s["state"] for s in listed]
    assert states() == ["in_progress"]
    assert double.finish_job(run["id"], "failure")["conclusion"] == "failure"
    assert states() == ["failure", "in_progress"]  # newest first
    with pytest.raises(Exception, match="422"):  # the job already ended
        double.finish_job(run["id"], "success")
