"""The program, evaluated under mocks from the real stack files, asserted on what it registered."""

from __future__ import annotations

import pytest

from harness import TEST_SECRETS, run_stack
from topology import registry

OUR_COMPONENTS = {
    registry.RELEASE_ENVIRONMENT,
    registry.BRANCH_GATE,
    registry.RELEASE_ARCHIVE,
    registry.ALLOWED_BRANCHES,
    registry.DEPLOYMENT_ENVIRONMENT,
    registry.ENVIRONMENT_SECRETS,
    registry.DEPLOYMENT_TARGET,
}
SECRET_PROPS = {
    registry.ENV_SECRET: "value",
}


@pytest.fixture(scope="module")
def staging():
    return run_stack("staging")


@pytest.fixture(scope="module")
def production():
    return run_stack("production")


def test_staging_declares_its_environment_and_nothing_of_production(staging):
    counts = {}
    for r in staging.registrations:
        counts[r.type.split(":")[-1]] = counts.get(r.type.split(":")[-1], 0) + 1
    assert counts == {
        "ReleaseEnvironment": 1, "github": 1, "BranchGate": 1, "DeploymentEnvironment": 1, "EnvironmentSecrets": 1,
        "DeploymentTarget": 1, "RepositoryRuleset": 1, "RepositoryEnvironment": 1,
        "RepositoryEnvironmentDeploymentPolicy": 1, "RandomPassword": 1, "ActionsEnvironmentSecret": 3,
        "ActionsEnvironmentVariable": 3, "Project": 1, "ProjectEnvironmentVariable": 9, "ProjectDomain": 1,
    }
    assert not staging.of_type("ReleaseArchive"), "the release archive belongs to production only"
    assert all("production" not in r.name for r in staging.registrations)


def test_staging_branch_gate_requires_reviewed_green_linear_history(staging):
    ruleset = staging.one("RepositoryRuleset").inputs
    assert ruleset["repository"] == "koomy"
    assert ruleset["target"] == "branch" and ruleset["enforcement"] == "active"
    assert ruleset["conditions"]["refName"]["includes"] == ["refs/heads/staging"]
    rules = ruleset["rules"]
    assert rules["pullRequest"]["requiredApprovingReviewCount"] == 1
    assert rules["pullRequest"]["dismissStaleReviewsOnPush"] is True
    assert rules["nonFastForward"] is True and rules["deletion"] is True
    assert rules["requiredLinearHistory"] is True
    # Feature branches land by squash or rebase, tested on top of the latest staging (strict).
    assert rules["pullRequest"]["allowedMergeMethods"] == ["squash", "rebase"]
    assert rules["requiredStatusChecks"]["strictRequiredStatusChecksPolicy"] is True
    assert [c["context"] for c in rules["requiredStatusChecks"]["requiredChecks"]] == ["ci/test", "ci/lint"]
    # staging is promoted from feature branches: there is no environment to have deployed first.
    assert "requiredDeployments" not in rules
    assert ruleset.get("bypassActors", []) == []


def test_production_gate_requires_a_staging_deployment(production):
    gate = next(r for r in production.of_type("RepositoryRuleset") if r.inputs["target"] == "branch" and r.name.endswith("-branch-gate-ruleset"))
    assert gate.inputs["conditions"]["refName"]["includes"] == ["refs/heads/main"]
    assert gate.inputs["rules"]["requiredDeployments"]["requiredDeploymentEnvironments"] == ["staging"]
    assert gate.inputs.get("bypassActors", []) == []


def test_production_gate_takes_merge_commits_so_promotions_repeat(production):
    """Issue 15: merge commits only (main and staging share SHAs), no linear history, checks not strict."""
    rules = next(r for r in production.of_type("RepositoryRuleset") if r.inputs["target"] == "branch" and r.name.endswith("-branch-gate-ruleset")).inputs["rules"]
    assert rules["pullRequest"]["allowedMergeMethods"] == ["merge"]
    assert "requiredLinearHistory" not in rules
    assert rules["requiredStatusChecks"]["strictRequiredStatusChecksPolicy"] is False


