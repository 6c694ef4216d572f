"""Run the real engine on this project's program: preview, up or a rehearsal of one stack.

    python scripts/pulumi_run.py preview --stack staging [--policy-pack policy] [--policy-pack-config F]
    python scripts/pulumi_run.py up --stack production --yes
    python scripts/pulumi_run.py rehearse --stack production   # full `up` against a fresh local double

Without GITHUB_TOKEN, preview runs against a local GitHub double (doubles/github) instead of GitHub;
`rehearse` always does, on a fresh backend, and prints the REST calls the `up` made (method, path).
Where the Vercel plugin is missing (this offline machine), runs against the double leave the Vercel
target out and say so in one line.

Drives `__main__.py` through the Automation API (an inline program that runs the file), because
the Python language host binary cannot be built here (docs/engine.md); with an official Pulumi
install, `pulumi preview --policy-pack policy --stack staging` does the same. State goes to
$PULUMI_BACKEND_URL, default a file backend in .state/ (gitignored). Exits with the CLI's code.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import runpy
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the project's packages: topology (the declared plan), doubles
DEFAULT_BACKEND = f"file://{ROOT / '.state'}"


PROJECT_FILES = ("Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.production.yaml", "__main__.py", "constraints.txt")
PROJECT_FOLDERS = ("components", "topology", "policy", "doubles", "scripts")


def copy_project(dest: Path, main: str | None = None) -> Path:
    """A runnable copy of the project that shares this checkout's .venv (tests, benchmarks).

    `main` replaces the program, e.g. by one without provider resources.
    """
    dest.mkdir(parents=True)
    for name in PROJECT_FILES:
        shutil.copy(ROOT / name, dest / name)
    for folder in PROJECT_FOLDERS:
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (dest / ".venv").symlink_to(ROOT / ".venv")
    if main is not None:
        (dest / "__main__.py").write_text(main)
    return dest


def program() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")


def environment() -> dict[str, str]:
    passphrase = os.environ.get("PULUMI_CONFIG_PASSPHRASE")
    if not passphrase and not os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
        # Pulumi accepts an empty passphrase (pulumi/pulumi#9568): secrets would be as good as clear.
        sys.exit("error: set PULUMI_CONFIG_PASSPHRASE (non-empty) to the stack's secrets passphrase")
    backend = os.environ.get("PULUMI_BACKEND_URL", DEFAULT_BACKEND)
    if backend.startswith("file://"):
        Path(backend[len("file://"):]).mkdir(parents=True, exist_ok=True)
    return {
        "PULUMI_BACKEND_URL": backend,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_RUNTIME_VIRTUALENV": os.environ.get("PULUMI_RUNTIME_VIRTUALENV", str(ROOT / ".venv")),
    }


def explain(text: str) -> str | None:
    """A hint for failures whose cause is the machine, not the program."""
    missing = re.search(r"no resource plugin '(pulumi-resource-[a-z-]+)'", text)
    if missing:
        return (f"hint: the provider plugin {missing.group(1)} is not installed. `make engine` installs it where it "
                "can be obtained (offline it builds github and random from their upstream modules; vercel cannot be "
                "had: docs/engine.md). Without GITHUB_TOKEN, runs against the local double leave the Vercel target "
                "out. The program itself got past config validation.")
    return None


def plugin_installed(name: str, version: str) -> bool:
    """A resource plugin in Pulumi's plugin cache (where `make engine` or the CLI puts it)."""
    plugins = Path(os.environ.get("PULUMI_HOME", Path.home() / ".pulumi")) / "plugins"
    return (plugins / f"resource-{name}-v{version}").is_dir() and not (plugins / f"resource-{name}-v{version}.partial").exists()


def pinned(package: str) -> str:
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.startswith(f"{package}=="):
            return line.split("==", 1)[1].split("#")[0].strip()
    raise SystemExit(f"error: {package} is not pinned in constraints.txt")


@contextlib.contextmanager
def github_endpoint(command: str, stack: str):
    """Where GitHub writes go: GitHub itself with a GITHUB_TOKEN, else a fresh local double.

    Yields the double (None for GitHub). The program runs in this process (inline), so its knobs
    are set in os.environ; the CLI and the provider plugins inherit them.
    """
    if command != "rehearse" and os.environ.get("GITHUB_TOKEN"):
        yield None
        return
    if command == "up":
        # An `up` records what it made in the stack's state: never let it be the double's.
        raise SystemExit("error: `up` writes to GitHub and needs GITHUB_TOKEN; to see what it would do without "
                         "touching GitHub or the stack's state, run `make rehearse STACK=" + stack + "`")
    from doubles.github import GitHubDouble
    from topology.project import read_topology

    topology = read_topology(ROOT / "Pulumi.yaml")
    with GitHubDouble(**double_settings(topology, stack)) as double:
        os.environ.update(
            GITHUB_BASE_URL=double.base_url,
            GITHUB_TOKEN="local-double-token",
            RELEASE_GITHUB_WRITE_DELAY_MS="0",
        )
        why = "a rehearsal" if command == "rehearse" else "no GITHUB_TOKEN"
        print(f"github: {why}: the real github provider talks to a local GitHub double at {double.base_url} "
              f"(plan {double.store.plan}, {double.store.visibility} repository); nothing reaches GitHub", flush=True)
        yield double


