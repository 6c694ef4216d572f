"""The GitHub double, through real HTTP, against GitHub's published REST schemas.

Request bodies are shaped as the github provider v6.13.0 sends them (shared/notes/github-api.md);
every answer is checked strictly against its githubkit model (github_contract.conforms).
"""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from nacl.public import PrivateKey, PublicKey, SealedBox

from doubles.github import GitHubDouble, Store
from doubles.github.clock import StrictClock
from github_contract import conforms, gh

ROOT = Path(__file__).resolve().parents[2]
REPO = "/api/v3/repos/koomy-app/koomy"
CTO = 1234567
SENTINEL = "sk_live_SENTINEL_never_in_logs_0123456789"

PULL_REQUEST = {"type": "pull_request", "parameters": {
    "dismiss_stale_reviews_on_push": True, "require_code_owner_review": False,
    "require_last_push_approval": False, "required_approving_review_count": 1,
    "required_review_thread_resolution": True}}
BRANCH_GATE = {  # as the provider's expandRules/expandConditions send it
    "name": "production-branch-gate", "target": "branch", "source_type": "Repository",
    "source": "koomy", "enforcement": "active", "bypass_actors": [],
    "conditions": {"ref_name": {"include": ["refs/heads/main"], "exclude": []}},
    "rules": [
        {"type": "deletion"}, {"type": "non_fast_forward"}, {"type": "required_linear_history"},
        PULL_REQUEST,
        {"type": "required_status_checks", "parameters": {
            "required_status_checks": [{"context": "ci/test"}, {"context": "ci/lint"}],
            "strict_required_status_checks_policy": True, "do_not_enforce_on_create": False}},
        {"type": "required_deployments", "parameters": {"required_deployment_environments": ["staging"]}},
    ],
}
TAG_ARCHIVE = {
    "name": "release-archive", "target": "tag", "source_type": "Repository", "source": "koomy",
    "enforcement": "active", "bypass_actors": None,
    "conditions": {"ref_name": {"include": ["refs/tags/v*"], "exclude": []}},
    "rules": [{"type": "deletion"}, {"type": "update"}, {"type": "non_fast_forward"}],
}
PRODUCTION = {  # go-github CreateUpdateEnvironment as the provider fills it
    "wait_timer": 5, "reviewers": [{"type": "User", "id": CTO}], "can_admins_bypass": False,
    "prevent_self_review": True,
    "deployment_branch_policy": {"protected_branches": False, "custom_branch_policies": True},
}
DEFAULTS_ONLY = {"wait_timer": 0, "reviewers": None, "can_admins_bypass": True, "prevent_self_review": False,
                 "deployment_branch_policy": {"protected_branches": False, "custom_branch_policies": True}}
BRANCH_POLICY_ONLY = {"deployment_branch_policy": DEFAULTS_ONLY["deployment_branch_policy"]}  # go-github's retry


