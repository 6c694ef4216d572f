"""Each stack's own secrets key (topology/keys.py): shared keys, the demo guard, one passphrase per CLI call."""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import pytest

from policy.check import run_check
from rehearsal.project import ROOT
from topology import keys

DEMO = {"staging": "release-topology-demo-staging", "production": "release-topology-demo-production"}


def salt_for(passphrase: str) -> str:
    """An `encryptionsalt` as `pulumi stack init` makes it (PBKDF2-SHA256, AES-256-GCM of "pulumi")."""
    import hashlib

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    raw, nonce = os.urandom(8), os.urandom(12)
    key = hashlib.pbkdf2_hmac("sha256", passphrase.encode(), raw, 1_000_000, 32)
    sealed = AESGCM(key).encrypt(nonce, b"pulumi", None)
    return f"v1:{base64.b64encode(raw).decode()}:v1:{base64.b64encode(nonce).decode()}:{base64.b64encode(sealed).decode()}"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.production.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def set_salt(root: Path, stack: str, salt: str | None, provider: str | None = None) -> None:
    path = root / f"Pulumi.{stack}.yaml"
    lines = [l for l in path.read_text().splitlines() if not l.startswith(("encryptionsalt:", "secretsprovider:"))]
    if salt:
        lines.append(f"encryptionsalt: {salt}")
    if provider:
        lines.append(f"secretsprovider: {provider}")
    path.write_text("\n".join(lines) + "\n")


def test_the_demo_stacks_each_have_their_own_demo_passphrase():
    for stack, passphrase in DEMO.items():
        key = keys.stack_key(stack, ROOT)
        assert key.provider == "passphrase" and key.salt in keys.DEMO_SALTS
        assert keys.opens(passphrase, key.salt)
        assert keys.is_demo_passphrase(passphrase)
    assert not keys.opens(DEMO["staging"], keys.stack_key("production", ROOT).salt)
    env = {keys.passphrase_var(s): p for s, p in DEMO.items()}
    assert keys.shared_key_problems("production", ROOT, env) == []


def test_a_copied_stack_file_shares_production_s_key(root):
    shutil.copy(root / "Pulumi.production.yaml", root / "Pulumi.qa.yaml")
    problems = keys.shared_key_problems("production", root, {})
    assert [p.key for p in problems] == ["secrets provider"] and "'qa'" in problems[0].message
    assert "change-secrets-provider" in problems[0].fix
    code, out = run_check("production", root=root, environ={})
    # The program refuses it under mocks too: `make check` exits 2 (a configuration error) and says why.
    assert code == 2 and "secrets provider" in out and "shares its secrets key with stack 'qa'" in out


def test_the_same_passphrase_under_another_salt_is_found_with_production_s_passphrase(root):
    """What `pulumi stack init` does with the same passphrase: a new salt, the same key."""
    set_salt(root, "staging", salt_for(DEMO["production"]))
    assert keys.shared_key_problems("production", root, {}) == []  # without the passphrase: undecidable
    env = {keys.passphrase_var("production"): DEMO["production"]}
    problems = keys.shared_key_problems("production", root, env)
    assert len(problems) == 1 and "opens that stack's file" in problems[0].message
    # Another stack's passphrase given as production's proves nothing (it does not open production's file).
    assert keys.shared_key_problems("production", root, {keys.PASSPHRASE: DEMO["staging"]}) == []


def test_the_same_kms_key_is_shared_and_distinct_ones_are_not(root):
    set_salt(root, "staging", None, "awskms://alias/release?region=eu-west-1")
    set_salt(root, "production", None, "awskms://alias/release?region=eu-west-1")
    assert keys.shared_key_problems("production", root, {})
    set_salt(root, "production", None, "awskms://alias/release-production?region=eu-west-1")
    assert keys.shared_key_problems("production", root, {}) == []
    assert keys.key_problems("production", True, root, {}, dry_run=False) == []  # KMS: never a demo passphrase


