"""The offline release-policy check: no engine, no credentials (pull requests from forks).

    python -m policy.check --stack staging [--policy-config FILE] [--now 2026-11-23T10:00:00+01:00]

Evaluates the program for the stack under mocks from its real files, runs every rule of the
policy pack on what was registered, prints one row per violation and exits 1 on a mandatory one
(2 on a configuration error). Encrypted secrets cannot be read without the passphrase: they are
replaced by placeholders of the right mode, so value checks of secrets run only in the pack.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from topology import keys
from topology.model import ConfigError
from topology.offline import ROOT, run_program
from topology.project import placeholder_config
from .model import MANDATORY, Resource, Violation
from .rules import RULES, evaluate_configured


def to_resources(registrations) -> list[Resource]:
    return [
        Resource(r.type, r.name, r.inputs, r.urn, tuple(r.dependencies))
        for r in registrations
        if r.custom
    ]


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def report(violations: list[Violation]) -> str:
    fixes = {rule.name: rule.fix for rule in RULES}
    rows = [[v.level, v.rule, v.resource, v.message, fixes.get(v.rule, "")] for v in violations]
    return table(rows, ["LEVEL", "RULE", "RESOURCE", "PROBLEM", "HOW TO FIX"])


def run_check(stack: str, *, root: Path = ROOT, policy_config: dict | None = None,
              now: dt.datetime | None = None, environ=os.environ) -> tuple[int, str]:
    """(exit code, printed report) of the offline check of one stack."""
    try:
        config, secret_keys, replaced = placeholder_config(stack, root)
        run = run_program(stack, config, secret_keys, preview=True, main=root / "__main__.py")
    except ConfigError as error:
        rows = [["mandatory", "config", p.key, p.message, p.fix] for p in error.problems]
        return 2, f"{error.args[0].splitlines()[0]}\n\n" + table(rows, ["LEVEL", "RULE", "KEY", "PROBLEM", "HOW TO FIX"])
    resources = to_resources(run.registrations)
    violations, errors = evaluate_configured(resources, root, stack, policy_config or {}, dry_run=True,
                                             environ=environ, now=now)
    if errors:
        return 2, "invalid policy config:\n" + "\n".join(f"  - {e}" for e in errors)
    mandatory = [v for v in violations if v.level == MANDATORY]
    lines = [f"offline check of stack '{stack}': {len(resources)} resources, {len(RULES)} rules, "
             f"{len(mandatory)} mandatory and {len(violations) - len(mandatory)} advisory violations"]
    if replaced:
        lines.append(f"note: {len(replaced)} encrypted secrets were not decrypted; their values are checked by "
                     "the policy pack during `pulumi preview --policy-pack policy`")
    if violations:
        lines += ["", report(violations)]
    # A production stack sharing its secrets key is refused by the program itself (a config error above); a stack
    # under a published demo passphrase is a warning here, as an `up` against GitHub refuses it (topology/keys.py).
    lines += keys.check_warnings(stack, root, environ)
    return (1 if mandatory else 0), "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m policy.check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="the stack (= environment) to check")
    parser.add_argument("--policy-config", type=Path, help="the JSON file given to pulumi's --policy-pack-config")
    parser.add_argument("--now", help="ISO time to judge the deploy window at (default: now)")
    args = parser.parse_args(argv)
    policy_config = json.loads(args.policy_config.read_text()) if args.policy_config else {}
    now = dt.datetime.fromisoformat(args.now) if args.now else None
    code, text = run_check(args.stack, policy_config=policy_config, now=now)
    print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