def test_production_archives_release_tags(production):
    archive = next(r for r in production.of_type("RepositoryRuleset") if r.inputs["target"] == "tag")
    assert archive.inputs["conditions"]["refName"]["includes"] == ["refs/tags/v*"]
    assert archive.inputs["rules"]["deletion"] is True
    assert archive.inputs["rules"]["update"] is True


# Environment reviewers, prevent-self-review, wait timers and admin bypass off exist on Enterprise (or a
# public repository); the shipped plan (Team, private) has none: tests/test_plans.py covers each plan.
ENTERPRISE = {"githubPlan": "enterprise"}
CTO = [{"handle": "koomy-cto", "id": 1234567}]


def test_deployment_environments():
    staging = run_stack("staging", overrides={**ENTERPRISE, "reviewers": CTO})
    production = run_stack("production", overrides={**ENTERPRISE, "waitTimer": 5})
    for run, branch, admins in ((staging, "staging", True), (production, "main", False)):
        env = run.one("RepositoryEnvironment").inputs
        assert env["environment"] == run.stack
        assert env["reviewers"] == [{"users": [1234567]}]
        assert env["preventSelfReview"] is True
        assert env["canAdminsBypass"] is admins
        assert env["deploymentBranchPolicy"] == {"protectedBranches": False, "customBranchPolicies": True}
        policy = run.one("RepositoryEnvironmentDeploymentPolicy").inputs
        assert policy["branchPattern"] == branch and policy["environment"] == run.stack
    assert production.one("RepositoryEnvironment").inputs["waitTimer"] == 5
    # ids were given in the stack files: no API lookup, so previews work offline.
    assert production.calls == [] and staging.calls == []


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_github_writes_go_to_the_declared_owner(stack, staging, production):
    run = {"staging": staging, "production": production}[stack]
    provider = run.one("pulumi:providers:github")
    assert provider.inputs["owner"] == "koomy-app"
    github_resources = [r for r in run.registrations if r.type.startswith("github:")]
    assert len(github_resources) >= 6
    urn = run.urns[run.registrations.index(provider)]
    assert all(r.provider.startswith(urn + "::") for r in github_resources), [r.provider for r in github_resources]


def test_provider_keeps_githubs_write_delay_unless_a_rehearsal_lowers_it(monkeypatch, staging):
    assert "writeDelayMs" not in staging.one("pulumi:providers:github").inputs  # the provider's 1 s
    monkeypatch.setenv("RELEASE_GITHUB_WRITE_DELAY_MS", "0")
    assert run_stack("staging").one("pulumi:providers:github").inputs["writeDelayMs"] in (0, "0")  # provider config travels as strings


def test_write_delay_that_is_not_a_number_is_refused(monkeypatch):
    from harness import run_failing

    monkeypatch.setenv("RELEASE_GITHUB_WRITE_DELAY_MS", "fast")
    error, registered = run_failing("staging")
    assert "RELEASE_GITHUB_WRITE_DELAY_MS" in str(error) and "whole number" in str(error)
    assert registered == []


def test_no_knob_leaves_the_vercel_target_out(monkeypatch):
    """The Vercel plugin is built here and a Vercel double answers for it: nothing may drop the target (an
    `up` without it would delete the environment's Vercel resources). The old knob does nothing."""
    monkeypatch.setenv("GITHUB_BASE_URL", "http://127.0.0.1:8765/")
    monkeypatch.setenv("RELEASE_WITHOUT_VERCEL", "1")
    run = run_stack("production")
    assert len(run.of_type("ProjectEnvironmentVariable")) == 9 and len(run.of_type("Project")) == 1
    assert "vercelProjectId" in run.outputs


