"""The policy's checks: pure functions over registered resources and a Context.

Each yields (resource name, message) for what it finds wrong; policy/rules.py names them as rules.
Resources are read as the engine holds them (type tokens from topology/registry.py, camelCase
properties). Messages name stack, resource and key, never a value.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

from topology import codeowners, registry
from topology.plans import ENVIRONMENT_FIELDS, Approval, offers
from topology.rules import emergency_violation, stripe_mode_violation, window_violation

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
        if ctx.topology.allowed_branches:
            allowed_refs.add("~ALL")  # the allowed-branches ruleset (repository-wide: production owns it)
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


def window_findings(ctx: Context) -> Iterable[Finding]:
    """The program refuses the same update before it registers anything (topology/release.py policy_refusals)."""
    if not ctx.production:
        return
    refused = emergency_violation(ctx.stack, ctx.emergency, ctx.emergency_reason)
    if refused:
        yield ctx.stack, refused
        return
    if ctx.emergency:
        return
    outside = window_violation(ctx.stack, ctx.now, ctx.window)
    if outside:
        yield ctx.stack, outside


def check_deploy_window(resources: Sequence[Resource], ctx: Context) -> Iterable[Finding]:
    if not ctx.dry_run:
        yield from window_findings(ctx)


def check_deploy_window_preview(resources: Sequence[Resource], ctx: Context) -> Iterable[Finding]:
    if ctx.dry_run:
        yield from window_findings(ctx)


# --- 8b. Promotions that repeat (issue 15): merge methods, history and strictness per branch -------


def _merge_methods(pr: Mapping[str, Any]) -> set[str]:
    # GitHub allows every method when the rule names none.
    return set(pr.get("allowedMergeMethods") or ("merge", "squash", "rebase"))


def check_promotion_merges(resource: Resource, ctx: Context) -> Iterable[Finding]:
    """Branch rulesets whose merge settings deadlock a promotion (README "The release flow").

    A branch promoted from an environment (it requires that environment's deployment) must take merge
    commits only, without linear history and without strict checks: then its tip's second parent is the
    source's deployed SHA, and the next promotion is never "out of date" with commits the source cannot
    receive. Any branch with linear history must allow squash or rebase, or nothing can merge.
    """
    if resource.type != registry.RULESET or resource.props.get("target") != "branch":
        return
    rules = resource.props.get("rules") or {}
    pr = rules.get("pullRequest") or {}
    methods = _merge_methods(pr)
    linear = bool(rules.get("requiredLinearHistory"))
    strict = bool((rules.get("requiredStatusChecks") or {}).get("strictRequiredStatusChecksPolicy"))
    sources = list((rules.get("requiredDeployments") or {}).get("requiredDeploymentEnvironments") or [])
    env = ctx.environment
    if not sources and ctx.source is not None and env is not None and f"refs/heads/{env.branch}" in _includes(resource.props):
        sources = [ctx.source.name]
    where = f"stack '{ctx.stack}' ruleset '{resource.props.get('name', resource.name)}'"
    if linear and pr and not methods - {"merge"}:
        yield resource.name, (f"{where}: requires linear history but allows only merge commits: no pull request "
                              "can ever merge (fix: drop required_linear_history, or allow squash/rebase)")
    if not sources:
        return
    source = ", ".join(sources)
    if pr and methods - {"merge"}:
        yield resource.name, (f"{where}: promoted from {source} but allows {sorted(methods - {'merge'})}: those give the "
                              f"branch new commits {source} never has, so production runs SHAs no {source} deployment "
                              "ran (fix: pull_request.allowed_merge_methods ['merge'])")
    if linear:
        yield resource.name, (f"{where}: promoted from {source} with linear history: a promotion's merge commit is "
                              "refused, squash or rebase would break the shared SHAs (fix: drop required_linear_history "
                              "on a branch promoted from an environment)")
    if strict:
        yield resource.name, (f"{where}: promoted from {source} with strict status checks: each promotion's merge "
                              f"commit never reaches {source}, so the next promotion is out of date, and updating "
                              f"{source} takes a merge commit or a force-push its own rules refuse: deadlock on the "
                              "second promotion (fix: strict_required_status_checks_policy false)")


# --- 9. Checkov parity on branch rulesets (their predicates: policy/rules.py CHECKOV) -------------


def ruleset_check(predicate: Callable[[Mapping[str, Any], Context], bool], what: str):
    def check(resource: Resource, ctx: Context) -> Iterable[Finding]:
        if (resource.type == registry.RULESET and resource.props.get("target") == "branch"
                and not _creation_only(resource.props) and not predicate(resource.props, ctx)):
            yield resource.name, f"stack '{ctx.stack}' ruleset '{resource.props.get('name', resource.name)}': {what}"
    return check


def _creation_only(props: Mapping[str, Any]) -> bool:
    """The allowed-branches ruleset (policy/seed_checks.py): not a branch gate, so no Checkov gate parity."""
    from .seed_checks import is_allowed_branches_ruleset

    return is_allowed_branches_ruleset(props)


def pull_request(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return (props.get("rules") or {}).get("pullRequest") or {}
