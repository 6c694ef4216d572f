"""The release policy's rules: each check of policy/checks.py named, levelled and given its fix.

policy/policies.py wraps them into CrossGuard policies; policy/check.py runs them on a mock evaluation
(`evaluate_configured`, as the pack runs them under a policy config). policy/README.md says which
sentence of the release policy each one enforces, and when it runs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Mapping, Sequence

from .checks import (
    check_code_owners,
    check_code_owners_file,
    check_deploy_window,
    check_deploy_window_preview,
    check_deployment_environments,
    check_own_environment,
    check_plan_accepts,
    check_production_gate,
    check_promotion_merges,
    check_random_string,
    check_release_archive,
    check_sensitive,
    check_sensitive_targets,
    check_stripe_mode,
    check_unused_protection,
    pull_request,
    ruleset_check,
)
from .model import ADVISORY, LEVEL_NAMES, MANDATORY, Resource, Rule, Violation
from .seed_checks import (
    check_allowed_branches,
    check_code_freeze,
    check_code_freeze_preview,
    check_freeze_gate,
    check_preview_targets,
    check_value_rules,
)
from .stacks import build_context


CHECKOV = [
    ("CKV_GIT_5", "approvals", MANDATORY, lambda p, c: (pull_request(p).get("requiredApprovingReviewCount") or 0) >= c.min_approvals,
     "pull requests need fewer approvals than the policy minimum", "set requiredApprovals in the stack (policy config minApprovals)"),
    ("CKV_GITHUB_5", "no-force-push", MANDATORY, lambda p, c: bool((p.get("rules") or {}).get("nonFastForward")),
     "force-push is allowed", "keep non_fast_forward in BranchGate"),
    ("CKV_GITHUB_10", "enforce-for-admins", MANDATORY, lambda p, c: not any(
        a.get("actorType") in ("OrganizationAdmin", "RepositoryRole") and a.get("bypassMode") == "always"
        for a in p.get("bypassActors") or []),
     "admins can always bypass the ruleset", "remove always-bypass admin actors from bypassActors"),
    ("CKV_GITHUB_11", "dismiss-stale-reviews", MANDATORY, lambda p, c: bool(pull_request(p).get("dismissStaleReviewsOnPush")),
     "stale reviews are not dismissed on push", "keep dismiss_stale_reviews_on_push in BranchGate"),
    ("CKV_GITHUB_13", "code-owner-review", ADVISORY, lambda p, c: bool(pull_request(p).get("requireCodeOwnerReview")),
     "code-owner review is not required", "add a CODEOWNERS file and require code-owner review"),
    ("CKV_GITHUB_14", "status-checks", MANDATORY,
     lambda p, c: bool(((p.get("rules") or {}).get("requiredStatusChecks") or {}).get("requiredChecks")),
     "no status checks are required", "declare statusChecks in Pulumi.yaml"),
    ("CKV_GITHUB_16", "conversation-resolution", ADVISORY, lambda p, c: bool(pull_request(p).get("requiredReviewThreadResolution")),
     "conversations need not be resolved before merge", "keep required_review_thread_resolution in BranchGate"),
    ("CKV_GITHUB_18", "no-deletion", MANDATORY, lambda p, c: bool((p.get("rules") or {}).get("deletion")),
     "the branch can be deleted", "keep deletion in BranchGate"),
]


RULES: list[Rule] = [
    Rule("stripe-mode", "No live Stripe key outside production, no test key in production.",
         MANDATORY, "set the right-mode key with `pulumi config set --secret`",
         "resource", check_stripe_mode),
    Rule("production-branch-gate", "The production branch requires reviewed PRs, checks, no force-push or deletion, "
         "and a successful deployment of the environment it is promoted from.",
         MANDATORY, "restore BranchGate's defaults; raise requiredApprovals",
         "stack", check_production_gate),
    Rule("promotion-merges", "Promotions repeat: a branch promoted from an environment takes merge commits only, "
         "without linear history or strict checks (it shares the source's deployed SHAs); a branch with linear "
         "history allows squash or rebase.",
         MANDATORY, "keep BranchGate's merge settings: allowed_merge_methods ['merge'], no required_linear_history and "
         "strict checks off on a branch promoted from an environment",
         "resource", check_promotion_merges),
    Rule("deployment-environments", "Each GitHub environment deploys only from its own branch; where the plan offers "
         "them, production has required reviewers, prevents self-review and gives admins no bypass.",
         MANDATORY, "set reviewers in the stack; keep DeploymentEnvironment's defaults",
         "stack", check_deployment_environments),
    Rule("plan-accepts", "Nothing the declared GitHub plan refuses: rulesets and environments where the plan has "
         "none, environment reviewers, prevent-self-review, wait timers or admin bypass off below Enterprise on a "
         "private repository, enforcement 'evaluate' below Enterprise.",
         MANDATORY, "keep DeploymentEnvironment's plan-driven inputs; declare the real githubPlan",
         "resource", check_plan_accepts),
    Rule("code-owners", "Where the production gate requires a code owner's review, CODEOWNERS gives every path (`*`, "
         "and nothing after it) to exactly the production reviewers.",
         MANDATORY, "python -m topology codeowners > .github/CODEOWNERS, merged through a pull request",
         "stack", check_code_owners),
    Rule("code-owners-file", "The production gate requires a code owner's review but the checkout has no CODEOWNERS.",
         ADVISORY, "python -m topology codeowners > .github/CODEOWNERS, merged through a pull request "
         "(or check the managed repository's file: python -m topology codeowners --check)",
         "stack", check_code_owners_file),
    Rule("plan-unused-protection", "A non-production environment leaves unused the required reviewers or "
         "prevent-self-review the declared plan offers.",
         ADVISORY, "declare reviewers for the stack",
         "resource", check_unused_protection),
    Rule("generated-secrets-random-password", "Generated secrets come from RandomPassword/RandomBytes, never RandomString.",
         MANDATORY, "replace RandomString by RandomPassword",
         "resource", check_random_string),
    Rule("secrets-sensitive", "A Vercel variable carrying a catalogue secret is sensitive; secrets never go to plain "
         "GitHub variables.",
         MANDATORY, "mark the catalogue entry's kind as a secret kind",
         "resource", check_sensitive),
    Rule("vercel-sensitive-targets", "A sensitive Vercel variable never targets development (Vercel refuses it).",
         MANDATORY, "target production (and preview) only",
         "resource", check_sensitive_targets),
    Rule("release-archive", "The production stack protects release tags from deletion and update.",
         MANDATORY, "keep ReleaseArchive in the production stack",
         "stack", check_release_archive),
    Rule("no-cross-environment-writes", "A stack writes only its own branch, GitHub environment and Vercel project.",
         MANDATORY, "move the resource to the stack of the environment it belongs to",
         "stack", check_own_environment),
    Rule("deploy-window", "Production updates only inside the deploy window, unless an emergency override with a "
         "reason is given (recorded as the stack output emergencyOverride).",
         MANDATORY, "deploy inside the window, or set RELEASE_EMERGENCY=true and RELEASE_EMERGENCY_REASON",
         "stack", check_deploy_window),
    Rule("deploy-window-preview", "Preview of the production stack outside the deploy window (warning only).",
         ADVISORY, "the update will be refused outside the window",
         "stack", check_deploy_window_preview),
    # Issue 18 (topology/seed_rules.py, policy/seed_checks.py).
    Rule("value-rules", "A catalogue value is one its entry allows in this environment (`values`, `pattern` per "
         "environment class or name: LOG_LEVEL warn or error in production).",
         MANDATORY, "set an allowed value with `pulumi config set`", "resource", check_value_rules),
    Rule("allowed-branches", "Where allowedBranches is declared, production keeps an active ruleset on ~ALL refusing "
         "the creation of any branch but the environments' and the declared patterns, with no bypass.",
         MANDATORY, "keep AllowedBranches in the production stack", "stack", check_allowed_branches),
    Rule("preview-values", "Vercel's preview target (feature branches' preview deployments) gets only the "
         "featurePreviews environment's values, never production's.",
         MANDATORY, "target production only outside the featurePreviews environment", "resource", check_preview_targets),
    Rule("code-freeze", "No production update during a declared code freeze, unless an emergency override with a "
         "reason is given.",
         MANDATORY, "wait for the end of the freeze, or set RELEASE_EMERGENCY=true and RELEASE_EMERGENCY_REASON",
         "stack", check_code_freeze),
    Rule("code-freeze-preview", "Preview of the production stack during a code freeze (warning only).",
         ADVISORY, "the update will be refused during the freeze", "stack", check_code_freeze_preview),
    Rule("code-freeze-gate", "Once codeFreeze is declared, merges into the production branch require the "
         "release/code-freeze status check (it fails during a freeze).",
         MANDATORY, "keep BranchGate's status checks (topology/seed_rules.gate_status_checks)", "stack",
         check_freeze_gate),
    *[
        Rule(f"checkov-{cid.lower().replace('_', '-')}-{slug}", f"{cid} parity: {what} (branch rulesets).", level, fix,
             "resource", ruleset_check(pred, what))
        for cid, slug, level, pred, what, fix in CHECKOV
    ],
]


def rule_config(rule: Rule, policy_config: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """A rule's level and settings from a --policy-pack-config document (keyed by policy name)."""
    entry = policy_config.get(rule.name, {})
    if isinstance(entry, str):
        return entry, {}
    entry = dict(entry or {})
    return entry.pop("enforcementLevel", rule.level), entry


def evaluate_configured(resources: Sequence[Resource], root: Path, stack: str, policy_config: Mapping[str, Any], *,
                        dry_run: bool, environ: Mapping[str, str], now: dt.datetime | None = None,
                        ) -> tuple[list[Violation], list[str]]:
    """Every rule as the pack runs it under this policy config: per-rule settings and levels."""
    violations: list[Violation] = []
    errors: list[str] = []
    for name in policy_config:
        if name not in {r.name for r in RULES}:
            errors.append(f"policy config names an unknown policy '{name}'")
    for rule in RULES:
        level, settings = rule_config(rule, policy_config)
        if level not in LEVEL_NAMES:
            errors.append(f"policy config {rule.name}: unknown enforcement level '{level}'")
            continue
        if level == "disabled":
            continue
        ctx, rule_errors = build_context(root, stack, settings, dry_run=dry_run, environ=environ, now=now)
        errors += [f"{rule.name}: {e}" for e in rule_errors]
        violations += [Violation(v.rule, level, v.resource, v.message) for v in rule.run(resources, ctx)]
    return violations, errors
