"""The real engine for integration tests: `scripts/engine.sh` (built offline where needed).

In CI (CI=true) a missing engine fails the tests; on a developer machine it skips them with the
reason. Every test runs `pulumi` on a file backend in a temp dir with a passphrase, no update check and no
automatic plugin download, on a copy of the project (tests may write stack config).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from rehearsal.project import ROOT, copy_project

from topology import keys

# Each committed stack file has its own demo passphrase (README, "Security"); each CLI call gets its stack's only
# (`run`, lifecycle.Rehearsal.cli: topology/keys.py stack_env). PASSPHRASE: stacks a test creates without a file.
PASSPHRASES = {"staging": "release-topology-demo-staging", "production": "release-topology-demo-production"}
PASSPHRASE = "release-topology-test-new-stack"


PROXY_KEYS = {"HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE"}


@dataclass
class Engine:
    path: str  # PATH with the engine's bin dir first
    status: dict[str, str]  # piece -> ok | refused | missing

    def has(self, piece: str) -> bool:
        return self.status.get(piece) == "ok"


@pytest.fixture(scope="session")
def engine() -> Engine:
    result = subprocess.run(["bash", str(ROOT / "scripts" / "engine.sh")], capture_output=True, text=True, timeout=3000)
    if result.returncode != 0:
        message = f"the Pulumi engine is not available (scripts/engine.sh exit {result.returncode}):\n{result.stderr[-2000:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    path = os.environ["PATH"]
    for line in result.stdout.splitlines():
        if line.startswith("export PATH="):
            path = line[len('export PATH="'):].split(":$PATH")[0] + os.pathsep + path
    status_file = next((line.split("status (")[1].rstrip("):") for line in result.stderr.splitlines() if "status (" in line), None)
    status: dict[str, str] = {}
    if status_file and Path(status_file).exists():
        for line in Path(status_file).read_text().splitlines():
            piece, _, rest = line.partition(" ")
            status[piece] = rest.split(" ", 1)[0]
    return Engine(path, status)


@pytest.fixture
def project(tmp_path: Path):
    """A copy of the project (program, components, policy, stack files) sharing the repo's venv. Nothing the
    test started in it outlives the test (lifecycle.kill_session)."""
    from lifecycle import kill_session

    copy = copy_project(tmp_path / "project")
    yield copy
    kill_session(None, copy)


@pytest.fixture
def pulumi_env(engine: Engine, tmp_path: Path) -> dict[str, str]:
    backend = tmp_path / "state"
    backend.mkdir()
    # Nothing of the developer's own: no GitHub token or endpoint, no Pulumi or release knobs.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PULUMI_", "RELEASE_", "GITHUB_", "VERCEL_")) and k.upper() not in PROXY_KEYS}
    env.update(
        PATH=engine.path,
        PULUMI_BACKEND_URL=f"file://{backend}",
        PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
        **{keys.passphrase_var(stack): passphrase for stack, passphrase in PASSPHRASES.items()},
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        PULUMI_HOME=os.environ.get("PULUMI_HOME", str(Path.home() / ".pulumi")),
    )
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    """`cmd` as is; a `pulumi` call gets its stack's passphrase only (topology/keys.py stack_env)."""
    if Path(cmd[0]).name == "pulumi":
        env = keys.stack_env(keys.stack_of(cmd[1:]), env)
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def need_plugins(engine: Engine) -> None:
    """The language host and the github, random and vercel plugins, built by scripts/engine.sh."""
    missing = [p for p in ("pulumi-language-python", "provider-github", "provider-random", "provider-vercel")
               if not engine.has(p)]
    if missing:
        message = f"plugins missing: {missing} (bash scripts/engine.sh builds them; docs/engine.md)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def rehearsal(engine: Engine, project: Path, pulumi_env: dict[str, str]):
    """The project copy, the real engine and plugins, and fresh GitHub and Vercel doubles as the topology
    declares them."""
    from lifecycle import Rehearsal

    from rehearsal.doubles import started

    need_plugins(engine)
    with started(project) as doubles:
        yield Rehearsal(project, Rehearsal.environment(pulumi_env, doubles, project), doubles)
        unknown = doubles.github.store.unknown_requests() + doubles.vercel.unknown_requests()
        assert not unknown, f"the providers called routes the doubles do not know: {unknown}"
