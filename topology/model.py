"""The typed configuration model: what the user declares, parsed once at the edge.

Project-level config (Pulumi.yaml) declares the topology; stack config (Pulumi.<env>.yaml)
declares one environment's values. Parsing never raises on the first problem: it collects
every problem so the user sees them all at once, and it never copies a secret value into a
problem message.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from pulumi import RunError

from .plans import PLAN_ACCOUNT, Account, GithubPlan, Plans, VercelPlan, Visibility
from . import seed_rules
from .seed_rules import Freeze, HealthCheck, Notifications, PostMortem, ValueRule

NAMESPACE = "release-topology"

# Config namespaces that belong to providers or the engine, not to this program.
FOREIGN_NAMESPACES = frozenset({"github", "vercel", "random", "pulumi"})


class Kind(enum.Enum):
    """The class of a catalogue entry: decides secrecy, format checks and generation."""

    STRIPE_SECRET_KEY = "stripe-secret-key"
    STRIPE_PUBLISHABLE_KEY = "stripe-publishable-key"
    STRIPE_WEBHOOK_SECRET = "stripe-webhook-secret"
    SUPABASE_URL = "supabase-url"
    SUPABASE_ANON_KEY = "supabase-anon-key"
    SUPABASE_SERVICE_ROLE_KEY = "supabase-service-role-key"
    GENERATED = "generated"
    SECRET = "secret"
    VARIABLE = "variable"

    @property
    def is_secret(self) -> bool:
        # Publishable keys and URLs ship to browsers by design: they are plain variables.
        return self not in (Kind.STRIPE_PUBLISHABLE_KEY, Kind.SUPABASE_URL, Kind.VARIABLE)

    @property
    def is_generated(self) -> bool:
        return self is Kind.GENERATED


class Destination(enum.Enum):
    GITHUB = "github"  # GitHub environment secret (secret kinds) or variable (plain kinds)
    VERCEL = "vercel"  # Vercel project environment variable (sensitive for secret kinds)


@dataclass(frozen=True)
class Environment:
    name: str
    branch: str
    # Another environment's name, or a branch pattern such as "feature/*" for the first stage.
    promoted_from: str | None
    production: bool


@dataclass(frozen=True)
class CatalogueEntry:
    name: str  # the variable name everywhere: config key, GitHub secret name, Vercel key
    kind: Kind
    destinations: frozenset[Destination]
    # Values allowed per environment class or environment (`values`, `pattern`: topology/seed_rules.py).
    rules: tuple[ValueRule, ...] = ()


# Weekday names as config writes them, Monday first (DeployWindow.days holds their indexes).
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Approvals a pull request may require: GitHub's ruleset takes 0-10 (the stack's requiredApprovals and
# the policy config's minApprovals alike).
APPROVALS_MIN, APPROVALS_MAX = 0, 10


@dataclass(frozen=True)
class DeployWindow:
    days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday=0
    start: str = "09:00"
    end: str = "18:00"
    timezone: str = "UTC"

    @property
    def day_names(self) -> list[str]:
        return [DAYS[d] for d in self.days]


@dataclass(frozen=True)
class Topology:
    owner: str
    repository: str
    environments: tuple[Environment, ...]
    catalogue: tuple[CatalogueEntry, ...]
    plans: Plans
    status_checks: tuple[str, ...] = ()
    release_tag_pattern: str = "v*"
    deploy_window: DeployWindow = DeployWindow()
    # Issue 18 (topology/seed_rules.py): allowed branch patterns, the feature-previews environment, code freezes,
    # post-release health checks, notifications, post-mortems.
    allowed_branches: tuple[str, ...] = ()
    feature_previews: str | None = None
    code_freeze: tuple[Freeze, ...] | None = None  # declared (even empty): production's gate requires the freeze check
    health_checks: tuple[HealthCheck, ...] = ()
    notifications: Notifications | None = None
    post_mortem: PostMortem | None = None

    def environment(self, name: str) -> Environment | None:
        return next((e for e in self.environments if e.name == name), None)

    def promotion_order(self) -> list[Environment]:
        """Environments sorted so each comes after the one it is promoted from."""
        by_name = {e.name: e for e in self.environments}
        order: list[Environment] = []
        seen: set[str] = set()

        def visit(env: Environment, path: tuple[str, ...]) -> None:
            if env.name in seen or env.name in path:
                return
            source = by_name.get(env.promoted_from or "")
            if source is not None:
                visit(source, path + (env.name,))
            seen.add(env.name)
            order.append(env)

        for env in self.environments:
            visit(env, ())
        return order


@dataclass(frozen=True)
class Reviewer:
    handle: str
    # Numeric GitHub user id. When given, no API lookup is needed (previews work offline).
    user_id: int | None = None


@dataclass(frozen=True)
class BypassActor:
    actor_type: str
    actor_id: int | None
    bypass_mode: str = "pull_request"


@dataclass(frozen=True)
class Adoption:
    """GitHub objects a team already made by hand that this stack takes over instead of creating:
    `up` imports them (the engine reads each one and refuses if it differs from the declaration)."""

    environment: bool = False  # the GitHub environment named after the stack
    branch_policy: int | None = None  # its deployment branch policy id
    branch_ruleset: int | None = None  # the ruleset on the environment's branch
    release_ruleset: int | None = None  # production: the tag ruleset
    allowed_branches_ruleset: int | None = None  # production: the allowed-branches ruleset (allowedBranches)


@dataclass(frozen=True)
class StackSettings:
    """One environment's values, from its stack file."""

    stack: str
    reviewers: tuple[Reviewer, ...] = ()
    domain: str | None = None
    vercel_project: str | None = None
    vercel_team: str | None = None
    wait_timer: int = 0
    required_approvals: int = 1
    bypass_actors: tuple[BypassActor, ...] = ()
    adopt: Adoption = Adoption()
    # Plain values of non-secret catalogue entries, by entry name.
    variables: Mapping[str, str] = field(default_factory=dict)
    # Catalogue secret names that the stack holds as encrypted (secure) values.
    secrets_present: frozenset[str] = frozenset()
    # Secret names that are set in clear text in the stack file (a mistake the rules report).
    secrets_in_clear: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: the config key, what is wrong, and how to fix it."""

    key: str
    message: str
    fix: str

    def render(self) -> str:
        return f"  - {self.key}: {self.message}\n      fix: {self.fix}"


class ConfigError(RunError):
    """Every problem of a stack's configuration, raised before any resource is registered.

    A RunError, so the engine prints the message alone, without a Python traceback.
    """

    def __init__(self, stack: str, problems: list[Problem]):
        self.stack = stack
        self.problems = list(problems)
        noun = "problem" if len(problems) == 1 else "problems"
        lines = [
            f"stack '{stack}': {len(problems)} configuration {noun}; nothing was registered.",
            *(p.render() for p in problems),
        ]
        super().__init__("\n".join(lines))


class PolicyRefusal(ConfigError):
    """Mandatory release-policy rules an update breaks (deploy window, code owners), raised before any resource
    is registered: the update writes nothing."""

    def __init__(self, stack: str, problems: list[Problem]):
        super().__init__(stack, problems)
        noun = "rule" if len(problems) == 1 else "rules"
        lines = [
            f"stack '{stack}': the update breaks {len(problems)} mandatory release-policy {noun}; nothing was "
            "registered, nothing was written.",
            *(p.render() for p in problems),
        ]
        self.args = ("\n".join(lines),)


# --- parsing -------------------------------------------------------------------------------

PROJECT_KEYS = {
    "repository": "owner/name of the GitHub repository",
    "environments": "the ordered environments (list of {name, branch, promotedFrom, production})",
    "catalogue": "the secrets and variables every environment provides (list of {name, kind, to})",
    "statusChecks": "status check contexts required on every gated branch (list of strings)",
    "releaseTagPattern": "tag pattern the release archive protects (default v*)",
    "deployWindow": "production deploy window {days, start, end, timezone} (the program and the policy pack)",
    "githubPlan": "the GitHub plan of the repository's owner: free | pro | team | enterprise (required)",
    "repositoryVisibility": "the repository's visibility: private | public (required)",
    "githubAccount": "who owns the repository: organization | personal (default: what githubPlan implies; organization on free)",
    "vercelPlan": "the Vercel plan: hobby | pro | enterprise (required once a stack deploys to Vercel)",
    "allowedBranches": "branch patterns that may be created besides the environments' branches (production's ruleset)",
    "featurePreviews": "the environment whose values Vercel's preview target gets (feature branches' previews)",
    "codeFreeze": "code freeze periods [{start, end, reason}]: production updates and merges into its branch refused",
    "healthChecks": "post-release checks [{path | url, status, body, timeout, environments}] run after each up",
    "notifications": "{format: slack | discord}: the deploy, emergency, health and drift messages (webhook: a secret)",
    "postMortem": "{labels: [..]}: an emergency deploy opens a post-mortem issue for the production reviewers",
}

STACK_KEYS = {
    "reviewers": "GitHub handles (or {handle, id}) who approve deployments",
    "domain": "the environment's domain on Vercel",
    "vercelProject": "the Vercel project name for this environment",
    "vercelTeam": "the Vercel team id (optional)",
    "waitTimer": "minutes to wait before a deployment proceeds (0-43200)",
    "requiredApprovals": f"approvals required on pull requests into the branch ({APPROVALS_MIN}-{APPROVALS_MAX})",
    "bypassActors": "ruleset bypass actors (list of {actorType, actorId, bypassMode}); none by default",
    "adopt": "existing GitHub objects to take over: {environment: true, branchPolicy: ID, branchRuleset: ID, releaseRuleset: ID, allowedBranchesRuleset: ID}",
}

_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_VAR_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_HANDLE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def config_key(name: str) -> str:
    """release-topology:<name>, the full config key of one of this program's keys."""
    return f"{NAMESPACE}:{name}"


