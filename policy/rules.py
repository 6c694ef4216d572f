"""The release policy over registered resources: the rules the policy pack and the offline check run.

Each rule is a pure function over resources as the engine sees them (type, name, properties under
their camelCase engine names) and a Context (the stack's environment, read from the same config
model as the program). policy/policies.py wraps them into CrossGuard policies; policy/check.py runs them
on a mock evaluation. Messages name stack, resource and key, never a value.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

import yaml

from topology import codeowners
from topology.config import emergency_from_env
from topology.model import NAMESPACE, ConfigError, DeployWindow, Environment, Topology, decode, parse_window
from topology.plans import Approval, GithubFeatures, approval_mechanism
from topology.project import read_topology, stack_reviewers
from topology.rules import resolve_source, stripe_mode_violation

MANDATORY = "mandatory"
ADVISORY = "advisory"

RULESET = "github:index/repositoryRuleset:RepositoryRuleset"
GH_ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"
GH_BRANCH_POLICY = "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"
GH_SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
GH_VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"
RANDOM_STRING = "random:index/randomString:RandomString"
VERCEL_PROJECT = "vercel:index/project:Project"
VERCEL_ENV = "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable"
VERCEL_ENVS = "vercel:index/projectEnvironmentVariables:ProjectEnvironmentVariables"
VERCEL_DOMAIN = "vercel:index/projectDomain:ProjectDomain"


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""
    dependencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    stack: str
    topology: Topology | None
    vercel_project: str | None = None
    reviewers: tuple[str, ...] = ()  # the stack file's reviewer handles
    production_reviewers: tuple[str, ...] = ()  # every production stack's: the code owners CODEOWNERS names
    codeowners: str | None = None  # the checkout's CODEOWNERS text, None when there is none
    min_approvals: int = 1
    window: DeployWindow = DeployWindow()
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    emergency: bool = False
    emergency_reason: str = ""
    dry_run: bool = False

    @property
    def environment(self) -> Environment | None:
        return self.topology.environment(self.stack) if self.topology else None

    @property
    def production(self) -> bool:
        env = self.environment
        return bool(env and env.production)

    @property
    def source(self) -> Environment | None:
        env = self.environment
        return resolve_source(self.topology, env) if env and self.topology else None

    @property
    def features(self) -> GithubFeatures | None:
        return self.topology.plans.github_features if self.topology else None

    @property
    def approval(self) -> Approval | None:
        """How a person approves what reaches this stack's environment on the declared plan."""
        if self.features is None or self.environment is None:
            return None
        return approval_mechanism(self.features, production=self.production, has_reviewers=bool(self.reviewers))

    @property
    def plan_words(self) -> str:
        return self.topology.plans.github_words if self.topology else "the declared plan"

    @property
    def catalogue_secrets(self) -> frozenset[str]:
        if not self.topology:
            return frozenset()
        return frozenset(e.name for e in self.topology.catalogue if e.kind.is_secret)

    @property
    def generated_secrets(self) -> frozenset[str]:
        if not self.topology:
            return frozenset()
        return frozenset(e.name for e in self.topology.catalogue if e.kind.is_generated)


@dataclass(frozen=True)
class Violation:
    rule: str
    level: str
    resource: str
    message: str

    def render(self) -> str:
        return f"[{self.level}] {self.rule}: {self.resource}: {self.message}"


# A check yields (resource name, message) pairs for what it finds wrong.
Finding = tuple[str, str]


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    seed: str  # the policy sentence it enforces
    level: str
    when: str  # "preview and update" or "update"
    fix: str
    scope: str  # "resource": check(resource, ctx); "stack": check(resources, ctx)
    check: Callable[..., Iterable[Finding]]

    def run(self, resources: Sequence[Resource], ctx: Context) -> list[Violation]:
        if self.scope == "resource":
            found = [f for r in resources for f in self.check(r, ctx)]
        else:
            found = list(self.check(resources, ctx))
        return [Violation(self.name, self.level, name, message) for name, message in found]


