"""The edge: read the stack's config once from the Pulumi runtime, hand typed values to components.

The only module that reads Pulumi config; what it reads is validated by the pure `release.load`. It also
reads what an update is judged by before anything is registered (`release_run`): preview or update, the
clock, the emergency and window knobs, the checkout's CODEOWNERS.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pulumi

from . import codeowners
from .model import NAMESPACE, PolicyRefusal
from .project import stack_reviewers
from .release import Release, Run, Values, load, policy_refusals, run_from_env


def runtime_config() -> tuple[dict[str, Any], frozenset[str]]:
    """All config the engine passed to this program, and which keys are secret."""
    from pulumi.runtime import config as runtime

    merged: dict[str, Any] = dict(runtime.get_config_env() or {})
    merged.update(runtime.CONFIG.get())
    secret = set(runtime.get_config_secret_keys_env()) | set(runtime._SECRET_KEYS.get())
    return merged, frozenset(secret)


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


def clock() -> dt.datetime:
    """The time the deploy window is judged at (mock runs replace it: topology/offline.py run_program)."""
    return dt.datetime.now(dt.timezone.utc)


def code_owners(release: Release, root: Path) -> list[str]:
    """Every production stack's reviewers, this stack's as the engine passed them, the others' from their files."""
    handles = [r.handle for r in release.settings.reviewers] if release.environment.production else []
    for env in release.topology.environments:
        if env.production and env.name != release.environment.name:
            handles += [h for h in stack_reviewers(env.name, root) if h not in handles]
    return handles


def release_run(release: Release, root: Path) -> Run:
    """This run, judged before anything is registered: an update that breaks a mandatory release-policy rule
    (the deploy window, an emergency without a reason, CODEOWNERS) raises PolicyRefusal and writes nothing.

    `root` is the program's directory: its checkout's CODEOWNERS and its production stack files, as the pack reads them.
    """
    stack = release.environment.name
    run = run_from_env(stack, os.environ, dry_run=pulumi.runtime.is_dry_run(), now=clock())
    path = codeowners.find(root)
    owners = code_owners(release, root) if path is not None else ()
    refusals = policy_refusals(release, run, codeowners_text=path.read_text() if path else None,
                               production_reviewers=owners)
    if refusals:
        raise PolicyRefusal(stack, refusals)
    if release.environment.production and run.window_advisory and not run.dry_run:
        pulumi.log.info("deploy window advisory (RELEASE_DEPLOY_WINDOW=advisory): a rehearsal against the local doubles")
    return run