def decode(raw: Any) -> Any:
    """Config values arrive as strings; structured ones are JSON."""
    if isinstance(raw, str):
        stripped = raw.strip()
        if stripped[:1] in ("[", "{") or stripped in ("true", "false") or re.fullmatch(r"-?\d+", stripped):
            try:
                return json.loads(stripped)
            except ValueError:
                return raw
    return raw


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, key: str, message: str, fix: str) -> None:
        self.problems.append(Problem(config_key(key) if ":" not in key else key, message, fix))


def _typed(c: _Collector, key: str, value: Any, kind: type, example: str) -> Any:
    if value is None:
        return None
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        c.add(key, f"expected {kind.__name__}, got {type(value).__name__}", f"set it like: {example}")
        return None
    return value


def parse_topology(raw: Mapping[str, Any]) -> tuple[Topology | None, list[Problem]]:
    """Parse the project-level config (keys without namespace) into a Topology."""
    c = _Collector()
    repo = _typed(c, "repository", decode(raw.get("repository")), str, "repository: acme/shop")
    owner = name = ""
    if repo is None and "repository" not in raw:
        c.add("repository", "missing", "declare `release-topology:repository: owner/name` in Pulumi.yaml config")
    elif repo is not None:
        parts = repo.split("/")
        if len(parts) != 2 or not all(parts):
            c.add("repository", f"'{repo}' is not owner/name", "write it as owner/name, e.g. acme/shop")
        else:
            owner, name = parts

    environments = _parse_environments(c, decode(raw.get("environments")))
    catalogue = _parse_catalogue(c, decode(raw.get("catalogue")))

    checks = _typed(c, "statusChecks", decode(raw.get("statusChecks")), list, "statusChecks: [ci/test]") or []
    if not all(isinstance(x, str) and x for x in checks):
        c.add("statusChecks", "every status check must be a non-empty string", "statusChecks: [ci/test, ci/lint]")
        checks = []
    tag = _typed(c, "releaseTagPattern", decode(raw.get("releaseTagPattern")), str, "releaseTagPattern: v*") or "v*"
    window = _parse_window(c, decode(raw.get("deployWindow")))
    plans = _parse_plans(c, raw)
    extras = seed_rules.parse_project(c.add, raw, decode)

    for key in raw:
        if key not in PROJECT_KEYS:
            c.add(key, "unknown project-level key", f"remove it or use one of: {', '.join(PROJECT_KEYS)}")
    if c.problems:
        return None, c.problems
    return (
        Topology(owner, name, tuple(environments), tuple(catalogue), plans, tuple(checks), tag, window, **extras),
        [],
    )


