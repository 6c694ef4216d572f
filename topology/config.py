"""The edge: read the stack's config once, validate it whole, hand typed values to components.

`load` is pure (a dict in, a Release or ConfigError out) so the offline check and the tests use
it without an engine; `read_release` is the only function that touches the Pulumi runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlsplit

import pulumi

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


def runtime_config() -> tuple[dict[str, Any], frozenset[str]]:
    """All config the engine passed to this program, and which keys are secret."""
    from pulumi.runtime import config as runtime

    merged: dict[str, Any] = dict(runtime.get_config_env() or {})
    merged.update(runtime.CONFIG.get())
    secret = set(runtime.get_config_secret_keys_env()) | set(runtime._SECRET_KEYS.get())
    return merged, frozenset(secret)


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
    without_vercel: bool = False  # leave the Vercel target out (its plugin cannot be had here)


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def connection_from_env(stack: str, environ: Mapping[str, str]) -> Connection:
    """The run's knobs, read once at the edge from the environment.

    RELEASE_GITHUB_WRITE_DELAY_MS lowers the provider's write delay (GitHub's secondary rate limits
    ask for about 1 s; only the local double and tests go faster). RELEASE_WITHOUT_VERCEL=1 leaves
    the Vercel target out, and only against a loopback GITHUB_BASE_URL: against real GitHub an `up`
    without it would delete the environment's Vercel resources.
    """
    problems: list[Problem] = []
    raw_delay = environ.get("RELEASE_GITHUB_WRITE_DELAY_MS", "").strip()
    if raw_delay and not raw_delay.isdigit():
        problems.append(Problem(
            "RELEASE_GITHUB_WRITE_DELAY_MS", f"must be a whole number of milliseconds, got {raw_delay!r}",
            "unset it (the provider waits 1 s between writes) or set e.g. RELEASE_GITHUB_WRITE_DELAY_MS=0 for the local double"))
    without_vercel = environ.get("RELEASE_WITHOUT_VERCEL", "").strip().lower() in ("1", "true", "yes")
    host = urlsplit(environ.get("GITHUB_BASE_URL", "")).hostname
    if without_vercel and host not in LOOPBACK_HOSTS:
        problems.append(Problem(
            "RELEASE_WITHOUT_VERCEL", "leaves the Vercel target out, which only a rehearsal against the local GitHub "
            "double may do (GITHUB_BASE_URL on 127.0.0.1); against GitHub it would delete the Vercel resources",
            "unset RELEASE_WITHOUT_VERCEL, or use `make preview` / `make rehearse`, which start the double"))
    if problems:
        raise ConfigError(stack, problems)
    return Connection(int(raw_delay) if raw_delay else None, without_vercel)


def read_release() -> tuple[Release, Values]:
    """Read and validate this stack's config. The only place that reads Pulumi config."""
    config, secret_keys = runtime_config()
    release = load(pulumi.get_stack(), config, secret_keys)
    cfg = pulumi.Config(NAMESPACE)
    secrets = {
        entry.name: cfg.require_secret(entry.name)
        for entry in release.topology.catalogue
        if entry.kind.is_secret and not entry.kind.is_generated
    }
    return release, Values(secrets, dict(release.settings.variables))