def double_settings(topology, stack: str) -> dict:
    """The double as the topology declares GitHub: its plan, visibility, owner and repository, and
    the stack's declared reviewers as existing accounts (GitHub refuses unknown reviewer ids)."""
    from topology.model import NAMESPACE, decode
    from topology.project import stack_config

    values, _secure = stack_config(stack, ROOT)
    reviewers = decode(values.get(f"{NAMESPACE}:reviewers")) or []
    users = {r["handle"]: int(r["id"]) for r in reviewers if isinstance(r, dict) and "id" in r}
    plans = topology.plans
    return dict(owner=topology.owner, repo=topology.repository, users=users,
                plan=plans.github.value, visibility=plans.visibility.value,
                owner_type="User" if plans.account.value == "personal" else "Organization")


def leave_out_vercel_if_missing(double) -> None:
    """The Vercel plugin cannot be had on this machine: against the double, say so in one line."""
    version = pinned("pulumiverse-vercel")
    if plugin_installed("vercel", version):
        return
    if double is None:
        return  # against GitHub the engine's own error and explain()'s hint say it
    os.environ["RELEASE_WITHOUT_VERCEL"] = "1"
    print(f"vercel: the plugin pulumi-resource-vercel v{version} is not installed here (docs/engine.md): "
          "the Vercel target is left out; GitHub and random resources go through their real providers", flush=True)


def print_rest_calls(double) -> None:
    calls = [entry for entry in double.store.requests() if not entry["path"].startswith("/_double")]
    print(f"\nREST calls this `up` made to GitHub ({len(calls)}; method and path, no values):")
    for entry in calls:
        print(f"  {entry['status']}  {entry['method']:6} {entry['path']}")


def main(argv: list[str] | None = None) -> int:
    from pulumi import automation as auto

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["preview", "up", "rehearse"])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--policy-pack", default=str(ROOT / "policy"), help="'' to run without the pack")
    parser.add_argument("--policy-pack-config")
    parser.add_argument("--yes", action="store_true", help="required for up")
    parser.add_argument("--refresh", action="store_true")
    parser.add_argument("--expect-no-changes", action="store_true")
    parser.add_argument("--replace", action="append", metavar="URN", help="replace this resource (repeatable)")
    args = parser.parse_args(argv)
    if args.command == "up" and not args.yes:
        parser.error("up changes real resources: pass --yes")

    env_vars = environment()
    policy_config = args.policy_pack_config
    with contextlib.ExitStack() as cleanup:
        if args.command == "rehearse":
            # A fresh backend too: a rehearsal never touches the stack's real state.
            backend = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="rehearsal-")))
            env_vars["PULUMI_BACKEND_URL"] = f"file://{backend}"
            if not policy_config:
                # The deploy window judges the real `up`, not a rehearsal of it: warn, never block.
                policy_config = str(backend / "policy-config.json")
                Path(policy_config).write_text('{"deploy-window": "advisory"}')
        double = cleanup.enter_context(github_endpoint(args.command, args.stack))
        leave_out_vercel_if_missing(double)

        workspace = auto.LocalWorkspace(work_dir=str(ROOT), program=program, env_vars=env_vars)
        stack = auto.Stack.create_or_select(args.stack, workspace)
        options = dict(
            on_output=lambda line: print(line, end="" if line.endswith("\n") else "\n", flush=True),
            policy_packs=[args.policy_pack] if args.policy_pack else None,
            policy_pack_configs=[policy_config] if policy_config else None,
            refresh=args.refresh or None,
            expect_no_changes=args.expect_no_changes or None,
            replace=args.replace,
            color="never",
        )
        try:
            if args.command == "preview":
                stack.preview(**options)
            else:
                stack.up(**options)
        except auto.errors.CommandError as error:
            return report_failure(error)
        finally:
            if args.command == "rehearse":
                print_rest_calls(double)
    return 0


def report_failure(error) -> int:
    """stdout was already streamed by on_output: add stderr, the exit code and a hint."""
    text = str(error)
    code_match = re.search(r"^ code: (-?\d+)", text, re.M)
    stderr = text.split("\n stderr: ", 1)[-1].strip() if "\n stderr: " in text else ""
    if stderr:
        print(stderr, file=sys.stderr)
    hint = explain(text)
    if hint:
        print(hint, file=sys.stderr)
    code = int(code_match.group(1)) if code_match else 1
    return code or 1


if __name__ == "__main__":
    sys.exit(main())