def _choice(c: _Collector, key: str, value: Any, kind: type[enum.Enum], missing: str | None) -> Any:
    """One of an enum's values; `missing` is the message when required and absent (None: optional)."""
    names = " | ".join(m.value for m in kind)
    if value is None:
        if missing:
            c.add(key, f"missing: {missing}", f"declare `{key}: {names}` under `config:` in Pulumi.yaml")
        return None
    member = next((m for m in kind if m.value == value), None)
    if member is None:
        c.add(key, f"{value!r} is not one of {names}", f"declare `{key}: {names}` under `config:` in Pulumi.yaml")
    return member


def _parse_plans(c: _Collector, raw: Mapping[str, Any]) -> Plans | None:
    github = _choice(c, "githubPlan", decode(raw.get("githubPlan")), GithubPlan,
                     "the GitHub plan of the repository's owner decides which protections GitHub accepts "
                     "(the owner's Settings > Billing and plans)")
    visibility = _choice(c, "repositoryVisibility", decode(raw.get("repositoryVisibility")), Visibility,
                         "on a private repository most protections depend on the plan")
    account = _choice(c, "githubAccount", decode(raw.get("githubAccount")), Account, None)
    vercel = _choice(c, "vercelPlan", decode(raw.get("vercelPlan")), VercelPlan, None)
    if github is None or visibility is None:
        return None
    implied = PLAN_ACCOUNT[github]
    if account is not None and implied is not None and account is not implied:
        c.add("githubAccount", f"GitHub {github.value} is for {implied.value} accounts, not {account.value} ones",
              "remove `githubAccount` from Pulumi.yaml, or correct `githubPlan`")
    # GitHub Free exists for both: an organisation is assumed, the assumption that cannot fail at `up`.
    return Plans(github, visibility, account or implied or Account.ORGANIZATION, vercel)


