"""The offline check (`make check STACK=...`): exit codes and the printed table, on project copies."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from policy.check import main, run_check
from topology import codeowners
from harness import ROOT_DIR

SECRET_NAMES = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "NEXT_PUBLIC_SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY")
TUESDAY = dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.timezone.utc)


def project_copy(tmp_path: Path, edit_stack=None, edit_project=None, stack: str = "production") -> Path:
    """A copy of the project whose stack file holds (undecryptable) encrypted secrets, as in a fork PR."""
    for name in ("Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.production.yaml", "__main__.py"):
        shutil.copy(ROOT_DIR / name, tmp_path / name)
    for s in ("staging", "production"):
        path = tmp_path / f"Pulumi.{s}.yaml"
        doc = yaml.safe_load(path.read_text())
        for name in SECRET_NAMES:
            doc["config"][f"release-topology:{name}"] = {"secure": "v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBBBB"}
        if edit_stack and s == stack:
            edit_stack(doc["config"])
        path.write_text(yaml.safe_dump(doc))
    if edit_project:
        path = tmp_path / "Pulumi.yaml"
        doc = yaml.safe_load(path.read_text())
        edit_project(doc["config"])
        path.write_text(yaml.safe_dump(doc))
    # The repository as the README has it: CODEOWNERS generated and merged (the shipped plan's approval).
    (tmp_path / ".github").mkdir(exist_ok=True)
    (tmp_path / ".github" / "CODEOWNERS").write_text(codeowners.render(["koomy-cto"]))
    return tmp_path


# On the shipped plan (GitHub Team, private) production's gate requires code-owner review; staging's does not.
@pytest.mark.parametrize("stack, advisories", [("staging", 1), ("production", 0)])
def test_clean_stack_passes_with_only_advisories(tmp_path, stack, advisories):
    code, text = run_check(stack, root=project_copy(tmp_path), now=TUESDAY, environ={})
    assert code == 0, text
    assert f"offline check of stack '{stack}'" in text
    assert f"0 mandatory and {advisories} advisory violations" in text
    assert ("checkov-ckv-github-13-code-owner-review" in text) is (stack == "staging")
    assert "4 encrypted secrets were not decrypted" in text


def test_wrong_codeowners_is_mandatory_offline(tmp_path):
    root = project_copy(tmp_path)
    (root / ".github" / "CODEOWNERS").write_text("* @koomy-cto\n/.github/workflows/ @intern\n")
    code, text = run_check("production", root=root, now=TUESDAY, environ={})
    assert code == 1
    assert re.search(r"^mandatory +code-owners +production", text, re.M)
    assert "`/.github/workflows/` is owned by @intern, which overrides `*`" in text


def test_live_publishable_key_in_staging_is_a_config_error(tmp_path):
    root = project_copy(tmp_path, lambda c: c.update({"release-topology:NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY": "pk_live_x"}),
                        stack="staging")
    code, text = run_check("staging", root=root, now=TUESDAY, environ={})
    assert code == 2
    assert "LIVE-mode key in a non-production environment" in text
    assert "pk_live_x" not in text
    assert "HOW TO FIX" in text and "pulumi config set --stack staging NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY" in text


def test_mandatory_violation_exits_1_with_a_table(tmp_path):
    # Outside the window the offline check judges like a preview: advisory only, exit 0...
    saturday = dt.datetime(2026, 11, 28, 11, 0, tzinfo=dt.timezone.utc)
    code, text = run_check("production", root=project_copy(tmp_path), now=saturday, environ={})
    assert code == 0 and "deploy-window-preview" in text
    # ...while policy config demanding two approvals makes the production gate fail.
    config = {"production-branch-gate": {"minApprovals": 2}}
    code, text = run_check("production", root=project_copy(tmp_path), now=TUESDAY, environ={}, policy_config=config)
    assert code == 1
    header = text.splitlines()[3]
    assert header.split() == ["LEVEL", "RULE", "RESOURCE", "PROBLEM", "HOW", "TO", "FIX"]
    assert "mandatory  production-branch-gate" in text
    assert "requires 1 approvals, policy requires >= 2" in text


def test_invalid_policy_config_exits_2(tmp_path):
    code, text = run_check("staging", root=project_copy(tmp_path), now=TUESDAY, environ={},
                           policy_config={"checkov-ckv-git-5-approvals": {"minApprovals": -1}})
    assert code == 2 and "checkov-ckv-git-5-approvals: policy config minApprovals must be an integer 0-10" in text


def test_policy_config_levels_apply_offline(tmp_path):
    root = project_copy(tmp_path)
    config = {"checkov-ckv-github-13-code-owner-review": "disabled", "production-branch-gate": {"minApprovals": 2, "enforcementLevel": "advisory"}}
    code, text = run_check("production", root=root, now=TUESDAY, environ={}, policy_config=config)
    assert code == 0, text
    assert re.search(r"^advisory +production-branch-gate", text, re.M)
    assert "code-owner" not in text
    code, text = run_check("production", root=root, now=TUESDAY, environ={}, policy_config={"no-such-rule": "disabled"})
    assert code == 2 and "unknown policy 'no-such-rule'" in text


def test_cli_entry_point(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "--stack" in capsys.readouterr().out


def test_module_runs_as_make_check_does():
    # `make check` runs `python -m policy.check` on the repository's own files, whose secrets
    # are encrypted: it must pass on them, print its table header line, and exit quietly.
    result = subprocess.run([sys.executable, "-m", "policy.check", "--stack", "staging", "--now", "2026-11-24T11:00:00+00:00"],
                            cwd=ROOT_DIR, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("offline check of stack 'staging'")
    assert "4 encrypted secrets were not decrypted" in result.stdout
    assert result.stderr == ""
