"""`make demo`: the project's three uses, on a throw-away copy, backend and doubles, in about a minute.

up of every stack -> second preview empty -> audit clean -> a ruleset disabled "in GitHub's UI" (the double's
control API) -> audit: the finding, its class and its fix -> the printed fix, run -> audit clean. Every
command is Pulumi's CLI or `python -m audit`, as a user runs them; nothing outside this machine is touched,
and nothing is left behind (temp tree, ports, threads).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from topology import keys
from topology.project import read_topology

from . import cli
from .doubles import Doubles, advisory_window, started
from .project import copy_project

# The committed demo stack files' own passphrases (README, "Security"): published, refused by an `up` against GitHub.
PASSPHRASES = {"staging": "release-topology-demo-staging", "production": "release-topology-demo-production"}


class Tour:
    def __init__(self, project: Path, env: dict[str, str], doubles: Doubles, policy_config: Path, total: int):
        self.project, self.env, self.doubles, self.policy_config = project, env, doubles, policy_config
        self.total, self.step = total, 0

    def say(self, what: str) -> float:
        self.step += 1
        print(f"[demo {self.step}/{self.total}] {what}", flush=True)
        return time.monotonic()

    def done(self, started_at: float, result: str) -> None:
        print(f"           {result} ({time.monotonic() - started_at:.1f} s)", flush=True)

    def pulumi(self, *args: str) -> subprocess.CompletedProcess:
        result = cli.pulumi(list(args), self.project, self.env)
        if result.returncode not in (0,):
            sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
            raise SystemExit(f"demo: `pulumi {' '.join(args)}` exited {result.returncode}")
        return result

    def with_pack(self, *args: str) -> list[str]:
        return [*args, "--policy-pack", str(self.project / "policy"), "--policy-pack-config", str(self.policy_config)]

    def audit(self, out: Path) -> tuple[int, dict]:
        result = subprocess.run([sys.executable, "-m", "audit", "--root", str(self.project), "--out", str(out), "--quiet"],
                                cwd=self.project, env=self.env, capture_output=True, text=True, timeout=900)
        if result.returncode not in (0, 2):
            sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
            raise SystemExit(f"demo: the audit exited {result.returncode}")
        return result.returncode, json.loads((out / "audit.json").read_text())


def findings(doc: dict) -> list[dict]:
    return [f | {"stack": s["name"]} for s in doc["stacks"] for f in s["findings"] if not f["informational"]]


def printed_command(fix: str) -> list[str]:
    """The first `pulumi ...` command a fix prints, as argv."""
    match = re.search(r"`(pulumi [^`]+)`", fix)
    if not match:
        raise SystemExit(f"demo: the fix prints no pulumi command: {fix}")
    return shlex.split(match.group(1))[1:]


def run_demo() -> int:
    env = dict(os.environ)
    for stack, passphrase in PASSPHRASES.items():
        env.setdefault(keys.passphrase_var(stack), passphrase)
    for knob in ("GITHUB_TOKEN", "VERCEL_API_TOKEN", "GITHUB_BASE_URL", "PULUMI_BACKEND_URL"):
        env.pop(knob, None)  # the demo never reaches anything real
    with tempfile.TemporaryDirectory(prefix="release-topology-demo-") as tmp:
        project = copy_project(Path(tmp) / "project")
        stacks = [e.name for e in read_topology(project / "Pulumi.yaml").environments]
        policy_config, window = advisory_window(Path(tmp))
        (Path(tmp) / "state").mkdir()
        env = cli.base_env(dict(env, PULUMI_BACKEND_URL=f"file://{tmp}/state"))
        with started(project) as doubles:
            env.update({**doubles.env(), **window})
            print(f"demo: a throw-away copy in {tmp}, a file backend beside it, a GitHub double at "
                  f"{doubles.github.base_url} and a Vercel double behind {doubles.vercel.proxy_url}; "
                  "the deploy window is advisory", flush=True)
            tour = Tour(project, env, doubles, policy_config, total=len(stacks) * 2 + 5)
            return walk(tour, stacks, Path(tmp))


def walk(tour: Tour, stacks: list[str], tmp: Path) -> int:
    for stack in stacks:
        at = tour.say(f"pulumi up --stack {stack}")
        cli.ensure_stack(stack, tour.project, tour.env)
        before = len(tour.doubles.calls())
        tour.pulumi(*tour.with_pack("up", "--yes", "--skip-preview", "--stack", stack))
        tour.done(at, f"{len(tour.doubles.calls()) - before} REST calls to the GitHub and Vercel doubles")
    for stack in stacks:
        at = tour.say(f"pulumi preview --expect-no-changes --stack {stack}")
        tour.pulumi(*tour.with_pack("preview", "--expect-no-changes", "--stack", stack))
        tour.done(at, "no changes")

    at = tour.say("make audit (every stack, reading only)")
    code, doc = tour.audit(tmp / "audit-1")
    tour.done(at, f"exit {code}: {doc['summary']['stacks']}")
    if code != 0:
        raise SystemExit("demo: a fresh deployment should audit clean")

    production = next((s for s in stacks if s == "production"), stacks[-1])
    gate = f"{production}-branch-gate"
    at = tour.say(f"someone disables the ruleset '{gate}' in GitHub's UI (the double's control API)")
    ruleset = tour.doubles.github.store.state()["rulesets"][gate]
    tour.doubles.github.store.disable_ruleset(ruleset["id"])
    tour.done(at, f"ruleset {ruleset['id']} enforcement: disabled")

    at = tour.say("make audit again")
    code, doc = tour.audit(tmp / "audit-2")
    found = findings(doc)
    tour.done(at, f"exit {code}: {len(found)} finding(s)")
    for f in found:
        print(f"           - {f['stack']}: {f['class']} on {f['resource']['name']}: {f['summary']}")
        print(f"             fix: {f['fix']}")
    if code != 2 or not found:
        raise SystemExit("demo: the audit should have found the disabled ruleset")

    fix = printed_command(found[0]["fix"])
    # Run as printed, plus what a non-interactive run needs (--yes) and the demo's pack settings.
    at = tour.say(f"the printed fix: pulumi {shlex.join(fix)}")
    tour.pulumi(*tour.with_pack(*fix, "--yes", "--skip-preview"))
    enforcement = tour.doubles.github.store.state()["rulesets"][gate]["enforcement"]
    tour.done(at, f"ruleset enforcement: {enforcement}")

    at = tour.say("make audit once more")
    code, doc = tour.audit(tmp / "audit-3")
    tour.done(at, f"exit {code}: {doc['summary']['stacks']}")
    print("demo: done; the copy, its backend and the doubles are gone" if code == 0 else "demo: the fix did not clear it")
    return code