def call(gh_double, method, path, body=None, token=True, raw=None):
    """(status, JSON or None, headers) of one request to the double."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(gh_double.base_url.rstrip("/") + path, data=data, method=method)
    if token:
        request.add_header("Authorization", "Bearer github-double-token")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status, headers, payload = answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        status, headers, payload = error.code, error.headers, error.read()
    return status, (json.loads(payload) if payload else None), headers


def seal(public_key: dict, value: str) -> dict:
    box = SealedBox(PublicKey(base64.b64decode(public_key["key"])))
    return {"encrypted_value": base64.b64encode(box.encrypt(value.encode())).decode(),
            "key_id": public_key["key_id"]}


def put_secret(double, env, name, value, prefix=None):
    prefix = prefix or f"/api/v3/repositories/{double.store.repo_id}/environments/{env}"
    status, key, _ = call(double, "GET", f"{prefix}/secrets/public-key")
    assert status == 200
    conforms(gh.ActionsPublicKey, key)
    return call(double, "PUT", f"{prefix}/secrets/{name}", seal(key, value))


@pytest.fixture
def double():
    with GitHubDouble() as started:
        yield started


@pytest.fixture
def production(double):
    status, env, _ = call(double, "PUT", f"{REPO}/environments/production", PRODUCTION)
    assert status == 200, env
    return env


# ---- Configure-time calls, accounts, the repository ---------------------------------------

def test_configure_reads_the_organisation_and_the_token_user(double):
    status, org, _ = call(double, "GET", "/api/v3/orgs/koomy-app")
    assert status == 200 and conforms(gh.OrganizationFull, org).id == double.store.owner_id
    status, me, _ = call(double, "GET", "/api/v3/user")
    assert status == 200 and conforms(gh.PrivateUser, me).login == "koomy-cto"


def test_a_user_owned_account_has_no_organisation():
    with GitHubDouble(plan="pro") as double:  # Pro is a personal plan: the owner is a user
        status, error, _ = call(double, "GET", "/api/v3/orgs/koomy-app")
        assert status == 404 and conforms(gh.BasicError, error).message == "Not Found"
        status, repo, _ = call(double, "GET", REPO)
        assert repo["owner"]["type"] == "User"
        assert call(double, "GET", "/api/v3/users/koomy-app")[0] == 200


def test_repository_answers_what_the_provider_reads(double):
    status, repo, _ = call(double, "GET", REPO)
    assert status == 200
    conforms(gh.FullRepository, repo)
    assert (repo["id"], repo["archived"], repo["has_pages"], repo["license"]) == (700001, False, False, None)
    assert (repo["private"], repo["visibility"], repo["default_branch"], repo["topics"]) == (True, "private", "main", [])
    assert call(double, "GET", "/api/v3/repositories/700001")[1] == repo
    assert call(double, "GET", "/api/v3/repos/KOOMY-APP/Koomy")[0] == 200  # names are not case sensitive
    assert call(double, "GET", "/api/v3/repos/koomy-app/other")[0] == 404
    assert call(double, "GET", "/api/v3/repositories/1/environments")[0] == 404


def test_users_and_their_keys(double):
    status, user, _ = call(double, "GET", "/api/v3/users/koomy-cto")
    assert status == 200 and conforms(gh.PublicUser, user).id == CTO
    assert call(double, "GET", "/api/v3/users/koomy-cto/gpg_keys")[:2] == (200, [])
    assert call(double, "GET", "/api/v3/users/koomy-cto/keys")[:2] == (200, [])
    status, error, _ = call(double, "GET", "/api/v3/users/nobody")
    assert status == 404 and conforms(gh.BasicError, error)


def test_users_are_configurable():
    with GitHubDouble(users={"alice": 1001}, token_user="alice") as double:
        assert call(double, "GET", "/api/v3/user")[1]["id"] == 1001
        assert call(double, "GET", "/api/v3/users/koomy-cto")[0] == 404


def test_requests_without_a_token_are_refused(double):
    status, error, _ = call(double, "GET", REPO, token=False)
    assert status == 401 and conforms(gh.BasicError, error).message == "Requires authentication"


# ---- rulesets -----------------------------------------------------------------------------

def test_ruleset_create_echoes_what_the_provider_flattens(double):
    conforms(gh.ReposOwnerRepoRulesetsPostBody, BRANCH_GATE)
    status, ruleset, _ = call(double, "POST", f"{REPO}/rulesets", BRANCH_GATE)
    assert status == 201
    conforms(gh.RepositoryRuleset, ruleset)
    assert ruleset["source_type"] == "Repository" and ruleset["source"] == "koomy-app/koomy"
    assert ruleset["conditions"] == BRANCH_GATE["conditions"] and ruleset["bypass_actors"] == []
    assert [r["type"] for r in ruleset["rules"]] == [r["type"] for r in BRANCH_GATE["rules"]]
    pull_request = next(r for r in ruleset["rules"] if r["type"] == "pull_request")["parameters"]
    assert pull_request["allowed_merge_methods"] == ["merge", "squash", "rebase"]  # [guess] default


def test_ruleset_read_update_list_delete(double):
    created = call(double, "POST", f"{REPO}/rulesets", TAG_ARCHIVE)[1]
    assert created["bypass_actors"] == []  # the provider's null comes back as []
    path = f"{REPO}/rulesets/{created['id']}"
    status, read, _ = call(double, "GET", path + "?includes_parents=false")
    assert status == 200 and read == created
    update = copy.deepcopy(TAG_ARCHIVE) | {"rules": None, "enforcement": "disabled"}
    conforms(gh.ReposOwnerRepoRulesetsRulesetIdPutBody, update)
    status, updated, _ = call(double, "PUT", path, update)
    assert status == 200 and conforms(gh.RepositoryRuleset, updated)
    assert (updated["rules"], updated["enforcement"]) == ([], "disabled")
    assert updated["updated_at"] > created["updated_at"] and updated["created_at"] == created["created_at"]
    status, listed, _ = call(double, "GET", f"{REPO}/rulesets")
    assert status == 200
    conforms(list[gh.RepositoryRuleset], listed)
    assert [r["id"] for r in listed] == [created["id"]] and "rules" not in listed[0]  # summaries only
    assert call(double, "DELETE", path)[0] == 204
    assert call(double, "GET", path)[0] == 404
    assert call(double, "GET", f"{REPO}/rulesets/not-a-number")[0] == 404


def test_a_second_ruleset_with_the_same_name_is_refused(double):
    assert call(double, "POST", f"{REPO}/rulesets", BRANCH_GATE)[0] == 201
    status, error, _ = call(double, "POST", f"{REPO}/rulesets", BRANCH_GATE)
    assert status == 422 and conforms(gh.ValidationError, error).message == "Validation Failed"
    assert error["errors"][0]["field"] == "name"


@pytest.mark.parametrize("change", [
    {"enforcement": "enforced"}, {"target": "commit"}, {"rules": [{"type": "no_such_rule"}]},
    {"rules": [{"type": "pull_request", "parameters": {"required_approving_review_count": 1}}]},
    {"bypass_actors": [{"actor_type": "Robot", "actor_id": 1}]},
])
def test_ruleset_bodies_outside_the_schema_are_refused(double, change):
    status, error, _ = call(double, "POST", f"{REPO}/rulesets", BRANCH_GATE | change)
    assert status == 422 and conforms(gh.ValidationError, error).message.startswith("Invalid request.")
    assert double.state()["rulesets"] == {}


@pytest.mark.parametrize("plan,visibility,status", [
    ("team", "private", 422), ("team", "public", 422), ("enterprise", "private", 201)])
def test_evaluate_enforcement_needs_enterprise(plan, visibility, status):
    with GitHubDouble(plan=plan, visibility=visibility) as double:
        answer, body, _ = call(double, "POST", f"{REPO}/rulesets", BRANCH_GATE | {"enforcement": "evaluate"})
        assert answer == status, body


# ---- plans: what GitHub refuses (shared/notes/github-plans.md) --------------------------------

PLAN_MATRIX = [  # plan, visibility, ruleset POST, env PUT with protections, with defaults only, branch policy only
    ("free", "private", 403, 404, 404, 404),
    ("pro", "private", 201, 422, 422, 200),
    ("team", "private", 201, 422, 422, 200),
    ("enterprise", "private", 201, 200, 200, 200),
    ("free", "public", 201, 200, 200, 200),
    ("pro", "public", 201, 200, 200, 200),
    ("team", "public", 201, 200, 200, 200),
    ("enterprise", "public", 201, 200, 200, 200),
]


@pytest.mark.parametrize("plan,visibility,ruleset,protected,defaults,policy_only", PLAN_MATRIX)
def test_plan_refusals(plan, visibility, ruleset, protected, defaults, policy_only):
    with GitHubDouble(plan=plan, visibility=visibility) as double:
        status, body, _ = call(double, "POST", f"{REPO}/rulesets", BRANCH_GATE)
        assert status == ruleset, body
        for env, request, expected in [("production", PRODUCTION, protected), ("staging", DEFAULTS_ONLY, defaults),
                                       ("preview", BRANCH_POLICY_ONLY, policy_only)]:
            status, body, _ = call(double, "PUT", f"{REPO}/environments/{env}", request)
            assert status == expected, (env, body)
            conforms({200: gh.Environment}.get(status, gh.BasicError), body)
        # Refused requests leave nothing behind.
        assert set(double.state()["environments"]) == {e for e, s in [("production", protected), ("staging", defaults),
                                                                      ("preview", policy_only)] if s == 200}


def test_plan_refusal_bodies():
    with GitHubDouble(plan="free") as double:
        status, error, _ = call(double, "GET", f"{REPO}/rulesets")
        assert status == 403 and error["message"] == ("Upgrade to GitHub Pro or make this repository public "
                                                      "to enable this feature.")
        assert not any(h.lower().startswith("x-ratelimit") for h in call(double, "GET", f"{REPO}/rulesets")[2])
    with GitHubDouble(plan="team") as double:
        status, error, _ = call(double, "PUT", f"{REPO}/environments/staging", DEFAULTS_ONLY)
        assert status == 422 and "billing plan" in error["message"]
        # go-github's fallback (only deployment_branch_policy) lands with GitHub's defaults.
        env = call(double, "PUT", f"{REPO}/environments/staging", BRANCH_POLICY_ONLY)[1]
        assert env["can_admins_bypass"] is True and [r["type"] for r in env["protection_rules"]] == ["branch_policy"]


def test_the_plan_can_change_between_runs():
    with GitHubDouble(plan="free") as double:
        assert call(double, "POST", f"{REPO}/rulesets", BRANCH_GATE)[0] == 403
        double.set_plan("team")
        assert call(double, "POST", f"{REPO}/rulesets", BRANCH_GATE)[0] == 201
        assert call(double, "PUT", "/_double/plan", {"visibility": "public"})[1] == {"plan": "team", "visibility": "public"}
        assert call(double, "GET", REPO)[1]["private"] is False


# ---- environments -------------------------------------------------------------------------

def test_environment_protections_come_back_as_protection_rules(double):
    conforms(gh.ReposOwnerRepoEnvironmentsEnvironmentNamePutBody, PRODUCTION)
    status, env, _ = call(double, "PUT", f"{REPO}/environments/production", PRODUCTION)
    assert status == 200
    conforms(gh.Environment, env)
    rules = {rule["type"]: rule for rule in env["protection_rules"]}
    assert rules["wait_timer"]["wait_timer"] == 5
    assert rules["required_reviewers"]["prevent_self_review"] is True
    assert [(r["type"], r["reviewer"]["id"], r["reviewer"]["login"]) for r in rules["required_reviewers"]["reviewers"]] \
        == [("User", CTO, "koomy-cto")]
    assert set(rules) == {"wait_timer", "required_reviewers", "branch_policy"}
    assert env["can_admins_bypass"] is False and env["deployment_branch_policy"] == PRODUCTION["deployment_branch_policy"]
    assert call(double, "GET", f"{REPO}/environments/production")[1] == env


def test_rules_at_their_defaults_are_omitted(double):
    env = call(double, "PUT", f"{REPO}/environments/staging", DEFAULTS_ONLY | {"deployment_branch_policy": None})[1]
    conforms(gh.Environment, env)
    assert env["protection_rules"] == [] and env["deployment_branch_policy"] is None
    assert env["can_admins_bypass"] is True  # always present: the provider reads a missing one as false
    alone = call(double, "PUT", f"{REPO}/environments/staging", DEFAULTS_ONLY | {"prevent_self_review": True})[1]
    reviewers_rule = next(r for r in alone["protection_rules"] if r["type"] == "required_reviewers")
    assert reviewers_rule["reviewers"] == [] and reviewers_rule["prevent_self_review"] is True


def test_an_update_keeps_ids_and_bumps_updated_at(double, production):
    updated = call(double, "PUT", f"{REPO}/environments/production", PRODUCTION | {"wait_timer": 0})[1]
    assert updated["id"] == production["id"] and updated["created_at"] == production["created_at"]
    assert updated["updated_at"] > production["updated_at"]
    assert "wait_timer" not in [r["type"] for r in updated["protection_rules"]]


def test_environment_names_arrive_path_escaped(double):
    status, env, _ = call(double, "PUT", f"{REPO}/environments/release%2Fv1", DEFAULTS_ONLY)
    assert status == 200 and env["name"] == "release/v1"
    assert env["url"].endswith("/environments/release%2Fv1")
    assert call(double, "GET", f"{REPO}/environments/release%2Fv1")[1]["id"] == env["id"]
    assert call(double, "GET", f"{REPO}/environments/release/v1")[0] == 501  # a different path, not a name
    assert call(double, "GET", f"{REPO}/environments/RELEASE%2FV1")[0] == 200  # names are not case sensitive


def test_environment_list_and_delete(double, production):
    call(double, "PUT", f"{REPO}/environments/staging", DEFAULTS_ONLY)
    status, listed, _ = call(double, "GET", f"{REPO}/environments")
    assert status == 200 and conforms(gh.ReposOwnerRepoEnvironmentsGetResponse200, listed).total_count == 2
    assert [e["name"] for e in listed["environments"]] == ["production", "staging"]
    assert put_secret(double, "production", "STRIPE_SECRET_KEY", "sk_live_x")[0] == 201
    assert call(double, "DELETE", f"{REPO}/environments/production")[0] == 204
    assert call(double, "GET", f"{REPO}/environments/production")[0] == 404
    assert call(double, "DELETE", f"{REPO}/environments/production")[0] == 404
    call(double, "PUT", f"{REPO}/environments/production", DEFAULTS_ONLY)  # a new one holds no old secret
    assert call(double, "GET", f"{REPO}/environments/production/secrets")[1]["total_count"] == 0


@pytest.mark.parametrize("reviewers", [[{"type": "User", "id": 999}], [{"type": "Team", "id": 1}]])
def test_unknown_reviewers_are_refused(double, reviewers):
    status, error, _ = call(double, "PUT", f"{REPO}/environments/production", PRODUCTION | {"reviewers": reviewers})
    assert status == 422 and conforms(gh.ValidationError, error).errors[0].field == "reviewers"
    assert double.state()["environments"] == {}


@pytest.mark.parametrize("change", [
    {"wait_timer": 43201}, {"wait_timer": "5"}, {"reviewers": [{"type": "User", "id": CTO}] * 7},
    {"deployment_branch_policy": {"protected_branches": True, "custom_branch_policies": True}},
    {"deployment_branch_policy": {"protected_branches": True}}, {"can_admins_bypass": "no"},
])
def test_environment_bodies_github_refuses(double, change):
    status, error, _ = call(double, "PUT", f"{REPO}/environments/production", PRODUCTION | change)
    assert status == 422 and conforms(gh.ValidationError, error)


# ---- deployment branch policies -----------------------------------------------------------

def test_branch_policies_need_custom_branch_policies(double):
    call(double, "PUT", f"{REPO}/environments/staging", DEFAULTS_ONLY | {"deployment_branch_policy": None})
    path = f"{REPO}/environments/staging/deployment-branch-policies"
    assert call(double, "POST", path, {"name": "staging", "type": "branch"})[0] == 404  # TPG#1820
    assert call(double, "GET", path)[0] == 404


def test_branch_policy_crud(double, production):
    path = f"{REPO}/environments/production/deployment-branch-policies"
    request = {"name": "main", "type": "branch"}
    conforms(gh.DeploymentBranchPolicyNamePatternWithType, request)
    status, policy, _ = call(double, "POST", path, request)
    assert status == 200 and conforms(gh.DeploymentBranchPolicy, policy).name == "main"
    assert policy["type"] == "branch"
    status, again, _ = call(double, "POST", path, request)
    assert (status, again["id"]) == (303, policy["id"])  # documented: same pattern already exists
    assert call(double, "GET", f"{path}/{policy['id']}")[1] == policy
    status, renamed, _ = call(double, "PUT", f"{path}/{policy['id']}", {"name": "release/*"})
    assert status == 200 and renamed["name"] == "release/*"
    status, listed, _ = call(double, "GET", path)
    conforms(gh.ReposOwnerRepoEnvironmentsEnvironmentNameDeploymentBranchPoliciesGetResponse200, listed)
    assert listed["total_count"] == 1
    assert call(double, "DELETE", f"{path}/{policy['id']}")[0] == 204
    assert call(double, "GET", f"{path}/{policy['id']}")[0] == 404


# ---- environment secrets ------------------------------------------------------------------

@pytest.mark.parametrize("path_form", ["repositories", "repos"])
def test_secret_reaches_github_intact(double, production, path_form):
    prefix = (f"/api/v3/repositories/700001/environments/production" if path_form == "repositories"
              else f"{REPO}/environments/production")
    status, body, _ = put_secret(double, "production", "STRIPE_SECRET_KEY", "sk_live_first", prefix)
    assert (status, body) == (201, {})
    status, secret, _ = call(double, "GET", f"{prefix}/secrets/STRIPE_SECRET_KEY")
    assert status == 200 and conforms(gh.ActionsSecret, secret).name == "STRIPE_SECRET_KEY"
    stored = double.state()["environments"]["production"]["secrets"]["STRIPE_SECRET_KEY"]
    assert stored["fingerprint"] == double.fingerprint("sk_live_first") != double.fingerprint("sk_live_other")
    assert double.secret_matches("production", "STRIPE_SECRET_KEY", "sk_live_first")

    assert put_secret(double, "production", "STRIPE_SECRET_KEY", "sk_live_second", prefix)[:2] == (204, None)
    again = call(double, "GET", f"{prefix}/secrets/STRIPE_SECRET_KEY")[1]
    assert again["updated_at"] > secret["updated_at"] and again["created_at"] == secret["created_at"]
    assert double.secret_matches("production", "STRIPE_SECRET_KEY", "sk_live_second")

    status, listed, _ = call(double, "GET", f"{prefix}/secrets")
    assert conforms(gh.ReposOwnerRepoEnvironmentsEnvironmentNameSecretsGetResponse200, listed).total_count == 1
    assert call(double, "DELETE", f"{prefix}/secrets/STRIPE_SECRET_KEY")[0] == 204
    assert call(double, "GET", f"{prefix}/secrets/STRIPE_SECRET_KEY")[0] == 404


def test_two_writes_in_the_same_second_have_different_updated_at():
    with GitHubDouble(now=lambda: 1_767_225_600.0) as double:  # a clock that never moves
        call(double, "PUT", f"{REPO}/environments/production", PRODUCTION)
        stamps = []
        for value in ("one", "two", "three"):
            put_secret(double, "production", "JWT_SECRET", value)
            stamps.append(call(double, "GET", f"{REPO}/environments/production/secrets/JWT_SECRET")[1]["updated_at"])
        assert stamps == sorted(set(stamps)) and len(stamps) == 3


def test_strict_clock():
    now = [100.0]
    clock = StrictClock(lambda: now[0])
    assert [clock.tick(), clock.tick()] == ["1970-01-01T00:01:40Z", "1970-01-01T00:01:41Z"]
    now[0] = 200.9
    assert clock.tick() == "1970-01-01T00:03:20Z"  # follows the wall clock again once it is ahead


def test_secret_names_are_upper_cased(double, production):
    assert put_secret(double, "production", "jwt_secret", "x")[0] == 201
    assert call(double, "GET", f"{REPO}/environments/production/secrets/JWT_SECRET")[1]["name"] == "JWT_SECRET"
    assert put_secret(double, "production", "Jwt_Secret", "y")[0] == 204  # the same secret


# GitHub docs, "Naming your secrets": [A-Za-z0-9_] only, no GITHUB_ prefix, no leading digit.
BAD_NAMES = ["1ABC", "GITHUB_TOKEN", "github_token", "A-B", "A.B", "A%20B"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_secret_names_github_refuses(double, production, name):
    status, error, _ = put_secret(double, "production", name, "value")
    assert status == 422 and conforms(gh.ValidationError, error).errors[0].field == "name"


def test_secrets_not_sealed_to_the_environment_key_are_refused(double, production):
    path = f"{REPO}/environments/production/secrets/JWT_SECRET"
    key = call(double, "GET", f"{REPO}/environments/production/secrets/public-key")[1]
    other = base64.b64encode(SealedBox(PrivateKey.generate().public_key).encrypt(b"x")).decode()
    for body in (seal(key, "x") | {"key_id": "1"}, {"key_id": key["key_id"], "encrypted_value": other},
                 {"key_id": key["key_id"], "encrypted_value": "not base64!"}):
        status, error, _ = call(double, "PUT", path, body)
        assert status == 422 and conforms(gh.ValidationError, error)
    assert call(double, "PUT", path, {"key_id": key["key_id"]})[0] == 422
    assert call(double, "GET", path)[0] == 404


def test_each_environment_has_its_own_key(double, production):
    call(double, "PUT", f"{REPO}/environments/staging", DEFAULTS_ONLY)
    keys = [call(double, "GET", f"{REPO}/environments/{e}/secrets/public-key")[1] for e in ("production", "staging")]
    assert keys[0]["key"] != keys[1]["key"] and keys[0]["key_id"] != keys[1]["key_id"]
    assert call(double, "GET", f"{REPO}/environments/nowhere/secrets/public-key")[0] == 404


# ---- environment variables ----------------------------------------------------------------

@pytest.mark.parametrize("path_form", ["repos", "repositories"])
def test_variable_crud(double, production, path_form):
    prefix = (f"{REPO}/environments/production" if path_form == "repos"
              else "/api/v3/repositories/700001/environments/production")
    request = {"name": "APP_ENV", "value": "production"}
    conforms(gh.ReposOwnerRepoEnvironmentsEnvironmentNameVariablesPostBody, request)
    assert call(double, "POST", f"{prefix}/variables", request)[:2] == (201, {})
    status, variable, _ = call(double, "GET", f"{prefix}/variables/APP_ENV")
    assert status == 200 and conforms(gh.ActionsVariable, variable).value == "production"
    status, error, _ = call(double, "POST", f"{prefix}/variables", request)
    assert status == 409 and conforms(gh.BasicError, error)
    update = {"name": "APP_ENV", "value": "prod"}
    conforms(gh.ReposOwnerRepoEnvironmentsEnvironmentNameVariablesNamePatchBody, update)
    assert call(double, "PATCH", f"{prefix}/variables/APP_ENV", update)[:2] == (204, None)
    changed = call(double, "GET", f"{prefix}/variables/APP_ENV")[1]
    assert changed["value"] == "prod" and changed["updated_at"] > variable["updated_at"]
    status, listed, _ = call(double, "GET", f"{prefix}/variables")
    assert conforms(gh.ReposOwnerRepoEnvironmentsEnvironmentNameVariablesGetResponse200, listed).total_count == 1
    assert call(double, "DELETE", f"{prefix}/variables/APP_ENV")[0] == 204
    assert call(double, "GET", f"{prefix}/variables/APP_ENV")[0] == 404
    assert call(double, "PATCH", f"{prefix}/variables/APP_ENV", update)[0] == 404


@pytest.mark.parametrize("name", BAD_NAMES)
def test_variable_names_github_refuses(double, production, name):
    status, error, _ = call(double, "POST", f"{REPO}/environments/production/variables", {"name": name, "value": "v"})
    assert status == 422 and conforms(gh.ValidationError, error)


def test_values_over_48_kb_are_refused(double, production):
    big = "x" * (48 * 1024 + 1)
    assert call(double, "POST", f"{REPO}/environments/production/variables", {"name": "BIG", "value": big})[0] == 422
    assert put_secret(double, "production", "BIG", big)[0] == 422


# ---- the control API and its in-process mirror ---------------------------------------------

def test_people_in_the_ui_through_the_control_api(double, production):
    ruleset = call(double, "POST", f"{REPO}/rulesets", BRANCH_GATE)[1]
    call(double, "POST", f"{REPO}/environments/production/variables", {"name": "APP_ENV", "value": "production"})
    put_secret(double, "production", "STRIPE_SECRET_KEY", "sk_live_declared")
    before = call(double, "GET", f"{REPO}/environments/production/secrets/STRIPE_SECRET_KEY")[1]

    assert call(double, "POST", f"/_double/rulesets/{ruleset['id']}/disable")[0] == 200
    assert call(double, "GET", f"{REPO}/rulesets/{ruleset['id']}")[1]["enforcement"] == "disabled"

    assert call(double, "POST", "/_double/environments/production/remove-reviewers")[0] == 200
    env = call(double, "GET", f"{REPO}/environments/production")[1]
    reviewers = next(r for r in env["protection_rules"] if r["type"] == "required_reviewers")
    assert reviewers["reviewers"] == [] and reviewers["prevent_self_review"] is True  # left as it was

    assert call(double, "PUT", "/_double/environments/production/variables/APP_ENV", {"value": "hacked"})[0] == 200
    assert call(double, "GET", f"{REPO}/environments/production/variables/APP_ENV")[1]["value"] == "hacked"

    status, reset_secret, _ = call(double, "PUT", "/_double/environments/production/secrets/STRIPE_SECRET_KEY",
                                   {"value": "sk_live_rotated"})
    assert status == 200 and set(reset_secret) == {"name", "created_at", "updated_at", "fingerprint"}
    after = call(double, "GET", f"{REPO}/environments/production/secrets/STRIPE_SECRET_KEY")[1]
    assert after["updated_at"] > before["updated_at"]
    assert call(double, "POST", "/_double/fingerprint", {"value": "sk_live_rotated"})[1] == \
        {"fingerprint": reset_secret["fingerprint"]}


def test_things_nobody_declared_and_seeds_for_import(double):
    status, seeded, _ = call(double, "POST", "/_double/rulesets", BRANCH_GATE)
    assert status == 201 and call(double, "GET", f"{REPO}/rulesets/{seeded['id']}")[1] == seeded
    status, env, _ = call(double, "PUT", "/_double/environments/preview", DEFAULTS_ONLY)
    assert status == 200 and call(double, "GET", f"{REPO}/environments/preview")[1] == env
    assert call(double, "PUT", "/_double/environments/preview/secrets/EXTRA", {"value": "x"})[0] == 200
    assert call(double, "PUT", "/_double/environments/preview/variables/EXTRA_VAR", {"value": "y"})[0] == 200
    assert call(double, "POST", "/_double/environments/preview/deployment-branch-policies", {"name": "main"})[0] == 200
    state = call(double, "GET", "/_double/state")[1]
    assert state == double.state()
    preview = state["environments"]["preview"]
    assert set(preview["secrets"]) == {"EXTRA"} and preview["variables"]["EXTRA_VAR"]["value"] == "y"
    assert [p["name"] for p in preview["deployment_branch_policies"]] == ["main"]
    assert set(state["rulesets"]) == {"production-branch-gate"}


def test_seeding_ignores_the_plan_but_not_validation():
    with GitHubDouble(plan="free") as double:
        assert call(double, "PUT", "/_double/environments/production", PRODUCTION)[0] == 200
        assert call(double, "POST", "/_double/rulesets", BRANCH_GATE)[0] == 201
        assert call(double, "PUT", "/_double/environments/bad", {"wait_timer": -1})[0] == 422
        assert call(double, "PUT", "/_double/environments/production/secrets/GITHUB_X", {"value": "x"})[0] == 422


def test_control_removals_reset_and_users(double, production):
    ruleset = call(double, "POST", f"{REPO}/rulesets", BRANCH_GATE)[1]
    double.set_variable("production", "APP_ENV", "production")
    double.set_secret("production", "JWT_SECRET", "secret")
    assert call(double, "DELETE", "/_double/environments/production/variables/APP_ENV")[0] == 204
    assert call(double, "DELETE", "/_double/environments/production/secrets/JWT_SECRET")[0] == 204
    assert call(double, "DELETE", f"/_double/rulesets/{ruleset['id']}")[0] == 204
    assert call(double, "DELETE", "/_double/environments/production")[0] == 204
    assert call(double, "DELETE", "/_double/environments/production")[0] == 404
    assert call(double, "POST", "/_double/users", {"login": "new-dev", "id": 4242})[0] == 201
    assert call(double, "GET", "/api/v3/users/new-dev")[1]["id"] == 4242
    assert call(double, "POST", "/_double/reset")[0] == 204
    state = double.state()
    assert state["rulesets"] == {} and state["environments"] == {} and "new-dev" not in state["users"]
    assert double.requests() == []


def test_in_process_methods_mirror_the_control_api(double):
    ruleset = double.add_ruleset(BRANCH_GATE)
    assert double.disable_ruleset(ruleset["id"])["enforcement"] == "disabled"
    env = double.add_environment("production", **PRODUCTION)
    assert double.remove_reviewers("production", ids=[CTO])["updated_at"] > env["updated_at"]
    assert double.add_branch_policy("production", "main")["name"] == "main"
    secret = double.set_secret("production", "STRIPE_SECRET_KEY", "sk_live_a")
    assert secret["fingerprint"] == double.fingerprint("sk_live_a")
    assert double.set_secret("production", "STRIPE_SECRET_KEY", "sk_live_b")["updated_at"] > secret["updated_at"]
    assert double.set_variable("production", "APP_ENV", "production")["value"] == "production"
    assert call(double, "GET", f"{REPO}/environments/production/variables/APP_ENV")[1]["value"] == "production"
    double.add_user("ops", 77)
    double.remove_variable("production", "APP_ENV")
    double.remove_secret("production", "STRIPE_SECRET_KEY")
    double.remove_ruleset(ruleset["id"])
    double.remove_environment("production")
    assert double.state()["environments"] == {} and double.state()["users"]["ops"] == 77
    mirrored = {name for name in vars(GitHubDouble) if not name.startswith("_")}
    assert mirrored >= {"state", "requests", "unknown_requests", "clear_log", "fingerprint", "secret_matches",
                        "reset", "set_plan", "add_user", "add_ruleset", "disable_ruleset", "remove_ruleset",
                        "add_environment", "remove_reviewers", "remove_environment", "add_branch_policy",
                        "set_variable", "remove_variable", "set_secret", "remove_secret"}


# ---- the log, unknown routes, headers -------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("GET", f"{REPO}/branches"), ("POST", "/api/graphql"), ("PATCH", f"{REPO}/rulesets/1"),
    ("GET", "/repos/koomy-app/koomy"), ("GET", "/_double/nothing"), ("GET", f"{REPO}/environments/production/"),
])
def test_unknown_routes_answer_501_and_are_logged(double, method, path):
    status, error, _ = call(double, method, path, {} if method != "GET" else None)
    assert status == 501 and conforms(gh.BasicError, error)
    assert double.unknown_requests() == [{"method": method, "path": path, "status": 501, "unknown": True}]


def test_the_log_holds_method_path_and_status_only(double):
    call(double, "GET", "/api/v3/orgs/koomy-app")
    call(double, "GET", f"{REPO}/rulesets/5?includes_parents=false")
    call(double, "GET", "/_double/state")  # the control API is not logged
    status, log, _ = call(double, "GET", "/_double/log")
    assert status == 200 and log["requests"] == double.requests() == [
        {"method": "GET", "path": "/api/v3/orgs/koomy-app", "status": 200, "unknown": False},
        {"method": "GET", "path": f"{REPO}/rulesets/5", "status": 404, "unknown": False}]
    assert call(double, "DELETE", "/_double/log")[0] == 204 and double.requests() == []


def test_no_plaintext_secret_anywhere(capfd):
    with GitHubDouble(verbose=True) as double:
        call(double, "PUT", f"{REPO}/environments/production", PRODUCTION)
        put_secret(double, "production", "STRIPE_SECRET_KEY", SENTINEL)
        call(double, "PUT", "/_double/environments/production/secrets/OTHER", {"value": SENTINEL + "2"})
        texts = [json.dumps(call(double, "GET", "/_double/state")[1]), json.dumps(call(double, "GET", "/_double/log")[1]),
                 json.dumps(double.state()), json.dumps(double.requests()), capfd.readouterr().err]
        assert "STRIPE_SECRET_KEY" in texts[0] and "/secrets/STRIPE_SECRET_KEY" in texts[1]  # the scan sees things
        assert not [t for t in texts[:4] if SENTINEL in t]
        # The request line printed in verbose mode holds paths only, and no secret value is a path.
        assert SENTINEL + "2" not in texts[4]
        assert not _holds(double.store, SENTINEL.encode(), set())


def _holds(obj, needle: bytes, seen: set) -> bool:
    """Whether any str or bytes reachable from obj's attributes contains needle."""
    if id(obj) in seen:
        return False
    seen.add(id(obj))
    if isinstance(obj, (str, bytes)):
        return needle in (obj.encode() if isinstance(obj, str) else obj)
    if isinstance(obj, dict):
        return any(_holds(k, needle, seen) or _holds(v, needle, seen) for k, v in obj.items())
    if isinstance(obj, (list, tuple, set)):
        return any(_holds(item, needle, seen) for item in obj)
    return hasattr(obj, "__dict__") and _holds(vars(obj), needle, seen)


