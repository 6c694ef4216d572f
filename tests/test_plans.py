"""What each GitHub and Vercel plan gets: the facts, what the program sends, what is refused first.

Facts and sources: topology/plans.py and ../shared/notes/github-plans.md.
"""

from __future__ import annotations

import logging

import pytest

from harness import TEST_SECRETS, run_failing, run_stack
from topology.plans import (
    Approval,
    GithubFeatures,
    GithubPlan,
    Visibility,
    approval_mechanism,
    github_features,
)

ALL_SECRETS = [v for env in TEST_SECRETS.values() for v in env.values()]
CTO = [{"handle": "koomy-cto", "id": 1234567}]


def plan(github: str, visibility: str = "private", **more) -> dict:
    return {"githubPlan": github, "repositoryVisibility": visibility, **more}


def fails(stack: str, **kwargs):
    error, registered = run_failing(stack, **kwargs)
    assert registered == [], "a refused plan must register nothing"
    message = str(error)
    assert message.startswith(f"stack '{stack}':")
    assert all(secret not in message for secret in ALL_SECRETS)
    return error, message


# --- the facts ----------------------------------------------------------------------------------

F, T = False, True
# (rulesets, evaluate, environments, code-owner review, env reviewers, wait timer, admin bypass off)
MATRIX = {
    ("free", "private"): (F, F, F, F, F, F, F),
    ("pro", "private"): (T, F, T, T, F, F, F),
    ("team", "private"): (T, F, T, T, F, F, F),
    ("enterprise", "private"): (T, T, T, T, T, T, T),
    ("free", "public"): (T, F, T, T, T, T, T),
    ("pro", "public"): (T, F, T, T, T, T, T),
    ("team", "public"): (T, F, T, T, T, T, T),
    ("enterprise", "public"): (T, T, T, T, T, T, T),
}


@pytest.mark.parametrize("github, visibility", MATRIX, ids=[f"{g}-{v}" for g, v in MATRIX])
def test_what_github_accepts_per_plan(github, visibility):
    features = github_features(GithubPlan(github), Visibility(visibility))
    assert features == GithubFeatures(*MATRIX[(github, visibility)])
    assert features.holds_release_policy is ((github, visibility) != ("free", "private"))


@pytest.mark.parametrize("github, visibility, production", [
    ("enterprise", "private", Approval.ENVIRONMENT_REVIEWERS),
    ("free", "public", Approval.ENVIRONMENT_REVIEWERS),
    ("team", "private", Approval.CODE_OWNER_REVIEW),
    ("pro", "private", Approval.CODE_OWNER_REVIEW),
    ("free", "private", None),
])
def test_the_strongest_approval_each_plan_offers(github, visibility, production):
    features = github_features(GithubPlan(github), Visibility(visibility))
    assert approval_mechanism(features, production=True, has_reviewers=True) is production
    staging = approval_mechanism(features, production=False, has_reviewers=True)
    assert staging is (Approval.ENVIRONMENT_REVIEWERS if features.environment_reviewers else Approval.PULL_REQUEST_REVIEW)
    assert approval_mechanism(features, production=False, has_reviewers=False) is Approval.PULL_REQUEST_REVIEW


# --- what the program sends -----------------------------------------------------------------------


def environment_put(inputs: dict) -> dict:
    """The PUT body the github provider sends for RepositoryEnvironment inputs (engine names).

    terraform-provider-github v6.13.0 github/resource_github_repository_environment.go,
    createUpdateEnvironmentData: wait_timer only when non-zero, can_admins_bypass (default true) and
    prevent_self_review (default false) always, reviewers only when set, deployment_branch_policy when set.
    google/go-github v88 github/repos_environments.go, CreateUpdateEnvironment.MarshalJSON: a nil
    wait_timer is sent as 0, a nil can_admins_bypass as true; reviewers and deployment_branch_policy have
    no omitempty (null); prevent_self_review has omitempty but is never nil here.
    """
    users = [u for r in inputs.get("reviewers") or [] for u in r.get("users") or []]
    policy = inputs.get("deploymentBranchPolicy")
    return {
        "wait_timer": inputs.get("waitTimer") or 0,
        "reviewers": [{"type": "User", "id": u} for u in users] or None,
        "can_admins_bypass": inputs.get("canAdminsBypass", True),
        "deployment_branch_policy": policy and {"protected_branches": policy["protectedBranches"],
                                                "custom_branch_policies": policy["customBranchPolicies"]},
        "prevent_self_review": inputs.get("preventSelfReview", False),
    }


