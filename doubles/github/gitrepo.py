"""The double's real git repository: a bare repository in a temporary directory, and the few git
questions the double asks of it (ancestry, parents, file contents, merges as plumbing).

Every command runs with a clean environment (no user or system configuration), so what a test's
machine has configured never changes an answer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import hooks

ZERO = "0" * 40
GIT = shutil.which("git") or "git"
HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"


def clean_env(extra: dict | None = None) -> dict:
    """An environment for git that ignores the machine's configuration."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull, "HOME": os.devnull, "LC_ALL": "C", "TZ": "UTC"}
    return env | (extra or {})


class GitError(RuntimeError):
    pass


class BareRepository:
    """`owner/repo.git` under a temporary root; `close()` removes the whole root."""

    def __init__(self, owner: str, repo: str, default_branch: str = "main"):
        self.root = Path(tempfile.mkdtemp(prefix="github-double-"))
        self.relative = f"{owner}/{repo}.git"
        self.path = self.root / self.relative
        self.default_branch = default_branch
        self.path.parent.mkdir(parents=True)
        self.git("init", "--quiet", "--bare", "-b", default_branch, str(self.path), cwd=self.root)
        # Every ref update goes to the proc-receive hook, which asks the double (hooks.py); receive-pack
        # then reports the hook's own reason, as GitHub's "push declined due to repository rule violations".
        self.git("config", "receive.procReceiveRefs", "refs/")
        self.git("config", "http.receivepack", "true")
        hooks.install(self.path / "hooks", sys.executable)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    # ---- running git --------------------------------------------------------------------------

    def git(self, *args: str, cwd: Path | None = None, env: dict | None = None, check: bool = True,
            input: bytes | None = None) -> subprocess.CompletedProcess:
        done = subprocess.run([GIT, *args], cwd=cwd or self.path, env=clean_env(env), input=input,
                              capture_output=True)
        if check and done.returncode != 0:
            raise GitError(f"git {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
        return done

    def out(self, *args: str, **kwargs) -> str:
        return self.git(*args, **kwargs).stdout.decode().strip()

    # ---- questions ----------------------------------------------------------------------------

    def resolve(self, ref: str) -> str | None:
        """The commit a ref or SHA names (tags peeled), or None."""
        done = self.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return done.stdout.decode().strip() or None

    def ref_target(self, ref: str) -> str | None:
        """The object a full ref points at (a tag object for an annotated tag), or None."""
        done = self.git("rev-parse", "--verify", "--quiet", ref, check=False)
        return done.stdout.decode().strip() or None

    def refs(self, prefix: str = "refs/") -> dict[str, str]:
        lines = self.out("for-each-ref", "--format=%(refname) %(objectname)", prefix).splitlines()
        return dict(line.split(" ", 1) for line in lines if line)

    def is_ancestor(self, older: str, newer: str) -> bool:
        return self.git("merge-base", "--is-ancestor", older, newer, check=False).returncode == 0

    def merge_base(self, one: str, other: str) -> str | None:
        return self.out("merge-base", one, other, check=False) or None

    def merge_commits(self, new: str, old: str | None) -> list[str]:
        """Commits with more than one parent that `new` brings to a ref that was at `old`."""
        limit = [f"^{old}"] if old else ["--not", "--all"]
        return self.out("rev-list", "--min-parents=2", new, *limit).split()

    def parents(self, sha: str) -> list[str]:
        return self.out("rev-list", "--parents", "-n", "1", sha).split()[1:]

    def changed_files(self, base: str, head: str) -> list[str]:
        """Files a pull request changes: head against its merge base with base (three-dot diff)."""
        return self.out("diff", "--name-only", f"{base}...{head}").splitlines()

    def read_file(self, commit: str, path: str) -> str | None:
        done = self.git("show", f"{commit}:{path}", check=False)
        return done.stdout.decode(errors="replace") if done.returncode == 0 else None

    def commit_message(self, sha: str) -> str:
        return self.out("log", "-1", "--format=%B", sha)

    def update_ref(self, ref: str, new: str, old: str) -> bool:
        """Move (or delete, new = ZERO) a ref only if it is still at `old`; False when it moved meanwhile."""
        args = ["update-ref", "-d", ref, old] if new == ZERO else ["update-ref", ref, new, old]
        return self.git(*args, check=False).returncode == 0
