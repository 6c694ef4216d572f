"""What each GitHub and Vercel plan accepts: pure facts, no Pulumi, no problems.

The program sends only what the declared plan accepts, the rules refuse a plan that cannot hold the
release policy, and the policy pack never demands what the plan cannot give. The facts and their
sources (../shared/notes/github-plans.md):

- GitHub docs, availability notes of "About rulesets" and "Managing environments for deployment", and
  "Deployments and environments": on a PRIVATE repository, rulesets, CODEOWNERS with required
  code-owner review, environments with deployment branch policies need Pro, Team or Enterprise;
  environment required reviewers, prevent-self-review, wait timers and "Allowing administrators to
  bypass protection rules is only available for public repositories for users on GitHub Free, GitHub
  Pro, and GitHub Team plans" need Enterprise. On a PUBLIC repository every one of them works on
  every plan. Ruleset enforcement `evaluate` needs Enterprise on any visibility.
- What the REST API answers otherwise: a ruleset on a private Free repository 403 "Upgrade to GitHub
  Pro or make this repository public to enable this feature."; an environment on a private Free
  repository 404 (google/go-github github/repos_environments.go, go-github#2611); an environment PUT
  with protection fields on a private Pro/Team repository 422 "... ensure the billing plan supports
  the required reviewers protection rule." (terraform-provider-github#1262, #1311, pulumi-github#251,
  backstage#28977).
- Vercel: Hobby cannot connect a repository owned by a GitHub organisation ("Start a Pro Trial or
  upgrade to Pro", vercel/community#6856) and has no teams; custom environments: none on Hobby, 1 per
  project on Pro, 12 on Enterprise (Vercel docs, "Custom environments").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class GithubPlan(enum.Enum):
    FREE = "free"
    PRO = "pro"  # personal accounts only
    TEAM = "team"  # organisations only
    ENTERPRISE = "enterprise"  # organisations only (Enterprise Cloud)


class Visibility(enum.Enum):
    PRIVATE = "private"
    PUBLIC = "public"


class Account(enum.Enum):
    """Who owns the repository: Vercel Hobby cannot connect an organisation's repository."""

    ORGANIZATION = "organization"
    PERSONAL = "personal"


class VercelPlan(enum.Enum):
    HOBBY = "hobby"
    PRO = "pro"
    ENTERPRISE = "enterprise"


# The account type each GitHub plan implies; Free exists for both (None: the stack must say, or the
# organisation is assumed: the assumption that cannot fail at `up`).
PLAN_ACCOUNT = {
    GithubPlan.FREE: None,
    GithubPlan.PRO: Account.PERSONAL,
    GithubPlan.TEAM: Account.ORGANIZATION,
    GithubPlan.ENTERPRISE: Account.ORGANIZATION,
}


@dataclass(frozen=True)
class GithubFeatures:
    """What GitHub accepts for one (plan, visibility)."""

    rulesets: bool  # branch and tag rulesets with every rule the gates use
    ruleset_evaluate: bool  # enforcement `evaluate`
    environments: bool  # environments, their secrets and variables, deployment branch policies
    code_owner_review: bool  # CODEOWNERS + the ruleset's require_code_owner_review
    environment_reviewers: bool  # required reviewers and prevent_self_review
    wait_timer: bool
    admin_bypass_off: bool  # can_admins_bypass = false

    @property
    def holds_release_policy(self) -> bool:
        """Branch gates, environments and some way for a person to approve production."""
        return self.rulesets and self.environments and (self.environment_reviewers or self.code_owner_review)


@dataclass(frozen=True)
class EnvironmentField:
    """A protection field of a GitHub environment and the plan feature that lets GitHub take it."""

    input: str  # the provider's input (what DeploymentEnvironment sends)
    prop: str  # the engine's property name (what the policy pack reads)
    feature: str  # the GithubFeatures flag
    refused: str  # what happens when it is sent on a plan without the feature

    def offered(self, features: GithubFeatures) -> bool:
        return bool(getattr(features, self.feature))