# --- helpers --------------------------------------------------------------------------------


def _includes(ruleset: Mapping[str, Any]) -> list[str]:
    return list(((ruleset.get("conditions") or {}).get("refName") or {}).get("includes") or [])


def _branch_rulesets_on(resources: Iterable[Resource], branch: str) -> list[Resource]:
    ref = f"refs/heads/{branch}"
    return [r for r in resources if r.type == RULESET and r.props.get("target") == "branch" and ref in _includes(r.props)]


# The property that holds the key's name, and the one that holds its value, per delivery resource.
_DELIVERY = {
    GH_SECRET: ("secretName", "value"),
    GH_VARIABLE: ("variableName", "value"),
    VERCEL_ENV: ("key", "value"),
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
    if key is None or key in ctx.generated_secrets:
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
    policies = [r for r in resources if r.type == GH_BRANCH_POLICY]
    for r in resources:
        if r.type != GH_ENVIRONMENT:
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
        if env.production and features and features.environment_reviewers:
            if not _has_reviewers(p):
                yield r.name, f"{where}: production has no required reviewer"
            if not p.get("preventSelfReview"):
                yield r.name, f"{where}: production allows self-review"
        if env.production and features and features.admin_bypass_off and p.get("canAdminsBypass", True):
            yield r.name, f"{where}: production lets admins bypass its protection"


def _has_reviewers(environment: Mapping[str, Any]) -> bool:
    return any((rv.get("users") or rv.get("teams")) for rv in environment.get("reviewers") or [])


# --- 3b. What the plan accepts ------------------------------------------------------------------


def check_plan_accepts(resource: Resource, ctx: Context) -> Iterable[Finding]:
    """Nothing GitHub refuses on the declared plan: it would fail `up` (422) or be dropped silently."""
    features = ctx.features
    if features is None:
        return
    # A plan without rulesets or environments (Free + private) is refused with the topology itself.
    p = resource.props
    where = f"stack '{ctx.stack}'"
    if resource.type == RULESET and p.get("enforcement") == "evaluate" and not features.ruleset_evaluate:
        yield resource.name, f"{where}: ruleset enforcement 'evaluate' needs GitHub Enterprise"
    if resource.type != GH_ENVIRONMENT:
        return
    refused = []
    if not features.environment_reviewers and _has_reviewers(p):
        refused.append("required reviewers (422)")
    if not features.environment_reviewers and p.get("preventSelfReview"):
        refused.append("prevent-self-review (422, or silently dropped by the provider's retry)")
    if not features.wait_timer and (p.get("waitTimer") or 0) > 0:
        refused.append("a wait timer (422)")
    if not features.admin_bypass_off and p.get("canAdminsBypass") is False:
        refused.append("turning admin bypass off (silently dropped by the provider's retry: a perpetual diff)")
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
    if resource.type != GH_ENVIRONMENT or ctx.production or not (features and features.environment_reviewers):
        return
    where = f"stack '{ctx.stack}' environment '{resource.props.get('environment')}'"
    if not _has_reviewers(resource.props):
        yield resource.name, f"{where}: {ctx.plan_words} offers required reviewers; none are declared"
    elif not resource.props.get("preventSelfReview"):
        yield resource.name, f"{where}: {ctx.plan_words} offers prevent-self-review; it is off"


# --- 4. Generated secrets -----------------------------------------------------------------------


def check_random_string(resource: Resource, ctx: Context) -> Iterable[Finding]:
    if resource.type == RANDOM_STRING:
        yield resource.name, (f"stack '{ctx.stack}': RandomString keeps its value as its id, in clear in state; "
                              "use RandomPassword or RandomBytes")


# --- 5. Secrets are sensitive -------------------------------------------------------------------


def check_sensitive(resource: Resource, ctx: Context) -> Iterable[Finding]:
    key = _carried_key(resource)
    if key not in ctx.catalogue_secrets:
        return
    if resource.type == VERCEL_ENV and not resource.props.get("sensitive"):
        yield resource.name, f"stack '{ctx.stack}': Vercel variable {key} carries a secret but is not sensitive"
    if resource.type == GH_VARIABLE:
        yield resource.name, f"stack '{ctx.stack}': {key} is a secret delivered as a plain GitHub variable"


def check_sensitive_targets(resource: Resource, ctx: Context) -> Iterable[Finding]:
    # terraform-provider-vercel: "Environment variables targeting `development` must explicitly set
    # `sensitive = false`" (Vercel docs, "Sensitive environment variables": not available in development).
    if resource.type == VERCEL_ENV and resource.props.get("sensitive") and "development" in (resource.props.get("targets") or []):
        yield resource.name, (f"stack '{ctx.stack}': Vercel variable {resource.props.get('key')} is sensitive and targets "
                              "development, which Vercel refuses")


# --- 6. Release archive -------------------------------------------------------------------------


def check_release_archive(resources: Sequence[Resource], ctx: Context) -> Iterable[Finding]:
    if not ctx.production or ctx.topology is None:
        return
    ref = f"refs/tags/{ctx.topology.release_tag_pattern}"
    for r in resources:
        rules = r.props.get("rules") or {}
        if (r.type == RULESET and r.props.get("target") == "tag" and ref in _includes(r.props)
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
    own_projects = {r.urn for r in resources if r.type == VERCEL_PROJECT and r.props.get("name") == ctx.vercel_project}
    where = f"stack '{ctx.stack}'"
    for r in resources:
        p = r.props
        if r.type == RULESET:
            for ref in _includes(p):
                if ref not in allowed_refs:
                    yield r.name, f"{where}: ruleset targets '{ref}', which belongs to another environment"
        elif r.type in (GH_ENVIRONMENT, GH_BRANCH_POLICY, GH_SECRET, GH_VARIABLE):
            if "environment" in p and p.get("environment") != env.name:
                yield r.name, f"{where}: writes GitHub environment '{p.get('environment')}', not its own '{env.name}'"
        elif r.type == VERCEL_PROJECT:
            if p.get("name") != ctx.vercel_project:
                yield r.name, f"{where}: declares Vercel project '{p.get('name')}', not its own '{ctx.vercel_project}'"
            branch = (p.get("gitRepository") or {}).get("productionBranch")
            if branch not in (None, env.branch):
                yield r.name, f"{where}: Vercel project deploys '{branch}' as production, not its branch '{env.branch}'"
        elif r.type in (VERCEL_ENV, VERCEL_ENVS, VERCEL_DOMAIN):
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
        days = ",".join(("mon", "tue", "wed", "thu", "fri", "sat", "sun")[d] for d in w.days)
        yield ctx.stack, (f"stack '{ctx.stack}': {ctx.now.astimezone(ZoneInfo(w.timezone)):%a %H:%M %Z} is outside the "
                          f"deploy window ({days} {w.start}-{w.end} {w.timezone})")


def check_deploy_window(resources: Sequence[Resource], ctx: Context) -> Iterable[Finding]:
    if not ctx.dry_run:
        yield from window_findings(ctx)


def check_deploy_window_preview(resources: Sequence[Resource], ctx: Context) -> Iterable[Finding]:
    if ctx.dry_run:
        yield from window_findings(ctx)


# --- 9. Checkov parity on branch rulesets ------------------------------------------------------


def _ruleset_check(predicate: Callable[[Mapping[str, Any], Context], bool], what: str):
    def check(resource: Resource, ctx: Context) -> Iterable[Finding]:
        if resource.type == RULESET and resource.props.get("target") == "branch" and not predicate(resource.props, ctx):
            yield resource.name, f"stack '{ctx.stack}' ruleset '{resource.props.get('name', resource.name)}': {what}"
    return check


def _pr(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return (props.get("rules") or {}).get("pullRequest") or {}


CHECKOV = [
    ("CKV_GIT_5", "approvals", MANDATORY, lambda p, c: (_pr(p).get("requiredApprovingReviewCount") or 0) >= c.min_approvals,
     "pull requests need fewer approvals than the policy minimum", "set requiredApprovals in the stack (policy config minApprovals)"),
    ("CKV_GITHUB_5", "no-force-push", MANDATORY, lambda p, c: bool((p.get("rules") or {}).get("nonFastForward")),
     "force-push is allowed", "keep non_fast_forward in BranchGate"),
    ("CKV_GITHUB_10", "enforce-for-admins", MANDATORY, lambda p, c: not any(
        a.get("actorType") in ("OrganizationAdmin", "RepositoryRole") and a.get("bypassMode") == "always"
        for a in p.get("bypassActors") or []),
     "admins can always bypass the ruleset", "remove always-bypass admin actors from bypassActors"),
    ("CKV_GITHUB_11", "dismiss-stale-reviews", MANDATORY, lambda p, c: bool(_pr(p).get("dismissStaleReviewsOnPush")),
     "stale reviews are not dismissed on push", "keep dismiss_stale_reviews_on_push in BranchGate"),
    ("CKV_GITHUB_13", "code-owner-review", ADVISORY, lambda p, c: bool(_pr(p).get("requireCodeOwnerReview")),
     "code-owner review is not required", "add a CODEOWNERS file and require code-owner review"),
    ("CKV_GITHUB_14", "status-checks", MANDATORY,
     lambda p, c: bool(((p.get("rules") or {}).get("requiredStatusChecks") or {}).get("requiredChecks")),
     "no status checks are required", "declare statusChecks in Pulumi.yaml"),
    ("CKV_GITHUB_16", "conversation-resolution", ADVISORY, lambda p, c: bool(_pr(p).get("requiredReviewThreadResolution")),
     "conversations need not be resolved before merge", "keep required_review_thread_resolution in BranchGate"),
    ("CKV_GITHUB_18", "no-deletion", MANDATORY, lambda p, c: bool((p.get("rules") or {}).get("deletion")),
     "the branch can be deleted", "keep deletion in BranchGate"),
]


# --- the catalogue of rules ---------------------------------------------------------------------

RULES: list[Rule] = [
    Rule("stripe-mode", "No live Stripe key outside production, no test key in production.",
         "Staging uses Stripe in TEST mode; production uses LIVE keys (koomy-environment-promotion-strategy).",
         MANDATORY, "preview and update", "set the right-mode key with `pulumi config set --secret`",
         "resource", check_stripe_mode),
    Rule("production-branch-gate", "The production branch requires reviewed PRs, checks, no force-push or deletion, "
         "and a successful deployment of the environment it is promoted from.",
         "No direct push to main; PR mandatory; tests in staging first (koomy-deployment-release-policy).",
         MANDATORY, "preview and update", "restore BranchGate's defaults; raise requiredApprovals",
         "stack", check_production_gate),
    Rule("deployment-environments", "Each GitHub environment deploys only from its own branch; where the plan offers "
         "them, production has required reviewers, prevents self-review and gives admins no bypass.",
         "The CTO decides production deploys; each branch its own environment (koomy, airhost).",
         MANDATORY, "preview and update", "set reviewers in the stack; keep DeploymentEnvironment's defaults",
         "stack", check_deployment_environments),
    Rule("plan-accepts", "Nothing the declared GitHub plan refuses: rulesets and environments where the plan has "
         "none, environment reviewers, prevent-self-review, wait timers or admin bypass off below Enterprise on a "
         "private repository, enforcement 'evaluate' below Enterprise.",
         "No surprises at `up`: no 403/404/422 half-way, no field the provider drops silently (issue 10).",
         MANDATORY, "preview and update", "keep DeploymentEnvironment's plan-driven inputs; declare the real githubPlan",
         "resource", check_plan_accepts),
    Rule("code-owners", "Where the production gate requires a code owner's review, CODEOWNERS gives every path (`*`, "
         "and nothing after it) to exactly the production reviewers.",
         "The CTO decides production deploys (koomy), on plans without environment reviewers.",
         MANDATORY, "preview and update", "python -m topology codeowners > .github/CODEOWNERS, merged through a pull request",
         "stack", check_code_owners),
    Rule("code-owners-file", "The production gate requires a code owner's review but the checkout has no CODEOWNERS.",
         "The CTO decides production deploys (koomy), on plans without environment reviewers.",
         ADVISORY, "preview and update", "python -m topology codeowners > .github/CODEOWNERS, merged through a pull request "
         "(or check the managed repository's file: python -m topology codeowners --check)",
         "stack", check_code_owners_file),
    Rule("plan-unused-protection", "A non-production environment leaves unused the required reviewers or "
         "prevent-self-review the declared plan offers.",
         "The strongest protection the plan allows (issue 10).",
         ADVISORY, "preview and update", "declare reviewers for the stack", "resource", check_unused_protection),
    Rule("generated-secrets-random-password", "Generated secrets come from RandomPassword/RandomBytes, never RandomString.",
         "Secrets changed for production, never shared or exposed (mbayar-go-live-plan).",
         MANDATORY, "preview and update", "replace RandomString by RandomPassword",
         "resource", check_random_string),
    Rule("secrets-sensitive", "A Vercel variable carrying a catalogue secret is sensitive; secrets never go to plain "
         "GitHub variables.", "Per-environment secrets on Vercel and the backend (luneo-production-deployment-plan).",
         MANDATORY, "preview and update", "mark the catalogue entry's kind as a secret kind",
         "resource", check_sensitive),
    Rule("vercel-sensitive-targets", "A sensitive Vercel variable never targets development (Vercel refuses it).",
         "Per-environment secrets on Vercel (luneo-production-deployment-plan).",
         MANDATORY, "preview and update", "target production (and preview) only", "resource", check_sensitive_targets),
    Rule("release-archive", "The production stack protects release tags from deletion and update.",
         "Old mains are archived, never deleted; every deploy revertible (koomy-environment-promotion-strategy).",
         MANDATORY, "preview and update", "keep ReleaseArchive in the production stack",
         "stack", check_release_archive),
    Rule("no-cross-environment-writes", "A stack writes only its own branch, GitHub environment and Vercel project.",
         "Each environment its own database and keys (airhost-deployment-strategy).",
         MANDATORY, "preview and update", "move the resource to the stack of the environment it belongs to",
         "stack", check_own_environment),
    Rule("deploy-window", "Production updates only inside the deploy window, unless an emergency override with a "
         "reason is given (recorded as the stack output emergencyOverride).",
         "No production deploys outside office hours, weekdays only (koomy-deployment-release-policy).",
         MANDATORY, "update", "deploy inside the window, or set RELEASE_EMERGENCY=true and RELEASE_EMERGENCY_REASON",
         "stack", check_deploy_window),
    Rule("deploy-window-preview", "Preview of the production stack outside the deploy window (warning only).",
         "No production deploys outside office hours, weekdays only (koomy-deployment-release-policy).",
         ADVISORY, "preview", "the update will be refused outside the window",
         "stack", check_deploy_window_preview),
    *[
        Rule(f"checkov-{cid.lower().replace('_', '-')}-{slug}", f"{cid} parity: {what} (branch rulesets).",
             "Branch protection as Checkov checks it (CIS GitHub benchmark).", level, "preview and update", fix,
             "resource", _ruleset_check(pred, what))
        for cid, slug, level, pred, what, fix in CHECKOV
    ],
]


# --- context from the project files -------------------------------------------------------------


def project_topology(root: Path) -> Topology | None:
    """The declared topology, or None when Pulumi.yaml is invalid (the program reports why)."""
    path = root / "Pulumi.yaml"
    return _topology_at(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _topology_at(path: Path, _mtime: int) -> Topology | None:
    # Cached per file version: the pack builds a context for every resource it validates.
    try:
        return read_topology(path)
    except ConfigError:
        return None


def stack_facts(root: Path, stack: str) -> tuple[str | None, tuple[str, ...]]:
    """The stack file's Vercel project and reviewer handles (plain config)."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.exists():
        return None, ()
    return _stack_facts_at(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _stack_facts_at(path: Path, _mtime: int) -> tuple[str | None, tuple[str, ...]]:
    # Cached per file version, like the topology.
    config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    project = decode(config.get(f"{NAMESPACE}:vercelProject"))
    stack = path.name[len("Pulumi."):-len(".yaml")]
    return (project if isinstance(project, str) else None), tuple(stack_reviewers(stack, path.parent))


def checkout_codeowners(root: Path) -> str | None:
    path = codeowners.find(root)
    return _text_at(path, path.stat().st_mtime_ns) if path else None


@functools.lru_cache(maxsize=8)
def _text_at(path: Path, _mtime: int) -> str:
    return path.read_text()


def policy_settings(policy_config: Mapping[str, Any], topology: Topology | None) -> tuple[int, DeployWindow, list[str]]:
    """Approvals minimum and deploy window: policy config overrides the topology's window.

    Returns errors for invalid policy config instead of raising, so the pack reports them.
    """
    errors: list[str] = []
    approvals = policy_config.get("minApprovals", 1)
    # The engine passes JSON numbers: the schema default 1 arrives as 1.0.
    if isinstance(approvals, float) and approvals.is_integer():
        approvals = int(approvals)
    if not isinstance(approvals, int) or isinstance(approvals, bool) or not 0 <= approvals <= 10:
        errors.append(f"policy config minApprovals must be an integer 0-10, got {approvals!r}")
        approvals = 1
    window = topology.deploy_window if topology else DeployWindow()
    if "deployWindow" in policy_config:
        base = {"days": [("mon", "tue", "wed", "thu", "fri", "sat", "sun")[d] for d in window.days],
                "start": window.start, "end": window.end, "timezone": window.timezone}
        override = policy_config["deployWindow"]
        window, problems = parse_window({**base, **override} if isinstance(override, dict) else override)
        errors += [f"policy config {p.key.split(':', 1)[-1]}: {p.message}" for p in problems]
    return approvals, window, errors


def build_context(
    root: Path,
    stack: str,
    policy_config: Mapping[str, Any],
    *,
    dry_run: bool,
    environ: Mapping[str, str],
    now: dt.datetime | None = None,
) -> tuple[Context, list[str]]:
    """The Context the pack and the offline check both use, plus policy-config errors."""
    topology = project_topology(root)
    approvals, window, errors = policy_settings(policy_config, topology)
    emergency, reason = emergency_from_env(environ)
    vercel_project, reviewers = stack_facts(root, stack)
    productions = [e.name for e in topology.environments if e.production] if topology else []
    # The same handles, in the same order, as `python -m topology codeowners` writes.
    production_reviewers = tuple(dict.fromkeys(h for name in productions for h in stack_facts(root, name)[1]))
    ctx = Context(
        stack=stack,
        topology=topology,
        vercel_project=vercel_project,
        reviewers=reviewers,
        production_reviewers=production_reviewers,
        codeowners=checkout_codeowners(root),
        min_approvals=approvals,
        window=window,
        now=now or dt.datetime.now(dt.timezone.utc),
        emergency=emergency,
        emergency_reason=reason,
        dry_run=dry_run,
    )
    return ctx, errors


LEVEL_NAMES = (MANDATORY, ADVISORY, "remediate", "disabled")


def rule_config(rule: Rule, policy_config: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """A rule's level and settings from a --policy-pack-config document (keyed by policy name)."""
    entry = policy_config.get(rule.name, {})
    if isinstance(entry, str):
        return entry, {}
    entry = dict(entry or {})
    return entry.pop("enforcementLevel", rule.level), entry


def evaluate_configured(
    resources: Sequence[Resource],
    root: Path,
    stack: str,
    policy_config: Mapping[str, Any],
    *,
    dry_run: bool,
    environ: Mapping[str, str],
    now: dt.datetime | None = None,
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
