"""Benchmark: evaluating the program under mocks, per stack and per resource.

    make bench            (or: .venv/bin/python -m bench.bench_program [--repeat 3])

Topologies of 2, 4, 8 and 16 environments with 10 and 50 catalogue entries; every stack of each
topology is evaluated from generated Pulumi.yaml / stack files. Prints figures (median of
--repeat runs) and the default topology's production stack; nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import yaml

from topology.model import Kind
from topology.offline import ROOT, run_program, stack_inputs
from topology.project import placeholder_config
from topology.rules import stripe_sample

KINDS = [kind.value for kind in Kind]


def value_for(kind: str, production: bool) -> str:
    if Kind(kind) is Kind.SUPABASE_URL:
        return "https://bench.supabase.co"
    return stripe_sample(Kind(kind), production, "bench") or "bench-value"


def write_project(root: Path, environments: int, entries: int) -> list[tuple[str, dict, dict]]:
    """Generate a topology; return (stack, secrets, variables) for each environment."""
    envs = []
    for i in range(environments):
        production = i == environments - 1
        name = "production" if production else f"env{i}"
        envs.append({"name": name, "branch": "main" if production else f"stage-{i}",
                     "promotedFrom": envs[-1]["name"] if envs else "feature/*", "production": production})
    catalogue = [{"name": f"VAR_{j}", "kind": KINDS[j % len(KINDS)], "to": ["github", "vercel"]} for j in range(entries)]
    (root / "Pulumi.yaml").write_text(yaml.safe_dump({
        "name": "release-topology", "runtime": "python",
        "config": {"repository": {"value": "bench/app"}, "environments": {"value": envs},
                   "statusChecks": {"value": ["ci/test"]}, "catalogue": {"value": catalogue},
                   # Enterprise: every environment keeps its reviewers (the largest stacks).
                   "githubPlan": {"value": "enterprise"}, "repositoryVisibility": {"value": "private"},
                   "vercelPlan": {"value": "pro"}},
    }))
    stacks = []
    for env in envs:
        production = env["production"]
        secrets, variables = {}, {}
        for entry in catalogue:
            kind = entry["kind"]
            if kind == "generated":
                continue
            target = variables if kind in ("stripe-publishable-key", "supabase-url", "variable") else secrets
            target[entry["name"]] = value_for(kind, production)
        (root / f"Pulumi.{env['name']}.yaml").write_text(yaml.safe_dump({"config": {
            "release-topology:reviewers": [{"handle": "cto", "id": 1}],
            "release-topology:vercelProject": f"app-{env['name']}",
            "release-topology:domain": f"{env['name']}.bench.app",
        }}))
        stacks.append((env["name"], secrets, variables))
    return stacks


# An update of production is judged against the deploy window: time it inside (a Tuesday noon UTC).
IN_WINDOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.timezone.utc)


def time_stack(stack: str, config: dict, secret_keys: set, repeat: int) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        run = run_program(stack, config, secret_keys, main=ROOT / "__main__.py", now=IN_WINDOW)
        times.append(time.perf_counter() - start)
        count = len(run.registrations)
    return statistics.median(times), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    print(f"{'envs':>4} {'entries':>7} {'stacks':>6} {'resources/stack':>15} {'ms/stack':>9} {'ms/resource':>11} {'total s':>8}")
    for environments in (2, 4, 8, 16):
        for entries in (10, 50):
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp)
                stacks = write_project(root, environments, entries)
                results = [time_stack(s, *stack_inputs(s, secrets=sec, variables=var, root=root), args.repeat)
                           for s, sec, var in stacks]
            total = sum(t for t, _ in results)
            resources = sum(n for _, n in results)
            print(f"{environments:>4} {entries:>7} {len(stacks):>6} {resources / len(stacks):>15.1f} "
                  f"{1000 * total / len(stacks):>9.1f} {1000 * total / resources:>11.3f} {total:>8.2f}")

    # The default topology's production stack, from the repository's own files (secrets: the offline
    # check's placeholders).
    config, secret_keys, _ = placeholder_config("production", ROOT)
    seconds, count = time_stack("production", config, secret_keys, args.repeat)
    tracemalloc.start()
    time_stack("production", config, secret_keys, 1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"\ndefault topology, production stack: {count} resources, {seconds * 1000:.1f} ms "
          f"(median of {args.repeat}); Python heap peak {peak / 1e6:.1f} MB (tracemalloc, separate run)")


if __name__ == "__main__":
    main()
