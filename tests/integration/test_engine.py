"""The program and the policy pack on the real Pulumi engine (CLI built by scripts/engine.sh).

What runs here: the real CLI and engine, its Python language host running the program and the policy
pack, and the github, random and vercel plugins built from their upstream providers (scripts/engine.sh),
driven as users drive them: `pulumi ...`, and `python -m rehearsal` (`make preview`, `make rehearse`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import PASSPHRASE, ROOT, need_plugins, run

from rehearsal.project import pinned

SENTINEL_LIVE = "sk_live_SENTINELintegrationLEAK42"
COMPONENTS = ["ReleaseEnvironment", "BranchGate", "DeploymentEnvironment", "EnvironmentSecrets", "DeploymentTarget"]


def make(project: Path, env, command: str, stack: str, *extra: str) -> tuple[int, str]:
    """`make preview` / `make rehearse` of the copy: `python -m rehearsal`."""
    args = [sys.executable, "-m", "rehearsal", command, "--stack", stack] + (["--", *extra] if extra else [])
    result = run(args, project, env, timeout=600)
    return result.returncode, result.stdout + result.stderr


def pulumi(project: Path, env, command: str, stack: str, *flags: str) -> tuple[int, str]:
    """`pulumi preview|up` with the pack, as the README and the workflows run it."""
    select(project, env, stack)
    args = ["pulumi", command, "--stack", stack, "--policy-pack", "policy", *flags]
    if command == "up":
        args += ["--yes", "--skip-preview"]
    result = run(args, project, env, timeout=600)
    return result.returncode, result.stdout + result.stderr


def select(project: Path, env, stack: str) -> None:
    result = run(["pulumi", "stack", "select", "--create", stack], project, env)
    assert result.returncode == 0, result.stderr


def test_engine_matches_the_pinned_sdk(engine, pulumi_env):
    version = run(["pulumi", "version"], ROOT, pulumi_env).stdout.strip()
    assert version == f"v{pinned('pulumi')}"
    assert engine.has("pulumi")
    # Python policy packs run either through the language host or the policy-python analyzer.
    assert engine.has("pulumi-language-python") or engine.has("analyzer-policy-python")


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_preview_without_a_token_runs_against_the_local_doubles(engine, project, pulumi_env, stack):
    """`make preview` on a machine with no token: the real github, random and vercel providers, the local
    doubles instead of GitHub and Vercel, each said in one plain line."""
    need_plugins(engine)
    code, out = make(project, pulumi_env, "preview", stack)
    assert code == 0, out
    assert "configuration problem" not in out and PASSPHRASE not in out
    assert re.search(r"^github: no GITHUB_TOKEN: the real github provider talks to a local GitHub double at "
                     r"http://127\.0\.0\.1:\d+/ .*nothing reaches GitHub$", out, re.M), out
    assert re.search(r"^vercel: no VERCEL_API_TOKEN: the real vercel provider reaches a local Vercel double through "
                     r"http://127\.0\.0\.1:\d+ .*nothing reaches Vercel$", out, re.M), out
    assert "Traceback" not in out and "no resource plugin" not in out
    for component in COMPONENTS:
        assert re.search(rf"\+\s+release-topology:\w+:{component} {stack}\S* create", out), (component, out)
    assert re.search(rf"\+\s+github:index:RepositoryRuleset {stack}-branch-gate-ruleset create", out), out
    assert re.search(rf"\+\s+random:index:RandomPassword {stack}-secrets-jwt-secret create", out), out
    assert re.search(rf"\+\s+vercel:index:Project {stack}-vercel-project create", out), out
    assert re.search(rf"\+\s+vercel:index:ProjectEnvironmentVariable {stack}-vercel-stripe-secret-key create", out), out
    assert re.search(rf"\+\s+vercel:index:ProjectDomain {stack}-vercel-domain create", out), out
    assert "release-topology@v0.0.1" in out and "❌" not in out and "[mandatory]" not in out


def test_config_errors_stop_the_real_engine_before_any_resource(engine, project, pulumi_env):
    select(project, pulumi_env, "staging")
    steps = [
        ["pulumi", "config", "set", "--secret", "--stack", "staging", "STRIPE_SECRET_KEY", SENTINEL_LIVE],
        ["pulumi", "config", "rm", "--stack", "staging", "SUPABASE_SERVICE_ROLE_KEY"],
        ["pulumi", "config", "set", "--stack", "staging", "waitTimr", "5"],
    ]
    for step in steps:
        assert run(step, project, pulumi_env).returncode == 0
    code, out = make(project, pulumi_env, "preview", "staging")
    assert code != 0
    assert "stack 'staging': 3 configuration problems; nothing was registered." in out
    assert "release-topology:STRIPE_SECRET_KEY: holds a Stripe LIVE-mode key in a non-production environment" in out
    assert "pulumi config set --secret --stack staging SUPABASE_SERVICE_ROLE_KEY <value>" in out
    assert "release-topology:waitTimr: unknown key (did you mean 'waitTimer'?)" in out
    assert SENTINEL_LIVE not in out
    assert "Traceback" not in out, "a RunError prints the message, not a stack trace"
    assert not re.search(r"\+\s+release-topology:", out), "nothing may be registered"
    # Nothing was written to state either.
    exported = run(["pulumi", "stack", "export", "--stack", "staging"], project, pulumi_env)
    assert json.loads(exported.stdout)["deployment"].get("resources") in (None, [])


# --- the policy pack in the real engine ------------------------------------------------------------
# A program with no provider resources lets the engine reach its stack policies here; the pack
# judges it as the production stack of the real topology. These test the pack alone: the program
# refuses the same updates (window, emergency reason, CODEOWNERS) before its first write, proven with
# the doubles' request logs in test_mandatory.py.

EMPTY_PROGRAM = "import pulumi\npulumi.export('ok', True)\n"


def closed_window_config(tmp_path: Path) -> Path:
    """A one-minute window twelve hours from now: the present is outside it."""
    start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=12)
    end = start + dt.timedelta(minutes=1)
    window = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": f"{start:%H:%M}",
              "end": f"{end:%H:%M}", "timezone": "UTC"}
    path = tmp_path / "policy-config.json"
    path.write_text(json.dumps({
        "deploy-window": {"deployWindow": window},
        "deploy-window-preview": {"deployWindow": window},
        # The empty program has no gate, archive or allowed-branches ruleset: those rules are tested on their own.
        "production-branch-gate": "disabled",
        "release-archive": "disabled",
        "allowed-branches": "disabled",
    }))
    return path


def without_github(env: dict[str, str]) -> dict[str, str]:
    """For programs that make no GitHub resource: `up` asks for a token all the same."""
    return dict(env, GITHUB_TOKEN="unused-no-github-resource")


def with_empty_program(project: Path) -> Path:
    (project / "__main__.py").write_text(EMPTY_PROGRAM)
    return project


def test_real_pack_blocks_a_production_stack_without_gate_or_archive(engine, project, pulumi_env):
    with_empty_program(project)
    code, out = make(project, pulumi_env, "preview", "production")
    assert code != 0, out
    assert "❌ release-topology" in out
    assert "[mandatory]  production-branch-gate" in out
    assert "stack 'production': no branch ruleset protects the production branch 'main'" in out
    assert "[mandatory]  release-archive" in out
    # CLI 3.259 ends a preview with mandatory violations with exit code 1 (not 5): record it.
    assert code == 1


def test_deploy_window_is_advisory_in_preview_and_mandatory_in_update(engine, project, pulumi_env, tmp_path):
    """The pack's twin rules (the program's own refusal: test_mandatory.py)."""
    with_empty_program(project)
    config = str(closed_window_config(tmp_path))
    code, out = pulumi(project, pulumi_env, "preview", "production", "--policy-pack-config", config)
    assert code == 0, out
    assert "[advisory]  deploy-window-preview" in out and "outside the deploy window" in out
    code, out = pulumi(project, without_github(pulumi_env), "up", "production", "--policy-pack-config", config)
    assert code != 0, out
    assert "[mandatory]  deploy-window" in out and "outside the deploy window" in out


def test_emergency_override_needs_a_reason_in_the_real_engine(engine, project, pulumi_env, tmp_path):
    with_empty_program(project)
    config = str(closed_window_config(tmp_path))
    refused = dict(without_github(pulumi_env), RELEASE_EMERGENCY="true", RELEASE_EMERGENCY_REASON=" ")
    code, out = pulumi(project, refused, "up", "production", "--policy-pack-config", config)
    assert code != 0 and "an emergency override needs a reason" in out, out
    allowed = dict(without_github(pulumi_env), RELEASE_EMERGENCY="true", RELEASE_EMERGENCY_REASON="payment outage INC-42")
    code, out = pulumi(project, allowed, "up", "production", "--policy-pack-config", config)
    assert code == 0, out


def test_staging_has_no_deploy_window(engine, project, pulumi_env, tmp_path):
    with_empty_program(project)
    code, out = pulumi(project, without_github(pulumi_env), "up", "staging", "--policy-pack-config", str(closed_window_config(tmp_path)))
    assert code == 0, out
    assert "deploy-window" not in out


# --- one writer per stack ----------------------------------------------------------------------------

SLOW_PROGRAM = '''
import time
import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider

class Slow(ResourceProvider):
    def create(self, props):
        time.sleep(float(props["seconds"]))
        return CreateResult("slow", props)

class SlowResource(Resource):
    def __init__(self, name, seconds):
        super().__init__(Slow(), name, {"seconds": seconds})

SlowResource("slow", 12)
'''


def test_concurrent_up_is_refused_by_the_lock_and_preview_still_works(engine, project, pulumi_env):
    (project / "__main__.py").write_text(SLOW_PROGRAM)
    env = without_github(pulumi_env)
    select(project, pulumi_env, "staging")
    up = ["pulumi", "up", "--yes", "--skip-preview", "--stack", "staging"]
    first: dict = {}
    thread = threading.Thread(target=lambda: first.update(result=run(up, project, env)))
    thread.start()
    locks = Path(pulumi_env["PULUMI_BACKEND_URL"][len("file://"):]) / ".pulumi" / "locks"
    deadline = time.time() + 60
    while time.time() < deadline and not any(locks.rglob("*.json")):
        time.sleep(0.2)
    assert any(locks.rglob("*.json")), "the first up never took the stack lock"
    second = run(up, project, env)
    assert second.returncode != 0 and "currently locked" in second.stdout + second.stderr, second
    preview = run(["pulumi", "preview", "--stack", "staging"], project, pulumi_env)
    assert preview.returncode == 0, preview.stdout + preview.stderr
    thread.join(timeout=120)
    assert first["result"].returncode == 0, first["result"].stdout + first["result"].stderr


def test_rehearse_runs_a_full_up_against_fresh_doubles_and_lists_its_calls(engine, project, pulumi_env):
    """`make rehearse`: what `up` would do to GitHub and Vercel, before it does; the real backend untouched."""
    need_plugins(engine)
    code, out = make(project, pulumi_env, "rehearse", "staging")
    assert code == 0, out
    assert out.startswith("github+vercel: a rehearsal: the real providers talk to fresh local doubles"), out
    calls = re.findall(r"^  (\d{3})  (GET|POST|PUT|PATCH|DELETE) +(\S+)$", out, re.M)
    assert ("201", "POST", "/api/v3/repos/koomy-app/koomy/rulesets") in calls, out
    assert any(m == "PUT" and p.endswith("/secrets/STRIPE_SECRET_KEY") for _, m, p in calls), out
    assert any(m == "POST" and p.startswith("api.vercel.com/v") and p.endswith("/projects") for _, m, p in calls), out
    assert any(m == "POST" and p.startswith("api.vercel.com/") and p.endswith("/env") for _, m, p in calls), out
    assert re.search(r"REST calls this `up` made \((\d+); status, method and path, no values\)", out)
    backend = Path(pulumi_env["PULUMI_BACKEND_URL"][len("file://"):])
    assert not any(backend.rglob("*.json")), "a rehearsal wrote to the real backend"
    assert "sk_test_" not in out.split("REST calls")[1]


def test_one_token_without_the_other_is_refused_before_anything_runs(engine, project, pulumi_env):
    """A preview against GitHub with Vercel left to a double (or the reverse) would mix two worlds in one plan."""
    code, out = make(project, dict(pulumi_env, GITHUB_TOKEN="ghp_real"), "preview", "staging")
    assert code != 0 and "GITHUB_TOKEN is set but VERCEL_API_TOKEN is not" in out, out
    backend = Path(pulumi_env["PULUMI_BACKEND_URL"][len("file://"):])
    assert not any(backend.rglob("*.json"))


def test_with_both_tokens_make_preview_talks_to_the_configured_apis(rehearsal):
    """With tokens, `make preview` starts no double: it previews against whatever the environment names
    (here the test's doubles standing in for GitHub and Vercel, as a GHES and a proxy would)."""
    rehearsal.double.store.clear_log()
    code, out = make(rehearsal.project, rehearsal.env, "preview", "staging")
    assert code == 0, out
    assert "local GitHub double" not in out and "local Vercel double" not in out, out
    assert re.search(r"\+\s+vercel:index:Project staging-vercel-project create", out), out
    assert any(r["path"].startswith("/api/v3/orgs/") for r in rehearsal.double.store.requests())


def test_make_demo_tours_up_preview_audit_a_change_by_hand_and_its_fix(engine, project, pulumi_env):
    """`make demo` on a fresh clone: every step green, the audit clean, then the finding and its printed fix,
    then clean again; the throw-away copy is gone after."""
    need_plugins(engine)
    result = run([sys.executable, "-m", "rehearsal", "demo"], project, pulumi_env, timeout=900)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    steps = re.findall(r"^\[demo (\d+)/(\d+)\] (.+)$", out, re.M)
    assert [int(n) for n, _, _ in steps] == list(range(1, 10)) and steps[0][1] == "9", steps
    audits = re.findall(r"^\s+exit (\d): ", out, re.M)
    assert audits == ["0", "2", "0"], out
    assert "managed_drift on production-branch-gate-ruleset" in out
    assert "the printed fix: pulumi up --refresh --stack production" in out
    copy = re.search(r"a throw-away copy in (\S+),", out).group(1)
    assert not Path(copy).exists(), "the demo left its copy behind"
    backend = Path(pulumi_env["PULUMI_BACKEND_URL"][len("file://"):])
    assert not any(backend.rglob("*.json")), "the demo wrote to the configured backend"
