"""The policy's checks: pure functions over registered resources and a Context.

Each yields (resource name, message) for what it finds wrong; policy/rules.py names them as rules.
Resources are read as the engine holds them (type tokens from topology/registry.py, camelCase
properties). Messages name stack, resource and key, never a value.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from topology import codeowners, registry
from topology.model import DeployWindow
from topology.plans import ENVIRONMENT_FIELDS, Approval, offers
from topology.rules import stripe_mode_violation

from .model import Context, Finding, Resource


# --- helpers --------------------------------------------------------------------------------


def _includes(ruleset: Mapping[str, Any]) -> list[str]:
    return list(((ruleset.get("conditions") or {}).get("refName") or {}).get("includes") or [])


def _branch_rulesets_on(resources: Iterable[Resource], branch: str) -> list[Resource]:
    ref = f"refs/heads/{branch}"
    return [r for r in resources if r.type == registry.RULESET and r.props.get("target") == "branch" and ref in _includes(r.props)]


# The property that holds the key's name, and the one that holds its value, per delivery resource.
_DELIVERY = {
    registry.ENV_SECRET: ("secretName", "value"),
    registry.ENV_VARIABLE: ("variableName", "value"),
    registry.VERCEL_ENV: ("key", "value"),
}


def _carried_key(resource: Resource) -> str | None:
    """The key name a delivery resource gives an environment (None for other resources)."""
    props = _DELIVERY.get(resource.type)
    return resource.props.get(props[0], "") if props else None


def _carried_value(resource: Resource, ctx: Context) -> tuple[str, str] | None:
    """(key name, value) a delivery resource carries, for values that come from config.

    A generated secret's value is random (never a Stripe key) and unknown until `up` creates it:
    reading it during preview would turn the pack's check into "can't run policy".
    """
    key = _carried_key(resource)
    entry = ctx.entry(key)
    if key is None or (entry is not None and entry.kind.is_generated):
        return None
    return key, resource.props.get(_DELIVERY[resource.type][1]) or ""


# --- 1. Stripe mode ---------------------------------------------------------------------------


def check_stripe_mode(resource: Resource, ctx: Context) -> Iterable[Finding]:
    carried = _carried_value(resource, ctx)
    if carried is None or ctx.environment is None:
        return
    key, value = carried
    if isinstance(value, str):
        problem = stripe_mode_violation(ctx.production, value)
        if problem:
            yield resource.name, f"stack '{ctx.stack}': {key} {problem}"


# --- 2. Production branch gate ----------------------------------------------------------------


def gate_findings(ruleset: Resource, ctx: Context, *, require_deployment: bool) -> Iterable[Finding]:
    rules = ruleset.props.get("rules") or {}
    pr = rules.get("pullRequest")
    where = f"stack '{ctx.stack}' ruleset '{ruleset.props.get('name', ruleset.name)}'"
    if not pr:
        yield ruleset.name, f"{where}: pull requests are not required"
    else:
        approvals = pr.get("requiredApprovingReviewCount") or 0
        if approvals < ctx.min_approvals:
            yield ruleset.name, f"{where}: requires {approvals:g} approvals, policy requires >= {ctx.min_approvals}"
        if not pr.get("dismissStaleReviewsOnPush"):
            yield ruleset.name, f"{where}: stale reviews are not dismissed on push"
        if require_deployment and ctx.approval is Approval.CODE_OWNER_REVIEW:
            # On this plan the code owners' approval of the merge is how the CTO decides.
            if not pr.get("requireCodeOwnerReview"):
                yield ruleset.name, (f"{where}: does not require a code owner's review, the only way {ctx.plan_words} "
                                     "lets the reviewers approve production")
            if not pr.get("requireLastPushApproval"):
                yield ruleset.name, f"{where}: whoever pushed last may approve it (last-push approval is off)"
    if not ((rules.get("requiredStatusChecks") or {}).get("requiredChecks")):
        yield ruleset.name, f"{where}: no required status checks"
    if not rules.get("nonFastForward"):
        yield ruleset.name, f"{where}: force-push is allowed (nonFastForward off)"
    if not rules.get("deletion"):
        yield ruleset.name, f"{where}: branch deletion is allowed"
    if ruleset.props.get("enforcement") != "active":
        yield ruleset.name, f"{where}: enforcement is '{ruleset.props.get('enforcement')}', not active"
    if ruleset.props.get("bypassActors"):
        yield ruleset.name, f"{where}: has bypass actors; production allows none"
    if require_deployment and ctx.source is not None:
        envs = (rules.get("requiredDeployments") or {}).get("requiredDeploymentEnvironments") or []
        if ctx.source.name not in envs:
            yield ruleset.name, f"{where}: does not require a successful '{ctx.source.name}' deployment before merge"


def check_production_gate(resources: Sequence[Resource], ctx: Context) -> Iterable[Finding]:
    env = ctx.environment
    if env is None or not env.production:
        return
    gates = _branch_rulesets_on(resources, env.branch)
    if not gates:
        yield ctx.stack, f"stack '{ctx.stack}': no branch ruleset protects the production branch '{env.branch}'"
    for gate in gates:
        yield from gate_findings(gate, ctx, require_deployment=True)


# --- 3. Deployment environments ---------------------------------------------------------------


def check_deployment_environments(resources: Sequence[Resource], ctx: Context) -> Iterable[Finding]:
    env = ctx.environment
    if env is None:
        return
    policies = [r for r in resources if r.type == registry.BRANCH_POLICY]
    for r in resources:
        if r.type != registry.GITHUB_ENVIRONMENT:
            continue
        p = r.props
        where = f"stack '{ctx.stack}' environment '{p.get('environment')}'"
        branch_policy = p.get("deploymentBranchPolicy") or {}
        if not branch_policy.get("customBranchPolicies") or branch_policy.get("protectedBranches"):
            yield r.name, f"{where}: deployments are not restricted to a custom branch policy"
        own = [x for x in policies if x.props.get("environment") == p.get("environment")]
        if not own:
            yield r.name, f"{where}: no deployment branch policy allows its branch '{env.branch}'"
        for x in own:
            if x.props.get("branchPattern") != env.branch or x.props.get("tagPattern"):
                yield x.name, f"{where}: deploys from '{x.props.get('branchPattern') or x.props.get('tagPattern')}', not only its own branch '{env.branch}'"
        # Never demand what the plan cannot give: on other plans the code owners approve (production gate).
        features = ctx.features
        if env.production and features and offers(features, "reviewers"):
            if not _has_reviewers(p):
                yield r.name, f"{where}: production has no required reviewer"
            if not p.get("preventSelfReview"):
                yield r.name, f"{where}: production allows self-review"
        if env.production and features and offers(features, "can_admins_bypass") and p.get("canAdminsBypass", True):
            yield r.name, f"{where}: production lets admins bypass its protection"


def _has_reviewers(environment: Mapping[str, Any]) -> bool:
    return _reviewers_declared(environment.get("reviewers"))


def _reviewers_declared(reviewers: Any) -> bool:
    return any((rv.get("users") or rv.get("teams")) for rv in reviewers or [])


# Whether an environment field, as the engine holds it, asks for more than GitHub's default (a plan without
# the field's feature refuses that, topology/plans.ENVIRONMENT_FIELDS); the defaults the provider fills in pass.
_DECLARED: dict[str, Callable[[Any], bool]] = {
    "reviewers": _reviewers_declared,
    "prevent_self_review": bool,
    "wait_timer": lambda value: (value or 0) > 0,
    "can_admins_bypass": lambda value: value is False,
}


# --- 3b. What the plan accepts ------------------------------------------------------------------


def check_plan_accepts(resource: Resource, ctx: Context) -> Iterable[Finding]:
    """Nothing GitHub refuses on the declared plan: it would fail `up` (422) or be dropped silently."""
    features = ctx.features
    if features is None:
        return
    # A plan without rulesets or environments (Free + private) is refused with the topology itself.
    p = resource.props
    where = f"stack '{ctx.stack}'"
    if resource.type == registry.RULESET and p.get("enforcement") == "evaluate" and not features.ruleset_evaluate:
        yield resource.name, f"{where}: ruleset enforcement 'evaluate' needs GitHub Enterprise"
    if resource.type != registry.GITHUB_ENVIRONMENT:
        return
    refused = [f.refused for f in ENVIRONMENT_FIELDS if not f.offered(features) and _DECLARED[f.input](p.get(f.prop))]
    for what in refused:
        yield resource.name, f"{where} environment '{p.get('environment')}': {ctx.plan_words} does not take {what}"


# --- 3c. Code owners approve production where the plan has no environment reviewers ----------------


def _code_owner_gates(resources: Sequence[Resource], ctx: Context) -> list[Resource]:
    env = ctx.environment
    if env is None or not env.production:
        return []
    return [r for r in _branch_rulesets_on(resources, env.branch)
            if ((r.props.get("rules") or {}).get("pullRequest") or {}).get("requireCodeOwnerReview")]


def check_code_owners(resources: Sequence[Resource], ctx: Context) -> Iterable[Finding]:
    """A production gate that requires code-owner review: CODEOWNERS gives every path to the reviewers."""
    if ctx.codeowners is None or not _code_owner_gates(resources, ctx):
        return
    for problem in codeowners.problems(ctx.codeowners, ctx.production_reviewers):
        yield ctx.stack, f"stack '{ctx.stack}': CODEOWNERS {problem}"


def check_code_owners_file(resources: Sequence[Resource], ctx: Context) -> Iterable[Finding]:
    """Without a CODEOWNERS file a required code-owner review requires nobody (advisory: the file may live
    in a repository other than this checkout)."""
    if ctx.codeowners is None and _code_owner_gates(resources, ctx):
        yield ctx.stack, (f"stack '{ctx.stack}': the production gate requires a code owner's review but this checkout "
                          f"has no CODEOWNERS ({', '.join(codeowners.LOCATIONS)}): nobody is a code owner")


# --- 3d. Protection the plan offers but the environment leaves unused -----------------------------


def check_unused_protection(resource: Resource, ctx: Context) -> Iterable[Finding]:
    """Advisory: a non-production environment without the reviewers the plan offers (production's are mandatory)."""
    features = ctx.features
    if resource.type != registry.GITHUB_ENVIRONMENT or ctx.production or not (features and offers(features, "reviewers")):
        return
    where = f"stack '{ctx.stack}' environment '{resource.props.get('environment')}'"
    if not _has_reviewers(resource.props):
        yield resource.name, f"{where}: {ctx.plan_words} offers required reviewers; none are declared"
    elif not resource.props.get("preventSelfReview"):
        yield resource.name, f"{where}: {ctx.plan_words} offers prevent-self-review; it is off"


# --- 4. Generated secrets -----------------------------------------------------------------------


def check_random_string(resource: Resource, ctx: Context) -> Iterable[Finding]:
    if resource.type == registry.RANDOM_STRING:
        yield resource.name, (f"stack '{ctx.stack}': RandomString keeps its value as its id, in clear in state; "
                              "use RandomPassword or RandomBytes")


# --- 5. Secrets are sensitive -------------------------------------------------------------------


def check_sensitive(resource: Resource, ctx: Context) -> Iterable[Finding]:
    key = _carried_key(resource)
    entry = ctx.entry(key)
    if entry is None or not entry.kind.is_secret:
        return
    if resource.type == registry.VERCEL_ENV and not resource.props.get("sensitive"):
        yield resource.name, f"stack '{ctx.stack}': Vercel variable {key} carries a secret but is not sensitive"
    if resource.type == registry.ENV_VARIABLE:
        yield resource.name, f"stack '{ctx.stack}': {key} is a secret delivered as a plain GitHub variable"


def check_sensitive_targets(resource: Resource, ctx: Context) -> Iterable[Finding]:
    # terraform-provider-vercel: "Environment variables targeting `development` must explicitly set
    # `sensitive = false`" (Vercel docs, "Sensitive environment variables": not available in development).
    if resource.type == registry.VERCEL_ENV and resource.props.get("sensitive") and "development" in (resource.props.get("targets") or []):
        yield resource.name, (f"stack '{ctx.stack}': Vercel variable {resource.props.get('key')} is sensitive and targets "
                              "development, which Vercel refuses")


# --- 6. Release archive -------------------------------------------------------------------------


def check_release_archive(resources: Sequence[Resource], ctx: Context) -> Iterable[Finding]:
    if not ctx.production or ctx.topology is None:
        return
    ref = f"refs/tags/{ctx.topology.release_tag_pattern}"
    for r in resources:
        rules = r.props.get("rules") or {}
        if (r.type == registry.RULESET and r.props.get("target") == "tag" and ref in _includes(r.props)
                and rules.get("deletion") and rules.get("update") and r.props.get("enforcement") == "active"):
            return
    yield ctx.stack, (f"stack '{ctx.stack}': no active tag ruleset keeps '{ref}' from deletion and update; "
                      "old releases must stay archived")


# --- 7. No cross-environment writes ------------------------------------------------------------


def check_own_environment(resources: Sequence[Resource], ctx: Context) -> Iterable[Finding]:
    env = ctx.environment
    if env is None:
        return
    allowed_refs = {f"refs/heads/{env.branch}"}
    if env.production and ctx.topology:
        allowed_refs.add(f"refs/tags/{ctx.topology.release_tag_pattern}")
    own_projects = {r.urn for r in resources if r.type == registry.VERCEL_PROJECT and r.props.get("name") == ctx.vercel_project}
    where = f"stack '{ctx.stack}'"
    for r in resources:
        p = r.props
        if r.type == registry.RULESET:
            for ref in _includes(p):
                if ref not in allowed_refs:
                    yield r.name, f"{where}: ruleset targets '{ref}', which belongs to another environment"
        elif r.type in (registry.GITHUB_ENVIRONMENT, registry.BRANCH_POLICY, registry.ENV_SECRET, registry.ENV_VARIABLE):
            if "environment" in p and p.get("environment") != env.name:
                yield r.name, f"{where}: writes GitHub environment '{p.get('environment')}', not its own '{env.name}'"
        elif r.type == registry.VERCEL_PROJECT:
            if p.get("name") != ctx.vercel_project:
                yield r.name, f"{where}: declares Vercel project '{p.get('name')}', not its own '{ctx.vercel_project}'"
            branch = (p.get("gitRepository") or {}).get("productionBranch")
            if branch not in (None, env.branch):
                yield r.name, f"{where}: Vercel project deploys '{branch}' as production, not its branch '{env.branch}'"
        elif r.type in (registry.VERCEL_ENV, registry.VERCEL_ENVS, registry.VERCEL_DOMAIN):
            if not own_projects.intersection(r.dependencies):
                yield r.name, f"{where}: writes to a Vercel project this stack does not own"


# --- 8. Deploy window ---------------------------------------------------------------------------


def in_window(now: dt.datetime, window: DeployWindow) -> bool:
    """Whether `now` falls inside the window, in the window's time zone; windows may cross midnight."""
    local = now.astimezone(ZoneInfo(window.timezone))
    minutes = local.hour * 60 + local.minute
    start = int(window.start[:2]) * 60 + int(window.start[3:])
    end = int(window.end[:2]) * 60 + int(window.end[3:])
    day = local.weekday()
    if start <= end:
        return day in window.days and start <= minutes < end
    # Crossing midnight: the late part belongs to today's window, the early part to yesterday's.
    if minutes >= start:
        return day in window.days
    return minutes < end and (day - 1) % 7 in window.days


def window_findings(ctx: Context) -> Iterable[Finding]:
    if not ctx.production:
        return
    if ctx.emergency and not ctx.emergency_reason.strip():
        yield ctx.stack, (f"stack '{ctx.stack}': an emergency override needs a reason "
                          "(RELEASE_EMERGENCY_REASON); the override was refused")
        return
    if ctx.emergency:
        return
    if not in_window(ctx.now, ctx.window):
        w = ctx.window
        days = ",".join(w.day_names)
        yield ctx.stack, (f"stack '{ctx.stack}': {ctx.now.astimezone(ZoneInfo(w.timezone)):%a %H:%M %Z} is outside the "
                          f"deploy window ({days} {w.start}-{w.end} {w.timezone})")


def check_deploy_window(resources: Sequence[Resource], ctx: Context) -> Iterable[Finding]:
    if not ctx.dry_run:
        yield from window_findings(ctx)


def check_deploy_window_preview(resources: Sequence[Resource], ctx: Context) -> Iterable[Finding]:
    if ctx.dry_run:
        yield from window_findings(ctx)


# --- 9. Checkov parity on branch rulesets (their predicates: policy/rules.py CHECKOV) -------------


def ruleset_check(predicate: Callable[[Mapping[str, Any], Context], bool], what: str):
    def check(resource: Resource, ctx: Context) -> Iterable[Finding]:
        if resource.type == registry.RULESET and resource.props.get("target") == "branch" and not predicate(resource.props, ctx):
            yield resource.name, f"stack '{ctx.stack}' ruleset '{resource.props.get('name', resource.name)}': {what}"
    return check


def pull_request(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return (props.get("rules") or {}).get("pullRequest") or {}
