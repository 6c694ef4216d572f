"""The policy pack's rules: a passing and a failing fixture each, run through the pack's policies
(hand-built ResourceValidationArgs / StackValidationArgs) and through the offline evaluator, which
must agree. Fixtures start from what the program really registers (under mocks) and then weaken it.
"""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from pulumi_policy import (
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy import policies  # never policy.__main__: constructing PolicyPack blocks
from policy.check import to_resources
from topology.rules import in_window
from policy.model import MANDATORY, Resource
from policy.rules import RULES, evaluate_configured
from policy.stacks import policy_settings
from topology import codeowners, registry
from topology.model import ConfigError, DeployWindow, parse_stack
from topology.project import production_reviewers, read_topology
from harness import ROOT_DIR, TEST_SECRETS, run_stack

WEEKDAY_NOON = dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.timezone.utc)  # Tuesday 12:00 Paris
SATURDAY = dt.datetime(2026, 11, 28, 11, 0, tzinfo=dt.timezone.utc)
ALL_SECRETS = [v for env in TEST_SECRETS.values() for v in env.values()]


def _opts() -> PolicyResourceOptions:
    return PolicyResourceOptions(protect=False, ignore_changes=[], delete_before_replace=None, aliases=[],
                                 additional_secret_outputs=[], custom_timeouts=None)


def through_pack(resources: list[Resource], *, config=None, now=WEEKDAY_NOON, dry_run=False, monkeypatch=None,
                 root: Path):
    """Run every policy of the pack on the resources; return (policy name, message) pairs.

    Props go through the SDK's unknown-checking proxy, as the engine's analyzer hands them over:
    a rule that reads a value unknown during preview raises here as it would there.
    """
    monkeypatch.setattr(policies, "clock", lambda: now)
    monkeypatch.setattr(policies, "PROJECT_ROOT", root)
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


def through_check(resources, stack, *, config=None, now=WEEKDAY_NOON, dry_run=False, environ=None, root: Path):
    violations, errors = evaluate_configured(resources, root, stack, config or {}, dry_run=dry_run,
                                             environ=environ or {}, now=now)
    assert not errors
    return sorted((v.rule, v.message) for v in violations)


class Project(dict):
    """What a project copy registers per stack (`project[stack]`), and the copy's root the rules read."""

    def __init__(self, root: Path):
        super().__init__({stack: to_resources(run_stack(stack, root=root).registrations)
                          for stack in ("staging", "production")})
        self.root = root


def project_copy(root: Path, *, plan: dict | None = None, stack_edits: dict | None = None,
                 with_codeowners: bool = True) -> Path:
    """The shipped Pulumi.yaml and stack files, the plan keys replaced, and (by default) the CODEOWNERS
    file `python -m topology codeowners` generates, as a repository following the README would have."""
    for name in ("Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.production.yaml"):
        shutil.copy(ROOT_DIR / name, root / name)
    project = yaml.safe_load((root / "Pulumi.yaml").read_text())
    project["config"].update({key: {"value": value} for key, value in (plan or {}).items()})
    (root / "Pulumi.yaml").write_text(yaml.safe_dump(project))
    for stack, values in (stack_edits or {}).items():
        doc = yaml.safe_load((root / f"Pulumi.{stack}.yaml").read_text())
        doc["config"].update({f"release-topology:{k}": v for k, v in values.items()})
        (root / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(doc))
    if with_codeowners:
        (root / ".github").mkdir()
        handles = production_reviewers(read_topology(root / "Pulumi.yaml"), root)
        (root / ".github" / "CODEOWNERS").write_text(codeowners.render(handles))
    return root


SHIPPED_ROOT: Path | None = None  # the shipped plan's copy, the rules' project unless a test passes another


@pytest.fixture(scope="module")
def registered(tmp_path_factory):
    global SHIPPED_ROOT
    SHIPPED_ROOT = project_copy(tmp_path_factory.mktemp("shipped"))
    return Project(SHIPPED_ROOT)


CTO = [{"handle": "koomy-cto", "id": 1234567}]
ENTERPRISE = {"githubPlan": "enterprise"}


@pytest.fixture(scope="module")
def enterprise(tmp_path_factory):
    """Enterprise with a private repository: staging has reviewers too, as it would there."""
    return Project(project_copy(tmp_path_factory.mktemp("enterprise"), plan=ENTERPRISE,
                               stack_edits={"staging": {"reviewers": CTO}}))