GITHUB_DEFAULTS = {"can_admins_bypass": True, "prevent_self_review": False}


def put_outcome(github: str, visibility: str, body: dict) -> tuple[int, dict]:
    """(status, what GitHub keeps) for the provider's PUT, retry included.

    Worst case of github-plans.md: a private Pro/Team repository answers 422 to any protection key,
    even at its default; go-github then retries with deployment_branch_policy alone, but only when
    reviewers are empty and wait_timer is 0 (repos_environments.go, createNewEnvNoEnterprise).
    """
    if github_features(GithubPlan(github), Visibility(visibility)).environment_reviewers:
        return 200, body
    if not body["reviewers"] and body["wait_timer"] == 0:
        return 200, {**GITHUB_DEFAULTS, "wait_timer": 0, "reviewers": None,
                     "deployment_branch_policy": body["deployment_branch_policy"]}
    return 422, {}


HOLDING = [(g, v) for g, v in MATRIX if (g, v) != ("free", "private")]


@pytest.mark.parametrize("github, visibility", HOLDING, ids=[f"{g}-{v}" for g, v in HOLDING])
@pytest.mark.parametrize("stack", ["staging", "production"])
def test_no_plan_gets_a_422_or_a_lossy_retry(github, visibility, stack):
    run = run_stack(stack, overrides=plan(github, visibility))
    inputs = run.one("RepositoryEnvironment").inputs
    body = environment_put(inputs)
    status, kept = put_outcome(github, visibility, body)
    assert status == 200, f"{github}/{visibility} {stack}: GitHub would answer 422 to {body}"
    # What GitHub keeps equals what was declared: nothing dropped silently, no diff on the next preview.
    assert kept == body, f"{github}/{visibility} {stack}: the retry drops {set(body.items()) - set(kept.items())}"
    assert kept["deployment_branch_policy"] == {"protected_branches": False, "custom_branch_policies": True}


@pytest.mark.parametrize("github", ["team", "pro"])
def test_private_team_and_pro_environments_send_no_protection_input(github):
    for stack in ("staging", "production"):
        inputs = run_stack(stack, overrides=plan(github)).one("RepositoryEnvironment").inputs
        assert not {"reviewers", "waitTimer", "preventSelfReview", "canAdminsBypass"} & set(inputs), inputs


def test_enterprise_production_sends_every_protection():
    inputs = run_stack("production", overrides=plan("enterprise", waitTimer=5)).one("RepositoryEnvironment").inputs
    assert inputs["reviewers"] == [{"users": [1234567]}]
    assert inputs["preventSelfReview"] is True and inputs["canAdminsBypass"] is False and inputs["waitTimer"] == 5


def production_gate(run):
    return next(r for r in run.of_type("RepositoryRuleset") if r.inputs["target"] == "branch" and r.name.endswith("-branch-gate-ruleset")).inputs["rules"]["pullRequest"]


@pytest.mark.parametrize("github, visibility, code_owners", [
    ("team", "private", True), ("pro", "private", True), ("enterprise", "private", False), ("free", "public", False),
])
def test_code_owners_approve_production_where_environments_cannot(github, visibility, code_owners):
    pr = production_gate(run_stack("production", overrides=plan(github, visibility)))
    assert pr["requireCodeOwnerReview"] is code_owners
    assert pr["requireLastPushApproval"] is code_owners  # the merge's last pusher cannot be its approver
    assert pr["requiredApprovingReviewCount"] >= 1
    staging = run_stack("staging", overrides=plan(github, visibility)).one("RepositoryRuleset").inputs["rules"]
    assert staging["pullRequest"]["requireCodeOwnerReview"] is False


@pytest.mark.parametrize("github, visibility, mechanism, words", [
    ("team", "private", "code-owner-review", "approval by code-owner review (@koomy-cto in CODEOWNERS) of every merge into 'main'"),
    ("enterprise", "private", "environment-reviewers", "approval by environment reviewers (@koomy-cto) before each deploy job"),
])
def test_preview_says_how_production_is_approved(github, visibility, mechanism, words, caplog):
    with caplog.at_level(logging.INFO):
        run = run_stack("production", overrides=plan(github, visibility))
    component = next(u for u in run.urns if u.endswith("ReleaseEnvironment::production"))
    assert run.component_outputs[component]["approvalMechanism"] == mechanism
    assert f"production: {words}" in caplog.text


