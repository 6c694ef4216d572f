"""Bad input: one error naming stack, key and fix, every problem at once, no value, nothing registered."""

from __future__ import annotations

import pytest

from harness import TEST_SECRETS, run_failing

STAGING = TEST_SECRETS["staging"]
PRODUCTION = TEST_SECRETS["production"]
LIVE_KEY = "sk_live_SENTINELleakedLIVEkey9999"
TEST_KEY = "sk_test_SENTINELtestKEYinPROD8888"


def fails(stack: str, **kwargs):
    error, registered = run_failing(stack, **kwargs)
    assert registered == [], "a bad stack must register nothing"
    message = str(error)
    assert message.startswith(f"stack '{stack}':")
    for value in [*STAGING.values(), *PRODUCTION.values(), LIVE_KEY, TEST_KEY]:
        assert value not in message, "a secret value leaked into the error"
    return error, message


def test_live_stripe_key_in_staging():
    error, message = fails("staging", secrets={**STAGING, "STRIPE_SECRET_KEY": LIVE_KEY})
    assert [p.key for p in error.problems] == ["release-topology:STRIPE_SECRET_KEY"]
    assert "LIVE-mode key in a non-production environment" in message
    assert "pulumi config set --secret --stack staging STRIPE_SECRET_KEY" in message


def test_live_publishable_key_in_staging_is_refused_too():
    error, message = fails("staging", variables={"NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY": "pk_live_abc"})
    assert [p.key for p in error.problems] == ["release-topology:NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY"]
    assert "pk_live_abc" not in message


def test_test_stripe_key_in_production():
    error, message = fails("production", secrets={**PRODUCTION, "STRIPE_SECRET_KEY": TEST_KEY})
    assert [p.key for p in error.problems] == ["release-topology:STRIPE_SECRET_KEY"]
    assert "TEST-mode key in production" in message


def test_not_a_stripe_key_and_not_a_webhook_secret():
    bad = {**STAGING, "STRIPE_SECRET_KEY": "SENTINELnotAkey", "STRIPE_WEBHOOK_SECRET": "SENTINELnotAwebhook"}
    error, message = fails("staging", secrets=bad)
    assert {p.key for p in error.problems} == {"release-topology:STRIPE_SECRET_KEY", "release-topology:STRIPE_WEBHOOK_SECRET"}
    assert "expected whsec_" in message and "expected sk_test_/rk_test_" in message
    assert "SENTINELnotAkey" not in message and "SENTINELnotAwebhook" not in message


def test_missing_secrets_print_the_exact_commands():
    error, message = fails("production", secrets={"STRIPE_WEBHOOK_SECRET": PRODUCTION["STRIPE_WEBHOOK_SECRET"]})
    for name in ("STRIPE_SECRET_KEY", "NEXT_PUBLIC_SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY"):
        assert f"pulumi config set --secret --stack production {name} <value>" in message
    assert len(error.problems) == 3
    assert "3 configuration problems" in message


def test_secret_stored_in_clear_is_refused():
    # Set as a plain value (not --secret): config has it, the secret-keys list does not.
    error, message = fails("staging", secrets={k: v for k, v in STAGING.items() if k != "SUPABASE_SERVICE_ROLE_KEY"},
                           overrides={"SUPABASE_SERVICE_ROLE_KEY": "eyJSENTINELclearTEXT"})
    assert [p.key for p in error.problems] == ["release-topology:SUPABASE_SERVICE_ROLE_KEY"]
    assert "clear text" in message and "eyJSENTINELclearTEXT" not in message


def test_stack_name_must_be_an_environment():
    error, message = fails("qa")
    assert error.problems[0].key == "stack"
    assert "stack 'qa' is not an environment of the topology (staging, production)" in message


