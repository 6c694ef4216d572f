"""The stack's release as the program and the policy see it: pure functions of their inputs.

`load` turns engine-like config ('ns:key' -> value) into a validated Release or one ConfigError; the
program gets that config from the engine (config.py), the policy pack and the offline check from the
stack files with placeholders for the secrets (project.file_release). No Pulumi config is read here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping
from urllib.parse import urlsplit

from . import codeowners, limits, rules, seed_rules
from .model import (
    FOREIGN_NAMESPACES,
    NAMESPACE,
    PROJECT_KEYS,
    ConfigError,
    Environment,
    Problem,
    StackSettings,
    Topology,
    parse_stack,
    parse_topology,
)
from .plans import Approval, approval_mechanism

if TYPE_CHECKING:  # Values holds Pulumi outputs; nothing here runs Pulumi
    import pulumi


@dataclass(frozen=True)
class Release:
    """Everything one stack needs: the topology, its environment and its values (no secrets)."""

    topology: Topology
    environment: Environment
    source: Environment | None  # the environment it is promoted from, if any
    settings: StackSettings

    @property
    def approval(self) -> Approval | None:
        """How a person approves what reaches this environment, on the declared plan."""
        return approval_mechanism(self.topology.plans.github_features, production=self.environment.production,
                                  has_reviewers=bool(self.settings.reviewers))


def split_config(config: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[Problem]]:
    """Split engine config ('ns:key' -> value) into project keys, stack keys and stray namespaces."""
    project: dict[str, Any] = {}
    stack: dict[str, Any] = {}
    problems: list[Problem] = []
    for full_key, value in config.items():
        namespace, _, key = full_key.partition(":")
        if namespace == NAMESPACE:
            (project if key in PROJECT_KEYS else stack)[key] = value
        elif namespace not in FOREIGN_NAMESPACES:
            problems.append(Problem(
                full_key,
                f"unknown config namespace '{namespace}'",
                f"keys of this program are written '{NAMESPACE}:<key>'; remove or rename it",
            ))
    return project, stack, problems


def load(stack: str, config: Mapping[str, Any], secret_keys: frozenset[str]) -> Release:
    """Validate a stack's whole config; raise one ConfigError listing every problem."""
    project_raw, stack_raw, problems = split_config(config)
    topology, topo_problems = parse_topology(project_raw)
    problems += topo_problems
    if topology is None:
        raise ConfigError(stack, problems)

    problems += rules.project_problems(topology)
    problems += rules.stack_problems(topology, stack)
    short_secret_keys = frozenset(k.partition(":")[2] for k in secret_keys if k.startswith(f"{NAMESPACE}:"))
    settings, settings_problems = parse_stack(stack, stack_raw, short_secret_keys, topology.catalogue)
    problems += settings_problems
    env = topology.environment(stack)
    if env is not None:
        values = {k: v for k, v in stack_raw.items() if isinstance(v, str)}
        problems += rules.catalogue_problems(stack, env, topology.catalogue, settings, values)
        problems += rules.gate_problems(stack, env, settings, topology.plans)
        problems += rules.target_problems(stack, env, topology, settings)
        problems += seed_rules.stack_problems(stack, env, topology, settings)
        problems += limits.stack_limit_problems(
            stack, topology.catalogue, settings, values,
            environment_reviewers=topology.plans.github_features.environment_reviewers)
    if problems or env is None:
        raise ConfigError(stack, problems)
    return Release(topology, env, rules.resolve_source(topology, env), settings)


@dataclass(frozen=True)
class Values:
    """Catalogue values as the components receive them: secrets stay Pulumi secrets."""

    secrets: Mapping[str, pulumi.Output[str]]
    variables: Mapping[str, str]


def emergency_from_env(environ: Mapping[str, str]) -> tuple[bool, str]:
    """The emergency override as the deploy workflow passes it: RELEASE_EMERGENCY and its reason."""
    flag = environ.get("RELEASE_EMERGENCY", "").strip().lower() in ("1", "true", "yes")
    return flag, environ.get("RELEASE_EMERGENCY_REASON", "")


@dataclass(frozen=True)
class Connection:
    """How this run reaches the APIs: GitHub itself, or the local GitHub double of a rehearsal."""

    github_write_delay_ms: int | None = None  # None: the provider's own 1 s between writes


