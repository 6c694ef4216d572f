"""The policy pack's rules: a passing and a failing fixture each, run through the pack's policies
(hand-built ResourceValidationArgs / StackValidationArgs) and through the offline evaluator, which
must agree. Fixtures start from what the program really registers (under mocks) and then weaken it.
"""

from __future__ import annotations

import copy
import datetime as dt
import sys
from pathlib import Path

import pytest
from pulumi_policy import (
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy.rules import (
    MANDATORY,
    RULES,
    Context,
    Resource,
    evaluate_configured,
    in_window,
    policy_settings,
)
from topology.model import DeployWindow
from policy.check import to_resources
from harness import ROOT_DIR, TEST_SECRETS, run_stack

sys.path.insert(0, str(ROOT_DIR / "policy"))
import policies  # noqa: E402  (never __main__: constructing PolicyPack blocks)

WEEKDAY_NOON = dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.timezone.utc)  # Tuesday 12:00 Paris
SATURDAY = dt.datetime(2026, 11, 28, 11, 0, tzinfo=dt.timezone.utc)
ALL_SECRETS = [v for env in TEST_SECRETS.values() for v in env.values()]


def _opts() -> PolicyResourceOptions:
    return PolicyResourceOptions(protect=False, ignore_changes=[], delete_before_replace=None, aliases=[],
                                 additional_secret_outputs=[], custom_timeouts=None)


def through_pack(resources: list[Resource], *, config=None, now=WEEKDAY_NOON, dry_run=False, monkeypatch=None):
    """Run every policy of the pack on the resources; return (policy name, message) pairs.

    Props go through the SDK's unknown-checking proxy, as the engine's analyzer hands them over:
    a rule that reads a value unknown during preview raises here as it would there.
    """
    monkeypatch.setattr(policies, "clock", lambda: now)
    monkeypatch.setenv("PULUMI_DRY_RUN", "true" if dry_run else "false")
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    found = []
    by_urn = {}
    policy_resources = []
    for r in resources:
        pr = PolicyResource(r.type, unknown_checking_proxy(dict(r.props)), r.urn, r.name, _opts(), None, None, [], {})
        by_urn[r.urn] = pr
        policy_resources.append(pr)
    for r, pr in zip(resources, policy_resources):
        pr.dependencies = [by_urn[u] for u in r.dependencies if u in by_urn]
    for policy in policies.all_policies():
        report = lambda message, urn=None, name=policy.name: found.append((name, message))  # noqa: E731
        cfg = (config or {}).get(policy.name, {})
        if isinstance(policy, policies.ResourceValidationPolicy):
            for r in resources:
                args = ResourceValidationArgs(r.type, unknown_checking_proxy(dict(r.props)), r.urn, r.name, _opts(), None, cfg)
                policy.validate(args, report)
        else:
            policy.validate(StackValidationArgs(policy_resources, cfg), report)
    return sorted(found)


def through_check(resources, stack, *, config=None, now=WEEKDAY_NOON, dry_run=False, environ=None):
    violations, errors = evaluate_configured(resources, ROOT_DIR, stack, config or {}, dry_run=dry_run,
                                             environ=environ or {}, now=now)
    assert not errors
    return sorted((v.rule, v.message) for v in violations)


@pytest.fixture(scope="module")
def registered():
    return {stack: to_resources(run_stack(stack).registrations) for stack in ("staging", "production")}


