"""Benchmark of the drift audit: all stacks in parallel against the slowest single stack; REST calls.

    .venv/bin/python bench/bench_audit.py [--repeat 5]     (needs `make engine`; prints figures, asserts nothing)

Both stacks are deployed (real engine, real github/random/vercel plugins) against the local GitHub and Vercel doubles,
then `python -m audit` runs as `make audit` does: each stack alone, then all stacks at once, median of
--repeat runs each. Target: all stacks <= 1.2x the slowest single stack. REST calls per audit: the
audit's own list calls (its report says how many), and every GitHub request the audit caused (the
providers' reads during the refreshed preview included), from the double's request log.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rehearsal.doubles import started
from rehearsal.project import ROOT, copy_project
from topology import keys


# Each stack's own passphrase (README, "Security"): PULUMI_CONFIG_PASSPHRASE_<STACK>, by default the demo files' own.
DEMO_PASSPHRASES = {"staging": "release-topology-demo-staging", "production": "release-topology-demo-production"}


def deploy(project: Path, env: dict[str, str], stack: str) -> None:
    env = keys.stack_env(stack, env)  # its own passphrase only
    subprocess.run(["pulumi", "stack", "init", stack], cwd=project, env=env, capture_output=True, check=True)
    result = subprocess.run(["pulumi", "up", "--yes", "--skip-preview", "--stack", stack], cwd=project, env=env,
                            capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise SystemExit(f"up {stack} failed:\n{(result.stdout + result.stderr)[-3000:]}")


def audit(project: Path, env: dict[str, str], out: Path, stacks: list[str]) -> tuple[float, float, dict]:
    """Wall seconds, CPU seconds (the audit and every process it started) and the report."""
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "audit", "--root", str(project), "--out", str(out), "--quiet",
                             "--stacks", ",".join(stacks)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 2):
        raise SystemExit(f"audit {stacks} exited {result.returncode}:\n{result.stderr[-3000:]}")
    used = (after.ru_utime + after.ru_stime) - (cpu.ru_utime + cpu.ru_stime)
    return seconds, used, json.loads((out / "audit.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    stacks = ["staging", "production"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RELEASE_", "PULUMI_BACKEND"))}
    env.update({keys.passphrase_var(s): os.environ.get(keys.passphrase_var(s)) or p for s, p in DEMO_PASSPHRASES.items()})
    env.update(               PULUMI_SKIP_UPDATE_CHECK="true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
)
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        with started(project) as doubles:
            double = doubles.github
            # The deploy window judges real production updates; a benchmark runs any day.
            env.update(doubles.env(), PULUMI_BACKEND_URL=f"file://{tmp}/state", RELEASE_DEPLOY_WINDOW="advisory")
            Path(tmp, "state").mkdir()
            for stack in stacks:
                deploy(project, env, stack)
            audit(project, env, Path(tmp) / "warm", stacks)  # warm-up: bytecode and plugin caches
            load_before = os.getloadavg()[0]
            times: dict[str, list[float]] = {"staging": [], "production": [], "all": []}
            cpu: dict[str, list[float]] = {"staging": [], "production": [], "all": []}
            calls: dict[str, tuple[int, int]] = {}
            for _ in range(args.repeat):
                for label, which in (("staging", ["staging"]), ("production", ["production"]), ("all", stacks)):
                    double.store.clear_log()
                    doubles.vercel.clear_log()
                    seconds, used, doc = audit(project, env, Path(tmp) / label, which)
                    times[label].append(seconds)
                    cpu[label].append(used)
                    github_requests = [r for r in double.store.requests() if not r["path"].startswith("/_double")]
                    vercel_requests = [r for r in doubles.vercel.requests() if not r["path"].startswith("/_double")]
                    calls[label] = (doc["run"]["rest_calls"]["github"] + doc["run"]["rest_calls"]["vercel"],
                                    len(github_requests), len(vercel_requests))
            load_after = os.getloadavg()[0]
    single = {s: statistics.median(times[s]) for s in stacks}
    slowest = max(single.values())
    together = statistics.median(times["all"])
    print(f"drift audit, real engine + github/random/vercel plugins against the GitHub and Vercel doubles, "
          f"{os.cpu_count()} cores, load average {load_before:.1f} -> {load_after:.1f} (median of {args.repeat}; "
          "wall time of `python -m audit`, policy pack on)")
    for s in stacks:
        print(f"  {s:<11} alone       {single[s]:6.2f} s wall {statistics.median(cpu[s]):5.2f} s CPU   "
              f"REST: audit {calls[s][0]:3d} list calls, {calls[s][1]:3d} GitHub + {calls[s][2]:3d} Vercel requests "
              "in all (providers' reads included)")
    print(f"  all stacks  in parallel {together:6.2f} s wall {statistics.median(cpu['all']):5.2f} s CPU   "
          f"REST: audit {calls['all'][0]:3d} list calls, {calls['all'][1]:3d} GitHub + {calls['all'][2]:3d} Vercel requests")
    print(f"  ratio all / slowest single = {together / slowest:.2f} (target <= 1.2); "
          f"sequential would be {sum(single.values()) / slowest:.2f}; "
          f"CPU of all stacks spread over {os.cpu_count()} cores alone needs "
          f"{statistics.median(cpu['all']) / (os.cpu_count() or 1) / slowest:.2f}")


if __name__ == "__main__":
    main()