def connection_from_env(stack: str, environ: Mapping[str, str]) -> Connection:
    """The run's knobs, read once at the edge from the environment.

    RELEASE_GITHUB_WRITE_DELAY_MS lowers the provider's write delay (GitHub's secondary rate limits
    ask for about 1 s; only the local double and tests go faster).
    """
    problems: list[Problem] = []
    raw_delay = environ.get("RELEASE_GITHUB_WRITE_DELAY_MS", "").strip()
    if raw_delay and not raw_delay.isdigit():
        problems.append(Problem(
            "RELEASE_GITHUB_WRITE_DELAY_MS", f"must be a whole number of milliseconds, got {raw_delay!r}",
            "unset it (the provider waits 1 s between writes) or set e.g. RELEASE_GITHUB_WRITE_DELAY_MS=0 for the local double"))
    if problems:
        raise ConfigError(stack, problems)
    return Connection(int(raw_delay) if raw_delay else None)


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
WINDOW_MODES = ("mandatory", "advisory")


@dataclass(frozen=True)
class Run:
    """What this run of the program is, read once at the edge: a preview or an update, when, and its overrides."""

    dry_run: bool
    now: dt.datetime
    emergency: bool = False
    emergency_reason: str = ""
    window_advisory: bool = False  # RELEASE_DEPLOY_WINDOW=advisory: a rehearsal against the local doubles

    @property
    def emergency_override(self) -> str | None:
        """The reason of an accepted emergency override (recorded as the stack output emergencyOverride)."""
        return self.emergency_reason.strip() if self.emergency and self.emergency_reason.strip() else None


def run_from_env(stack: str, environ: Mapping[str, str], *, dry_run: bool, now: dt.datetime) -> Run:
    """The run's release-policy knobs from the environment: the emergency override, and
    RELEASE_DEPLOY_WINDOW=advisory, which only a rehearsal against the local GitHub double may set
    (GITHUB_BASE_URL on loopback): against GitHub the window is always mandatory for an update."""
    emergency, reason = emergency_from_env(environ)
    mode = environ.get("RELEASE_DEPLOY_WINDOW", "").strip().lower()
    problems: list[Problem] = []
    if mode and mode not in WINDOW_MODES:
        problems.append(Problem("RELEASE_DEPLOY_WINDOW", f"must be one of {', '.join(WINDOW_MODES)}, got {mode!r}",
                                "unset it (the deploy window is mandatory for production updates)"))
    host = urlsplit(environ.get("GITHUB_BASE_URL", "")).hostname
    if mode == "advisory" and host not in LOOPBACK_HOSTS:
        problems.append(Problem(
            "RELEASE_DEPLOY_WINDOW", "makes the deploy window advisory, which only a rehearsal against the local "
            "GitHub double may do (GITHUB_BASE_URL on 127.0.0.1)",
            "unset RELEASE_DEPLOY_WINDOW; outside the window, deploy as an emergency with a reason "
            "(RELEASE_EMERGENCY=true RELEASE_EMERGENCY_REASON=\"...\"), or use `make rehearse`"))
    if problems:
        raise ConfigError(stack, problems)
    return Run(dry_run, now, emergency, reason, window_advisory=mode == "advisory")


def policy_refusals(release: Release, run: Run, *, codeowners_text: str | None,
                    production_reviewers: Iterable[str]) -> list[Problem]:
    """The mandatory release-policy rules an update breaks, judged before anything is registered.

    The same pure rules the policy pack runs (`deploy-window`, `code-owners`: topology/rules.py,
    topology/codeowners.py); the pack also judges them, but a stack policy runs only after `up` has
    written. In a preview the program refuses nothing here: a preview writes nothing, and the pack
    reports these rules there (the window as a warning), as the offline check does.
    """
    if run.dry_run:
        return []
    env, stack = release.environment, release.environment.name
    problems: list[Problem] = []
    if env.production:
        refused = rules.emergency_violation(stack, run.emergency, run.emergency_reason)
        outside = None if run.emergency or run.window_advisory else rules.window_violation(
            stack, run.now, release.topology.deploy_window)
        if refused:
            problems.append(Problem("deploy-window", refused,
                                    "give the reason: RELEASE_EMERGENCY_REASON=\"...\" (the deploy workflow's `reason`)"))
        elif outside:
            problems.append(Problem("deploy-window", outside,
                                    "deploy inside the window, or as an emergency with a reason: RELEASE_EMERGENCY=true "
                                    "RELEASE_EMERGENCY_REASON=\"...\" (deploy workflow: emergency + reason)"))
    # A declared code freeze (issue 18, mbayar S1): production updates refused, an emergency with a reason excepted.
    problems += seed_rules.freeze_problems(stack, env, release.topology, run.now, emergency=run.emergency,
                                           emergency_reason=run.emergency_reason)
    if env.production and release.approval is Approval.CODE_OWNER_REVIEW and codeowners_text is not None:
        for problem in codeowners.problems(codeowners_text, production_reviewers):
            problems.append(Problem("code-owners", f"stack '{stack}': CODEOWNERS {problem}",
                                    "python -m topology codeowners > .github/CODEOWNERS, merged through a pull request"))
    return problems
