"""What the program registers, named once: engine type tokens, child names, import ids.

The components build their children from these names; the APIs' limits (limits.py), the policy pack,
the drift audit, the mock evaluation (offline.py) and the tests read them from here. Changing a token
or a suffix here changes production's logical names: tests/test_logical_names.py keeps them as a
literal snapshot, so such a change is always deliberate (and needs an `Alias`).
"""

from __future__ import annotations

# --- engine type tokens of the provider resources (as the pulumi_github, pulumi_random and
# pulumiverse_vercel SDKs register them) --------------------------------------------------------

STACK = "pulumi:pulumi:Stack"  # the engine's root resource of every stack
GITHUB_PROVIDER = "pulumi:providers:github"
RULESET = "github:index/repositoryRuleset:RepositoryRuleset"
GITHUB_ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"
BRANCH_POLICY = "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"
ENV_SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
ENV_VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"
GET_USER = "github:index/getUser:getUser"  # the invoke that turns a bare reviewer handle into its id
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
RANDOM_STRING = "random:index/randomString:RandomString"  # never registered: the policy refuses it
VERCEL_PROJECT = "vercel:index/project:Project"
VERCEL_ENV = "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable"
VERCEL_ENVS = "vercel:index/projectEnvironmentVariables:ProjectEnvironmentVariables"  # never registered
VERCEL_DOMAIN = "vercel:index/projectDomain:ProjectDomain"

# --- the components' own types ---------------------------------------------------------------

RELEASE_ENVIRONMENT = "release-topology:index:ReleaseEnvironment"
BRANCH_GATE = "release-topology:github:BranchGate"
RELEASE_ARCHIVE = "release-topology:github:ReleaseArchive"
DEPLOYMENT_ENVIRONMENT = "release-topology:github:DeploymentEnvironment"
ENVIRONMENT_SECRETS = "release-topology:secrets:EnvironmentSecrets"
DEPLOYMENT_TARGET = "release-topology:vercel:DeploymentTarget"
ALLOWED_BRANCHES = "release-topology:github:AllowedBranches"  # production, when allowedBranches is declared

# --- child names: every child is `<its component's name><suffix>`; the ReleaseEnvironment is
# named after the environment, so everything a stack registers starts with `<environment>-` ----

SEPARATOR = "-"
# Children of ReleaseEnvironment.
GITHUB_PROVIDER_SUFFIX = "-github"
BRANCH_GATE_SUFFIX = "-branch-gate"
RELEASE_ARCHIVE_SUFFIX = "-release-archive"
DEPLOYMENT_SUFFIX = "-deployment"
SECRETS_SUFFIX = "-secrets"
VERCEL_SUFFIX = "-vercel"
ALLOWED_BRANCHES_SUFFIX = "-allowed-branches"
# Children of BranchGate and ReleaseArchive (the GitHub ruleset itself is named after the component).
RULESET_SUFFIX = "-ruleset"
# Children of DeploymentEnvironment.
ENVIRONMENT_SUFFIX = "-environment"
BRANCH_POLICY_SUFFIX = "-branch-policy"
# Children of DeploymentTarget (its env vars are `<target>-<slug>`).
PROJECT_SUFFIX = "-project"
DOMAIN_SUFFIX = "-domain"
# Children of EnvironmentSecrets: `<secrets>-<slug>` (generated values), `<secrets>-<slug>-github` (deliveries).
GITHUB_DELIVERY_SUFFIX = "-github"

# The GitHub rulesets a stack creates carry their component's name: `<environment><suffix>`.
BRANCH_GATE_RULESET = "branch gate"
RELEASE_ARCHIVE_RULESET = "release archive"  # production only
ALLOWED_BRANCHES_RULESET = "allowed branches"  # production only, when allowedBranches is declared
RULESET_SUFFIXES = {BRANCH_GATE_RULESET: BRANCH_GATE_SUFFIX, RELEASE_ARCHIVE_RULESET: RELEASE_ARCHIVE_SUFFIX,
                    ALLOWED_BRANCHES_RULESET: ALLOWED_BRANCHES_SUFFIX}
PRODUCTION_ONLY_RULESETS = (RELEASE_ARCHIVE_RULESET, ALLOWED_BRANCHES_RULESET)


def slug(variable: str) -> str:
    """STRIPE_SECRET_KEY -> stripe-secret-key, for resource names."""
    return variable.lower().replace("_", "-")


def ruleset_names(environment: str, *, production: bool) -> dict[str, str]:
    """The GitHub ruleset names a stack of `environment` creates, by what they are."""
    return {what: environment + suffix for what, suffix in RULESET_SUFFIXES.items()
            if production or what not in PRODUCTION_ONLY_RULESETS}


def environment_of(name: str, environments: list[str]) -> str | None:
    """The environment whose stack names an object `name` (`<env>` or `<env>-...`), longest match first."""
    for env in sorted(environments, key=len, reverse=True):
        if name == env or name.startswith(env + SEPARATOR):
            return env
    return None


# --- import ids, as the github provider reads them when `up` adopts an existing object ----------


def ruleset_import_id(repository: str, ruleset_id: int) -> str:
    return f"{repository}:{ruleset_id}"


def environment_import_id(repository: str, environment: str) -> str:
    return f"{repository}:{environment}"


def branch_policy_import_id(repository: str, environment: str, policy_id: int) -> str:
    return f"{repository}:{environment}:{policy_id}"


def branch_policy_id(resource_id: str) -> str:
    """The policy id in a branch policy's provider id (the same `repo:env:policy id` as its import id)."""
    return resource_id.rsplit(":", 1)[-1]
