"""The drift audit on the real engine, the github, random and vercel plugins and the two doubles.

Each class comes from one edit made the way people make it: in GitHub's UI (the double's control API)
or in the code (a stack file changed, not applied). The audit must find it with the right class and
nothing else. The topology declares GitHub Enterprise here, where environments have required reviewers.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from harness import TEST_SECRETS
from lifecycle import backend_files

from rehearsal.project import copy_project

ENTERPRISE = re.compile(r"(githubPlan:\s*\n\s*value:\s*)\w+")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The project copy, declaring GitHub Enterprise (environment reviewers exist there)."""
    copy = copy_project(tmp_path / "project")
    path = copy / "Pulumi.yaml"
    text = path.read_text()
    assert ENTERPRISE.search(text), "Pulumi.yaml declares no githubPlan"
    path.write_text(ENTERPRISE.sub(r"\g<1>enterprise", text))
    return copy


def deploy(rehearsal, *stacks: str) -> None:
    for stack in stacks:
        assert rehearsal.cli("stack", "init", stack).returncode == 0
        for name, value in TEST_SECRETS[stack].items():
            assert rehearsal.cli("config", "set", "--secret", "--stack", stack, name, value).returncode == 0
        rehearsal.up(stack)


def audit(rehearsal, tmp_path: Path, *stacks: str) -> tuple[int, dict, str]:
    out = tmp_path / "audit-out"
    args = [sys.executable, "-m", "audit", "--root", str(rehearsal.project), "--out", str(out)]
    if stacks:
        args += ["--stacks", ",".join(stacks)]
    result = subprocess.run(args, cwd=ROOT, env=rehearsal.env, capture_output=True, text=True, timeout=900)
    rehearsal.outputs.append(result.stdout + result.stderr)
    assert result.returncode in (0, 2, 3, 4), result.stderr
    return result.returncode, json.loads((out / "audit.json").read_text()), result.stdout + result.stderr


def findings(doc: dict, stack: str, *, informational: bool = False) -> set[tuple[str, str]]:
    entry = next(s for s in doc["stacks"] if s["name"] == stack)
    return {(f["class"], f["resource"]["name"]) for f in entry["findings"] if f["informational"] == informational}


def backend_snapshot(env: dict[str, str]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(backend_files(env))}


def test_a_clean_stack_exits_0_and_two_stacks_are_audited_in_parallel(rehearsal, tmp_path):
    deploy(rehearsal, "staging", "production")
    code, doc, output = audit(rehearsal, tmp_path)
    assert code == 0, output
    assert doc["summary"]["stacks"] == {"staging": "clean", "production": "clean"}
    assert findings(doc, "staging") == set() and findings(doc, "production") == set()
    # In parallel: the run took less than the stacks' collection times added up.
    collected = [float(s) for s in re.findall(r"\] \w+: collected in ([\d.]+) s", output)]
    assert len(collected) == 2 and doc["run"]["duration_seconds"] < sum(collected), (collected, doc["run"])
    # The GitHub lists were read: rulesets, environments, then secrets, variables, branch policies per stack.
    assert doc["run"]["rest_calls"]["github"] == 2 + 3 * 2
    sentinels = [v for stack in TEST_SECRETS for v in TEST_SECRETS[stack].values()]
    report_text = output + json.dumps(doc) + (tmp_path / "audit-out" / "audit.md").read_text()
    assert not [s for s in sentinels if s in report_text]


def edit_ruleset(double):
    double.disable_ruleset(double.store.state()["rulesets"]["staging-branch-gate"]["id"])


def edit_secret(double):
    double.set_secret("staging", "STRIPE_SECRET_KEY", "sk_test_SENTINELresetInTheUI000")


def edit_variable(double):
    double.set_variable("staging", "APP_ENV", "edited-in-the-ui")


def add_environment(double):
    double.add_environment("qa")


def add_secret(double):
    double.set_secret("staging", "EXTRA_TOKEN", "added-by-hand-000000")