def _parse_environments(c: _Collector, value: Any) -> list[Environment]:
    example = "environments: [{name: staging, branch: staging, promotedFrom: 'feature/*'}]"
    if value is None:
        c.add("environments", "missing", f"declare the ordered environments in Pulumi.yaml: {example}")
        return []
    if not isinstance(value, list) or not value:
        c.add("environments", "expected a non-empty list", example)
        return []
    envs: list[Environment] = []
    for i, item in enumerate(value):
        key = f"environments[{i}]"
        if not isinstance(item, dict):
            c.add(key, f"expected a mapping, got {type(item).__name__}", example)
            continue
        unknown = set(item) - {"name", "branch", "promotedFrom", "production"}
        for k in sorted(unknown):
            c.add(f"{key}.{k}", "unknown field", "use name, branch, promotedFrom, production")
        env_name, branch = item.get("name"), item.get("branch")
        if not isinstance(env_name, str) or not _NAME.match(env_name):
            c.add(f"{key}.name", "must be a lowercase name like 'staging'", "name: staging")
            continue
        if not isinstance(branch, str) or not branch or "*" in branch:
            c.add(f"{key}.branch", f"environment '{env_name}' needs one concrete branch", "branch: main")
            continue
        source = item.get("promotedFrom")
        if source is not None and (not isinstance(source, str) or not source):
            c.add(f"{key}.promotedFrom", "must be an environment name or a branch pattern", "promotedFrom: staging")
            source = None
        production = item.get("production", False)
        if not isinstance(production, bool):
            c.add(f"{key}.production", f"expected bool, got {type(production).__name__}", "production: true")
            production = False
        envs.append(Environment(env_name, branch, source, production))
    return envs


