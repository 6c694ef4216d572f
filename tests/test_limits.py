"""Everything GitHub, Vercel or their providers would refuse, refused before anything registers: one
error naming stack, key and fix, every problem at once, never a secret value. Each test cites the
constraint's source (topology/limits.py holds the same citations)."""

from __future__ import annotations

import shutil

import pytest
import yaml

from harness import ROOT_DIR, TEST_SECRETS, TEST_VARIABLES, run_failing, run_stack
from topology import registry
from topology.limits import GITHUB_RULESET_NAME_MAX

STAGING = TEST_SECRETS["staging"]
ALL_SECRETS = [v for env in TEST_SECRETS.values() for v in env.values()]
ENTRY = {"name": "STRIPE_SECRET_KEY", "kind": "stripe-secret-key", "to": ["github", "vercel"]}
SHIPPED_CATALOGUE = [
    ENTRY,
    {"name": "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY", "kind": "stripe-publishable-key", "to": ["vercel"]},
    {"name": "STRIPE_WEBHOOK_SECRET", "kind": "stripe-webhook-secret", "to": ["vercel"]},
    {"name": "NEXT_PUBLIC_SUPABASE_URL", "kind": "supabase-url", "to": ["github", "vercel"]},
    {"name": "NEXT_PUBLIC_SUPABASE_ANON_KEY", "kind": "supabase-anon-key", "to": ["vercel"]},
    {"name": "SUPABASE_SERVICE_ROLE_KEY", "kind": "supabase-service-role-key", "to": ["github", "vercel"]},
    {"name": "JWT_SECRET", "kind": "generated", "to": ["github", "vercel"]},
    {"name": "APP_ENV", "kind": "variable", "to": ["github", "vercel"]},
    {"name": "LOG_LEVEL", "kind": "variable", "to": ["github", "vercel"], "values": {"production": ["warn", "error"]}},
]


def fails(stack: str, **kwargs):
    error, registered = run_failing(stack, **kwargs)
    assert registered == [], "a refused stack must register nothing"
    message = str(error)
    assert message.startswith(f"stack '{stack}':")
    assert all(secret not in message for secret in ALL_SECRETS), "a secret value leaked into the error"
    return error, message


def keys(error) -> set[str]:
    return {p.key for p in error.problems}


# --- names of GitHub secrets and variables ---------------------------------------------------------
# https://docs.github.com/en/actions/reference/secrets-reference#naming-your-secrets
# https://docs.github.com/en/actions/reference/workflows-and-actions/variables (naming conventions)
# integrations/terraform-provider-github github/util.go: secretNameRegexp ^[a-zA-Z_][a-zA-Z0-9_]*$, no GITHUB_ prefix


def test_github_reserves_the_GITHUB_prefix():
    catalogue = [*SHIPPED_CATALOGUE, {"name": "GITHUB_APP_KEY", "kind": "secret", "to": ["github"]}]
    error, message = fails("staging", overrides={"catalogue": catalogue}, secrets={**STAGING, "GITHUB_APP_KEY": "k"})
    assert keys(error) == {"release-topology:catalogue"}
    assert "GITHUB_APP_KEY: GitHub secret and variable names must not start with GITHUB_" in message
    assert "deliver it to vercel only: to: [vercel]" in message


def test_the_GITHUB_prefix_is_fine_on_vercel_only():
    catalogue = [*SHIPPED_CATALOGUE, {"name": "GITHUB_APP_ID", "kind": "variable", "to": ["vercel"]}]
    assert run_stack("staging", overrides={"catalogue": catalogue}, variables={
        "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY": "pk_test_x", "GITHUB_APP_ID": "42"}).registrations


@pytest.mark.parametrize("name", ["1PASSWORD_TOKEN", "STRIPE-KEY", "stripe_key"])
def test_names_start_with_a_letter_and_hold_letters_digits_underscores(name):
    error, message = fails("staging", overrides={"catalogue": [{"name": name, "kind": "secret"}]})
    assert "must be an UPPER_SNAKE_CASE variable name" in message


