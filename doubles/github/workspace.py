"""A developer's clone of the double's repository: real git over smart HTTP, as one user.

    with GitHubDouble() as gh:
        dev = Checkout(gh, "koomy-dev", tmp_path / "dev")
        dev.commit({"app.py": "print(1)\\n"}, "first")
        done = dev.push("HEAD:refs/heads/main")      # a CompletedProcess: returncode, stderr
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .gitrepo import GIT, clean_env


class Checkout:
    def __init__(self, double, login: str, directory: Path):
        self.login, self.path = login, Path(directory)
        self._env = clean_env({"GIT_AUTHOR_NAME": login, "GIT_AUTHOR_EMAIL": f"{login}@example.com",
                               "GIT_COMMITTER_NAME": login, "GIT_COMMITTER_EMAIL": f"{login}@example.com",
                               "GIT_TERMINAL_PROMPT": "0"}
                              | ({"GIT_SSL_CAINFO": double.ca_path} if getattr(double, "ca_path", None) else {}))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.run("clone", "--quiet", double.clone_url(login), str(self.path), cwd=self.path.parent)

    def run(self, *args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([GIT, *args], cwd=cwd or self.path, env=self._env, capture_output=True, text=True)
        if check and done.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed:\n{done.stderr}")
        return done

    def git(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    def commit(self, files: dict[str, str], message: str) -> str:
        """Write the files, commit them all; the new commit's SHA."""
        for name, text in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        self.run("add", "--all")
        self.run("commit", "--quiet", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def push(self, *refspecs: str, force: bool = False) -> subprocess.CompletedProcess:
        """`git push origin <refspecs>`; never raises: check returncode and stderr."""
        return self.run("push", *(["--force"] if force else []), "origin", *refspecs, check=False)

    def fetch(self) -> None:
        self.run("fetch", "--quiet", "--prune", "--tags", "origin")
