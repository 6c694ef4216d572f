"""The Context of a stack, read from the project's files: the program's own Release and the policy's settings.

The Release comes from the stack files through the program's own `load` (topology/project.py
`file_release`: encrypted secrets replaced by placeholders), so the policy sees exactly the topology,
environment, reviewers and plan the program does. Everything read is cached per file version: the pack
builds a context for every resource it validates.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any, Mapping

from topology import codeowners
from topology.model import APPROVALS_MAX, APPROVALS_MIN, ConfigError, DeployWindow, Topology, parse_window
from topology.project import file_release, production_reviewers, read_topology
from topology.release import Release, emergency_from_env

from .model import Context


def _version(*paths: Path) -> tuple[tuple[Path, int], ...]:
    """What a cached read depends on: each file and its modification time (0 when absent)."""
    return tuple((p, p.stat().st_mtime_ns if p.exists() else 0) for p in paths)


def project_topology(root: Path) -> Topology | None:
    """The declared topology, or None when Pulumi.yaml is invalid (the program reports why)."""
    return _topology_at(root, _version(root / "Pulumi.yaml"))


@functools.lru_cache(maxsize=8)
def _topology_at(root: Path, _version: tuple) -> Topology | None:
    try:
        return read_topology(root / "Pulumi.yaml")
    except ConfigError:
        return None


def stack_release(root: Path, stack: str) -> Release:
    """The stack's Release as the program builds it from these files; ConfigError when it refuses them."""
    release, error = _release_at(root, stack, _version(root / "Pulumi.yaml", root / f"Pulumi.{stack}.yaml"))
    if error is not None:
        raise error
    return release


@functools.lru_cache(maxsize=16)
def _release_at(root: Path, stack: str, _version: tuple) -> tuple[Release | None, ConfigError | None]:
    try:
        return file_release(stack, root), None
    except ConfigError as error:
        return None, error


def code_owners(root: Path, topology: Topology) -> tuple[str, ...]:
    """The production stacks' reviewers: the code owners CODEOWNERS names (topology/project.py)."""
    files = [root / f"Pulumi.{e.name}.yaml" for e in topology.environments if e.production]
    return _code_owners_at(root, topology, _version(*files))


@functools.lru_cache(maxsize=8)
def _code_owners_at(root: Path, topology: Topology, _version: tuple) -> tuple[str, ...]:
    return tuple(production_reviewers(topology, root))


def checkout_codeowners(root: Path) -> str | None:
    path = codeowners.find(root)
    return _text_at(path, _version(path)) if path else None


@functools.lru_cache(maxsize=8)
def _text_at(path: Path, _version: tuple) -> str:
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
    if not isinstance(approvals, int) or isinstance(approvals, bool) or not APPROVALS_MIN <= approvals <= APPROVALS_MAX:
        errors.append(f"policy config minApprovals must be an integer {APPROVALS_MIN}-{APPROVALS_MAX}, got {approvals!r}")
        approvals = 1
    window = topology.deploy_window if topology else DeployWindow()
    if "deployWindow" in policy_config:
        base = {"days": window.day_names, "start": window.start, "end": window.end, "timezone": window.timezone}
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
    """The Context the pack and the offline check both use, plus errors (policy config, stack files).

    An invalid Pulumi.yaml leaves the rules without a Release (they stand down: the program refuses it
    before registering anything); a stack file the program refuses is an error, never a pass.
    """
    topology = project_topology(root)
    approvals, window, errors = policy_settings(policy_config, topology)
    emergency, reason = emergency_from_env(environ)
    release, owners = None, ()
    if topology is not None:
        try:
            release = stack_release(root, stack)
            owners = code_owners(root, topology)
        except ConfigError as error:
            errors += [f"Pulumi.{error.stack}.yaml is refused by the program: {p.key}: {p.message}"
                       for p in error.problems]
    ctx = Context(
        stack=stack,
        release=release,
        production_reviewers=owners,
        codeowners=checkout_codeowners(root),
        min_approvals=approvals,
        window=window,
        now=now or dt.datetime.now(dt.timezone.utc),
        emergency=emergency,
        emergency_reason=reason,
        dry_run=dry_run,
    )
    return ctx, errors
