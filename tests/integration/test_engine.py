"""The program and the policy pack on the real Pulumi engine (CLI built by scripts/engine.sh).

What runs here: the real CLI and engine, the real policy pack through the engine's Python
analyzer, the program through the Automation API, the github and random plugins built from their
upstream modules (scripts/engine.sh). What cannot: the Vercel plugin (docs/engine.md).
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
from pulumi_run import pinned

SENTINEL_LIVE = "sk_live_SENTINELintegrationLEAK42"
COMPONENTS = ["ReleaseEnvironment", "BranchGate", "DeploymentEnvironment", "EnvironmentSecrets", "DeploymentTarget"]


def pulumi_run(project: Path, env, *args: str) -> tuple[int, str]:
    result = run([sys.executable, str(project / "scripts" / "pulumi_run.py"), *args], project, env, timeout=600)
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
def test_preview_without_a_token_runs_against_the_local_double(engine, project, pulumi_env, stack):
    """`make preview` on a machine with no GITHUB_TOKEN: the real github and random providers, the
    local double instead of GitHub, and the missing Vercel plugin reported in one plain line."""
    need_plugins(engine)
    code, out = pulumi_run(project, pulumi_env, "preview", "--stack", stack)
    assert code == 0, out
    assert "configuration problem" not in out and PASSPHRASE not in out
    assert re.search(r"^github: no GITHUB_TOKEN: the real github provider talks to a local GitHub double at "
                     r"http://127\.0\.0\.1:\d+/ .*nothing reaches GitHub$", out, re.M), out
    vercel_lines = [line for line in out.splitlines() if line.startswith("vercel:")]
    assert len(vercel_lines) == 1 and "not installed here" in vercel_lines[0], out
    assert "Traceback" not in out and "no resource plugin" not in out
    for component in COMPONENTS[:-1]:  # the Vercel DeploymentTarget is the part left out
        assert re.search(rf"\+\s+release-topology:\w+:{component} {stack}\S* create", out), (component, out)
    assert re.search(rf"\+\s+github:index:RepositoryRuleset {stack}-branch-gate-ruleset create", out), out
    assert re.search(rf"\+\s+random:index:RandomPassword {stack}-secrets-jwt-secret create", out), out
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
    code, out = pulumi_run(project, pulumi_env, "preview", "--stack", "staging")
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
# judges it as the production stack of the real topology.

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
        # The empty program has no gate or archive: those rules are tested on their own below.
        "production-branch-gate": "disabled",
        "release-archive": "disabled",
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
    code, out = pulumi_run(project, pulumi_env, "preview", "--stack", "production")
    assert code != 0, out
    assert "❌ release-topology" in out
    assert "[mandatory]  production-branch-gate" in out
    assert "stack 'production': no branch ruleset protects the production branch 'main'" in out
    assert "[mandatory]  release-archive" in out
    # CLI 3.259 ends a preview with mandatory violations with exit code 1 (not 5): record it.
    assert code == 1


def test_deploy_window_is_advisory_in_preview_and_mandatory_in_update(engine, project, pulumi_env, tmp_path):
    with_empty_program(project)
    config = str(closed_window_config(tmp_path))
    code, out = pulumi_run(project, pulumi_env, "preview", "--stack", "production", "--policy-pack-config", config)
    assert code == 0, out
    assert "[advisory]  deploy-window-preview" in out and "outside the deploy window" in out
    code, out = pulumi_run(project, without_github(pulumi_env), "up", "--yes", "--stack", "production", "--policy-pack-config", config)
    assert code != 0, out
    assert "[mandatory]  deploy-window" in out and "outside the deploy window" in out


def test_emergency_override_needs_a_reason_in_the_real_engine(engine, project, pulumi_env, tmp_path):
    with_empty_program(project)
    config = str(closed_window_config(tmp_path))
    refused = dict(without_github(pulumi_env), RELEASE_EMERGENCY="true", RELEASE_EMERGENCY_REASON=" ")
    code, out = pulumi_run(project, refused, "up", "--yes", "--stack", "production", "--policy-pack-config", config)
    assert code != 0 and "an emergency override needs a reason" in out, out
    allowed = dict(without_github(pulumi_env), RELEASE_EMERGENCY="true", RELEASE_EMERGENCY_REASON="payment outage INC-42")
    code, out = pulumi_run(project, allowed, "up", "--yes", "--stack", "production", "--policy-pack-config", config)
    assert code == 0, out


def test_staging_has_no_deploy_window(engine, project, pulumi_env, tmp_path):
    with_empty_program(project)
    code, out = pulumi_run(project, without_github(pulumi_env), "up", "--yes", "--stack", "staging",
                           "--policy-pack-config", str(closed_window_config(tmp_path)))
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
    args = ("--stack", "staging", "--policy-pack", "")
    select(project, pulumi_env, "staging")
    first: dict = {}
    thread = threading.Thread(target=lambda: first.update(result=pulumi_run(project, without_github(pulumi_env), "up", "--yes", *args)))
    thread.start()
    locks = Path(pulumi_env["PULUMI_BACKEND_URL"][len("file://"):]) / ".pulumi" / "locks"
    deadline = time.time() + 60
    while time.time() < deadline and not any(locks.rglob("*.json")):
        time.sleep(0.2)
    assert any(locks.rglob("*.json")), "the first up never took the stack lock"
    code, out = pulumi_run(project, without_github(pulumi_env), "up", "--yes", *args)
    assert code != 0 and "currently locked" in out, out
    code, out = pulumi_run(project, pulumi_env, "preview", *args)
    assert code == 0, out
    thread.join(timeout=120)
    assert first["result"][0] == 0, first["result"][1]


def test_rehearse_runs_a_full_up_against_a_fresh_double_and_lists_its_calls(engine, project, pulumi_env):
    """`make rehearse`: what `up` would do to GitHub, before it does; the real backend untouched."""
    need_plugins(engine)
    code, out = pulumi_run(project, pulumi_env, "rehearse", "--stack", "staging")
    assert code == 0, out
    assert out.startswith("github: a rehearsal: the real github provider talks to a local GitHub double"), out
    calls = re.findall(r"^  (\d{3})  (GET|POST|PUT|PATCH|DELETE) +(/\S+)$", out, re.M)
    assert ("201", "POST", "/api/v3/repos/koomy-app/koomy/rulesets") in calls, out
    assert any(m == "PUT" and p.endswith("/secrets/STRIPE_SECRET_KEY") for _, m, p in calls), out
    assert re.search(r"REST calls this `up` made to GitHub \((\d+); method and path, no values\)", out)
    backend = Path(pulumi_env["PULUMI_BACKEND_URL"][len("file://"):])
    assert not any(backend.rglob("*.json")), "a rehearsal wrote to the real backend"
    assert "sk_test_" not in out.split("REST calls")[1]


def test_up_without_a_token_is_refused_rather_than_recorded_against_the_double(engine, project, pulumi_env):
    code, out = pulumi_run(project, pulumi_env, "up", "--yes", "--stack", "staging")
    assert code != 0 and "needs GITHUB_TOKEN" in out and "make rehearse STACK=staging" in out, out
    backend = Path(pulumi_env["PULUMI_BACKEND_URL"][len("file://"):])
    assert not any(backend.rglob("*.json"))


def test_with_a_token_the_missing_vercel_plugin_fails_the_preview_with_a_hint(rehearsal):
    """Against GitHub (a token), nothing is left out: the engine names the missing plugin and the hint says why."""
    env = {k: v for k, v in rehearsal.env.items() if k != "RELEASE_WITHOUT_VERCEL"}
    code, out = pulumi_run(rehearsal.project, env, "preview", "--stack", "staging")
    assert code != 0
    assert "no resource plugin 'pulumi-resource-vercel' found" in out, out
    assert "hint: the provider plugin pulumi-resource-vercel is not installed" in out and "vercel cannot be had" in out
