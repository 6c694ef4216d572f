"""The edge: read the stack's config once from the Pulumi runtime, hand typed values to components.

The only module that reads Pulumi config; what it reads is validated by the pure `release.load`.
"""

from __future__ import annotations

from typing import Any

import pulumi

from .model import NAMESPACE
from .release import Release, Values, load


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