def _parse_catalogue(c: _Collector, value: Any) -> list[CatalogueEntry]:
    example = "catalogue: [{name: STRIPE_SECRET_KEY, kind: stripe-secret-key, to: [github, vercel]}]"
    if value is None:
        return []
    if not isinstance(value, list):
        c.add("catalogue", f"expected a list, got {type(value).__name__}", example)
        return []
    kinds = {k.value: k for k in Kind}
    dests = {d.value: d for d in Destination}
    entries: list[CatalogueEntry] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        key = f"catalogue[{i}]"
        if not isinstance(item, dict):
            c.add(key, f"expected a mapping, got {type(item).__name__}", example)
            continue
        for k in sorted(set(item) - {"name", "kind", "to", *seed_rules.CATALOGUE_RULE_FIELDS}):
            c.add(f"{key}.{k}", "unknown field", "use name, kind, to, values, pattern")
        entry_name, kind, to = item.get("name"), item.get("kind"), item.get("to", ["github", "vercel"])
        if not isinstance(entry_name, str) or not _VAR_NAME.match(entry_name):
            c.add(f"{key}.name", "must be an UPPER_SNAKE_CASE variable name", "name: STRIPE_SECRET_KEY")
            continue
        if entry_name in seen:
            c.add(f"{key}.name", f"'{entry_name}' is declared twice", "keep one entry per variable")
        seen.add(entry_name)
        if kind not in kinds:
            c.add(f"{key}.kind", f"unknown kind {kind!r} for {entry_name}", f"use one of: {', '.join(kinds)}")
            continue
        if isinstance(to, str):
            to = [to]
        if not isinstance(to, list) or not to or any(d not in dests for d in to):
            c.add(f"{key}.to", f"destinations of {entry_name} must be a non-empty subset of github, vercel", "to: [github, vercel]")
            continue
        entries.append(CatalogueEntry(entry_name, kinds[kind], frozenset(dests[d] for d in to),
                                      seed_rules.parse_value_rules(c.add, key, item)))
    return entries


def _parse_window(c: _Collector, value: Any) -> DeployWindow:
    if value is None:
        return DeployWindow()
    example = "deployWindow: {days: [mon, tue, wed, thu, fri], start: '09:00', end: '18:00', timezone: Europe/Paris}"
    if not isinstance(value, dict):
        c.add("deployWindow", f"expected a mapping, got {type(value).__name__}", example)
        return DeployWindow()
    for k in sorted(set(value) - {"days", "start", "end", "timezone"}):
        c.add(f"deployWindow.{k}", "unknown field", "use days, start, end, timezone")
    default = DeployWindow()
    days = value.get("days", default.day_names)
    if not isinstance(days, list) or not days or any(str(d).lower()[:3] not in DAYS for d in days):
        c.add("deployWindow.days", "must be a non-empty list of weekday names", example)
        days = default.day_names
    start, end = value.get("start", default.start), value.get("end", default.end)
    for k, t in (("start", start), ("end", end)):
        if not isinstance(t, str) or not _TIME.match(t):
            c.add(f"deployWindow.{k}", "must be HH:MM (24h)", example)
    tz = value.get("timezone", default.timezone)
    if not isinstance(tz, str) or not valid_timezone(tz):
        c.add("deployWindow.timezone", f"unknown time zone {tz!r}", "use an IANA name such as Europe/Paris")
        tz = default.timezone
    return DeployWindow(tuple(sorted({DAYS.index(str(d).lower()[:3]) for d in days})), str(start), str(end), tz)


def parse_window(value: Any) -> tuple[DeployWindow, list[Problem]]:
    """A deploy window from config (used for policy config too); invalid parts get defaults."""
    c = _Collector()
    window = _parse_window(c, value)
    return window, c.problems