@pytest.mark.parametrize("edit,expected", [
    (edit_ruleset, {("managed_drift", "staging-branch-gate-ruleset")}),
    (edit_secret, {("secret_touched", "staging-secrets-stripe-secret-key-github")}),
    (edit_variable, {("managed_drift", "staging-secrets-app-env-github")}),
    (add_environment, {("unmanaged_addition", "qa")}),
    (add_secret, {("unmanaged_addition", "staging/EXTRA_TOKEN")}),
], ids=lambda v: getattr(v, "__name__", ""))
def test_each_ui_edit_is_found_with_its_class_and_nothing_else(rehearsal, tmp_path, edit, expected):
    deploy(rehearsal, "staging")
    edit(rehearsal.double)
    before = backend_snapshot(rehearsal.env)
    writes = len(rehearsal.writes())
    code, doc, output = audit(rehearsal, tmp_path, "staging")
    assert code == 2, output
    assert findings(doc, "staging") == expected, output
    assert findings(doc, "staging", informational=True) <= {("policy_violation", "staging-deployment-environment"),
                                                            ("policy_violation", "staging-branch-gate-ruleset")}
    # The audit that found drift wrote nothing: the backend's files are byte-identical.
    assert backend_snapshot(rehearsal.env) == before
    # And nothing was written to GitHub either: the provider's reads and the audit's lists only.
    assert len(rehearsal.writes()) == writes, rehearsal.writes()[writes:]


def test_vercel_dashboard_edits_are_found_live(rehearsal, tmp_path):
    """The Vercel pass against the Vercel double: a sensitive value re-set, a plain value edited, a variable
    and a domain added in the dashboard; each found with its class, nothing written anywhere."""
    deploy(rehearsal, "staging")
    project = rehearsal.vercel.state()["projects"]["koomy-staging"]["id"]
    rehearsal.vercel.set_env("koomy-staging", "STRIPE_SECRET_KEY", "sk_test_SENTINELresetInDashboard01")
    rehearsal.vercel.set_env("koomy-staging", "APP_ENV", "edited-in-the-dashboard")
    rehearsal.vercel.set_env("koomy-staging", "EXTRA_FLAG", "on")
    rehearsal.vercel.add_domain("koomy-staging", "www.staging.koomy.app")
    before = backend_snapshot(rehearsal.env)
    rehearsal.vercel.clear_log()
    code, doc, output = audit(rehearsal, tmp_path, "staging")
    assert code == 2, output
    assert findings(doc, "staging") == {
        ("secret_touched", "staging-vercel-stripe-secret-key"),
        ("managed_drift", "staging-vercel-app-env"),
        ("unmanaged_addition", f"{project}/EXTRA_FLAG"),
        ("unmanaged_addition", "www.staging.koomy.app"),
    }, output
    assert doc["run"]["rest_calls"]["vercel"] >= 2  # the env and domain lists, read live
    assert backend_snapshot(rehearsal.env) == before
    assert [r for r in rehearsal.vercel.requests() if r["method"] != "GET"] == []
    assert "SENTINELresetInDashboard" not in output + json.dumps(doc)


def test_all_reviewers_removed(rehearsal, tmp_path):
    deploy(rehearsal, "production")
    rehearsal.double.remove_reviewers("production")
    code, doc, output = audit(rehearsal, tmp_path, "production")
    assert code == 2, output
    assert findings(doc, "production") == {("managed_drift", "production-deployment-environment")}
    finding = next(f for f in doc["stacks"][0]["findings"] if f["class"] == "managed_drift")
    assert {"path": "reviewers", "kind": "update", "secret": False, "before": [1234567], "after": []} in finding["changes"]


def test_code_changed_but_not_applied_is_pending_only(rehearsal, tmp_path):
    deploy(rehearsal, "staging")
    stack_file = rehearsal.project / "Pulumi.staging.yaml"
    text = stack_file.read_text()
    assert 'release-topology:requiredApprovals: "1"' in text
    stack_file.write_text(text.replace('release-topology:requiredApprovals: "1"', 'release-topology:requiredApprovals: "2"'))
    code, doc, output = audit(rehearsal, tmp_path, "staging")
    assert code == 0, output  # information, not a finding
    assert findings(doc, "staging") == set()
    pending = {f for f in findings(doc, "staging", informational=True) if f[0] == "pending_change"}
    assert pending == {("pending_change", "staging-branch-gate-ruleset")}


def test_a_missing_stack_is_an_error_and_is_not_created(rehearsal, tmp_path):
    deploy(rehearsal, "staging")
    before = backend_snapshot(rehearsal.env)
    code, doc, output = audit(rehearsal, tmp_path, "staging", "production")
    assert code == 4, output
    assert doc["summary"]["stacks"] == {"staging": "clean", "production": "error"}
    assert backend_snapshot(rehearsal.env) == before
    listed = rehearsal.cli("stack", "ls", "--json")
    assert [s["name"] for s in json.loads(listed.stdout)] == ["staging"]