def test_the_demo_guard_refuses_an_update_against_github_only(root):
    github = {keys.PASSPHRASE: DEMO["production"]}
    problems = keys.key_problems("production", True, root, github, dry_run=False)
    assert len(problems) == 1 and "published demo passphrase" in problems[0].message
    assert "pulumi stack change-secrets-provider --stack production" in problems[0].fix
    assert DEMO["production"] not in problems[0].message + problems[0].fix  # never the passphrase itself
    assert keys.key_problems("production", True, root, github, dry_run=True) == []  # a preview writes nothing
    double = dict(github, GITHUB_BASE_URL="http://127.0.0.1:8123/api/v3/")
    assert keys.key_problems("production", True, root, double, dry_run=False) == []
    assert keys.key_problems("staging", False, root, {"GITHUB_BASE_URL": "https://ghe.example.com/api/v3/"},
                             dry_run=False)


def test_the_demo_guard_sees_a_demo_passphrase_re_salted(root):
    """`change-secrets-provider passphrase` with PULUMI_CONFIG_PASSPHRASE set keeps that passphrase: new salt,
    still the demo key. The hash of the passphrase the CLI opened the stack with still says so."""
    set_salt(root, "production", salt_for(DEMO["production"]))
    assert keys.key_problems("production", True, root, {}, dry_run=False) == []  # salt alone: not a demo one
    refused = keys.key_problems("production", True, root, {keys.PASSPHRASE: DEMO["production"]}, dry_run=False)
    assert refused and "published demo passphrase" in refused[0].message
    set_salt(root, "production", salt_for("a-real-passphrase-4b1d"))
    assert keys.key_problems("production", True, root, {keys.PASSPHRASE: "a-real-passphrase-4b1d"}, dry_run=False) == []


def test_make_check_warns_about_the_demo_passphrase_and_passes():
    code, out = run_check("production", root=ROOT, environ={})
    assert code == 0 and "warning: stack 'production' is still encrypted with a published demo passphrase" in out
    assert "pulumi stack change-secrets-provider --stack production" in out


def test_each_cli_call_gets_its_own_stack_s_passphrase_only():
    environ = {keys.PASSPHRASE: "shell", keys.PASSPHRASE_FILE: "/tmp/x",
               "PULUMI_CONFIG_PASSPHRASE_STAGING": "s", "PULUMI_CONFIG_PASSPHRASE_PRODUCTION": "p"}
    staging = keys.stack_env("staging", environ)
    assert staging[keys.PASSPHRASE] == "s" and staging["PULUMI_CONFIG_PASSPHRASE_PRODUCTION"] == ""
    assert keys.PASSPHRASE_FILE not in staging
    production = keys.stack_env("production", environ)
    assert production[keys.PASSPHRASE] == "p" and production["PULUMI_CONFIG_PASSPHRASE_STAGING"] == ""
    # A stack without its own variable keeps the plain ones; every per-stack key is blanked.
    other = keys.stack_env("qa", environ)
    assert other[keys.PASSPHRASE] == "shell" and not other["PULUMI_CONFIG_PASSPHRASE_STAGING"]
    # Automation inherits the process environment: name the stacks to blank theirs even when absent here.
    assert keys.stack_env("staging", {}, ["staging", "production"])["PULUMI_CONFIG_PASSPHRASE_PRODUCTION"] == ""
    assert keys.passphrase_var("eu-west.qa") == "PULUMI_CONFIG_PASSPHRASE_EU_WEST_QA"


@pytest.mark.parametrize("argv,stack", [
    (["preview", "--stack", "staging"], "staging"),
    (["up", "-s", "production", "--yes"], "production"),
    (["config", "set", "--stack=staging", "A", "b"], "staging"),
    (["stack", "init", "qa"], "qa"),
    (["stack", "select", "--create", "production"], "production"),
    (["version"], None),
])
def test_the_stack_of_a_cli_call(argv, stack):
    assert keys.stack_of(argv) == stack
