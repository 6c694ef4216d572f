"""`pulumi` as users run it, from the project's folder, with an explicit environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Mapping

from topology import keys

from .project import ROOT

DEFAULT_BACKEND = f"file://{ROOT / '.state'}"


def base_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment plus what every run here needs: a non-empty passphrase (Pulumi accepts an
    empty one, pulumi/pulumi#9568: secrets would be as good as clear), a backend (default .state/), no
    update check, no plugin download (this machine has no internet; `make engine` installed them). Each stack's
    passphrase: PULUMI_CONFIG_PASSPHRASE_<STACK>, else PULUMI_CONFIG_PASSPHRASE(_FILE) (`pulumi` below gives a call
    its stack's only)."""
    env = dict(environ)
    per_stack = [k for k, v in env.items() if k.startswith(f"{keys.PASSPHRASE}_") and k != keys.PASSPHRASE_FILE and v]
    if not env.get(keys.PASSPHRASE) and not env.get(keys.PASSPHRASE_FILE) and not per_stack:
        raise SystemExit("error: set the stack's secrets passphrase (non-empty): PULUMI_CONFIG_PASSPHRASE_<STACK>, e.g. "
                         "PULUMI_CONFIG_PASSPHRASE_STAGING, or PULUMI_CONFIG_PASSPHRASE")
    env.setdefault("PULUMI_BACKEND_URL", DEFAULT_BACKEND)
    backend = env["PULUMI_BACKEND_URL"]
    if backend.startswith("file://"):
        Path(backend[len("file://"):]).mkdir(parents=True, exist_ok=True)
    env.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
    return env


def pulumi(args: list[str], cwd: Path, env: Mapping[str, str], *, stream: bool = False,
           timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run the CLI with its stack's passphrase only; `stream` passes its output through (progress for a person),
    else captures it."""
    env = keys.stack_env(keys.stack_of(args), env)
    if stream:
        return subprocess.run(["pulumi", *args], cwd=cwd, env=dict(env), timeout=timeout)
    return subprocess.run(["pulumi", *args], cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout)


def ensure_stack(stack: str, cwd: Path, env: Mapping[str, str]) -> None:
    """Select the stack, creating it on the backend if it is new there (its Pulumi.<stack>.yaml keeps its
    config and secrets salt: only the backend's record is made)."""
    result = pulumi(["stack", "select", "--create", stack], cwd, env)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(result.returncode)


def on_path() -> bool:
    return any((Path(p) / "pulumi").is_file() for p in os.environ.get("PATH", "").split(os.pathsep) if p)
