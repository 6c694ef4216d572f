"""The drift audit on the real engine, the github, random and vercel plugins and the two doubles.

Each class comes from one edit made the way people make it: in GitHub's UI (the double's control API)
or in the code (a stack file changed, not applied). The audit must find it with the right class and
nothing else. The topology declares GitHub Enterprise here, where environments have required reviewers.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from doubles.github.client import Client
from harness import TEST_SECRETS
from lifecycle import backend_files


ENTERPRISE = re.compile(r"(githubPlan:\s*\n\s*value:\s*)\w+")


@pytest.fixture
def project(project: Path) -> Path:
    """The project copy (conftest's), declaring GitHub Enterprise (environment reviewers exist there)."""
    copy = project
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
    # The GitHub lists were read: rulesets, environments, the repository's secrets, then secrets, variables,
    # branch policies per stack.
    assert doc["run"]["rest_calls"]["github"] == 3 + 3 * 2
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


def add_repository_secret(double):
    double.add_repository_secret("LEGACY_DEPLOY_KEY", "added-to-the-repository-000")


@pytest.mark.parametrize("edit,expected", [
    (edit_ruleset, {("managed_drift", "staging-branch-gate-ruleset")}),
    (edit_secret, {("secret_touched", "staging-secrets-stripe-secret-key-github")}),
    (edit_variable, {("managed_drift", "staging-secrets-app-env-github")}),
    (add_environment, {("unmanaged_addition", "qa")}),
    (add_secret, {("unmanaged_addition", "staging/EXTRA_TOKEN")}),
    (add_repository_secret, {("isolation", "LEGACY_DEPLOY_KEY")}),  # every deploy job would inherit it
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


# --- every printed fix, run as printed, clears its finding ------------------------------------------------

FIX_COMMAND = re.compile(r"`((?:pulumi|gh|curl) [^`]+)`")


def printed_fix(finding: dict) -> str:
    """The command a finding's fix prints (its first backticked command), as text."""
    match = FIX_COMMAND.search(finding["fix"])
    assert match, f"the fix prints no command: {finding['fix']}"
    return match.group(1)


def run_fix(rehearsal, command: str) -> None:
    """The printed command, literally, plus only what a non-interactive run needs: `--yes`, and the test's pack
    settings for an `up`. `gh api -X METHOD path` is sent to the double as the same REST call (no `gh` here)."""
    for part in command.split(" && "):
        argv = shlex.split(part)
        if argv[0] == "pulumi":
            args = argv[1:]
            if args[0] == "up":
                args += ["--yes", "--policy-pack", str(rehearsal.project / "policy"),
                         "--policy-pack-config", rehearsal.env["REHEARSAL_POLICY_CONFIG"]]
            elif args[:2] == ["state", "unprotect"]:
                args += ["--yes"]
            result = rehearsal.cli(*args)
            assert result.returncode == 0, f"`{part}`: {result.stdout[-2000:]}{result.stderr[-2000:]}"
        elif argv[:2] == ["gh", "api"]:
            method, path = argv[argv.index("-X") + 1], argv[-1]
            status, body = Client(rehearsal.double.api_url, rehearsal.env["GITHUB_TOKEN"]).request(method, f"/{path}")
            assert status in (200, 204), (part, status, body)
        else:
            raise AssertionError(f"no way to run `{part}` here")


def only_finding(doc: dict, stack: str) -> dict:
    entry = next(s for s in doc["stacks"] if s["name"] == stack)
    found = [f for f in entry["findings"] if not f["informational"]]
    assert len(found) == 1, found
    return found[0]


def github_secret_is(rehearsal, stack: str, name: str, value: str) -> bool:
    secret = rehearsal.double.store.state()["environments"][stack]["secrets"][name]
    return secret["fingerprint"] == rehearsal.double.store.fingerprint(value)


def vercel_value_is(rehearsal, project: str, key: str, value: str) -> bool:
    (env,) = rehearsal.vercel.state()["projects"][project]["env"][key]
    return env["fingerprint"] == rehearsal.vercel.store.fingerprint(value)


FIXES = [
    # (stack, edit "in the UI", the finding's class and resource, the printed command's start, after the fix)
    ("staging", edit_ruleset, ("managed_drift", "staging-branch-gate-ruleset"), "pulumi up --refresh --stack staging",
     lambda r: r.double.store.state()["rulesets"]["staging-branch-gate"]["enforcement"] == "active"),
    ("staging", edit_variable, ("managed_drift", "staging-secrets-app-env-github"), "pulumi up --refresh --stack staging",
     lambda r: r.double.store.state()["environments"]["staging"]["variables"]["APP_ENV"]["value"] == "staging"),
    ("production", lambda d: d.remove_reviewers("production"), ("managed_drift", "production-deployment-environment"),
     "pulumi up --refresh --stack production", None),
    ("staging", add_secret, ("unmanaged_addition", "staging/EXTRA_TOKEN"),
     "gh api -X DELETE repos/koomy-app/koomy/environments/staging/secrets/EXTRA_TOKEN",
     lambda r: "EXTRA_TOKEN" not in r.double.store.state()["environments"]["staging"]["secrets"]),
    ("production", lambda d: d.set_secret("production", "STRIPE_SECRET_KEY", "sk_live_SENTINELresetInTheUI000"),
     ("secret_touched", "production-secrets-stripe-secret-key-github"), "pulumi state unprotect --stack production ",
     lambda r: github_secret_is(r, "production", "STRIPE_SECRET_KEY", TEST_SECRETS["production"]["STRIPE_SECRET_KEY"])),
    ("staging", "vercel", ("secret_touched", "staging-vercel-stripe-secret-key"), "pulumi state unprotect --stack staging ",
     lambda r: vercel_value_is(r, "koomy-staging", "STRIPE_SECRET_KEY", TEST_SECRETS["staging"]["STRIPE_SECRET_KEY"])),
]


@pytest.mark.parametrize("stack,edit,expected,command,restored", FIXES,
                         ids=["ruleset-disabled", "variable-edited", "reviewers-removed", "unmanaged-secret",
                              "github-secret-reset", "vercel-sensitive-reset"])
def test_each_printed_fix_run_as_printed_clears_its_finding(rehearsal, tmp_path, stack, edit, expected, command, restored):
    deploy(rehearsal, stack)
    if edit == "vercel":
        rehearsal.vercel.set_env("koomy-staging", "STRIPE_SECRET_KEY", "sk_test_SENTINELresetInDashboard01")
    else:
        edit(rehearsal.double)
    code, doc, output = audit(rehearsal, tmp_path, stack)
    assert code == 2, output
    finding = only_finding(doc, stack)
    assert (finding["class"], finding["resource"]["name"]) == expected, finding
    fix = printed_fix(finding)
    assert fix.startswith(command), fix
    run_fix(rehearsal, fix)
    if restored is not None:
        assert restored(rehearsal)
    code, doc, output = audit(rehearsal, tmp_path, stack)
    assert code == 0 and findings(doc, stack) == set(), output
    sentinels = [v for s in TEST_SECRETS for v in TEST_SECRETS[s].values()] + ["SENTINELresetIn"]
    assert not [s for s in sentinels if s in output + json.dumps(doc) + "".join(rehearsal.outputs)]
