"""The release policy as pure functions over the config model.

The same functions serve three callers: the program (before it registers anything), the
CrossGuard policy pack (policy/) and the offline check (policy/check.py). None of them
reads Pulumi config or touches the engine, and no message ever contains a secret value.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

from . import seed_rules
from .limits import topology_limit_problems
from .model import (
    CatalogueEntry,
    DeployWindow,
    Destination,
    Environment,
    Kind,
    Problem,
    StackSettings,
    Topology,
    config_key,
)
from .plans import Account, GithubPlan, Plans, vercel_features

# Stripe's prefixes: API keys are `<type>_<mode>_...` (secret sk, publishable pk, restricted rk; mode test
# or live), webhook signing secrets `whsec_...`.
STRIPE_KEY_TYPES = ("sk", "pk", "rk")
STRIPE_WEBHOOK_PREFIX = "whsec_"
_EXPECTED_TYPES = {
    Kind.STRIPE_SECRET_KEY: ("sk", "rk"),
    Kind.STRIPE_PUBLISHABLE_KEY: ("pk",),
}


def stripe_prefixes(mode: str, types: tuple[str, ...] = STRIPE_KEY_TYPES) -> tuple[str, ...]:
    return tuple(f"{t}_{mode}_" for t in types)


STRIPE_TEST_PREFIXES = stripe_prefixes("test")
STRIPE_LIVE_PREFIXES = stripe_prefixes("live")


def stripe_sample(kind: Kind, production: bool, body: str) -> str | None:
    """A value of the right form and mode for a Stripe kind (placeholders, benchmarks); None for other kinds."""
    if kind in _EXPECTED_TYPES:
        return stripe_prefixes("live" if production else "test", _EXPECTED_TYPES[kind][:1])[0] + body
    if kind is Kind.STRIPE_WEBHOOK_SECRET:
        return STRIPE_WEBHOOK_PREFIX + body
    return None


def stripe_mode(value: str) -> str | None:
    """'test' or 'live' for a Stripe API key, None for anything else."""
    if value.startswith(STRIPE_TEST_PREFIXES):
        return "test"
    if value.startswith(STRIPE_LIVE_PREFIXES):
        return "live"
    return None


def stripe_mode_violation(production: bool, value: str) -> str | None:
    """Why a value must not be delivered to this environment, or None. Never echoes the value."""
    mode = stripe_mode(value)
    if mode == "live" and not production:
        return (f"holds a Stripe LIVE-mode key in a non-production environment (only {'/'.join(STRIPE_TEST_PREFIXES)} "
                "keys belong here)")
    if mode == "test" and production:
        return f"holds a Stripe TEST-mode key in production (production takes {'/'.join(STRIPE_LIVE_PREFIXES)} keys)"
    return None


def value_problems(stack: str, env: Environment, entry: CatalogueEntry, value: str) -> list[Problem]:
    """Format and mode checks of one catalogue value (plaintext, used only for the check)."""
    fix = f"pulumi config set --secret --stack {stack} {entry.name} <value>" if entry.kind.is_secret else (
        f"pulumi config set --stack {stack} {entry.name} <value>"
    )
    mode_word = "live" if env.production else "test"
    if not value.strip():
        return [Problem(config_key(entry.name), "is empty", fix)]
    problems = []
    violation = stripe_mode_violation(env.production, value)
    if violation:
        problems.append(Problem(config_key(entry.name), violation, f"use the Stripe {mode_word}-mode key: {fix}"))
    elif entry.kind in _EXPECTED_TYPES and not (
        value.startswith(tuple(f"{t}_" for t in _EXPECTED_TYPES[entry.kind])) and stripe_mode(value)
    ):
        prefixes = "/".join(stripe_prefixes(mode_word, _EXPECTED_TYPES[entry.kind]))
        problems.append(Problem(config_key(entry.name), f"is not a {entry.kind.value} (expected {prefixes}...)", fix))
    if entry.kind is Kind.STRIPE_WEBHOOK_SECRET and not value.startswith(STRIPE_WEBHOOK_PREFIX):
        problems.append(Problem(config_key(entry.name),
                                f"is not a Stripe webhook signing secret (expected {STRIPE_WEBHOOK_PREFIX}...)", fix))
    if entry.kind is Kind.SUPABASE_URL and not value.startswith("https://"):
        problems.append(Problem(config_key(entry.name), "must be an https:// URL", fix))
    # Values allowed per environment (issue 18: mbayar "Niveau de log passé à WARN ou ERROR", koomy 06 TEST mode).
    for violation in seed_rules.value_rule_violations(entry, env, value):
        problems.append(Problem(config_key(entry.name), violation, seed_rules.value_rule_fix(stack, entry, env)))
    return problems


def catalogue_problems(
    stack: str,
    env: Environment,
    catalogue: Iterable[CatalogueEntry],
    settings: StackSettings,
    values: Mapping[str, str],
) -> list[Problem]:
    """Every catalogue entry has a value of the right shape, secrets are encrypted in the stack.

    `values` maps entry names to plaintext (decrypted) values for the checks only.
    """
    problems: list[Problem] = []
    for entry in catalogue:
        if entry.kind.is_generated:
            continue
        if entry.kind.is_secret:
            if entry.name not in settings.secrets_present:
                problems.append(Problem(
                    config_key(entry.name),
                    f"missing secret ({entry.kind.value}) for environment '{env.name}'",
                    f"pulumi config set --secret --stack {stack} {entry.name} <value>",
                ))
                continue
            if entry.name in settings.secrets_in_clear:
                problems.append(Problem(
                    config_key(entry.name),
                    "is stored in clear text in the stack file; it must be encrypted",
                    f"pulumi config set --secret --stack {stack} {entry.name} <value> (same value, now encrypted)",
                ))
        elif entry.name not in settings.variables:
            problems.append(Problem(
                config_key(entry.name),
                f"missing variable ({entry.kind.value}) for environment '{env.name}'",
                f"pulumi config set --stack {stack} {entry.name} <value>",
            ))
            continue
        value = values.get(entry.name)
        if isinstance(value, str):
            problems.extend(value_problems(stack, env, entry, value))
    return problems


def resolve_source(topology: Topology, env: Environment) -> Environment | None:
    """The environment `env` is promoted from: by name, else by branch; None for a branch pattern."""
    if env.promoted_from is None:
        return None
    by_name = topology.environment(env.promoted_from)
    if by_name is not None:
        return by_name
    return next((e for e in topology.environments if e.branch == env.promoted_from), None)


def chain_problems(topology: Topology) -> list[Problem]:
    """The promotion chain references existing environments, has no cycle, no shared branch."""
    problems: list[Problem] = []
    key = config_key("environments")
    names = [e.name for e in topology.environments]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(Problem(key, f"environment '{dup}' is declared twice", "give each environment a unique name"))
    branches: dict[str, str] = {}
    for env in topology.environments:
        if env.branch in branches:
            problems.append(Problem(
                key,
                f"environments '{branches[env.branch]}' and '{env.name}' share the branch '{env.branch}'",
                "give each environment its own branch",
            ))
        branches.setdefault(env.branch, env.name)
    for env in topology.environments:
        source = env.promoted_from
        if source is None:
            continue
        if resolve_source(topology, env) is None and "*" not in source:
            problems.append(Problem(
                key,
                f"'{env.name}' is promoted from '{source}', which is neither an environment, an environment's branch nor a branch pattern",
                f"use one of {names} or a pattern such as 'feature/*'",
            ))
        if source in (env.name, env.branch):
            problems.append(Problem(key, f"'{env.name}' is promoted from itself", "promote it from the previous environment"))
    problems.extend(_cycle_problems(topology))
    productions = [e for e in topology.environments if e.production]
    if not productions:
        problems.append(Problem(key, "no environment is marked production", "mark the last environment `production: true`"))
    for env in productions:
        if resolve_source(topology, env) is None:
            problems.append(Problem(
                key,
                f"production environment '{env.name}' must be promoted from another environment (staging first, then production)",
                f"set promotedFrom of '{env.name}' to the environment it is promoted from, e.g. staging",
            ))
    return problems


def _cycle_problems(topology: Topology) -> list[Problem]:
    problems = []
    reported: set[frozenset[str]] = set()
    for start in topology.environments:
        path = [start.name]
        env = resolve_source(topology, start)
        while env is not None and env.name not in path:
            path.append(env.name)
            env = resolve_source(topology, env)
        # A self-loop (len 1) is reported on its own above.
        if env is start and len(path) > 1 and frozenset(path) not in reported:
            reported.add(frozenset(path))
            loop = " <- ".join(path + [start.name])
            problems.append(Problem(
                config_key("environments"),
                f"promotion cycle: {loop}",
                "the first environment must be promoted from a branch pattern such as 'feature/*'",
            ))
    return problems


def stack_problems(topology: Topology, stack: str) -> list[Problem]:
    if topology.environment(stack) is None:
        names = ", ".join(e.name for e in topology.environments)
        return [Problem(
            "stack",
            f"stack '{stack}' is not an environment of the topology ({names})",
            f"select one of those stacks, or add {{name: {stack}, branch: ..., promotedFrom: ...}} to `environments` in Pulumi.yaml",
        )]
    return []


def project_problems(topology: Topology) -> list[Problem]:
    """What is wrong with the topology whatever the stack: chain, names the APIs refuse, the plan."""
    return [*chain_problems(topology), *topology_limit_problems(topology), *github_plan_problems(topology.plans),
            *seed_rules.project_problems(topology, config_key)]


def github_plan_problems(plans: Plans) -> list[Problem]:
    """A plan that cannot hold the release policy at all (Free + private) is refused, with the ways out."""
    if plans.github_features.holds_release_policy:
        return []
    return [Problem(
        config_key("githubPlan"),
        f"{plans.github_words} has no rulesets and no environments (GitHub answers 403 and 404): "
        "no branch gate, no deployment environment, no approval of production",
        "make the repository public (`repositoryVisibility: public`), or move the owner to a plan that has them on "
        "private repositories (`githubPlan: team` for an organisation, `githubPlan: pro` for a personal account)",
    )]


def gate_problems(stack: str, env: Environment, settings: StackSettings, plans: Plans) -> list[Problem]:
    """Production is approved by a person, nobody bypasses its gate, and the plan accepts what is declared."""
    problems = _plan_gate_problems(stack, env, settings, plans)
    if not env.production:
        return problems
    if not settings.reviewers:
        problems.append(Problem(
            config_key("reviewers"),
            f"production environment '{env.name}' needs at least one required reviewer",
            f"pulumi config set --stack {stack} --path 'reviewers[0].handle' <cto-handle> "
            f"&& pulumi config set --stack {stack} --path 'reviewers[0].id' <numeric-user-id>",
        ))
    if settings.bypass_actors:
        problems.append(Problem(
            config_key("bypassActors"),
            "production's branch gate allows no bypass actors",
            f"pulumi config rm --stack {stack} bypassActors",
        ))
    if settings.required_approvals < 1:
        problems.append(Problem(
            config_key("requiredApprovals"),
            "production needs at least one approval on pull requests",
            f"pulumi config set --stack {stack} requiredApprovals 1",
        ))
    return problems


def _plan_gate_problems(stack: str, env: Environment, settings: StackSettings, plans: Plans) -> list[Problem]:
    """What the environment declares that GitHub would refuse (422) on this plan, or ignore."""
    features = plans.github_features
    problems = []
    if settings.wait_timer and not features.wait_timer:
        problems.append(Problem(
            config_key("waitTimer"),
            f"{plans.github_words} has no environment wait timers (GitHub answers 422)",
            f"pulumi config rm --stack {stack} waitTimer (or declare githubPlan: enterprise, or a public repository)",
        ))
    if settings.reviewers and not env.production and not features.environment_reviewers:
        problems.append(Problem(
            config_key("reviewers"),
            f"{plans.github_words} has no environment required reviewers: '{env.name}' would deploy without them",
            f"pulumi config rm --stack {stack} reviewers (pull requests into '{env.branch}' still need "
            f"{settings.required_approvals} approval(s); production's reviewers approve as code owners)",
        ))
    if plans.account is Account.PERSONAL:
        for i, actor in enumerate(settings.bypass_actors):
            if actor.actor_type in ("Team", "OrganizationAdmin"):
                problems.append(Problem(
                    config_key(f"bypassActors[{i}]"),
                    f"actorType {actor.actor_type} exists only in organisations; this repository is a personal account's",
                    "use actorType RepositoryRole (or Integration, DeployKey)",
                ))
    return problems


def vercel_plan_problems(stack: str, topology: Topology, settings: StackSettings) -> list[Problem]:
    """The Vercel plan can hold this environment's target (Hobby cannot connect an organisation's repository)."""
    plans, key = topology.plans, config_key("vercelPlan")
    if plans.vercel is None:
        return [Problem(key, f"missing: environment '{stack}' deploys to Vercel, whose plan decides what it accepts",
                        "declare `vercelPlan: hobby | pro | enterprise` under `config:` in Pulumi.yaml")]
    features = vercel_features(plans.vercel)
    problems = []
    if plans.account is Account.ORGANIZATION and not features.organization_repositories:
        way_out = ", or, if the owner is a personal account, declare `githubAccount: personal`" \
            if plans.github is GithubPlan.FREE else ""
        problems.append(Problem(
            key,
            f"Vercel {plans.vercel.value} cannot connect {topology.owner}/{topology.repository}, a repository owned by "
            "a GitHub organisation (Vercel asks to upgrade to Pro)",
            f"declare `vercelPlan: pro` (Hobby is for non-commercial use anyway), or drop the Vercel target: "
            f"pulumi config rm --stack {stack} vercelProject and domain, and deliver the catalogue to github only{way_out}",
        ))
    if settings.vercel_team and not features.teams:
        problems.append(Problem(config_key("vercelTeam"), f"Vercel {plans.vercel.value} has no teams",
                                f"pulumi config rm --stack {stack} vercelTeam, or declare `vercelPlan: pro`"))
    return problems


def target_problems(stack: str, env: Environment, topology: Topology, settings: StackSettings) -> list[Problem]:
    """An environment that delivers anything to Vercel names its Vercel project, on a plan that takes it."""
    needs_vercel = any(Destination.VERCEL in e.destinations for e in topology.catalogue) or settings.domain
    problems = []
    if needs_vercel and not settings.vercel_project:
        problems.append(Problem(
            config_key("vercelProject"),
            f"environment '{env.name}' delivers to Vercel but names no Vercel project",
            f"pulumi config set --stack {stack} vercelProject <project-name>",
        ))
    if needs_vercel or settings.vercel_project:
        problems += vercel_plan_problems(stack, topology, settings)
    return problems


# --- the deploy window: the program refuses an update outside it, the pack judges it too ------------


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


def emergency_violation(stack: str, emergency: bool, reason: str) -> str | None:
    """An emergency override without a reason is refused (the reason is what the update history records)."""
    if emergency and not reason.strip():
        return (f"stack '{stack}': an emergency override needs a reason (RELEASE_EMERGENCY_REASON); "
                "the override was refused")
    return None


def window_violation(stack: str, now: dt.datetime, window: DeployWindow) -> str | None:
    """Why `now` is no time to update production, or None inside the window."""
    if in_window(now, window):
        return None
    days = ",".join(window.day_names)
    return (f"stack '{stack}': {now.astimezone(ZoneInfo(window.timezone)):%a %H:%M %Z} is outside the "
            f"deploy window ({days} {window.start}-{window.end} {window.timezone})")