def test_no_etag_and_no_rate_limit_headers():
    with GitHubDouble(plan="free") as double:
        for method, path in [("GET", REPO), ("GET", f"{REPO}/rulesets"), ("GET", "/api/v3/orgs/nope"),
                             ("PUT", f"{REPO}/environments/x")]:
            headers = call(double, method, path, {} if method == "PUT" else None)[2]
            names = {name.lower() for name in headers}
            assert "etag" not in names and not any(n.startswith("x-ratelimit") or n == "retry-after" for n in names)


def test_malformed_json_is_refused(double):
    status, error, _ = call(double, "POST", f"{REPO}/rulesets", raw=b"{not json")
    assert status == 400 and error["message"] == "Problems parsing JSON"


# ---- concurrency --------------------------------------------------------------------------

def test_concurrent_writes_are_consistent(double, production):
    threads, per_thread = 8, 10
    results: list[int] = []

    def writer(n: int) -> None:
        for i in range(per_thread):
            status = call(double, "POST", f"{REPO}/environments/production/variables",
                          {"name": f"VAR_{n}_{i}", "value": str(i)})[0]
            results.append(status)
            put_secret(double, "production", f"SECRET_{n}", f"value-{n}-{i}")

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    env = double.state()["environments"]["production"]
    assert results == [201] * threads * per_thread and len(env["variables"]) == threads * per_thread
    assert all(double.secret_matches("production", f"SECRET_{n}", f"value-{n}-{per_thread - 1}") for n in range(threads))
    stamps = [v["updated_at"] for v in env["variables"].values()] + [s["updated_at"] for s in env["secrets"].values()]
    assert len(set(stamps)) == len(stamps)  # one strictly increasing clock for every write