def test_bare_handle_is_resolved_through_the_github_api():
    run = run_stack("staging", overrides={**ENTERPRISE, "reviewers": ["octocat"]})
    assert run.calls == [(registry.GET_USER, {"username": "octocat"})]
    assert run.one("RepositoryEnvironment").inputs["reviewers"] == [{"users": [424242]}]


def test_every_catalogue_entry_reaches_its_destinations(production):
    secrets = {r.inputs["secretName"] for r in production.of_type("ActionsEnvironmentSecret")}
    variables = {r.inputs["variableName"]: r.inputs["value"] for r in production.of_type("ActionsEnvironmentVariable")}
    assert secrets == {"STRIPE_SECRET_KEY", "SUPABASE_SERVICE_ROLE_KEY", "JWT_SECRET"}
    assert variables == {"NEXT_PUBLIC_SUPABASE_URL": "https://production-ref.supabase.co", "APP_ENV": "production",
                         "LOG_LEVEL": "warn"}
    vercel = {r.inputs["key"]: r for r in production.of_type("ProjectEnvironmentVariable")}
    assert set(vercel) == {
        "STRIPE_SECRET_KEY", "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET", "NEXT_PUBLIC_SUPABASE_URL",
        "NEXT_PUBLIC_SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY", "JWT_SECRET", "APP_ENV", "LOG_LEVEL",
    }
    assert vercel["STRIPE_SECRET_KEY"].inputs["value"] == TEST_SECRETS["production"]["STRIPE_SECRET_KEY"]
    assert vercel["STRIPE_SECRET_KEY"].inputs["targets"] == ["production"]
    for key in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "SUPABASE_SERVICE_ROLE_KEY", "JWT_SECRET", "NEXT_PUBLIC_SUPABASE_ANON_KEY"):
        assert vercel[key].inputs["sensitive"] is True, key
        assert vercel[key].is_secret("value"), key
    for key in ("APP_ENV", "NEXT_PUBLIC_SUPABASE_URL", "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY"):
        assert vercel[key].inputs["sensitive"] is False, key
    assert all(r.delete_before_replace for r in vercel.values())


def test_generated_secret_is_a_random_password_shared_by_destinations(production):
    password = production.one("RandomPassword")
    assert password.name == "production-secrets-jwt-secret"
    assert password.inputs["length"] == 64
    assert not production.of_type("RandomString")
    jwt = next(r for r in production.of_type("ActionsEnvironmentSecret") if r.inputs["secretName"] == "JWT_SECRET")
    assert jwt.inputs["value"] == "generated-production-secrets-jwt-secret"
    assert jwt.is_secret("value")


def test_vercel_project_per_environment(staging, production):
    for run, branch, domain in ((staging, "staging", "staging.koomy.app"), (production, "main", "koomy.app")):
        project = run.one(registry.VERCEL_PROJECT).inputs
        assert project["name"] == f"koomy-{run.stack}"
        assert project["gitRepository"] == {"type": "github", "repo": "koomy-app/koomy", "productionBranch": branch}
        assert "environments" not in project, "env vars are separate resources; mixing both overwrites"
        assert run.one("ProjectDomain").inputs["domain"] == domain


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_names_unique_and_every_resource_has_a_component_parent(stack, staging, production):
    run = {"staging": staging, "production": production}[stack]
    assert len(run.urns) == len(set(run.urns))
    types_by_urn = dict(zip(run.urns, (r.type for r in run.registrations)))
    for r in run.registrations:
        if r.type == "release-topology:index:ReleaseEnvironment":
            assert r.parent.endswith("pulumi:pulumi:Stack::release-topology-" + stack)
            continue
        assert types_by_urn.get(r.parent) in OUR_COMPONENTS, f"{r.name} has parent {r.parent}"
        parent_name = r.parent.rsplit("::", 1)[-1]
        assert r.name.startswith(parent_name + "-"), f"{r.name} is not named from its parent {parent_name}"


