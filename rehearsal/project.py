"""The project's files as a runnable unit: where it is, what it pins, and throw-away copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STACK_FILES = ("Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.production.yaml")
PROGRAM_FILES = ("__main__.py", "constraints.txt", "pyproject.toml")
# The program and the pack, and what runs them against the doubles and audits them (a copy is a whole project).
PROGRAM_FOLDERS = ("components", "topology", "policy", "audit", "doubles", "rehearsal")


def copy_project(dest: Path, main: str | None = None) -> Path:
    """A runnable copy of the program and its stack files, sharing this checkout's .venv (tests, benchmarks,
    the demo). `main` replaces the program, e.g. by one without provider resources."""
    dest.mkdir(parents=True)
    for name in STACK_FILES + PROGRAM_FILES:
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, dest / name)
    for folder in PROGRAM_FOLDERS:
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (dest / ".venv").symlink_to(ROOT / ".venv")
    if main is not None:
        (dest / "__main__.py").write_text(main)
    return dest


def pinned(package: str) -> str:
    """The exact version constraints.txt pins (the engine build matches these)."""
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.startswith(f"{package}=="):
            return line.split("==", 1)[1].split("#")[0].strip()
    raise SystemExit(f"error: {package} is not pinned in constraints.txt")
