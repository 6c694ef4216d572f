"""Each stack's own key on the real engine (README, "Security"; topology/keys.py).

- A process holding only staging's key (a pull request's staging preview) cannot decrypt production: the CLI
  refuses with a decryption error and prints no secret.
- An `up` against anything but the local GitHub double refuses a stack under a published demo passphrase,
  before anything is registered.
- A production stack whose stack file shares its key with another stack is refused, preview included.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import yaml

from conftest import PASSPHRASES, need_plugins, run
from topology import keys

from harness import TEST_SECRETS


def only_staging(env: dict[str, str]) -> dict[str, str]:
    """What a staging preview job holds: staging's key, nothing of production's."""
    env = {k: v for k, v in env.items() if not k.startswith(keys.PASSPHRASE)}
    env[keys.PASSPHRASE] = PASSPHRASES["staging"]
    return env


def test_a_process_with_only_staging_s_key_cannot_decrypt_production(engine, project, pulumi_env):
    need_plugins(engine)
    # Production's committed demo values, read with production's own key (never printed).
    assert run(["pulumi", "stack", "init", "production"], project, pulumi_env).returncode == 0
    shown = run(["pulumi", "config", "--show-secrets", "--json", "--stack", "production"], project, pulumi_env)
    assert shown.returncode == 0, shown.stderr
    values = [v["value"] for v in json.loads(shown.stdout).values() if v.get("secret")]
    assert len(values) == 4 and any(v.startswith("sk_live_") for v in values)
    values += list(TEST_SECRETS["production"].values())

    env = only_staging(pulumi_env)
    attempts = {
        "preview": ["pulumi", "preview", "--stack", "production"],
        "config": ["pulumi", "config", "--show-secrets", "--stack", "production"],
    }
    for what, argv in attempts.items():
        # Not through conftest.run's resolver: this process has staging's key as its only passphrase.
        result = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, timeout=300)
        out = result.stdout + result.stderr
        assert result.returncode != 0, (what, out)
        assert "incorrect passphrase" in out or "failed to decrypt" in out, (what, out)
        assert not [v for v in values if v in out], what
    # Through the resolver, with production's variable absent, the call for production gets no passphrase at all.
    resolved = keys.stack_env("production", {k: v for k, v in pulumi_env.items() if k != keys.PASSPHRASE
                                             and k != keys.passphrase_var("production")})
    assert not resolved.get(keys.PASSPHRASE)


def test_an_up_against_github_refuses_a_demo_passphrase_before_anything_is_registered(engine, project, pulumi_env):
    need_plugins(engine)
    assert run(["pulumi", "stack", "init", "staging"], project, pulumi_env).returncode == 0
    # "GitHub": any non-loopback API (nothing is reached: the program refuses before registering anything).
    env = dict(pulumi_env, GITHUB_TOKEN="ghp_notarealtoken", GITHUB_BASE_URL="https://github.invalid/api/v3/",
               VERCEL_API_TOKEN="not-a-real-token")
    result = run(["pulumi", "up", "--yes", "--skip-preview", "--stack", "staging"], project, env)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "still encrypted with a published demo passphrase" in out, out
    assert "pulumi stack change-secrets-provider --stack staging" in out
    assert PASSPHRASES["staging"] not in out
    exported = run(["pulumi", "stack", "export", "--stack", "staging"], project, pulumi_env)
    resources = json.loads(exported.stdout)["deployment"].get("resources") or []
    assert [r["type"] for r in resources if r["type"] != "pulumi:pulumi:Stack"] == [], resources


def test_a_production_stack_sharing_its_key_is_refused(engine, project, pulumi_env):
    need_plugins(engine)
    # A new stack made by copying production's file: the same salt, so production's passphrase opens it.
    shutil.copy(project / "Pulumi.production.yaml", project / "Pulumi.qa.yaml")
    assert yaml.safe_load((project / "Pulumi.qa.yaml").read_text())["encryptionsalt"]
    assert run(["pulumi", "stack", "init", "production"], project, pulumi_env).returncode == 0
    result = run(["pulumi", "preview", "--stack", "production"], project, pulumi_env)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "stack 'production' shares its secrets key with stack 'qa'" in out, out
    assert "nothing was registered" in out
