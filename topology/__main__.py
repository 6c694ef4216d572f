"""Print facts about the declared topology, for scripts and workflows (no engine needed).

    python -m topology stacks                # stack names in promotion order
    python -m topology stacks --production   # only the production stacks (--non-production: the others)
    python -m topology chain                 # one line per environment: name branch <- source
    python -m topology codeowners            # the CODEOWNERS file: the production reviewers own `*`
    python -m topology codeowners --check    # exit 1 unless the checkout's CODEOWNERS says exactly that
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import codeowners
from .model import ConfigError
from .project import production_reviewers, read_topology


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "stacks"
    try:
        topology = read_topology()
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    order = topology.promotion_order()
    if command == "stacks":
        if "--production" in argv[2:] or "--non-production" in argv[2:]:
            # preview.yml: pull-request code previews with the non-production stacks' keys only (README, "Security").
            order = [e for e in order if e.production == ("--production" in argv[2:])]
        print("\n".join(e.name for e in order))
    elif command == "chain":
        for env in order:
            tag = " (production)" if env.production else ""
            print(f"{env.name}: {env.branch} <- {env.promoted_from or '-'}{tag}")
    elif command == "codeowners":
        try:
            handles = production_reviewers(topology)
        except ConfigError as err:  # a reviewer entry the program refuses owns nothing
            print(err, file=sys.stderr)
            return 2
        return codeowners_command(handles, check="--check" in argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


def codeowners_command(handles: list[str], *, check: bool) -> int:
    if not check:
        print(codeowners.render(handles), end="")
        return 0
    path = codeowners.find(Path("."))
    if path is None:
        print(f"no CODEOWNERS file in {', '.join(codeowners.LOCATIONS)}: generate it with "
              "`python -m topology codeowners > .github/CODEOWNERS` and merge it through a pull request", file=sys.stderr)
        return 1
    found = codeowners.problems(path.read_text(), handles)
    for problem in found:
        print(f"{path}: {problem}", file=sys.stderr)
    return 1 if found else 0


sys.exit(main(sys.argv))