def test_requests_go_through_the_one_store_lock(double):
    # White-box: the GIL hides most races, so show that an API request waits for the store's lock.
    answers: list[int] = []
    worker = threading.Thread(target=lambda: answers.append(call(double, "PUT", f"{REPO}/environments/x", DEFAULTS_ONLY)[0]))
    with double.store._lock:
        worker.start()
        worker.join(0.3)
        assert worker.is_alive() and answers == []
    worker.join(10)
    assert answers == [200]


def test_concurrent_creates_of_one_ruleset_name_yield_one(double):
    statuses: list[int] = []
    workers = [threading.Thread(target=lambda: statuses.append(call(double, "POST", f"{REPO}/rulesets", BRANCH_GATE)[0]))
               for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(statuses) == [201] + [422] * 7 and len(double.state()["rulesets"]) == 1


# ---- the command line -----------------------------------------------------------------------

def test_command_line_serves_on_loopback():
    process = subprocess.Popen([sys.executable, "-m", "doubles.github", "--port", "0", "--plan", "team",
                                "--owner", "acme", "--repo", "shop", "--user", "boss=7"],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True, env=os.environ | {"PYTHONPATH": str(ROOT)})
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        request = urllib.request.Request(url + "api/v3/repos/acme/shop", headers={"Authorization": "Bearer t"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert json.loads(answer.read())["owner"]["login"] == "acme"
        with urllib.request.urlopen(url + "_double/state", timeout=10) as answer:
            state = json.loads(answer.read())
        assert (state["plan"], state["users"]) == ("team", {"boss": 7})
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_store_refuses_unknown_plans():
    with pytest.raises(ValueError):
        Store(plan="business")
    with pytest.raises(ValueError):
        GitHubDouble(host="0.0.0.0")
