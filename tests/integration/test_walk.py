"""Issue 15 §2: a release week, walked on each plan the README supports.

`pulumi up` of both stacks through the real engine, providers and policy pack against the doubles, then a
scripted week against the GitHub double as a team lives it: real git over HTTP, pull requests, reviews,
checks, merges done by the double as git does them, environment jobs that create deployments (what
deploy.yml's job for that environment does on a push to its branch), release tags. Every wrong path is
tried too. The test prints a table (step, actor, expected, what happened) and fails on any difference.
Assertions read what reached the double: refs and parents in its bare repository, deployments.

The flow it proves (README "The release flow", docs/workflows.md): feature/* -> staging by squash or rebase
(linear, strict); staging -> main by merge commits only, main not strict, so promotions repeat; the staging
deployment of the promoted head is required; production approved by the CTO through the plan's mechanism;
a hotfix travels the same chain; a rollback is a `git revert` travelling the same chain.

Rows marked (B) drive production `up`s outside the deploy window through the real engine: refused before
the first write without an emergency or without a reason, applied with one. Any difference fails the test.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import need_plugins
from lifecycle import Rehearsal
from harness import TEST_SECRETS
from test_lifecycle import set_sentinel_secrets
from test_plans_lifecycle import declare_plan

from doubles.github.workspace import Checkout
from rehearsal.doubles import started

STACKS = ("staging", "production")
PLANS = [("free", "public"), ("team", "private"), ("pro", "private"), ("enterprise", "private")]
# The plan the B rows run on (the shipped one): the deploy window does not depend on the plan.
B_PLAN = ("team", "private")
# Engineer B's rows (issue 15 §3, "stops an `up` before the first write"): reported, not failing, until
# B's change lands; then empty this set.
PENDING_B: set[str] = set()  # B (mandatory rules before the first write) has landed: its rows must hold

CTO, LEAD, DEV, DEV2, CI, BOT = "koomy-cto", "koomy-lead", "koomy-dev", "koomy-dev2", "koomy-ci", "github-actions"
EXTRA_USERS = {LEAD: 1002, DEV: 1003, DEV2: 1004, CI: 1005, BOT: 41898282}
CHECKS = ("ci/test", "ci/lint")
BRANCH_REFUSED = "Cannot create ref due to creations being restricted."
FREEZE_CHECK = "release/code-freeze"


def said(body) -> str:
    """What a REST refusal tells the user: its message's lines and its errors, without the title line."""
    if not isinstance(body, dict):
        return str(body)
    lines = [line for line in str(body.get("message", "")).splitlines()
             if line and line not in ("Repository rule violations found", "Unprocessable Entity", "Validation Failed")]
    lines += [e if isinstance(e, str) else e.get("message", "") for e in body.get("errors") or []]
    return " / ".join(line for line in lines if line)


@dataclass
class Row:
    step: str
    actor: str
    expected: str
    happened: str
    ok: bool
    pending: str | None = None  # a B row