def verdicts(resources, stack, monkeypatch, **kw):
    environ = kw.pop("environ", {})
    for key in ("RELEASE_EMERGENCY", "RELEASE_EMERGENCY_REASON"):
        monkeypatch.delenv(key, raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    pack = through_pack(resources, monkeypatch=monkeypatch, **kw)
    offline = through_check(resources, stack, environ=environ, **kw)
    assert pack == offline, "the pack and the offline check disagree"
    for _, message in pack:
        assert all(secret not in message for secret in ALL_SECRETS), "a secret value reached a policy message"
    return pack


def edit(resources, name_suffix, mutate):
    """A deep copy of the resources with one resource changed by `mutate(props)`."""
    out = []
    hits = 0
    for r in resources:
        if r.name.endswith(name_suffix):
            props = copy.deepcopy(dict(r.props))
            mutate(props)
            r = Resource(r.type, r.name, props, r.urn, r.dependencies)
            hits += 1
        out.append(r)
    assert hits == 1, f"fixture edit matched {hits} resources for {name_suffix}"
    return out


def rules_of(found):
    return {rule for rule, _ in found}


# --- the program as registered passes every mandatory rule ----------------------------------------


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_registered_program_passes(stack, registered, monkeypatch):
    found = verdicts(registered[stack], stack, monkeypatch)
    mandatory = {r.name for r in RULES if r.level == MANDATORY}
    assert not rules_of(found) & mandatory, found
    # Only the advisory code-owner check remains: no CODEOWNERS is declared.
    assert rules_of(found) == {"checkov-ckv-github-13-code-owner-review"}


# --- one failing fixture per rule ---------------------------------------------------------------


def test_stripe_live_key_in_staging(registered, monkeypatch):
    leaked = "sk_live_SENTINELstagingLEAK"
    bad = edit(registered["staging"], "secrets-stripe-secret-key-github", lambda p: p.update(value=leaked))
    found = verdicts(bad, "staging", monkeypatch)
    assert ("stripe-mode", "stack 'staging': STRIPE_SECRET_KEY holds a Stripe LIVE-mode key in a non-production "
            "environment (only sk_test_/pk_test_/rk_test_ keys belong here)") in found
    assert all(leaked not in m for _, m in found)


def test_stripe_test_key_in_production_vercel(registered, monkeypatch):
    bad = edit(registered["production"], "vercel-stripe-secret-key", lambda p: p.update(value="sk_test_x"))
    assert "stripe-mode" in rules_of(verdicts(bad, "production", monkeypatch))


def test_production_gate_weakened(registered, monkeypatch):
    def weaken(p):
        p["rules"].pop("requiredDeployments")
        p["rules"]["pullRequest"]["requiredApprovingReviewCount"] = 0
        p["rules"]["nonFastForward"] = False

    bad = edit(registered["production"], "branch-gate-ruleset", weaken)
    found = verdicts(bad, "production", monkeypatch)
    messages = [m for rule, m in found if rule == "production-branch-gate"]
    assert any("does not require a successful 'staging' deployment" in m for m in messages)
    assert any("requires 0 approvals, policy requires >= 1" in m for m in messages)
    assert any("force-push is allowed" in m for m in messages)


def test_production_gate_missing(registered, monkeypatch):
    bad = [r for r in registered["production"] if not r.name.endswith("branch-gate-ruleset")]
    found = verdicts(bad, "production", monkeypatch)
    assert ("production-branch-gate", "stack 'production': no branch ruleset protects the production branch 'main'") in found


def test_min_approvals_from_policy_config(registered, monkeypatch):
    config = {"production-branch-gate": {"minApprovals": 2}, "checkov-ckv-git-5-approvals": {"minApprovals": 2}}
    found = verdicts(registered["production"], "production", monkeypatch, config=config)
    assert {"production-branch-gate", "checkov-ckv-git-5-approvals"} <= rules_of(found)


def test_policy_config_is_validated():
    assert policy_settings({"minApprovals": "two"}, None)[2] == ["policy config minApprovals must be an integer 0-10, got 'two'"]
    errors = policy_settings({"deployWindow": {"timezone": "Mars/Olympus", "start": "9h"}}, None)[2]
    assert any("unknown time zone" in e for e in errors) and any("HH:MM" in e for e in errors)


@pytest.mark.parametrize("mutate, expected", [
    (lambda p: p.update(canAdminsBypass=True), "production lets admins bypass its protection"),
    (lambda p: p.update(reviewers=[]), "production has no required reviewer"),
    (lambda p: p.update(preventSelfReview=False), "production allows self-review"),
    (lambda p: p.update(deploymentBranchPolicy={"protectedBranches": True, "customBranchPolicies": False}),
     "deployments are not restricted to a custom branch policy"),
], ids=["admin-bypass", "no-reviewer", "self-review", "any-protected-branch"])
def test_production_environment_weakened(registered, monkeypatch, mutate, expected):
    bad = edit(registered["production"], "deployment-environment", mutate)
    found = verdicts(bad, "production", monkeypatch)
    assert any(rule == "deployment-environments" and expected in m for rule, m in found), found


def test_environment_deploys_from_another_branch(registered, monkeypatch):
    bad = edit(registered["staging"], "deployment-branch-policy", lambda p: p.update(branchPattern="*"))
    found = verdicts(bad, "staging", monkeypatch)
    assert any(rule == "deployment-environments" and "deploys from '*'" in m for rule, m in found)


def test_random_string_is_refused(registered, monkeypatch):
    extra = Resource("random:index/randomString:RandomString", "staging-secrets-token", {"length": 32},
                     "urn:pulumi:staging::release-topology::random:index/randomString:RandomString::staging-secrets-token")
    found = verdicts([*registered["staging"], extra], "staging", monkeypatch)
    assert "generated-secrets-random-password" in rules_of(found)


def test_secret_vercel_variable_must_be_sensitive(registered, monkeypatch):
    bad = edit(registered["staging"], "vercel-supabase-service-role-key", lambda p: p.update(sensitive=False))
    found = verdicts(bad, "staging", monkeypatch)
    assert ("secrets-sensitive", "stack 'staging': Vercel variable SUPABASE_SERVICE_ROLE_KEY carries a secret "
            "but is not sensitive") in found


def test_release_archive_missing(registered, monkeypatch):
    bad = edit(registered["production"], "release-archive-ruleset", lambda p: p["rules"].update(update=False))
    assert "release-archive" in rules_of(verdicts(bad, "production", monkeypatch))


def test_staging_writing_production_is_refused(registered, monkeypatch):
    bad = edit(registered["staging"], "secrets-stripe-secret-key-github", lambda p: p.update(environment="production"))
    bad = edit(bad, "branch-gate-ruleset", lambda p: p["conditions"]["refName"].update(includes=["refs/heads/main"]))
    bad = edit(bad, "vercel-project", lambda p: p.update(name="koomy-production"))
    messages = [m for rule, m in verdicts(bad, "staging", monkeypatch) if rule == "no-cross-environment-writes"]
    assert any("writes GitHub environment 'production'" in m for m in messages)
    assert any("targets 'refs/heads/main'" in m for m in messages)
    assert any("declares Vercel project 'koomy-production'" in m for m in messages)
    # the domain and env vars now hang off a project that is not staging's own
    assert any("writes to a Vercel project this stack does not own" in m for m in messages)


@pytest.mark.parametrize("rule, mutate", [
    ("checkov-ckv-github-5-no-force-push", lambda p: p["rules"].update(nonFastForward=False)),
    ("checkov-ckv-github-10-enforce-for-admins", lambda p: p.update(
        bypassActors=[{"actorType": "RepositoryRole", "actorId": 5, "bypassMode": "always"}])),
    ("checkov-ckv-github-11-dismiss-stale-reviews", lambda p: p["rules"]["pullRequest"].update(dismissStaleReviewsOnPush=False)),
    ("checkov-ckv-github-14-status-checks", lambda p: p["rules"].pop("requiredStatusChecks")),
    ("checkov-ckv-github-16-conversation-resolution", lambda p: p["rules"]["pullRequest"].update(requiredReviewThreadResolution=False)),
    ("checkov-ckv-github-18-no-deletion", lambda p: p["rules"].update(deletion=False)),
    ("checkov-ckv-git-5-approvals", lambda p: p["rules"]["pullRequest"].update(requiredApprovingReviewCount=0)),
])
def test_checkov_parity_on_staging_gate(registered, monkeypatch, rule, mutate):
    bad = edit(registered["staging"], "branch-gate-ruleset", mutate)
    assert rule in rules_of(verdicts(bad, "staging", monkeypatch))


def test_code_owner_review_passes_when_required(registered, monkeypatch):
    good = edit(registered["staging"], "branch-gate-ruleset",
                lambda p: p["rules"]["pullRequest"].update(requireCodeOwnerReview=True))
    assert verdicts(good, "staging", monkeypatch) == []


# --- deploy window ------------------------------------------------------------------------------


def test_outside_window_blocks_update_and_warns_in_preview(registered, monkeypatch):
    update = verdicts(registered["production"], "production", monkeypatch, now=SATURDAY)
    assert ("deploy-window", "stack 'production': Sat 12:00 CET is outside the deploy window "
            "(mon,tue,wed,thu,fri 09:00-18:00 Europe/Paris)") in update
    preview = verdicts(registered["production"], "production", monkeypatch, now=SATURDAY, dry_run=True)
    assert "deploy-window" not in rules_of(preview) and "deploy-window-preview" in rules_of(preview)
    # staging has no window
    assert not {"deploy-window", "deploy-window-preview"} & rules_of(
        verdicts(registered["staging"], "staging", monkeypatch, now=SATURDAY))


def test_emergency_override_needs_a_reason(registered, monkeypatch):
    allowed = verdicts(registered["production"], "production", monkeypatch, now=SATURDAY,
                       environ={"RELEASE_EMERGENCY": "true", "RELEASE_EMERGENCY_REASON": "payment outage INC-42"})
    assert "deploy-window" not in rules_of(allowed)
    refused = verdicts(registered["production"], "production", monkeypatch, now=SATURDAY,
                       environ={"RELEASE_EMERGENCY": "true", "RELEASE_EMERGENCY_REASON": "  "})
    assert any(rule == "deploy-window" and "needs a reason" in m for rule, m in refused)


def test_emergency_override_is_recorded_as_an_output(monkeypatch):
    monkeypatch.setenv("RELEASE_EMERGENCY", "true")
    monkeypatch.setenv("RELEASE_EMERGENCY_REASON", "payment outage INC-42")
    assert run_stack("production").outputs["emergencyOverride"] == {"reason": "payment outage INC-42"}
    monkeypatch.delenv("RELEASE_EMERGENCY")
    assert "emergencyOverride" not in run_stack("production").outputs


PARIS = "Europe/Paris"


@pytest.mark.parametrize("local, window, inside", [
    ("2026-11-24T09:00", DeployWindow(start="09:00", end="18:00", timezone=PARIS), True),
    ("2026-11-24T18:00", DeployWindow(start="09:00", end="18:00", timezone=PARIS), False),
    ("2026-11-24T08:59", DeployWindow(start="09:00", end="18:00", timezone=PARIS), False),
    # A night window crossing midnight, Monday-Friday nights.
    ("2026-11-24T23:30", DeployWindow(start="22:00", end="06:00", timezone=PARIS), True),
    ("2026-11-25T05:59", DeployWindow(start="22:00", end="06:00", timezone=PARIS), True),
    ("2026-11-25T06:00", DeployWindow(start="22:00", end="06:00", timezone=PARIS), False),
    # Saturday 01:00 belongs to Friday night's window; Monday 01:00 to Sunday's (closed).
    ("2026-11-28T01:00", DeployWindow(start="22:00", end="06:00", timezone=PARIS), True),
    ("2026-11-30T01:00", DeployWindow(start="22:00", end="06:00", timezone=PARIS), False),
])
def test_window_edges(local, window, inside):
    from zoneinfo import ZoneInfo

    now = dt.datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(PARIS)).astimezone(dt.timezone.utc)
    assert in_window(now, window) is inside