@pytest.mark.parametrize(
    "environments, expected",
    [
        (
            [{"name": "staging", "branch": "staging", "promotedFrom": "feature/*"},
             {"name": "production", "branch": "main", "promotedFrom": "stagin", "production": True}],
            "'production' is promoted from 'stagin', which is neither an environment",
        ),
        (
            [{"name": "staging", "branch": "staging", "promotedFrom": "production"},
             {"name": "production", "branch": "main", "promotedFrom": "staging", "production": True}],
            "promotion cycle: staging <- production <- staging",
        ),
        (
            [{"name": "staging", "branch": "main", "promotedFrom": "feature/*"},
             {"name": "production", "branch": "main", "promotedFrom": "staging", "production": True}],
            "environments 'staging' and 'production' share the branch 'main'",
        ),
        (
            [{"name": "staging", "branch": "staging", "promotedFrom": "feature/*"},
             {"name": "production", "branch": "main", "promotedFrom": "feature/*", "production": True}],
            "must be promoted from another environment",
        ),
    ],
    ids=["unknown-source", "cycle", "shared-branch", "production-skips-staging"],
)
def test_promotion_chain(environments, expected):
    error, message = fails("staging", overrides={"environments": environments})
    assert expected in message
    assert all(p.key == "release-topology:environments" for p in error.problems)


def test_production_needs_a_reviewer_and_no_bypass():
    error, message = fails("production", overrides={
        "reviewers": [],
        "bypassActors": [{"actorType": "RepositoryRole", "actorId": 5, "bypassMode": "always"}],
        "requiredApprovals": 0,
    })
    assert {p.key for p in error.problems} == {
        "release-topology:reviewers", "release-topology:bypassActors", "release-topology:requiredApprovals"
    }
    assert "needs at least one required reviewer" in message


def test_bypass_actors_allowed_on_staging_when_declared():
    from harness import run_stack

    run = run_stack("staging", overrides={"bypassActors": [{"actorType": "RepositoryRole", "actorId": 5}]})
    assert run.one("RepositoryRuleset").inputs["bypassActors"] == [
        {"actorType": "RepositoryRole", "actorId": 5, "bypassMode": "pull_request"}
    ]


def test_unknown_keys_and_wrong_types_are_all_reported_at_once():
    error, message = fails("staging", overrides={
        "waitTimr": 5,
        "waitTimer": "soon",
        "requiredApprovals": True,
        "reviewers": "koomy-cto",
        "relase-topology:domain": "x",
    })
    keys = {p.key for p in error.problems}
    assert keys == {
        "release-topology:waitTimr", "release-topology:waitTimer", "release-topology:requiredApprovals",
        "release-topology:reviewers", "relase-topology:domain",
    }
    assert "did you mean 'waitTimer'?" in message
    assert "expected int, got str" in message and "expected int, got bool" in message


def test_typo_of_a_catalogue_name_is_suggested():
    error, message = fails("staging", overrides={"APP_ENVV": "staging"})
    assert error.problems[0].key == "release-topology:APP_ENVV"
    assert "did you mean 'APP_ENV'?" in message
    assert "pulumi config rm --stack staging APP_ENVV" in message


def test_generated_secret_value_in_stack_is_refused():
    error, message = fails("staging", overrides={"JWT_SECRET": "SENTINELhandMadeJWT"})
    assert "generated per environment" in message and "SENTINELhandMadeJWT" not in message


def test_bad_topology_shapes():
    error, message = fails("staging", overrides={
        "repository": "not-a-repo",
        "catalogue": [{"name": "lower", "kind": "stripe-secret-key"}, {"name": "X", "kind": "nope"}],
    })
    assert "'not-a-repo' is not owner/name" in message
    assert "UPPER_SNAKE_CASE" in message and "unknown kind 'nope'" in message


def test_stack_key_errors_do_not_hide_secret_problems():
    # Found by the real engine: an unknown key used to stop validation before the catalogue checks.
    error, message = fails("staging", secrets={**STAGING, "STRIPE_SECRET_KEY": LIVE_KEY}, overrides={"waitTimr": 5})
    assert {p.key for p in error.problems} == {"release-topology:STRIPE_SECRET_KEY", "release-topology:waitTimr"}


def test_typo_of_a_project_key_points_at_pulumi_yaml():
    error, message = fails("staging", overrides={"statusCheck": ["ci/test"]})
    assert [p.key for p in error.problems] == ["release-topology:statusCheck"]
    assert "did you mean 'statusChecks'?" in message
    assert "rename 'statusCheck' to 'statusChecks' under `config:` in Pulumi.yaml" in message