def verdicts(resources, stack, monkeypatch, *, root: Path | None = None, **kw):
    root = root or SHIPPED_ROOT
    kw["root"] = root
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


CKV13 = "checkov-ckv-github-13-code-owner-review"
PLANS = {
    # plan keys -> the advisories left per stack. Only staging's gate lacks code-owner review where
    # production's code owners approve; where environment reviewers approve, no gate requires it.
    "team-private": ({}, {"staging": {CKV13}, "production": set()}),
    "pro-private": ({"githubPlan": "pro"}, {"staging": {CKV13}, "production": set()}),
    "enterprise-private": (ENTERPRISE, {"staging": {CKV13, "plan-unused-protection"}, "production": {CKV13}}),
    "free-public": ({"githubPlan": "free", "repositoryVisibility": "public"},
                    {"staging": {CKV13, "plan-unused-protection"}, "production": {CKV13}}),
}


@pytest.mark.parametrize("plan", PLANS)
@pytest.mark.parametrize("stack", ["staging", "production"])
def test_registered_program_passes_on_every_plan(plan, stack, monkeypatch, tmp_path):
    keys, advisories = PLANS[plan]
    project = Project(project_copy(tmp_path, plan=keys))
    found = verdicts(project[stack], stack, monkeypatch, root=project.root)
    mandatory = {r.name for r in RULES if r.level == MANDATORY}
    assert not rules_of(found) & mandatory, found
    assert rules_of(found) == advisories[stack], found


def test_shipped_plan_passes_with_staging_advisory_only(registered, monkeypatch):
    assert rules_of(verdicts(registered["staging"], "staging", monkeypatch)) == {CKV13}
    assert verdicts(registered["production"], "production", monkeypatch) == []


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
def test_production_environment_weakened(enterprise, monkeypatch, mutate, expected):
    # Environment reviewers, self-review and admin bypass exist on Enterprise (or a public repository).
    bad = edit(enterprise["production"], "deployment-environment", mutate)
    found = verdicts(bad, "production", monkeypatch, root=enterprise.root)
    assert any(rule == "deployment-environments" and expected in m for rule, m in found), found


def test_team_private_never_demands_environment_reviewers(registered, monkeypatch):
    """What the plan cannot give is not demanded: no red build the user cannot fix."""
    found = verdicts(registered["production"], "production", monkeypatch)
    assert "deployment-environments" not in rules_of(found)
    env = next(r for r in registered["production"] if r.name.endswith("deployment-environment"))
    assert "reviewers" not in env.props and "preventSelfReview" not in env.props


@pytest.mark.parametrize("mutate, expected", [
    (lambda p: p.update(reviewers=[{"users": [1234567]}]), "does not take required reviewers (422)"),
    (lambda p: p.update(preventSelfReview=True), "does not take prevent-self-review"),
    (lambda p: p.update(waitTimer=5), "does not take a wait timer (422)"),
    (lambda p: p.update(canAdminsBypass=False), "does not take turning admin bypass off"),
], ids=["reviewers", "self-review", "wait-timer", "admin-bypass-off"])
def test_what_team_private_refuses_is_mandatory(registered, monkeypatch, mutate, expected):
    bad = edit(registered["production"], "deployment-environment", mutate)
    found = verdicts(bad, "production", monkeypatch)
    assert any(rule == "plan-accepts" and "GitHub team with a private repository" in m and expected in m
               for rule, m in found), found


def test_defaults_the_provider_fills_in_are_accepted(registered, monkeypatch):
    # After the provider's Check the inputs may hold its defaults: those are what GitHub keeps anyway.
    ok = edit(registered["production"], "deployment-environment",
              lambda p: p.update(canAdminsBypass=True, preventSelfReview=False, waitTimer=0, reviewers=[]))
    assert verdicts(ok, "production", monkeypatch) == []


def test_evaluate_enforcement_needs_enterprise(registered, enterprise, monkeypatch):
    evaluate = lambda p: p.update(enforcement="evaluate")  # noqa: E731
    found = verdicts(edit(registered["staging"], "branch-gate-ruleset", evaluate), "staging", monkeypatch)
    assert ("plan-accepts", "stack 'staging': ruleset enforcement 'evaluate' needs GitHub Enterprise") in found
    found = verdicts(edit(enterprise["staging"], "branch-gate-ruleset", evaluate), "staging", monkeypatch,
                     root=enterprise.root)
    assert "plan-accepts" not in rules_of(found)