def test_time_zone_comes_from_policy_config(registered, monkeypatch):
    # 11:00 UTC Saturday is still Saturday in Tokyo; a window on Saturdays in Tokyo lets it through.
    config = {"deploy-window": {"deployWindow": {"days": ["sat"], "start": "18:00", "end": "23:00", "timezone": "Asia/Tokyo"}}}
    found = verdicts(registered["production"], "production", monkeypatch, now=SATURDAY, config=config)
    assert "deploy-window" not in rules_of(found)


def test_every_rule_is_documented():
    doc = (ROOT_DIR / "policy" / "README.md").read_text()
    for rule in RULES:
        assert f"`{rule.name}`" in doc, f"{rule.name} missing from policy/README.md"


def test_engine_numbers_are_accepted_as_integers():
    # The real engine passes the schema default `minApprovals: 1` as the JSON number 1.0.
    assert policy_settings({"minApprovals": 1.0}, None) == (1, DeployWindow(), [])
    assert policy_settings({"minApprovals": 1.5}, None)[2] == ["policy config minApprovals must be an integer 0-10, got 1.5"]


def test_generated_secret_unknown_in_preview_runs_every_policy(registered, monkeypatch):
    """During preview the engine hands the pack a generated secret's value as unknown; a rule that
    reads it makes the pack print "can't run policy" on every pull request. None may read it."""
    resources = edit(registered["production"], "secrets-jwt-secret-github",
                     lambda p: p.update(value=UNKNOWN_STRING_VALUE))
    found = through_pack(resources, dry_run=True, monkeypatch=monkeypatch)
    assert rules_of(found) == {"checkov-ckv-github-13-code-owner-review"}
