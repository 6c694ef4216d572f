"""The project's files as the engine reads them: Pulumi.yaml's project-level config and a stack file.

The one reader of those files for the facts CLI, the offline check, the mock evaluation and the pack.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from .model import NAMESPACE, ConfigError, Topology, decode, parse_topology
from .rules import project_problems


def project_values(project_file: Path = Path("Pulumi.yaml")) -> dict[str, Any]:
    """Pulumi.yaml's project-level config as 'namespace:key' -> value (the `value:` unwrapped)."""
    doc = yaml.safe_load(project_file.read_text()) or {}
    values = {}
    for key, spec in (doc.get("config") or {}).items():
        full = key if ":" in key else f"{NAMESPACE}:{key}"
        values[full] = spec["value"] if isinstance(spec, dict) and "value" in spec else spec
    return values


def read_topology(project_file: Path = Path("Pulumi.yaml")) -> Topology:
    """The topology declared in Pulumi.yaml's project-level config."""
    prefix = f"{NAMESPACE}:"
    raw = {k[len(prefix):]: v for k, v in project_values(project_file).items() if k.startswith(prefix)}
    topology, problems = parse_topology(raw)
    problems += project_problems(topology) if topology else []
    if problems:
        raise ConfigError("(project)", problems)
    return topology


def project_config(path: Path = Path("Pulumi.yaml")) -> dict[str, Any]:
    """Project-level config of Pulumi.yaml as the engine passes it: 'ns:key' -> string."""
    return {key: wire(value) for key, value in project_values(path).items()}


def stack_config(stack: str, root: Path = Path(".")) -> tuple[dict[str, Any], set[str]]:
    """A stack file's plain config, and the keys it holds encrypted (`secure:`, not decrypted here)."""
    path = root / f"Pulumi.{stack}.yaml"
    doc = yaml.safe_load(path.read_text()) if path.exists() else {}
    out: dict[str, Any] = {}
    encrypted: set[str] = set()
    for key, value in ((doc or {}).get("config") or {}).items():
        full = key if ":" in key else f"{NAMESPACE}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            encrypted.add(full)
        else:
            out[full] = wire(value)
    return out, encrypted


def wire(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def stack_reviewers(stack: str, root: Path = Path(".")) -> list[str]:
    """The reviewers' handles a stack file declares (plain config), in order."""
    values, _ = stack_config(stack, root)
    declared = decode(values.get(f"{NAMESPACE}:reviewers"))
    if not isinstance(declared, list):
        return []
    handles = (item.get("handle") if isinstance(item, dict) else item for item in declared)
    return [h for h in handles if isinstance(h, str)]


def production_reviewers(topology: Topology, root: Path = Path(".")) -> list[str]:
    """Every production stack's reviewers, first seen first: the code owners of the production branch."""
    handles: list[str] = []
    for env in topology.environments:
        if env.production:
            handles += [h for h in stack_reviewers(env.name, root) if h not in handles]
    return handles