def test_every_production_resource_is_protected(production, staging):
    assert production.registrations and all(r.protect for r in production.registrations)
    assert not any(r.protect for r in staging.registrations)
    retained = {r.type.split(":")[-1] for r in production.registrations if r.retain_on_delete}
    assert retained == {"RepositoryEnvironment", "Project"}


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_every_secret_input_is_a_pulumi_secret(stack, staging, production):
    run = {"staging": staging, "production": production}[stack]
    sentinels = set(TEST_SECRETS[stack].values())
    checked = 0
    for r in run.registrations:
        for prop, value in r.inputs.items():
            if isinstance(value, str) and (value in sentinels or value.startswith("generated-")):
                assert r.is_secret(prop), f"{r.name}.{prop} carries a secret in clear"
                checked += 1
    # 3 GitHub secrets + 5 sensitive Vercel variables carry a secret.
    assert checked == 8


def test_outputs_name_the_environment_and_never_a_secret(production):
    outputs = production.outputs
    assert outputs["environment"] == "production"
    assert outputs["branch"] == "main"
    text = repr(outputs)
    assert all(secret not in text for secret in TEST_SECRETS["production"].values())


def test_a_third_environment_is_config_only():
    environments = [
        {"name": "development", "branch": "develop", "promotedFrom": "feature/*"},
        {"name": "staging", "branch": "staging", "promotedFrom": "develop"},
        {"name": "production", "branch": "main", "promotedFrom": "staging", "production": True},
    ]
    # No reviewers: the shipped plan has no environment reviewers outside production.
    stack_values = {
        "vercelProject": "koomy-development",
        "domain": "dev.koomy.app",
        "APP_ENV": "development",
        "LOG_LEVEL": "debug",
        "NEXT_PUBLIC_SUPABASE_URL": "https://dev-ref.supabase.co",
    }
    dev = run_stack("development", overrides={"environments": environments, **stack_values},
                    secrets=TEST_SECRETS["staging"])
    gate = dev.one("RepositoryRuleset").inputs
    assert gate["conditions"]["refName"]["includes"] == ["refs/heads/develop"]
    assert dev.one("RepositoryEnvironment").inputs["environment"] == "development"
    assert dev.one(registry.VERCEL_PROJECT).inputs["gitRepository"]["productionBranch"] == "develop"
    # staging, promoted from the develop branch, now requires a development deployment.
    staging = run_stack("staging", overrides={"environments": environments})
    assert staging.one("RepositoryRuleset").inputs["rules"]["requiredDeployments"] == {
        "requiredDeploymentEnvironments": ["development"]
    }


def test_adopting_existing_github_objects_imports_them_under_the_same_names():
    run = run_stack("production", overrides={"adopt": {"environment": True, "branchPolicy": 7,
                                                       "branchRuleset": 42, "releaseRuleset": 43}})
    imports = {r.name: r.import_id for r in run.registrations if r.import_id}
    assert imports == {
        "production-branch-gate-ruleset": "koomy:42",
        "production-release-archive-ruleset": "koomy:43",
        "production-deployment-environment": "koomy:production",
        "production-deployment-branch-policy": "koomy:production:7",
    }
    assert not [r for r in run_stack("production").registrations if r.import_id]


def test_adopt_with_wrong_shapes_is_refused_with_the_fix():
    from harness import run_failing

    error, registered = run_failing("staging", overrides={"adopt": {"branchRuleset": "abc", "enviroment": True}})
    text = str(error)
    assert "adopt.branchRuleset: expected the object's numeric id" in text
    assert "adopt.enviroment: unknown key (did you mean 'environment'?)" in text
    assert "gh api repos/OWNER/REPO/rulesets" in text and registered == []


def test_every_type_the_program_registers_is_named_in_the_registry(staging, production):
    """topology/registry.py names what the program registers: the policy, the audit and the mocks read it there."""
    named = {value for name, value in vars(registry).items() if name.isupper() and isinstance(value, str) and ":" in value}
    for run in (staging, production):
        assert {r.type for r in run.registrations} <= named