def valid_timezone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse_reviewers(stack: str, value: Any) -> tuple[tuple[Reviewer, ...], list[Problem]]:
    """A stack's `reviewers` (decoded config), as the program takes them: invalid entries are problems."""
    c = _Collector()
    reviewers = _parse_reviewers(c, f"pulumi config set --stack {stack}", value)
    return reviewers, c.problems


def _parse_reviewers(c: _Collector, fix_set: str, value: Any) -> tuple[Reviewer, ...]:
    reviewers: list[Reviewer] = []
    if value is not None and not isinstance(value, list):
        c.add("reviewers", f"expected a list, got {type(value).__name__}", f"{fix_set} --path 'reviewers[0]' your-handle")
        value = []
    for i, item in enumerate(value or []):
        if isinstance(item, str) and _HANDLE.match(item):
            reviewers.append(Reviewer(item))
        elif isinstance(item, dict) and isinstance(item.get("handle"), str) and _HANDLE.match(item["handle"]) and (
            isinstance(item.get("id"), int) and not isinstance(item.get("id"), bool) and item["id"] > 0
        ) and not set(item) - {"handle", "id"}:
            reviewers.append(Reviewer(item["handle"], item["id"]))
        else:
            c.add(f"reviewers[{i}]", "must be a GitHub handle or {handle, id} with a positive numeric id",
                  "reviewers: [{handle: the-cto, id: 1234567}]")
    return tuple(reviewers)


def parse_stack(
    stack: str,
    raw: Mapping[str, Any],
    secret_keys: frozenset[str],
    catalogue: tuple[CatalogueEntry, ...],
) -> tuple[StackSettings, list[Problem]]:
    """Parse one stack's config (keys without namespace), best effort: invalid values get defaults.

    `raw` may hold decrypted secret values: they are only tested for presence here, never copied
    into a problem or into the returned settings.
    """
    c = _Collector()
    entries = {e.name: e for e in catalogue}
    fix_set = f"pulumi config set --stack {stack}"

    reviewers = _parse_reviewers(c, fix_set, decode(raw.get("reviewers")))

    domain = _typed(c, "domain", decode(raw.get("domain")), str, f"{fix_set} domain app.example.com")
    project = _typed(c, "vercelProject", decode(raw.get("vercelProject")), str, f"{fix_set} vercelProject shop-{stack}")
    team = _typed(c, "vercelTeam", decode(raw.get("vercelTeam")), str, f"{fix_set} vercelTeam team_abc123")
    wait = _typed(c, "waitTimer", decode(raw.get("waitTimer", 0)), int, f"{fix_set} waitTimer 5")
    if wait is not None and not 0 <= wait <= 43200:
        c.add("waitTimer", f"{wait} is outside 0-43200 minutes", f"{fix_set} waitTimer 5")
    approvals = _typed(c, "requiredApprovals", decode(raw.get("requiredApprovals", 1)), int, f"{fix_set} requiredApprovals 1")
    if approvals is not None and not APPROVALS_MIN <= approvals <= APPROVALS_MAX:
        c.add("requiredApprovals", f"{approvals} is outside {APPROVALS_MIN}-{APPROVALS_MAX}", f"{fix_set} requiredApprovals 1")
    bypass = _parse_bypass(c, decode(raw.get("bypassActors")))
    adopt = _parse_adopt(c, stack, decode(raw.get("adopt")))

    variables: dict[str, str] = {}
    present: set[str] = set()
    in_clear: set[str] = set()
    for name, entry in entries.items():
        if name not in raw or entry.kind.is_generated:
            continue
        if entry.kind.is_secret:
            present.add(name)
            if name not in secret_keys:
                in_clear.add(name)
        elif not isinstance(raw[name], str) or not raw[name]:
            c.add(name, "expected a non-empty string", f"{fix_set} {name} <value>")
        else:
            variables[name] = raw[name]

    for key in raw:
        if key in STACK_KEYS or key in entries:
            if key in entries and entries[key].kind.is_generated:
                c.add(key, "is generated per environment by pulumi-random; a stack value is not used",
                      f"pulumi config rm --stack {stack} {key}")
            continue
        # The engine merges Pulumi.yaml's config into the stack's: a typo may sit in either file.
        hint = _closest(key, [*STACK_KEYS, *entries, *PROJECT_KEYS])
        if hint in PROJECT_KEYS:
            fix = f"rename '{key}' to '{hint}' under `config:` in Pulumi.yaml (or remove it from Pulumi.{stack}.yaml)"
        else:
            fix = f"pulumi config rm --stack {stack} {key}" + (f" and set '{hint}'" if hint else "")
        c.add(key, "unknown key" + (f" (did you mean '{hint}'?)" if hint else ""), fix)

    # Settings come back even with problems, so the caller can still check the catalogue
    # values and report every problem at once.
    return (
        StackSettings(
            stack=stack,
            reviewers=reviewers,
            domain=domain,
            vercel_project=project,
            vercel_team=team,
            wait_timer=wait or 0,
            required_approvals=1 if approvals is None else approvals,
            bypass_actors=tuple(bypass),
            adopt=adopt,
            variables=variables,
            secrets_present=frozenset(present),
            secrets_in_clear=frozenset(in_clear),
        ),
        c.problems,
    )