def test_staging_without_reviewers_says_pull_request_review(caplog):
    with caplog.at_level(logging.INFO):
        run = run_stack("staging")
    component = next(u for u in run.urns if u.endswith("ReleaseEnvironment::staging"))
    assert run.component_outputs[component]["approvalMechanism"] == "pull-request-review"
    assert "staging: merges into 'staging' need 1 approval(s); no environment reviewers" in caplog.text


# --- refused before anything registers --------------------------------------------------------------


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_free_private_cannot_hold_the_release_policy(stack):
    error, message = fails(stack, overrides=plan("free"))
    assert [p.key for p in error.problems] == ["release-topology:githubPlan"]
    assert "GitHub free with a private repository has no rulesets and no environments" in message
    assert "repositoryVisibility: public" in message and "githubPlan: team" in message and "githubPlan: pro" in message


def test_free_public_holds_it():
    assert run_stack("production", overrides=plan("free", "public")).of_type("RepositoryEnvironment")


@pytest.mark.parametrize("github", ["team", "enterprise"])
def test_vercel_hobby_cannot_connect_an_organisations_repository(github):
    error, message = fails("production", overrides=plan(github, vercelPlan="hobby"))
    assert [p.key for p in error.problems] == ["release-topology:vercelPlan"]
    assert "Vercel hobby cannot connect koomy-app/koomy, a repository owned by a GitHub organisation" in message
    assert "vercelPlan: pro" in message and "pulumi config rm --stack production vercelProject" in message


def test_free_is_assumed_an_organisation_unless_declared_personal():
    error, message = fails("staging", overrides=plan("free", "public", vercelPlan="hobby"))
    assert "declare `githubAccount: personal`" in message
    assert run_stack("staging", overrides=plan("free", "public", vercelPlan="hobby", githubAccount="personal")).registrations


def test_vercel_hobby_has_no_team():
    error, message = fails("staging", overrides=plan("pro", vercelPlan="hobby", vercelTeam="team_x"))
    assert [p.key for p in error.problems] == ["release-topology:vercelTeam"]


def test_plans_are_required_with_the_fix():
    error, message = fails("staging", remove=("githubPlan", "repositoryVisibility", "vercelPlan"))
    assert {p.key for p in error.problems} == {"release-topology:githubPlan", "release-topology:repositoryVisibility"}
    assert "declare `githubPlan: free | pro | team | enterprise` under `config:` in Pulumi.yaml" in message
    # The Vercel plan is needed as soon as the topology is valid and a stack deploys to Vercel.
    error, message = fails("staging", remove=("vercelPlan",))
    assert [p.key for p in error.problems] == ["release-topology:vercelPlan"]
    assert "declare `vercelPlan: hobby | pro | enterprise`" in message


def test_unknown_plan_and_contradicting_account():
    error, message = fails("staging", overrides={"githubPlan": "gold", "repositoryVisibility": "internal"})
    assert "'gold' is not one of free | pro | team | enterprise" in message
    assert "'internal' is not one of private | public" in message
    error, message = fails("staging", overrides=plan("team", githubAccount="personal"))
    assert [p.key for p in error.problems] == ["release-topology:githubAccount"]
    assert "GitHub team is for organization accounts" in message


def test_what_the_plan_refuses_is_refused_with_the_stack_key_and_fix():
    # A 422 at `up` on Team/private: a wait timer, reviewers outside production.
    error, message = fails("staging", overrides={"waitTimer": 5, "reviewers": CTO})
    assert {p.key for p in error.problems} == {"release-topology:waitTimer", "release-topology:reviewers"}
    assert "pulumi config rm --stack staging waitTimer" in message
    assert "pulumi config rm --stack staging reviewers" in message
    # Accepted where the plan has them.
    assert run_stack("staging", overrides=plan("enterprise", waitTimer=5, reviewers=CTO)).registrations


def test_organisation_bypass_actors_on_a_personal_account():
    actors = [{"actorType": "OrganizationAdmin", "actorId": 1}, {"actorType": "RepositoryRole", "actorId": 5}]
    error, message = fails("staging", overrides=plan("pro", bypassActors=actors))
    assert [p.key for p in error.problems] == ["release-topology:bypassActors[0]"]
    assert run_stack("staging", overrides=plan("team", bypassActors=actors)).registrations
