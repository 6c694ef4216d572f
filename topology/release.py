"""The stack's release as the program and the policy see it: pure functions of their inputs.

`load` turns engine-like config ('ns:key' -> value) into a validated Release or one ConfigError; the
program gets that config from the engine (config.py), the policy pack and the offline check from the
stack files with placeholders for the secrets (project.file_release). No Pulumi config is read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from . import limits, rules
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
