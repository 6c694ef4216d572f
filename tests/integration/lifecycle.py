"""A project copy driven through `pulumi` (the CLI, its Python language host, the github, random and vercel
plugins) against the GitHub and Vercel doubles.

Everything as shipped (program, stack files, policy pack) except the knobs of a rehearsal: the github
provider's write delay is 0, and the deploy window is advisory (it judges real updates, a test runs any day): for the
pack by its policy config, for the program by RELEASE_DEPLOY_WINDOW=advisory.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from doubles.github import GitHubDouble
from doubles.vercel import VercelDouble
from rehearsal.doubles import Doubles, advisory_window
from topology import keys


@dataclass
class Rehearsal:
    project: Path
    env: dict[str, str]
    doubles: Doubles
    outputs: list[str] = field(default_factory=list)  # everything the engine printed, for leak scans

    @classmethod
    def environment(cls, pulumi_env: dict[str, str], doubles: Doubles, project: Path) -> dict[str, str]:
        policy_config, window = advisory_window(project)
        return {**pulumi_env, **doubles.env(), **window, "REHEARSAL_POLICY_CONFIG": str(policy_config)}

    @property
    def double(self) -> GitHubDouble:
        return self.doubles.github

    @property
    def vercel(self) -> VercelDouble:
        return self.doubles.vercel

    def _keep(self, result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
        self.outputs.append(result.stdout + result.stderr)
        return result

    def cli(self, *args: str, timeout: int = 300, input: str | None = None) -> subprocess.CompletedProcess:
        env = keys.stack_env(keys.stack_of(args), self.env)  # the stack's own passphrase only
        return self._keep(subprocess.run(["pulumi", *args], cwd=self.project, env=env, capture_output=True,
                                         text=True, timeout=timeout, input=input))

    def program(self, command: str, stack: str, *flags: str, timeout: int = 600) -> tuple[int, str]:
        """`pulumi preview|up --stack S --policy-pack policy` in the copy, as a user runs it (the stack
        created on the test's backend first if it is new there, as `make preview` does)."""
        created = self.cli("stack", "select", "--create", stack)
        assert created.returncode == 0, created.stderr
        args = [command, "--stack", stack, "--policy-pack", str(self.project / "policy"),
                "--policy-pack-config", self.env["REHEARSAL_POLICY_CONFIG"], *flags]
        if command == "up":
            args += ["--yes", "--skip-preview"]
        result = self.cli(*args, timeout=timeout)
        return result.returncode, result.stdout + result.stderr

    def up(self, stack: str, *flags: str) -> str:
        code, out = self.program("up", stack, *flags)
        assert code == 0, out
        return out

    def preview(self, stack: str, *flags: str) -> tuple[int, str]:
        return self.program("preview", stack, *flags)

    def export(self, stack: str) -> dict:
        """The stack's state as `pulumi stack export` gives it: secrets encrypted."""
        result = self.cli("stack", "export", "--stack", stack)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def generated_secret(self, stack: str, resource_type: str) -> str:
        """A generated secret's value from state, for a comparison only: never printed, never kept
        in `outputs` (the one place a test decrypts state)."""
        result = subprocess.run(["pulumi", "stack", "export", "--show-secrets", "--stack", stack], cwd=self.project,
                                env=keys.stack_env(stack, self.env), capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        value = resources_of(json.loads(result.stdout), resource_type)[0]["outputs"]["result"]
        # A secret output is exported as an envelope whose `plaintext` is the JSON of the value.
        return json.loads(value["plaintext"]) if isinstance(value, dict) else value

    def writes(self) -> list[dict]:
        """GitHub writes, in order."""
        return [r for r in self.double.store.requests() if r["method"] not in ("GET", "HEAD")
                and not r["path"].startswith("/_double")]

    def vercel_writes(self) -> list[dict]:
        """Vercel writes, in order (a refused CONNECT to another host is no write: see refused_hosts)."""
        return [r for r in self.vercel.requests() if r["method"] not in ("GET", "HEAD", "CONNECT")
                and not r["path"].startswith("/_double")]

    def refused_hosts(self) -> set[str]:
        """Hosts the provider tried to reach through the Vercel double's proxy, which refuses them."""
        return {r["path"] for r in self.vercel.requests() if r["method"] == "CONNECT" and r.get("refused")}


def resources_of(export: dict, type_suffix: str) -> list[dict]:
    return [r for r in export["deployment"].get("resources") or [] if r["type"].endswith(type_suffix)]


def backend_files(env: dict[str, str]) -> list[Path]:
    root = Path(env["PULUMI_BACKEND_URL"][len("file://"):])
    return [p for p in root.rglob("*") if p.is_file()]


def processes(project: Path, session: int | None = None) -> dict[int, str]:
    """Live processes working in or naming the project, or of a session. The CLI starts each plugin and the
    language host in a process group of its own: killing the CLI's group leaves them running, and a CLI that
    exits on an error (a wrong passphrase) may leave its language host behind."""
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()  # state, ppid, pgrp, session, ...
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if fields[0] != "Z" and (int(fields[3]) == session or cwd.startswith(str(project)) or str(project) in cmdline):
            found[int(proc.name)] = cmdline[:160]
    return found


def kill_session(session: int | None, project: Path) -> None:
    """What the README says to do after a runner died: kill everything the `up` started."""
    for pid in processes(project, session):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def still_running(session: int | None, project: Path, wait: float = 5.0) -> dict[int, str]:
    deadline = time.time() + wait
    while (alive := processes(project, session)) and time.time() < deadline:
        time.sleep(0.1)
    return alive