def test_free_private_is_refused_with_the_topology(registered, monkeypatch, tmp_path):
    # The program refuses Free + private before registering anything (tests/test_plans.py); the rules
    # that read the topology stand down rather than judge resources against a plan that cannot hold them.
    root = project_copy(tmp_path, plan={"githubPlan": "free"}, with_codeowners=False)
    with pytest.raises(ConfigError, match="no rulesets and no environments"):
        read_topology(root / "Pulumi.yaml")
    found = verdicts(registered["staging"], "staging", monkeypatch, root=root)
    assert not rules_of(found) & {"plan-accepts", "deployment-environments", "production-branch-gate"}


@pytest.mark.parametrize("mutate, expected", [
    (lambda p: p["rules"]["pullRequest"].update(requireCodeOwnerReview=False),
     "does not require a code owner's review, the only way GitHub team with a private repository lets the reviewers "
     "approve production"),
    (lambda p: p["rules"]["pullRequest"].update(requireLastPushApproval=False),
     "whoever pushed last may approve it"),
], ids=["code-owner-review", "last-push-approval"])
def test_production_gate_without_code_owner_review_on_team_private(registered, monkeypatch, mutate, expected):
    bad = edit(registered["production"], "branch-gate-ruleset", mutate)
    found = verdicts(bad, "production", monkeypatch)
    assert any(rule == "production-branch-gate" and expected in m for rule, m in found), found


@pytest.mark.parametrize("text, expected", [
    ("* @someone-else\n", "line 1: `*` is owned by @someone-else, not by the production reviewers @koomy-cto"),
    ("* @koomy-cto\n/infra/ @intern\n", "line 2: `/infra/` is owned by @intern, which overrides `*`"),
    ("* @koomy-cto\n/docs/\n", "line 2: `/docs/` is owned by nobody, which overrides `*`"),
    ("/src/ @koomy-cto\n", "no `*` rule"),
], ids=["other-owner", "carve-out", "unowned-path", "no-catch-all"])
def test_codeowners_must_give_every_path_to_the_reviewers(monkeypatch, tmp_path, text, expected):
    root = project_copy(tmp_path)
    (root / ".github" / "CODEOWNERS").write_text(text)
    project = Project(root)
    found = verdicts(project["production"], "production", monkeypatch, root=root)
    assert any(rule == "code-owners" and expected in m for rule, m in found), found
    assert "code-owners" not in rules_of(verdicts(project["staging"], "staging", monkeypatch, root=root))



def test_a_reviewer_entry_the_program_refuses_never_passes_the_policy(registered, monkeypatch, tmp_path):
    """The policy reads the stack through the program's own parser (topology/release.py `load`): a reviewer
    entry that parse_stack refuses (a numeric id written as a string) no longer passes as a code owner."""
    refused = [{"handle": "koomy-cto", "id": "1234567"}]
    root = project_copy(tmp_path, stack_edits={"production": {"reviewers": refused}}, with_codeowners=False)
    (root / ".github").mkdir()
    (root / ".github" / "CODEOWNERS").write_text(codeowners.render(["koomy-cto"]))
    _, problems = parse_stack("production", {"reviewers": refused}, frozenset(), ())
    assert [p.key for p in problems] == ["release-topology:reviewers[0]"]
    expected = "Pulumi.production.yaml is refused by the program: release-topology:reviewers[0]: must be a GitHub handle"
    found = through_pack(registered["production"], monkeypatch=monkeypatch, root=root)
    assert {name for name, message in found if expected in message} == {r.name for r in RULES}, found
    _, errors = evaluate_configured(registered["production"], root, "production", {}, dry_run=False, environ={},
                                    now=WEEKDAY_NOON)
    assert {e.split(":", 1)[0] for e in errors if expected in e} == {r.name for r in RULES}, errors

def test_codeowners_missing_is_advisory(monkeypatch, tmp_path):
    root = project_copy(tmp_path, with_codeowners=False)
    found = verdicts(Project(root)["production"], "production", monkeypatch, root=root)
    assert rules_of(found) == {"code-owners-file"}
    assert "the production gate requires a code owner's review but this checkout has no CODEOWNERS" in found[0][1]


