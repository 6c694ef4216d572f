"""`make preview`, `make rehearse` and `make demo`: Pulumi's CLI on this project, against the local doubles
when there is no token.

    python -m rehearsal preview --stack staging [-- more pulumi preview flags]
    python -m rehearsal rehearse --stack production
    python -m rehearsal demo

preview   `pulumi preview --stack S --policy-pack policy` on the configured backend (default .state/). With
          GITHUB_TOKEN and VERCEL_API_TOKEN it talks to GitHub and Vercel; with neither, to a local GitHub double
          and a local Vercel double answering as the declared plans do (nothing leaves this machine).
rehearse  a full `pulumi up` of one stack on a fresh backend against fresh doubles, then every REST call it made
          (status, method, path: never a value). The deploy window is advisory: it judges the real `up`.
demo      the tour: `up` of every stack, an empty second preview, a clean audit, one change made "by hand" in
          the GitHub double, the audit's finding and its fix, the fix applied, a clean audit; all on a
          throw-away copy and backend, cleaned up after.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from . import cli
from .demo import run_demo
from .doubles import advisory_window, started
from .project import ROOT


def preview(stack: str, extra: list[str]) -> int:
    env = cli.base_env(os.environ)
    tokens = [name for name in ("GITHUB_TOKEN", "VERCEL_API_TOKEN") if env.get(name)]
    args = ["preview", "--stack", stack, "--policy-pack", str(ROOT / "policy"), *extra]
    if len(tokens) == 2:
        cli.ensure_stack(stack, ROOT, env)
        return cli.pulumi(args, ROOT, env, stream=True).returncode
    if tokens:
        missing = {"GITHUB_TOKEN", "VERCEL_API_TOKEN"} - set(tokens)
        raise SystemExit(f"error: {tokens[0]} is set but {missing.pop()} is not: set both to preview against GitHub "
                         "and Vercel, or neither to preview against the local doubles")
    with started(ROOT) as doubles:
        env.update(doubles.env())
        print(f"github: no GITHUB_TOKEN: the real github provider talks to a local GitHub double at "
              f"{doubles.github.base_url} (plan {doubles.github.store.plan}, {doubles.github.store.visibility} "
              "repository); nothing reaches GitHub", flush=True)
        print(f"vercel: no VERCEL_API_TOKEN: the real vercel provider reaches a local Vercel double through "
              f"{doubles.vercel.proxy_url} (plan {doubles.vercel.store.plan}); nothing reaches Vercel", flush=True)
        cli.ensure_stack(stack, ROOT, env)
        return cli.pulumi(args, ROOT, env, stream=True).returncode


def rehearse(stack: str) -> int:
    env = cli.base_env(os.environ)
    with tempfile.TemporaryDirectory(prefix="rehearsal-") as tmp, started(ROOT) as doubles:
        backend = Path(tmp) / "state"
        backend.mkdir()
        policy_config, window = advisory_window(Path(tmp))
        env.update({**doubles.env(), **window, "PULUMI_BACKEND_URL": f"file://{backend}"})
        print(f"github+vercel: a rehearsal: the real providers talk to fresh local doubles ({doubles.github.base_url}, "
              f"{doubles.vercel.proxy_url}) and a fresh backend; nothing reaches GitHub or Vercel, the stack's own "
              "state is untouched", flush=True)
        cli.ensure_stack(stack, ROOT, env)
        code = cli.pulumi(["up", "--yes", "--stack", stack, "--policy-pack", str(ROOT / "policy"),
                           "--policy-pack-config", str(policy_config)], ROOT, env, stream=True).returncode
        calls = doubles.calls()
        print(f"\nREST calls this `up` made ({len(calls)}; status, method and path, no values):")
        for line in calls:
            print(f"  {line}")
        return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rehearsal", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("preview", help="pulumi preview of a stack (local doubles without tokens)")
    p.add_argument("--stack", required=True)
    p.add_argument("extra", nargs="*", help="more `pulumi preview` flags, after --")
    r = sub.add_parser("rehearse", help="a full up against fresh doubles on a fresh backend")
    r.add_argument("--stack", required=True)
    sub.add_parser("demo", help="the tour: up, preview, audit, a change by hand, its fix, audit again")
    args = parser.parse_args(argv)
    if args.command == "preview":
        return preview(args.stack, args.extra)
    if args.command == "rehearse":
        return rehearse(args.stack)
    return run_demo()


if __name__ == "__main__":
    sys.exit(main())