# Which plan feature drives which environment field: DeploymentEnvironment sends a field only where the
# plan offers it, the policy pack refuses one sent where it does not (components/deployment_environment.py).
ENVIRONMENT_FIELDS = (
    EnvironmentField("reviewers", "reviewers", "environment_reviewers", "required reviewers (422)"),
    EnvironmentField("prevent_self_review", "preventSelfReview", "environment_reviewers",
                     "prevent-self-review (422, or silently dropped by the provider's retry)"),
    EnvironmentField("wait_timer", "waitTimer", "wait_timer", "a wait timer (422)"),
    EnvironmentField("can_admins_bypass", "canAdminsBypass", "admin_bypass_off",
                     "turning admin bypass off (silently dropped by the provider's retry: a perpetual diff)"),
)


def offers(features: GithubFeatures, field: str) -> bool:
    """Whether GitHub takes the environment field (a provider input name) on this plan."""
    return next(f for f in ENVIRONMENT_FIELDS if f.input == field).offered(features)


def offered_fields(features: GithubFeatures, wanted: dict) -> dict:
    """The environment fields of `wanted` (provider input -> value) that the plan offers."""
    return {field: value for field, value in wanted.items() if offers(features, field)}


def github_features(plan: GithubPlan, visibility: Visibility) -> GithubFeatures:
    public = visibility is Visibility.PUBLIC
    paid = plan is not GithubPlan.FREE
    enterprise = plan is GithubPlan.ENTERPRISE
    return GithubFeatures(
        rulesets=public or paid,
        ruleset_evaluate=enterprise,
        environments=public or paid,
        code_owner_review=public or paid,
        environment_reviewers=public or enterprise,
        wait_timer=public or enterprise,
        admin_bypass_off=public or enterprise,
    )


@dataclass(frozen=True)
class VercelFeatures:
    organization_repositories: bool  # can connect a repository owned by a GitHub organisation
    teams: bool
    custom_environments: int  # per project; this program uses one project per environment instead


def vercel_features(plan: VercelPlan) -> VercelFeatures:
    return {
        VercelPlan.HOBBY: VercelFeatures(organization_repositories=False, teams=False, custom_environments=0),
        VercelPlan.PRO: VercelFeatures(organization_repositories=True, teams=True, custom_environments=1),
        VercelPlan.ENTERPRISE: VercelFeatures(organization_repositories=True, teams=True, custom_environments=12),
    }[plan]


@dataclass(frozen=True)
class Plans:
    """The plans the topology declares it runs on."""

    github: GithubPlan
    visibility: Visibility
    account: Account
    vercel: VercelPlan | None = None  # None: not declared (required once a stack deploys to Vercel)

    @property
    def github_features(self) -> GithubFeatures:
        return github_features(self.github, self.visibility)

    @property
    def github_words(self) -> str:
        return f"GitHub {self.github.value} with a {self.visibility.value} repository"


class Approval(enum.Enum):
    """How a person approves what reaches an environment."""

    ENVIRONMENT_REVIEWERS = "environment-reviewers"  # the deploy job waits for a required reviewer
    CODE_OWNER_REVIEW = "code-owner-review"  # the merge into the branch needs a code owner's approval
    PULL_REQUEST_REVIEW = "pull-request-review"  # the merge needs the gate's approvals, from anyone


def approval_mechanism(features: GithubFeatures, *, production: bool, has_reviewers: bool) -> Approval | None:
    """The strongest mechanism the plan offers; None when production cannot be held at all."""
    if features.environment_reviewers and (production or has_reviewers):
        return Approval.ENVIRONMENT_REVIEWERS
    if not production:
        return Approval.PULL_REQUEST_REVIEW
    return Approval.CODE_OWNER_REVIEW if features.code_owner_review else None


def describe_approval(approval: Approval | None, *, branch: str, reviewers: list[str], approvals: int) -> str:
    """One line for the preview: who approves, and where."""
    handles = ", ".join(f"@{h}" for h in reviewers)
    if approval is Approval.ENVIRONMENT_REVIEWERS:
        return f"approval by environment reviewers ({handles}) before each deploy job"
    if approval is Approval.CODE_OWNER_REVIEW:
        return (f"approval by code-owner review ({handles} in CODEOWNERS) of every merge into '{branch}'; "
                f"deploys only from '{branch}'")
    if approval is Approval.PULL_REQUEST_REVIEW:
        return f"merges into '{branch}' need {approvals} approval(s); no environment reviewers"
    return "no approval mechanism on this plan"
