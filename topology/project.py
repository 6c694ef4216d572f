"""The project's files as the engine reads them: Pulumi.yaml's project-level config and a stack file.

The one reader of those files for the facts CLI, the offline check, the mock evaluation and the pack;
`file_release` is a stack's Release from its files, validated by the program's own `load` (encrypted
secrets, which are not decrypted here, replaced by placeholders of the right form and mode).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from .model import NAMESPACE, ConfigError, Kind, Topology, decode, parse_reviewers, parse_topology
from .release import Release, load
from .rules import project_problems, stripe_sample
from .seed_rules import UNREAD


def project_values(project_file: Path = Path("Pulumi.yaml")) -> dict[str, Any]:
    """Pulumi.yaml's project-level config as 'namespace:key' -> value (the `value:` unwrapped)."""
    doc = yaml.safe_load(project_file.read_text()) or {}
    values = {}
    for key, spec in (doc.get("config") or {}).items():
        full = key if ":" in key else f"{NAMESPACE}:{key}"
        values[full] = spec["value"] if isinstance(spec, dict) and "value" in spec else spec
    return values


def read_topology(project_file: Path = Path("Pulumi.yaml"), *, strict: bool = True) -> Topology:
    """The topology declared in Pulumi.yaml's project-level config. `strict=False` keeps a well-formed
    declaration that the rules refuse (e.g. private Free): the doubles still answer as that plan does."""
    prefix = f"{NAMESPACE}:"
    raw = {k[len(prefix):]: v for k, v in project_values(project_file).items() if k.startswith(prefix)}
    topology, problems = parse_topology(raw)
    problems += project_problems(topology) if topology and strict else []
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


def engine_config(stack: str, root: Path = Path(".")) -> tuple[dict[str, Any], set[str]]:
    """The config the engine passes for `stack` (project-level config under the stack file's), without the
    encrypted values, and the keys the stack file holds encrypted."""
    config = project_config(root / "Pulumi.yaml")
    values, encrypted = stack_config(stack, root)
    config.update(values)
    return config, encrypted


PLACEHOLDER = UNREAD  # value rules skip it (topology/seed_rules.py)


def placeholder(kind: Kind, production: bool) -> str:
    """A value that passes format checks, standing in for an encrypted secret."""
    return stripe_sample(kind, production, PLACEHOLDER) or PLACEHOLDER


def placeholder_config(stack: str, root: Path = Path(".")) -> tuple[dict[str, Any], set[str], list[str]]:
    """Engine-like config for the stack, encrypted secrets replaced by placeholders; and the replaced keys."""
    config, encrypted = engine_config(stack, root)
    topology = read_topology(root / "Pulumi.yaml")
    env = topology.environment(stack)
    production = bool(env and env.production)
    kinds = {f"{NAMESPACE}:{e.name}": e.kind for e in topology.catalogue}
    replaced = []
    for key in sorted(encrypted):
        config[key] = placeholder(kinds.get(key, Kind.SECRET), production)
        replaced.append(key)
    return config, encrypted, replaced


def file_release(stack: str, root: Path = Path(".")) -> Release:
    """The stack's Release from its files, as the program validates it; ConfigError when it would refuse it."""
    config, encrypted, _ = placeholder_config(stack, root)
    return load(stack, config, frozenset(encrypted))


def stack_reviewers(stack: str, root: Path = Path(".")) -> list[str]:
    """The reviewers' handles a stack file declares, in order, parsed as the program parses them."""
    values, _ = stack_config(stack, root)
    reviewers, problems = parse_reviewers(stack, decode(values.get(f"{NAMESPACE}:reviewers")))
    if problems:
        raise ConfigError(stack, problems)
    return [r.handle for r in reviewers]


def production_reviewers(topology: Topology, root: Path = Path(".")) -> list[str]:
    """Every production stack's reviewers, first seen first: the code owners of the production branch."""
    handles: list[str] = []
    for env in topology.environments:
        if env.production:
            handles += [h for h in stack_reviewers(env.name, root) if h not in handles]
    return handles