@dataclass
class Walk:
    gh: object
    root: Path
    plan: str
    visibility: str
    rows: list[Row] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    # --- the plan's mechanism ------------------------------------------------------------------

    @property
    def code_owners(self) -> bool:
        """Private Team/Pro: no environment reviewers, the CTO approves as code owner of main."""
        return self.visibility == "private" and self.plan in ("team", "pro")

    @property
    def repo(self) -> str:
        return f"/repos/{self.gh.store.owner}/{self.gh.store.repo_name}"

    def api(self, login: str):
        return self.gh.as_user(login)

    # --- the table ----------------------------------------------------------------------------

    def record(self, step: str, actor: str, expected: str, happened: str, ok: bool, pending: str | None = None) -> bool:
        self.rows.append(Row(step, actor, expected, happened, bool(ok), pending))
        return ok

    def table(self) -> str:
        head = ("step", "actor", "expected", "what happened", "")
        lines = [head] + [(r.step, r.actor, r.expected, r.happened,
                           "ok" if r.ok else ("DIFF (B, pending)" if r.pending in PENDING_B else "DIFF"))
                          for r in self.rows]
        widths = [min(60, max(len(line[i]) for line in lines)) for i in range(4)]
        out = [f"walk on {self.plan} {self.visibility} "
               f"({'code-owner review' if self.code_owners else 'environment reviewers'})"]
        for line in lines:
            out.append(" | ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(line)))
        return "\n".join(out)

    def failures(self) -> list[Row]:
        return [r for r in self.rows if not r.ok and r.pending not in PENDING_B]

    # --- git and the API, as a team uses them --------------------------------------------------

    def tip(self, ref: str) -> str:
        return self.gh.git("rev-parse", "--verify", "--quiet", ref)

    def ref_exists(self, ref: str) -> bool:
        return bool(self.gh.git("for-each-ref", ref))

    def parents(self, sha: str) -> list[str]:
        return self.gh.git("rev-list", "--parents", "-n", "1", sha).split()[1:]

    def tree(self, sha: str) -> str:
        return self.gh.git("rev-parse", f"{sha}^{{tree}}")

    def ci(self, sha: str) -> None:
        """The CI's statuses on a commit (what a check workflow posts)."""
        for context in CHECKS:
            status, _ = self.api(CI).post(f"{self.repo}/statuses/{sha}", {"state": "success", "context": context})
            assert status == 201, status

    def open_pr(self, author: str, head: str, base: str, title: str) -> int:
        status, pr = self.api(author).post(f"{self.repo}/pulls", {"title": title, "head": head, "base": base})
        assert status == 201, (status, pr)
        return pr["number"]

    def review(self, login: str, number: int, event: str = "APPROVE") -> tuple[int, object]:
        return self.api(login).post(f"{self.repo}/pulls/{number}/reviews", {"event": event})

    def merge(self, login: str, number: int, method: str) -> tuple[int, object]:
        return self.api(login).put(f"{self.repo}/pulls/{number}/merge", {"merge_method": method})

    def deployments(self, environment: str, sha: str) -> list[tuple[int, str]]:
        """(id, latest state) of each deployment of `sha` to `environment`, as the REST API lists them."""
        status, listed = self.api(CI).get(f"{self.repo}/deployments?environment={environment}&sha={sha}")
        assert status == 200, listed
        out = []
        for d in listed:
            _, statuses = self.api(CI).get(f"{self.repo}/deployments/{d['id']}/statuses")
            out.append((d["id"], statuses[0]["state"] if statuses else "none"))
        return out

    def environment_id(self, name: str) -> int:
        status, env = self.api(CTO).get(f"{self.repo}/environments/{name}")
        assert status == 200, env
        return env["id"]

    # --- steps ---------------------------------------------------------------------------------

    def expect_push_refused(self, step: str, who: Checkout, refspec: str, lines: list[str], *, force: bool = False,
                            ref: str) -> None:
        before = self.gh.git("for-each-ref", "--format=%(objectname)", ref)
        done = who.push(refspec, force=force)
        said = [line.strip().removeprefix("remote: - ").strip() for line in done.stderr.splitlines()
                if line.startswith("remote: - ")]
        after = self.gh.git("for-each-ref", "--format=%(objectname)", ref)
        ok = done.returncode != 0 and all(line in said for line in lines) and before == after \
            and "GH013: Repository rule violations found for " + ref in done.stderr
        self.record(step, who.login, "GH013: " + " / ".join(lines), ("GH013: " + " / ".join(said)) if said
                    else (done.stderr.strip().splitlines() or ["pushed"])[-1], ok)

    def expect_merge_refused(self, step: str, login: str, number: int, method: str, text: str) -> None:
        base = self.pull(number)["base"]["ref"]
        before = self.tip(base)
        status, body = self.merge(login, number, method)
        message = (body or {}).get("message", "") if isinstance(body, dict) else str(body)
        said = " / ".join(line for line in message.splitlines() if line and line != "Repository rule violations found")
        ok = status in (405, 409, 422) and text in message and self.tip(base) == before
        self.record(step, login, f"{status if status >= 400 else 405}: {text}" if ok else f"refused: {text}",
                    f"{status}: {said}", ok)

    def pull(self, number: int) -> dict:
        status, pr = self.api(CI).get(f"{self.repo}/pulls/{number}")
        assert status == 200, pr
        return pr

    def expect_merged(self, step: str, login: str, number: int, method: str) -> str | None:
        pr = self.pull(number)
        base, head = pr["base"]["ref"], pr["head"]["sha"]
        before = self.tip(base)
        status, body = self.merge(login, number, method)
        after = self.tip(base)
        parents = self.parents(after)
        if method == "merge":
            # A merge commit: the base's old tip first, the promoted head second (the SHA that was deployed).
            shape_ok = parents == [before, head]
            shape = f"merge commit {after[:7]} (parents {before[:7]} + {head[:7]})"
        else:
            shape_ok = parents == [before] if method == "squash" else self.gh.git("merge-base", "--is-ancestor", before, after) == ""
            shape = f"{method} {after[:7]} on {before[:7]}"
        ok = status == 200 and body.get("sha") == after and shape_ok
        self.record(step, login, f"merged ({method})", shape if status == 200 else f"{status}: {body}", ok)
        return after if ok else None

    def feature(self, login: str, name: str, files: dict[str, str], *, base: str = "staging") -> tuple[Checkout, str]:
        """A developer's branch from `base` with one commit, pushed (feature branches have no rules)."""
        checkout = self.checkout(login)
        checkout.fetch()
        checkout.run("checkout", "--quiet", "-B", name, f"origin/{base}")
        sha = checkout.commit(files, name)
        done = checkout.push(f"HEAD:refs/heads/{name}", force=True)
        assert done.returncode == 0, done.stderr
        return checkout, sha

    _checkouts: dict = field(default_factory=dict)

    def checkout(self, login: str) -> Checkout:
        if login not in self._checkouts:
            self._checkouts[login] = Checkout(self.gh, login, self.root / login)
        return self._checkouts[login]

    def staging_deploy(self, actor: str, step: str) -> str:
        """deploy.yml's staging job on the push to staging: the deployment of staging's tip."""
        sha = self.tip("staging")
        run = self.gh.run_job(actor, "staging", "staging")
        deployed = self.deployments("staging", sha)
        ok = run["conclusion"] == "success" and run["sha"] == sha and deployed and deployed[-1][1] == "success"
        self.record(step, f"{actor} (deploy.yml staging job)", f"deployment of {sha[:7]} to staging: success",
                    f"deployment {deployed[-1][0] if deployed else '-'} of {run['sha'][:7]}: "
                    f"{deployed[-1][1] if deployed else run['message']}", ok)
        return sha

    def production_deploy(self, actor: str, step: str) -> str:
        """deploy.yml's production job on the push to main; the CTO approves it where the plan has
        environment reviewers (prevent self-review: never the actor who triggered it)."""
        sha = self.tip("main")
        run = self.gh.run_job(actor, "production", "main")
        how = "no environment reviewers: the merge was the approval"
        if not self.code_owners:
            assert run["status"] == "waiting", run
            status, _ = self.api(CTO).post(f"{self.repo}/actions/runs/{run['id']}/pending_deployments",
                                           {"environment_ids": [self.environment_id("production")], "state": "approved"})
            assert status == 200, status
            run = self.gh.job(run["id"])
            how = f"approved by {CTO} (required reviewer)"
        deployed = self.deployments("production", sha)
        ok = run["conclusion"] == "success" and deployed and deployed[-1][1] == "success"
        self.record(step, f"{actor} (deploy.yml production job)", f"deployment of {sha[:7]} to production: success",
                    f"success, {how}" if ok else f"{run}", ok)
        return sha

    def release(self, step: str) -> str:
        """The release version the production deploy creates (engineer B adds it to deploy.yml; made here
        as that job would, with its token): `vYYYY.MM.DD-N` on main's tip."""
        today = dt.date.today().strftime("%Y.%m.%d")
        tag = f"v{today}-{len(self.tags) + 1}"
        sha = self.tip("main")
        status, body = self.api(BOT).post(f"{self.repo}/releases", {"tag_name": tag, "target_commitish": "main",
                                                                     "name": tag})
        ok = status == 201 and self.tip(f"refs/tags/{tag}") == sha
        self.record(step, f"{BOT} (deploy job)", f"tag {tag} on {sha[:7]}", f"{status}: {tag} -> {self.tip('refs/tags/' + tag)[:7]}", ok)
        self.tags.append(tag)
        return tag

    def promote(self, label: str, author: str, approver: str, merger: str) -> tuple[int, str | None]:
        """staging -> main: the pull request, the CTO's approval by the plan's mechanism, the merge commit."""
        number = self.open_pr(author, "staging", "main", f"Promote staging to production ({label})")
        status, _ = self.review(approver, number)
        self.record(f"{label}: approve main's PR", approver, "approved", f"{status}", status == 200)
        merged = self.expect_merged(f"{label}: merge main's PR", merger, number, "merge")
        return number, merged


def week(w: Walk) -> None:
    gh, repo = w.gh, w.repo
    cto = w.checkout(CTO)
    approver = CTO if w.code_owners else LEAD  # who approves main's PR; on reviewer plans the CTO approves the job
    promoter = LEAD if w.code_owners else DEV  # who opens main's PR (never the approver)
    first_main = w.tip("main")

    # --- Monday: two features land in staging the same day (strict: the second one rebases first) ---
    _, a_sha = w.feature(DEV, "feature/signup", {"app/signup.py": "def signup():\n    return 'ok'\n"})
    dev2, b_sha = w.feature(DEV2, "feature/pricing", {"app/pricing.py": "PRICE = 10\n"})
    pr_a = w.open_pr(DEV, "feature/signup", "staging", "Sign-up form")
    pr_b = w.open_pr(DEV2, "feature/pricing", "staging", "Pricing page")
    status, body = w.review(DEV, pr_a)
    w.record("self-approval of one's own PR", DEV, "422: Can not approve your own pull request",
             f"{status}: {said(body)}",
             status == 422 and "Can not approve your own pull request" in json.dumps(body))
    w.expect_merge_refused("feature A merged before checks and approval", LEAD, pr_a, "squash",
                           "Waiting on 1 more approval")
    w.ci(a_sha)
    w.review(LEAD, pr_a)
    staging_0 = w.tip("staging")
    s1 = w.expect_merged("feature A -> staging (squash)", LEAD, pr_a, "squash")
    w.ci(s1)
    w.ci(b_sha)
    w.review(LEAD, pr_b)
    w.expect_merge_refused("feature B merged with a merge commit", LEAD, pr_b, "merge",
                           "Merge commits are not allowed on this repository.")
    w.expect_merge_refused("feature B merged while out of date", LEAD, pr_b, "rebase",
                           "This branch is out-of-date with the base branch.")
    dev2.fetch()
    dev2.run("rebase", "--quiet", "origin/staging")
    done = dev2.push("HEAD:refs/heads/feature/pricing", force=True)
    b2 = dev2.git("rev-parse", "HEAD")
    w.record("feature B rebased on staging (its own branch: force-push allowed)", DEV2, "pushed",
             "pushed" if done.returncode == 0 else done.stderr[-200:], done.returncode == 0 and w.tip("feature/pricing") == b2)
    w.expect_merge_refused("feature B merged on a stale approval", LEAD, pr_b, "rebase", "Waiting on 1 more approval")
    w.ci(b2)
    w.review(LEAD, pr_b)
    s2 = w.expect_merged("feature B -> staging (rebase)", LEAD, pr_b, "rebase")
    w.ci(s2)
    linear = all(len(w.parents(sha)) == 1 for sha in gh.git("rev-list", "staging", f"^{staging_0}").split())
    w.record("staging history", "-", "linear (no merge commits)", "linear" if linear else "merge commits", linear)

    # --- wrong paths on staging and main ---
    dev = w.checkout(DEV)
    dev.fetch()
    # koomy §3.1 "Branches autorisées: main, staging, feature/*" (allowedBranches): any other branch is refused.
    dev.run("checkout", "--quiet", "-B", "hotfix-x", "origin/staging")
    w.expect_push_refused("create branch hotfix-x (outside allowedBranches)", dev, "HEAD:refs/heads/hotfix-x",
                          [BRANCH_REFUSED], ref="refs/heads/hotfix-x")
    w.record("create branch feature/signup (allowedBranches: feature/*)", DEV, "created",
             "created" if w.ref_exists("refs/heads/feature/signup") else "missing", w.ref_exists("refs/heads/feature/signup"))
    dev.run("checkout", "--quiet", "-B", "direct", "origin/staging")
    dev.commit({"app/direct.py": "x = 1\n"}, "direct push")
    w.expect_push_refused("direct push to staging", dev, "HEAD:refs/heads/staging",
                          ["Changes must be made through a pull request."], ref="refs/heads/staging")
    dev.run("checkout", "--quiet", "-B", "direct-main", "origin/main")
    dev.commit({"app/direct.py": "x = 2\n"}, "direct push")
    w.expect_push_refused("direct push to main", dev, "HEAD:refs/heads/main",
                          ["Changes must be made through a pull request."], ref="refs/heads/main")

    # --- Tuesday: staging deploy, then the first promotion ---
    pr_direct = w.open_pr(DEV, "feature/signup", "main", "Sign-up straight to production")
    w.review(CTO if w.code_owners else LEAD, pr_direct)
    w.expect_merge_refused("feature branch merged straight into main", LEAD if w.code_owners else DEV2, pr_direct,
                           "merge", 'Changes must be successfully deployed to "staging" before merging.')
    number = w.open_pr(promoter, "staging", "main", "Promote staging to production (1)")
    if w.code_owners:
        status, _ = w.review(DEV, number)
        w.record("approval of main's PR by a non code owner", DEV, "approved (counts as a review only)",
                 f"{status}", status == 200)
        w.expect_merge_refused("main's PR merged without the code owner", promoter, number, "merge",
                               f"Waiting on code owner review from {CTO}.")
    status, body = w.review(promoter, number)
    w.record("self-approval of main's PR", promoter, "422: Can not approve your own pull request",
             f"{status}: {said(body)}", status == 422)
    w.review(approver, number)
    w.expect_merge_refused("main's PR merged without a staging deployment of its head", promoter, number, "merge",
                           'Changes must be successfully deployed to "staging" before merging.')
    w.staging_deploy(LEAD, "staging deploy (push to staging)")
    w.expect_merge_refused("main's PR squashed", promoter, number, "squash",
                           "Squash merges are not allowed on this repository.")
    m1 = w.expect_merged("promotion 1: merge main's PR", promoter, number, "merge")
    same = m1 is not None and w.tree(m1) == w.tree(s2) and w.parents(m1)[1] == s2
    w.record("promotion 1: main and staging share the SHA", "-", f"{s2[:7]} is main's 2nd parent, same tree",
             "yes" if same else "no", same)
    w.production_deploy(promoter, "production deploy (push to main)")
    w.release("release version 1")

    run = gh.run_job(promoter, "production", "staging")
    prod_deploys = w.api(CI).get(f"{repo}/deployments?environment=production")[1]
    w.record("production deployment job from staging", promoter,
             'failure: Branch "staging" is not allowed to deploy to production',
             f"{run['conclusion']}: {run['message']}",
             run["conclusion"] == "failure" and run["deployment_id"] is None
             and 'Branch "staging" is not allowed to deploy to production' in (run["message"] or "")
             and len(prod_deploys) == 1)
    if not w.code_owners:
        run = gh.run_job(CTO, "production", "main")
        status, body = w.api(CTO).post(f"{repo}/actions/runs/{run['id']}/pending_deployments",
                                       {"environment_ids": [w.environment_id("production")], "state": "approved"})
        w.record("production job approved by who triggered it", CTO, "422: cannot review (prevent self-review)",
                 f"{status}: {said(body)}",
                 status == 422 and w.gh.job(run["id"])["deployment_id"] is None)
        # The run stays pending: the CTO is production's only reviewer and may not approve their own run.

    # --- Wednesday: the second promotion in a row (what deadlocked before) ---
    _, c_sha = w.feature(DEV, "feature/invoices", {"app/invoices.py": "def invoice():\n    return 1\n"})
    pr_c = w.open_pr(DEV, "feature/invoices", "staging", "Invoices")
    w.ci(c_sha)
    w.review(LEAD, pr_c)
    s3 = w.expect_merged("feature C -> staging (squash)", LEAD, pr_c, "squash")
    w.ci(s3)
    w.staging_deploy(LEAD, "staging deploy (push to staging)")
    _, m2 = w.promote("promotion 2", promoter, approver, promoter)
    same = m2 is not None and w.tree(m2) == w.tree(s3) and w.parents(m2) == [m1, s3]
    w.record("promotion 2: not out of date, SHAs shared", "-", f"parents {str(m1)[:7]} + {s3[:7]}, same tree",
             "yes" if same else "no", same)
    w.production_deploy(promoter, "production deploy (push to main)")
    v2 = w.release("release version 2")

    # --- the archive: nothing moves or deletes a release, nor main ---
    cto.fetch()
    cto.run("checkout", "--quiet", "-B", "main", "origin/main")
    w.expect_push_refused("force-push main (admin)", cto, f"{m1}:refs/heads/main", [
        "Changes must be made through a pull request.", "Cannot force-push to this branch"], force=True,
        ref="refs/heads/main")
    w.expect_push_refused("force-push staging (admin)", cto, f"{s1}:refs/heads/staging", [
        "Changes must be made through a pull request.", "Cannot force-push to this branch"], force=True,
        ref="refs/heads/staging")
    w.expect_push_refused("delete main (admin)", cto, ":refs/heads/main", ["Cannot delete this branch"],
                          ref="refs/heads/main")
    w.expect_push_refused("move a release tag by push (admin)", cto, f"{first_main}:refs/tags/{v2}",
                          ["Cannot update this protected ref."], force=True, ref=f"refs/tags/{v2}")
    w.expect_push_refused("delete a release tag by push (admin)", cto, f":refs/tags/{v2}", ["Cannot delete this tag"],
                          ref=f"refs/tags/{v2}")
    tagged = w.tip(f"refs/tags/{v2}")
    status, body = w.api(CTO).patch(f"{repo}/git/refs/tags/{v2}", {"sha": first_main, "force": True})
    w.record("move a release tag through the API (admin)", CTO, "422: Cannot update this protected ref.",
             f"{status}: {said(body)}",
             status == 422 and "Cannot update this protected ref." in json.dumps(body) and w.tip(f"refs/tags/{v2}") == tagged)
    status, body = w.api(CTO).delete(f"{repo}/git/refs/tags/{v2}")
    w.record("delete a release tag through the API (admin)", CTO, "422: Cannot delete this tag",
             f"{status}: {said(body)}", status == 422 and "Cannot delete this tag" in json.dumps(body) and w.tip(f"refs/tags/{v2}") == tagged)

    # --- Thursday: a hotfix, by the only path the policy allows: through staging ---
    hotfix, h_sha = w.feature(DEV, "feature/hotfix-checkout-500", {"app/invoices.py": "def invoice():\n    return 2\n"})
    pr_h_main = w.open_pr(DEV, "feature/hotfix-checkout-500", "main", "Hotfix straight to main")
    w.review(CTO if w.code_owners else LEAD, pr_h_main)
    w.ci(h_sha)
    w.expect_merge_refused("hotfix merged straight into main", LEAD if w.code_owners else DEV2, pr_h_main, "merge",
                           'Changes must be successfully deployed to "staging" before merging.')
    pr_h = w.open_pr(DEV, "feature/hotfix-checkout-500", "staging", "Hotfix: checkout 500")
    w.review(LEAD, pr_h)
    s4 = w.expect_merged("hotfix -> staging (squash)", LEAD, pr_h, "squash")
    w.ci(s4)
    w.staging_deploy(LEAD, "hotfix: staging deploy")
    _, m3 = w.promote("hotfix promotion", promoter, approver, promoter)
    w.production_deploy(promoter, "hotfix: production deploy")
    w.release("release version 3 (hotfix)")

    # --- Friday: roll the hotfix back: `git revert` travelling the same chain ---
    lead = w.checkout(LEAD)
    lead.fetch()
    lead.run("checkout", "--quiet", "-B", "feature/revert-hotfix", "origin/staging")
    lead.run("revert", "--no-edit", s4)
    r_sha = lead.git("rev-parse", "HEAD")
    assert lead.push("HEAD:refs/heads/feature/revert-hotfix", force=True).returncode == 0
    pr_r = w.open_pr(LEAD, "feature/revert-hotfix", "staging", "Revert the hotfix")
    w.ci(r_sha)
    w.review(DEV, pr_r)
    s5 = w.expect_merged("revert -> staging (squash)", DEV, pr_r, "squash")
    w.ci(s5)
    w.staging_deploy(DEV, "rollback: staging deploy")
    _, m4 = w.promote("rollback promotion", promoter, approver, promoter)
    w.production_deploy(promoter, "rollback: production deploy")
    w.release("release version 4 (rollback)")
    back = m4 is not None and w.tree(m4) == w.tree(w.tip(f"refs/tags/{v2}"))
    w.record("rollback: production runs version 2's tree again", "-", f"tree of {v2}", "same" if back else "differs", back)
    fresh = Checkout(gh, DEV2, w.root / "fresh")
    fresh.run("checkout", "--quiet", v2)
    old = (fresh.path / "app" / "invoices.py").read_text()
    w.record(f"previous version still checkout-able ({v2})", DEV2, "checkout of the tag: the code before the hotfix",
             "return 1" if "return 1" in old else old.strip(), "return 1" in old and fresh.git("rev-parse", "HEAD") == w.tip(f"refs/tags/{v2}"))
    w.record("every promotion kept main's history", "-", "main's first-parent chain: 4 merge commits on the first commit",
             gh.git("rev-list", "--first-parent", "--count", "main"),
             gh.git("rev-list", "--first-parent", "--count", "main") == "5"
             and all(len(w.parents(sha)) == 2 for sha in gh.git("rev-list", "--first-parent", "main", f"^{first_main}").split()))


def bootstrap(w: Walk, project: Path) -> None:
    """The repository as it is before the program's first `up`: the program lives in the repository it
    manages (README), so the CTO's first push of main carries the program and its CODEOWNERS
    (`python -m topology codeowners`), and staging is branched from it. No ruleset exists yet: no bypass."""
    cto = w.checkout(CTO)
    generated = subprocess.run([sys.executable, "-m", "topology", "codeowners"], cwd=project, capture_output=True,
                               text=True, check=True).stdout
    files = {".github/CODEOWNERS": generated,
             "Pulumi.yaml": (project / "Pulumi.yaml").read_text(),
             "app/invoices.py": "def invoice():\n    return 0\n"}
    cto.commit(files, "The app and its release policy")
    for branch in ("main", "staging"):
        done = cto.push(f"HEAD:refs/heads/{branch}")
        assert done.returncode == 0, done.stderr
    w.ci(w.tip("main"))


def preview_rows(w: Walk, vercel) -> None:
    """airhost "Environnement de test temporaire", koomy's preview (featurePreviews: staging): after the `up`, the
    variables on Vercel's preview target hold staging's values, none of production's."""
    projects = vercel.state()["projects"]
    on_preview = [(name, key, v["fingerprint"]) for name, project in projects.items()
                  for key, variables in project["env"].items() for v in variables if "preview" in v["target"]]
    secret = [(name, key, f) for name, key, f in on_preview if key in TEST_SECRETS["staging"]]
    staging_ok = bool(secret) and all(name == "koomy-staging" and f == vercel.fingerprint(TEST_SECRETS["staging"][key])
                                      for name, key, f in secret)
    production = {vercel.fingerprint(v) for v in TEST_SECRETS["production"].values()}
    leaked = [key for _, key, f in on_preview if f in production]
    w.record("feature-branch preview: Vercel's preview target", "-", "staging's values, none of production's",
             f"{len(secret)} secrets from staging, {len(leaked)} of production's", staging_ok and not leaked)


def seed_rows(w: Walk, rehearsal: Rehearsal, project: Path) -> None:
    """Issue 18's rows through the real engine (the deploy window advisory, as in every rehearsal): a value rule
    (mbayar "Niveau de log passé à WARN ou ERROR"), and the code freeze (mbayar S1): declared ahead of time, it
    puts the freeze check on production's gate; during the freeze production's `up` and merges into main are
    refused, except as an emergency with a reason."""
    def up_row(step: str, allowed: bool, expected: str, needle: str = "") -> None:
        before = len(rehearsal.writes()) + len(rehearsal.vercel_writes())
        code, out = rehearsal.program("up", "production")
        writes = len(rehearsal.writes()) + len(rehearsal.vercel_writes()) - before
        ok = (code == 0) if allowed else (code != 0 and writes == 0 and needle in out)
        w.record(step, "koomy-cto (pulumi up)", expected, f"exit {code}, {writes} writes", ok)

    assert rehearsal.cli("config", "set", "--stack", "production", "LOG_LEVEL", "debug").returncode == 0
    up_row("(18) production `up` with LOG_LEVEL=debug", False,
           "refused before the first write: LOG_LEVEL allowed warn, error", "allowed: warn, error")
    assert rehearsal.cli("config", "set", "--stack", "production", "LOG_LEVEL", "warn").returncode == 0

    today = dt.datetime.now(dt.timezone.utc).date()
    original = (project / "Pulumi.yaml").read_text()

    def declare_freeze(start: dt.date, end: dt.date) -> None:
        (project / "Pulumi.yaml").write_text(original + f'  codeFreeze:\n    value: [{{start: "{start}", end: "{end}", '
                                                        'reason: "go-live S1"}]\n')

    declare_freeze(today + dt.timedelta(days=30), today + dt.timedelta(days=40))
    up_row("(18) codeFreeze declared ahead of the freeze: production `up`", True, "applied")
    _, rulesets = w.api(CTO).get(f"{w.repo}/rulesets?includes_parents=false")
    gate = next(r for r in rulesets if r["name"] == "production-branch-gate")
    _, gate = w.api(CTO).get(f"{w.repo}/rulesets/{gate['id']}")
    required = [c["context"] for rule in gate["rules"] if rule["type"] == "required_status_checks"
                for c in rule["parameters"]["required_status_checks"]]
    w.record("(18) main's gate requires the freeze check", "-", FREEZE_CHECK, ", ".join(required), FREEZE_CHECK in required)

    declare_freeze(today - dt.timedelta(days=1), today + dt.timedelta(days=1))
    up_row("(18) production `up` during the code freeze", False, "refused before the first write", "code freeze")
    rehearsal.env.update(RELEASE_EMERGENCY="true", RELEASE_EMERGENCY_REASON="payment outage INC-7")
    up_row("(18) emergency `up` during the freeze, with a reason", True, "applied")
    for name in ("RELEASE_EMERGENCY", "RELEASE_EMERGENCY_REASON"):
        rehearsal.env.pop(name, None)

    # A merge into main during the freeze: code-freeze.yml's check, computed by its script from this Pulumi.yaml.
    script = Path(__file__).resolve().parents[2] / "scripts" / "code_freeze.py"
    spec = importlib.util.spec_from_file_location("code_freeze", script)
    code_freeze = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(code_freeze)
    _, sha = w.feature(DEV, "feature/freeze-fix", {"app/invoices.py": "def invoice():\n    return 3\n"})
    number = w.open_pr(DEV, "feature/freeze-fix", "staging", "Fix during the freeze")
    w.ci(sha)
    w.review(LEAD, number)
    w.expect_merged("(18) feature -> staging during the freeze (staging is not frozen)", LEAD, number, "squash")
    w.ci(w.tip("staging"))
    w.staging_deploy(LEAD, "(18) staging deploy during the freeze")
    approver = CTO if w.code_owners else LEAD
    promoter = LEAD if w.code_owners else DEV
    promotion = w.open_pr(promoter, "staging", "main", "Promote during the freeze")
    w.review(approver, promotion)

    def freeze_status(reason: str) -> str:
        now = dt.datetime.now(dt.timezone.utc)
        state = "success" if code_freeze.check(now, reason, root=project, out=lambda _: None) == 0 else "failure"
        status, _ = w.api(BOT).post(f"{w.repo}/statuses/{w.tip('staging')}", {"state": state, "context": FREEZE_CHECK})
        assert status == 201, status
        return state

    freeze_status("")
    w.expect_merge_refused("(18) promotion merged during the freeze", promoter, promotion, "merge",
                           f'Required status check "{FREEZE_CHECK}" is failing.')
    state = freeze_status("payment outage INC-7")  # labelled `emergency`, "Emergency: payment outage INC-7"
    w.record("(18) freeze check of an emergency with a reason", BOT, "success", state, state == "success")
    w.expect_merged("(18) emergency promotion during the freeze", promoter, promotion, "merge")
    (project / "Pulumi.yaml").write_text(original)


def b_rows(w: Walk, rehearsal: Rehearsal, project: Path) -> None:
    """Engineer B's rows: a production `up` outside the deploy window, without and with an emergency.
    The window is moved off today in the copy's Pulumi.yaml and the pack's deploy-window made mandatory;
    a pending change (APP_ENV) makes the `up` want to write."""
    today = dt.datetime.now(dt.timezone.utc).weekday()
    other = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(today + 3) % 7]
    text = (project / "Pulumi.yaml").read_text()
    text = re.sub(r"days: \[[^\]]*\]", f"days: [{other}]", text, count=1)
    (project / "Pulumi.yaml").write_text(text)
    rehearsal.env.pop("RELEASE_DEPLOY_WINDOW", None)  # the window judges this `up` (the program's knob, B's)
    config = project / "policy-config-walk.json"
    config.write_text(json.dumps({}))
    rehearsal.env["REHEARSAL_POLICY_CONFIG"] = str(config)
    cases = [("window", "production `up` outside the window, no emergency", {}, False),
             ("emergency-no-reason", "emergency `up` outside the window without a reason",
              {"RELEASE_EMERGENCY": "true", "RELEASE_EMERGENCY_REASON": ""}, False),
             ("emergency", "emergency `up` outside the window with a reason",
              {"RELEASE_EMERGENCY": "true", "RELEASE_EMERGENCY_REASON": "checkout broken: revert #12"}, True)]
    for n, (key, step, extra, allowed) in enumerate(cases):
        # A pending change of its own for each case, so that each `up` wants to write.
        assert rehearsal.cli("config", "set", "--stack", "production", "APP_ENV", f"production-{n}").returncode == 0
        for name in ("RELEASE_EMERGENCY", "RELEASE_EMERGENCY_REASON"):
            rehearsal.env.pop(name, None)
        rehearsal.env.update(extra)
        before = len(rehearsal.writes())
        code, out = rehearsal.program("up", "production")
        writes = len(rehearsal.writes()) - before
        if allowed:
            ok, expected = code == 0 and writes >= 1, "applied (the change written), reason recorded"
        else:
            ok, expected = code != 0 and writes == 0, "refused before the first write (0 GitHub writes)"
        happened = f"exit {code}, {writes} GitHub writes"
        w.record(f"(B) {step}", "koomy-cto (pulumi up)", expected, happened, ok, pending=key)
    for name in ("RELEASE_EMERGENCY", "RELEASE_EMERGENCY_REASON"):
        rehearsal.env.pop(name, None)


