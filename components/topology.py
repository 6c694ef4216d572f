"""Print facts about the declared topology, for scripts and workflows (no engine needed).

    python -m components.topology stacks     # stack names in promotion order
    python -m components.topology chain      # one line per environment: name branch <- source
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from .model import NAMESPACE, ConfigError, Topology, parse_topology
from .rules import chain_problems


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
    problems += chain_problems(topology) if topology else []
    if problems:
        raise ConfigError("(project)", problems)
    return topology


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "stacks"
    try:
        topology = read_topology()
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    order = topology.promotion_order()
    if command == "stacks":
        print("\n".join(e.name for e in order))
    elif command == "chain":
        for env in order:
            tag = " (production)" if env.production else ""
            print(f"{env.name}: {env.branch} <- {env.promoted_from or '-'}{tag}")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