_ADOPT_IDS = {"branchPolicy": "branch_policy", "branchRuleset": "branch_ruleset", "releaseRuleset": "release_ruleset",
              "allowedBranchesRuleset": "allowed_branches_ruleset"}


def _parse_adopt(c: _Collector, stack: str, value: Any) -> Adoption:
    fix = (f"pulumi config set --stack {stack} --path 'adopt.branchRuleset' <ruleset id> "
           "(ids: gh api repos/OWNER/REPO/rulesets, .../environments/ENV/deployment-branch-policies)")
    if value is None:
        return Adoption()
    if not isinstance(value, dict):
        c.add("adopt", f"expected a mapping, got {type(value).__name__}", fix)
        return Adoption()
    ids: dict[str, int] = {}
    for key, item in value.items():
        if key == "environment":
            if not isinstance(item, bool):
                c.add("adopt.environment", f"expected true or false, got {type(item).__name__}", fix)
        elif key in _ADOPT_IDS:
            if isinstance(item, bool) or not isinstance(item, int) or item <= 0:
                c.add(f"adopt.{key}", "expected the object's numeric id", fix)
            else:
                ids[_ADOPT_IDS[key]] = item
        else:
            hint = _closest(key, ["environment", *_ADOPT_IDS])
            c.add(f"adopt.{key}", "unknown key" + (f" (did you mean '{hint}'?)" if hint else ""), fix)
    return Adoption(environment=value.get("environment") is True, **ids)


def _parse_bypass(c: _Collector, value: Any) -> list[BypassActor]:
    example = "bypassActors: [{actorType: RepositoryRole, actorId: 5, bypassMode: pull_request}]"
    if value is None:
        return []
    if not isinstance(value, list):
        c.add("bypassActors", f"expected a list, got {type(value).__name__}", example)
        return []
    actors = []
    types = {"RepositoryRole", "Team", "Integration", "OrganizationAdmin", "DeployKey"}
    for i, item in enumerate(value):
        if not isinstance(item, dict) or item.get("actorType") not in types or item.get("bypassMode", "pull_request") not in ("always", "pull_request", "exempt"):
            c.add(f"bypassActors[{i}]", f"actorType must be one of {sorted(types)}, bypassMode always|pull_request|exempt", example)
            continue
        actor_id = item.get("actorId")
        if actor_id is not None and (not isinstance(actor_id, int) or isinstance(actor_id, bool)):
            c.add(f"bypassActors[{i}].actorId", "expected int", example)
            continue
        actors.append(BypassActor(item["actorType"], actor_id, item.get("bypassMode", "pull_request")))
    return actors


def _closest(key: str, candidates: list[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(key, candidates, n=1, cutoff=0.75)
    return match[0] if match else None
