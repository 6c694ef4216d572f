"""Print facts about the declared topology, for scripts and workflows (no engine needed).

    python -m components.topology stacks     # stack names in promotion order
    python -m components.topology chain      # one line per environment: name branch <- source
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from .model import NAMESPACE, ConfigError, Topology, parse_topology
from .rules import chain_problems


def read_topology(project_file: Path = Path("Pulumi.yaml")) -> Topology:
    """The topology declared in Pulumi.yaml's project-level config."""
    doc = yaml.safe_load(project_file.read_text()) or {}
    raw = {}
    for key, spec in (doc.get("config") or {}).items():
        namespace, _, short = key.rpartition(":")
        if namespace in ("", NAMESPACE):
            raw[short] = spec["value"] if isinstance(spec, dict) and "value" in spec else spec
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
