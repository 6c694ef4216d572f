"""Run the real engine on this project's program: preview or up of one stack.

    python scripts/pulumi_run.py preview --stack staging [--policy-pack policy] [--policy-pack-config F]
    python scripts/pulumi_run.py up --stack production --yes

Drives `__main__.py` through the Automation API (an inline program that runs the file), because
the Python language host binary cannot be built here (docs/engine.md); with an official Pulumi
install, `pulumi preview --policy-pack policy --stack staging` does the same. State goes to
$PULUMI_BACKEND_URL, default a file backend in .state/ (gitignored). Exits with the CLI's code.
"""

from __future__ import annotations

import argparse
import os
import re
import runpy
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BACKEND = f"file://{ROOT / '.state'}"


PROJECT_FILES = ("Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.production.yaml", "__main__.py")
PROJECT_FOLDERS = ("components", "topology", "policy", "scripts")


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
                "can be obtained; on this offline machine the module proxy refuses the provider modules "
                "(docs/engine.md). The program itself got past config validation.")
    return None


def main(argv: list[str] | None = None) -> int:
    from pulumi import automation as auto

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["preview", "up"])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--policy-pack", default=str(ROOT / "policy"), help="'' to run without the pack")
    parser.add_argument("--policy-pack-config")
    parser.add_argument("--yes", action="store_true", help="required for up")
    parser.add_argument("--refresh", action="store_true")
    parser.add_argument("--expect-no-changes", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "up" and not args.yes:
        parser.error("up changes real resources: pass --yes")

    workspace = auto.LocalWorkspace(work_dir=str(ROOT), program=program, env_vars=environment())
    stack = auto.Stack.create_or_select(args.stack, workspace)
    options = dict(
        on_output=lambda line: print(line, end="" if line.endswith("\n") else "\n", flush=True),
        policy_packs=[args.policy_pack] if args.policy_pack else None,
        policy_pack_configs=[args.policy_pack_config] if args.policy_pack_config else None,
        refresh=args.refresh or None,
        expect_no_changes=args.expect_no_changes or None,
        color="never",
    )
    try:
        if args.command == "preview":
            stack.preview(**options)
        else:
            stack.up(**options)
    except auto.errors.CommandError as error:
        # stdout was already streamed by on_output; add stderr, the exit code and a hint.
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
