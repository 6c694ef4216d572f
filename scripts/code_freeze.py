"""The code-freeze status check (issue 18): mbayar S1 "Code Freeze".

    python scripts/code_freeze.py [--now 2026-12-20T10:00:00+01:00] [--emergency-reason TEXT]

Exit 1 during a `codeFreeze` period of Pulumi.yaml (judged by topology/seed_rules.py, the same rule that refuses
production's `up`), 0 otherwise or for an emergency with a reason. `.github/workflows/code-freeze.yml` runs it on
every pull request into the production branch as the check `release/code-freeze`, which production's branch
ruleset requires once `codeFreeze` is declared: during a freeze, merges into the production branch are refused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python scripts/code_freeze.py` without the editable install
    sys.path.insert(0, str(ROOT))

from topology.project import read_topology  # noqa: E402
from topology.seed_rules import freeze_violation  # noqa: E402


def check(now: dt.datetime, emergency_reason: str = "", *, root: Path = ROOT, out=print) -> int:
    topology = read_topology(root / "Pulumi.yaml")
    production = next(e for e in topology.environments if e.production)
    refused = freeze_violation(production.name, now, topology)
    if refused is None:
        out(f"no code freeze now: merges into '{production.branch}' may proceed")
        return 0
    if emergency_reason.strip():
        out(f"::warning title=Code freeze: emergency::{refused}; merged as an emergency: {emergency_reason.strip()}")
        return 0
    out(f"::error title=Code freeze::{refused}: merges into '{production.branch}' wait for its end (an emergency: "
        "label the pull request `emergency` and give the reason in its body as `Emergency: ...`)")
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/code_freeze.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--now", help="ISO time (default: now)")
    parser.add_argument("--emergency-reason", default="")
    args = parser.parse_args(argv)
    now = dt.datetime.fromisoformat(args.now) if args.now else dt.datetime.now(dt.timezone.utc)
    return check(now, args.emergency_reason)


if __name__ == "__main__":
    sys.exit(main())