# "You can store up to ... 100 environment secrets" (secrets reference, limits);
# "... and 100 variables per environment" (variables reference, limits for configuration variables).
@pytest.mark.parametrize("kind, what", [("secret", "secrets"), ("variable", "variables")])
def test_at_most_100_secrets_or_variables_per_environment(kind, what):
    extra = [{"name": f"EXTRA_{i}", "kind": kind, "to": ["github"]} for i in range(101)]
    error, message = fails("staging", overrides={"catalogue": extra})
    assert f"101 {what} go to each GitHub environment; GitHub holds at most 100" in message


# "Secrets are limited to 48 KB in size." / "Individual variables are limited to 48 KB in size."
def test_a_github_value_holds_at_most_48_kb():
    big = "sk_test_" + "S" * 49 * 1024
    error, message = fails("staging", secrets={**STAGING, "STRIPE_SECRET_KEY": big}, overrides={"APP_ENV": "x" * 49 * 1024})
    assert keys(error) >= {"release-topology:STRIPE_SECRET_KEY", "release-topology:APP_ENV"}
    assert "is 49 KB; GitHub holds at most 48 KB" in message
    assert "S" * 100 not in message


# Vercel docs, https://vercel.com/docs/environment-variables (limits): "a total of 64 KB in Environments
# Variables per-Deployment".
def test_vercel_values_add_up_to_at_most_64_kb():
    error, message = fails("staging", secrets={**STAGING, "SUPABASE_SERVICE_ROLE_KEY": "e" * 40 * 1024,
                                               "NEXT_PUBLIC_SUPABASE_ANON_KEY": "e" * 30 * 1024})
    assert keys(error) == {"release-topology:catalogue"}
    assert "a Vercel deployment holds at most 64 KB of environment variables" in message


# --- values ---------------------------------------------------------------------------------------


def test_empty_secret_is_refused():
    error, message = fails("staging", secrets={**STAGING, "SUPABASE_SERVICE_ROLE_KEY": "  "})
    assert [(p.key, p.message) for p in error.problems] == [("release-topology:SUPABASE_SERVICE_ROLE_KEY", "is empty")]


def test_empty_variable_is_refused():
    error, message = fails("staging", overrides={"APP_ENV": ""})
    assert keys(error) == {"release-topology:APP_ENV"} and "expected a non-empty string" in message


# --- environments and rulesets ----------------------------------------------------------------------
# https://docs.github.com/en/actions/how-tos/deploy/configure-and-manage-deployments/manage-environments
# ("An environment name may not exceed 255 characters"); integrations/terraform-provider-github
# github/resource_github_repository_ruleset.go: name StringLenBetween(1, 100).


def environments(production_name: str) -> list[dict]:
    return [{"name": "staging", "branch": "staging", "promotedFrom": "feature/*"},
            {"name": production_name, "branch": "main", "promotedFrom": "staging", "production": True}]


def test_environment_names_fit_githubs_255_characters():
    error, message = fails("staging", overrides={"environments": environments("p" * 256)})
    assert "is longer than GitHub's 255 characters" in message


def test_ruleset_names_derived_from_the_environment_fit_100_characters():
    error, message = fails("staging", overrides={"environments": environments("p" * 85)})
    assert keys(error) == {"release-topology:environments"}
    assert "the release archive ruleset of 'pppppppppppppppppppp...' would be named with more than GitHub's 100" in message
    assert "shorten the environment name to at most 84 characters" in message
    assert "branch gate" not in message  # 85 + len("-branch-gate") fits


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_the_rulesets_the_components_name_are_the_ones_the_limits_check(stack):
    registered = [r.inputs["name"] for r in run_stack(stack).of_type(registry.RULESET)]
    assert sorted(registered) == sorted(registry.ruleset_names(stack, production=stack == "production").values())


def test_the_longest_environment_name_the_limits_accept_gives_rulesets_of_at_most_100_characters(tmp_path):
    longest = "p" * (GITHUB_RULESET_NAME_MAX - max(map(len, registry.RULESET_SUFFIXES.values())))
    project = yaml.safe_load((ROOT_DIR / "Pulumi.yaml").read_text())
    project["config"]["environments"] = {"value": environments(longest)}
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump(project))
    shutil.copy(ROOT_DIR / "Pulumi.production.yaml", tmp_path / f"Pulumi.{longest}.yaml")
    run = run_stack(longest, root=tmp_path, secrets=TEST_SECRETS["production"], variables=TEST_VARIABLES["production"])
    names = [r.inputs["name"] for r in run.of_type(registry.RULESET)]
    assert len(names) == 3 and max(map(len, names)) == GITHUB_RULESET_NAME_MAX  # gate, archive, allowed branches