@pytest.mark.parametrize("plan, visibility", PLANS, ids=[f"{p}-{v}" for p, v in PLANS])
def test_a_release_week(engine, project, pulumi_env, tmp_path, plan, visibility):
    need_plugins(engine)
    declare_plan(project, plan, visibility)
    started_at = time.monotonic()
    with started(project) as doubles:
        rehearsal = Rehearsal(project, Rehearsal.environment(pulumi_env, doubles, project), doubles)
        gh = doubles.github
        for login, number in EXTRA_USERS.items():
            gh.add_user(login, number)
            gh.set_role(login, "write")
        w = Walk(gh, tmp_path / "people", plan, visibility)
        bootstrap(w, project)
        for stack in STACKS:
            rehearsal.cli("stack", "init", stack)
        set_sentinel_secrets(rehearsal, STACKS)
        for stack in STACKS:
            rehearsal.up(stack)
        w.record("pulumi up staging, production", CTO, "green", "green", True)
        after_up = time.monotonic()
        week(w)
        walked = time.monotonic()
        preview_rows(w, rehearsal.vercel)
        if (plan, visibility) == B_PLAN:
            seed_rows(w, rehearsal, project)
            b_rows(w, rehearsal, project)
        print("\n" + w.table())
        print(f"times: up of both stacks {after_up - started_at:.0f} s, the week {walked - after_up:.1f} s, "
              f"B rows {time.monotonic() - walked:.0f} s")
        failures = w.failures()
        assert not failures, "the walk differs:\n" + "\n".join(f"{r.step}: expected {r.expected}, got {r.happened}"
                                                               for r in failures)
