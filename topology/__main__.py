"""Print facts about the declared topology, for scripts and workflows (no engine needed).

    python -m topology stacks     # stack names in promotion order
    python -m topology chain      # one line per environment: name branch <- source
"""

from __future__ import annotations

import sys

from .model import ConfigError
from .project import read_topology


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


sys.exit(main(sys.argv))