def test_codeowners_are_not_checked_where_environment_reviewers_approve(enterprise, monkeypatch):
    (enterprise.root / ".github" / "CODEOWNERS").write_text("* @someone-else\n")
    try:
        found = verdicts(enterprise["production"], "production", monkeypatch, root=enterprise.root)
    finally:
        (enterprise.root / ".github" / "CODEOWNERS").write_text(codeowners.render(["koomy-cto"]))
    assert not {"code-owners", "code-owners-file"} & rules_of(found)


def test_unused_protection_is_advisory_where_the_plan_offers_it(enterprise, monkeypatch):
    bad = edit(enterprise["staging"], "deployment-environment", lambda p: p.update(preventSelfReview=False))
    found = verdicts(bad, "staging", monkeypatch, root=enterprise.root)
    assert ("plan-unused-protection", "stack 'staging' environment 'staging': GitHub enterprise with a private "
            "repository offers prevent-self-review; it is off") in found
    assert not rules_of(found) & {r.name for r in RULES if r.level == MANDATORY}


def test_environment_deploys_from_another_branch(registered, monkeypatch):
    bad = edit(registered["staging"], "deployment-branch-policy", lambda p: p.update(branchPattern="*"))
    found = verdicts(bad, "staging", monkeypatch)
    assert any(rule == "deployment-environments" and "deploys from '*'" in m for rule, m in found)


def test_random_string_is_refused(registered, monkeypatch):
    extra = Resource(registry.RANDOM_STRING, "staging-secrets-token", {"length": 32},
                     f"urn:pulumi:staging::release-topology::{registry.RANDOM_STRING}::staging-secrets-token")
    found = verdicts([*registered["staging"], extra], "staging", monkeypatch)
    assert "generated-secrets-random-password" in rules_of(found)


def test_sensitive_vercel_variable_never_targets_development(registered, monkeypatch):
    # vercel/terraform-provider-vercel: "Environment variables targeting `development` must explicitly set
    # `sensitive = false`."
    bad = edit(registered["staging"], "vercel-stripe-secret-key", lambda p: p.update(targets=["production", "development"]))
    found = verdicts(bad, "staging", monkeypatch)
    assert ("vercel-sensitive-targets", "stack 'staging': Vercel variable STRIPE_SECRET_KEY is sensitive and targets "
            "development, which Vercel refuses") in found


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
    found = through_pack(resources, dry_run=True, monkeypatch=monkeypatch, root=registered.root)
    assert found == []  # the shipped plan's production leaves no advisory either


# --- promotion-merges (issue 15): the merge settings that deadlock a promotion are refused -----------


def _promotion_messages(resources, stack, monkeypatch):
    return [m for rule, m in verdicts(resources, stack, monkeypatch) if rule == "promotion-merges"]


def test_shipped_merge_settings_let_promotions_repeat(registered, monkeypatch):
    for stack in ("staging", "production"):
        assert _promotion_messages(registered[stack], stack, monkeypatch) == []


@pytest.mark.parametrize("weaken, expected", [
    (lambda r: r["pullRequest"].update(allowedMergeMethods=["merge", "squash"]), "allows ['squash']"),
    (lambda r: r["pullRequest"].pop("allowedMergeMethods"), "allows ['rebase', 'squash']"),
    (lambda r: r.update(requiredLinearHistory=True), "with linear history"),
    (lambda r: r["requiredStatusChecks"].update(strictRequiredStatusChecksPolicy=True), "deadlock on the second promotion"),
])
def test_production_merge_settings_that_deadlock_are_refused(registered, monkeypatch, weaken, expected):
    bad = edit(registered["production"], "branch-gate-ruleset", lambda p: weaken(p["rules"]))
    messages = _promotion_messages(bad, "production", monkeypatch)
    assert any(expected in m and "fix:" in m for m in messages), messages


def test_linear_history_with_merge_commits_only_is_refused(registered, monkeypatch):
    bad = edit(registered["staging"], "branch-gate-ruleset",
               lambda p: p["rules"]["pullRequest"].update(allowedMergeMethods=["merge"]))
    messages = _promotion_messages(bad, "staging", monkeypatch)
    assert any("no pull request can ever merge" in m for m in messages), messages