# integrations/terraform-provider-github github/resource_github_repository_ruleset.go: repository ^[-a-zA-Z0-9_.]{1,100}$
def test_repository_name():
    error, message = fails("staging", overrides={"repository": "koomy-app/koomy app"})
    assert "'koomy app' is not a GitHub repository name" in message


# --- reviewers --------------------------------------------------------------------------------------
# https://docs.github.com/en/actions/reference/workflows-and-actions/deployments-and-environments#required-reviewers
# ("up to six users or teams"); integrations/terraform-provider-github resource_github_repository_environment.go:
# users/teams MaxItems 6 and "a maximum of 6 reviewers (users and teams combined)".

SEVEN = [{"handle": f"reviewer-{i}", "id": 100 + i} for i in range(7)]


def test_at_most_six_environment_reviewers():
    error, message = fails("production", overrides={"githubPlan": "enterprise", "reviewers": SEVEN})
    assert keys(error) == {"release-topology:reviewers"}
    assert "7 reviewers; a GitHub environment takes at most 6" in message


def test_code_owners_have_no_such_limit():
    # A preview: an update would be refused before registering anything, since this checkout's CODEOWNERS
    # names @koomy-cto only (test_program.py: the code-owners refusal).
    assert run_stack("production", preview=True, overrides={"reviewers": SEVEN}).registrations


def test_a_reviewer_listed_twice():
    error, message = fails("production", overrides={"reviewers": [{"handle": "koomy-cto", "id": 1}, "Koomy-CTO"]})
    assert "'koomy-cto' is listed twice" in message


# --- Vercel -----------------------------------------------------------------------------------------
# vercel/terraform-provider-vercel vercel/resource_project.go: name LengthBetween(1, 52) and ^[a-z0-9\-]{0,100}$
# ("The name of a Project can only contain up to 100 alphanumeric lowercase characters and hyphens").


@pytest.mark.parametrize("name", ["Koomy-Staging", "koomy_staging", "k" * 53])
def test_vercel_project_names(name):
    error, message = fails("staging", overrides={"vercelProject": name})
    assert keys(error) == {"release-topology:vercelProject"}
    assert "is not a Vercel project name (1-52 lowercase letters, digits and hyphens)" in message


# RFC 1123 host names; the Vercel provider's project domain has no validator, so a URL would reach the
# API (../shared/notes/github-plans.md, "Seen with a build of the Vercel plugin").
@pytest.mark.parametrize("domain, why", [
    ("https://staging.koomy.app", "is a URL, not a host name"),
    ("staging.koomy.app/", "is a URL, not a host name"),
    ("staging.koomy.app:443", "is a URL, not a host name"),
    ("staging", "is not a host name"),
    ("-staging.koomy.app", "is not a host name"),
    ("staging..koomy.app", "is not a host name"),
])
def test_a_domain_is_a_host_name(domain, why):
    error, message = fails("staging", overrides={"domain": domain})
    assert keys(error) == {"release-topology:domain"}
    assert f"'{domain}' {why}" in message and "no scheme, path or port" in message


def test_wildcard_and_mixed_case_domains_are_host_names():
    for domain in ("*.koomy.app", "Staging.Koomy.App"):
        assert run_stack("staging", overrides={"domain": domain}).one("ProjectDomain").inputs["domain"] == domain


def test_every_refused_value_in_one_error():
    error, message = fails("staging", overrides={"vercelProject": "Koomy", "domain": "https://x.app", "waitTimer": 3},
                           secrets={**STAGING, "SUPABASE_SERVICE_ROLE_KEY": ""})
    assert keys(error) == {"release-topology:vercelProject", "release-topology:domain", "release-topology:waitTimer",
                           "release-topology:SUPABASE_SERVICE_ROLE_KEY"}
    assert "4 configuration problems; nothing was registered." in message
