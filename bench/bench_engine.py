"""Benchmark: the real engine and the github, random and vercel plugins against the local doubles.

    make bench-engine      (needs `make engine`; prints figures, asserts nothing)

Per stack, in one run, on a file backend in a temp dir, through `pulumi` (the CLI and its language
host), without the policy pack, every resource (GitHub, random, Vercel) through its real provider:
- preview of the stack against the preview of an empty program (the engine's fixed cost): ratio;
- `up` with the provider's own write delay (1 s between writes, what GitHub asks for) against its
  floor: GitHub writes x the delay, plus engine start (the empty program's preview);
- REST calls per resource for that `up`, for a no-op preview and for a refreshed preview.
Targets: preview <= 1.5x the empty program; `up` <= 1.2x the floor plus engine start; refresh <= one
GET per resource plus Configure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from rehearsal.doubles import Doubles, started
from rehearsal.project import copy_project
from topology import keys

EMPTY = "import pulumi\npulumi.export('ok', True)\n"
WRITE_DELAY_S = 1.0  # the github provider's default write_delay_ms


# Each stack's own passphrase (README, "Security"): PULUMI_CONFIG_PASSPHRASE_<STACK>, by default the demo files' own.
DEMO_PASSPHRASES = {"staging": "release-topology-demo-staging", "production": "release-topology-demo-production"}


def run(project: Path, env: dict[str, str], *args: str) -> tuple[float, str]:
    if args[0] == "up":
        args = (*args, "--skip-preview")
    start = time.perf_counter()
    result = subprocess.run(["pulumi", *args], cwd=project, env=keys.stack_env(keys.stack_of(args), env),
                            capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"`{' '.join(args)}` failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return seconds, result.stdout


def calls(doubles: Doubles) -> list[dict]:
    """GitHub's and Vercel's REST calls, in that order."""
    return [r for r in doubles.github.store.requests() + doubles.vercel.requests() if not r["path"].startswith("/_double")]


def clear(doubles: Doubles) -> None:
    doubles.github.store.clear_log()
    doubles.vercel.clear_log()


def resource_count(project: Path, env: dict[str, str], stack: str) -> int:
    """Provider resources in state (components and the stack are no API objects)."""
    out = subprocess.run(["pulumi", "stack", "export", "--stack", stack], cwd=project, env=keys.stack_env(stack, env), capture_output=True,
                         text=True, check=True).stdout
    return sum(1 for r in json.loads(out)["deployment"]["resources"]
               if r.get("custom") and not r["type"].startswith("pulumi:providers:"))


def bench_stack(tmp: Path, stack: str, repeat: int, base_env: dict[str, str]) -> dict:
    ours = copy_project(tmp / f"{stack}-ours")
    empty = copy_project(tmp / f"{stack}-empty", EMPTY)
    with started(ours) as doubles:
        # GitHub's own pacing (1 s between writes) for the `up`: the floor below counts it.
        # The deploy window judges real production updates; a benchmark runs any day.
        env = {**base_env, **doubles.env(), "RELEASE_GITHUB_WRITE_DELAY_MS": str(int(WRITE_DELAY_S * 1000)),
               "RELEASE_DEPLOY_WINDOW": "advisory", "PULUMI_BACKEND_URL": f"file://{tmp / f'{stack}-state'}"}
        Path(env["PULUMI_BACKEND_URL"][7:]).mkdir()
        run(ours, env, "stack", "select", "--create", stack)
        run(ours, env, "preview", "--stack", stack)  # warm-up: bytecode caches
        run(empty, env, "preview", "--stack", stack)
        ours_t, empty_t = [], []
        for _ in range(repeat):
            empty_t.append(run(empty, env, "preview", "--stack", stack)[0])
            ours_t.append(run(ours, env, "preview", "--stack", stack)[0])
        clear(doubles)
        up_s, _ = run(ours, env, "up", "--yes", "--stack", stack)
        up_calls = calls(doubles)
        writes = [c for c in doubles.github.store.requests() if c["method"] != "GET"]
        resources = resource_count(ours, env, stack)
        clear(doubles)
        run(ours, env, "preview", "--stack", stack)
        noop_calls = calls(doubles)
        clear(doubles)
        run(ours, env, "preview", "--refresh", "--stack", stack)
        refresh_calls = calls(doubles)
    engine_start = statistics.median(empty_t)
    return dict(stack=stack, preview=statistics.median(ours_t), empty=engine_start, up=up_s,
                floor=len(writes) * WRITE_DELAY_S, engine_start=engine_start, resources=resources,
                up_calls=len(up_calls), writes=len(writes), noop_calls=len(noop_calls),
                refresh_calls=len(refresh_calls), refresh_gets=sum(c["method"] == "GET" for c in refresh_calls))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--stacks", default="staging,production")
    args = parser.parse_args()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RELEASE_"))}
    base_env.update({keys.passphrase_var(s): os.environ.get(keys.passphrase_var(s)) or p for s, p in DEMO_PASSPHRASES.items()})
    base_env.update(                    PULUMI_SKIP_UPDATE_CHECK="true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true")
    with tempfile.TemporaryDirectory() as tmp:
        rows = [bench_stack(Path(tmp), stack, args.repeat, base_env) for stack in args.stacks.split(",")]
    print(f"real engine + github/random/vercel plugins built from upstream, against the GitHub and Vercel doubles "
          f"(median of {args.repeat} previews; one up; no policy pack)")
    print(f"{'stack':<11} {'preview s':>9} {'empty s':>7} {'ratio':>5} | {'up s':>6} {'floor+start s':>13} {'ratio':>5} | "
          f"{'res':>3} {'writes':>6} {'calls/res up':>12} {'no-op':>5} {'refresh GETs/res':>16}")
    for r in rows:
        floor = r["floor"] + r["engine_start"]
        print(f"{r['stack']:<11} {r['preview']:>9.2f} {r['empty']:>7.2f} {r['preview'] / r['empty']:>5.2f} | "
              f"{r['up']:>6.1f} {floor:>13.1f} {r['up'] / floor:>5.2f} | {r['resources']:>3} {r['writes']:>6} "
              f"{r['up_calls'] / r['resources']:>12.2f} {r['noop_calls']:>5} "
              f"{r['refresh_gets'] / r['resources']:>16.2f}  (refresh calls {r['refresh_calls']}, incl. Configure)")
    print("floor: GitHub writes x 1 s (GitHub's pacing; Vercel has none) + engine start; calls are GitHub's and Vercel's")
    print("targets: preview ratio <= 1.5; up ratio <= 1.2; refresh <= 1 GET per resource + Configure")


if __name__ == "__main__":
    main()
