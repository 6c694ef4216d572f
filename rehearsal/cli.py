"""`pulumi` as users run it, from the project's folder, with an explicit environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Mapping

from .project import ROOT

DEFAULT_BACKEND = f"file://{ROOT / '.state'}"


def base_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment plus what every run here needs: a non-empty passphrase (Pulumi accepts an
    empty one, pulumi/pulumi#9568: secrets would be as good as clear), a backend (default .state/), no
    update check, no plugin download (this machine has no internet; `make engine` installed them)."""
    env = dict(environ)
    if not env.get("PULUMI_CONFIG_PASSPHRASE") and not env.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
        raise SystemExit("error: set PULUMI_CONFIG_PASSPHRASE (non-empty) to the stack's secrets passphrase")
    env.setdefault("PULUMI_BACKEND_URL", DEFAULT_BACKEND)
    backend = env["PULUMI_BACKEND_URL"]
    if backend.startswith("file://"):
        Path(backend[len("file://"):]).mkdir(parents=True, exist_ok=True)
    env.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
    return env


def pulumi(args: list[str], cwd: Path, env: Mapping[str, str], *, stream: bool = False,
           timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run the CLI; `stream` passes its output through (progress for a person), else captures it."""
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
