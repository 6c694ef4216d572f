"""A mandatory rule stops a production `up` before its first write (issue 15, "Mandatory rules do not stop
anything"): the real engine, the built plugins, the program and the policy pack against the GitHub and Vercel
doubles, whose request logs must hold no write at all.

The pack's `deploy-window` and `code-owners` are stack policies: during `up` the engine runs them after the
resources were written (measured before this fix: 11 GitHub writes, then the code-owners failure). The program
judges the same rules first (topology/config.py release_run), so the update registers nothing.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml

from lifecycle import Rehearsal

STACK = "production"


def close_the_window(rehearsal: Rehearsal) -> None:
    """Pulumi.yaml's window (which the program and the pack read) a minute long, twelve hours from now."""
    start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=12)
    path = rehearsal.project / "Pulumi.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["config"]["deployWindow"]["value"] = {
        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": f"{start:%H:%M}",
        "end": f"{start + dt.timedelta(minutes=1):%H:%M}", "timezone": "UTC"}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def as_shipped(rehearsal: Rehearsal, **extra: str) -> dict[str, str]:
    """The environment of a real deploy: no rehearsal knob, the window mandatory in the pack as shipped."""
    config = rehearsal.project / "shipped-policy-config.json"
    config.write_text(json.dumps({}))
    env = {k: v for k, v in rehearsal.env.items() if k != "RELEASE_DEPLOY_WINDOW"}
    return {**env, "REHEARSAL_POLICY_CONFIG": str(config), **extra}


def up(rehearsal: Rehearsal, env: dict[str, str], *, skip_preview: bool) -> tuple[int, str]:
    """`pulumi up --yes` with the pack, as _pulumi-up.yml runs it (with its preview stage), or with --skip-preview."""
    assert rehearsal.cli("stack", "select", "--create", STACK).returncode == 0
    args = ["up", "--yes", "--stack", STACK, "--policy-pack", str(rehearsal.project / "policy"),
            "--policy-pack-config", env["REHEARSAL_POLICY_CONFIG"], *(["--skip-preview"] if skip_preview else [])]
    saved, rehearsal.env = rehearsal.env, env
    try:
        result = rehearsal.cli(*args, timeout=600)
    finally:
        rehearsal.env = saved
    return result.returncode, result.stdout + result.stderr


def assert_nothing_written(rehearsal: Rehearsal) -> None:
    assert rehearsal.writes() == [], rehearsal.writes()
    assert rehearsal.vercel_writes() == [], rehearsal.vercel_writes()
    resources = rehearsal.export(STACK)["deployment"].get("resources") or []
    assert [r["type"] for r in resources if r["type"] != "pulumi:pulumi:Stack"] == [], resources


@pytest.mark.parametrize("skip_preview", [False, True], ids=["as-the-workflow", "skip-preview"])
def test_outside_the_window_without_an_emergency_nothing_is_written(rehearsal, skip_preview):
    close_the_window(rehearsal)
    code, out = up(rehearsal, as_shipped(rehearsal), skip_preview=skip_preview)
    assert code != 0, out
    assert "stack 'production': the update breaks 1 mandatory release-policy rule; nothing was registered" in out, out
    assert "deploy-window: stack 'production':" in out and "is outside the deploy window" in out
    assert "Traceback" not in out
    assert_nothing_written(rehearsal)


def test_codeowners_not_naming_the_reviewers_write_nothing(rehearsal):
    # The shipped plan (Team, private): production is approved by code-owner review.
    (rehearsal.project / ".github").mkdir()
    (rehearsal.project / ".github" / "CODEOWNERS").write_text("* @koomy-cto\n/.github/workflows/ @intern\n")
    env = {**as_shipped(rehearsal), "RELEASE_DEPLOY_WINDOW": "advisory",
           "REHEARSAL_POLICY_CONFIG": rehearsal.env["REHEARSAL_POLICY_CONFIG"]}  # only CODEOWNERS is wrong
    code, out = up(rehearsal, env, skip_preview=True)
    assert code != 0, out
    assert "code-owners: stack 'production': CODEOWNERS line 2: `/.github/workflows/` is owned by @intern" in out, out
    assert_nothing_written(rehearsal)


def test_an_emergency_without_a_reason_writes_nothing_and_with_one_deploys(rehearsal):
    close_the_window(rehearsal)
    code, out = up(rehearsal, as_shipped(rehearsal, RELEASE_EMERGENCY="true", RELEASE_EMERGENCY_REASON="  "),
                   skip_preview=True)
    assert code != 0, out
    assert "an emergency override needs a reason (RELEASE_EMERGENCY_REASON)" in out, out
    assert_nothing_written(rehearsal)

    reason = "payment outage INC-42"
    code, out = up(rehearsal, as_shipped(rehearsal, RELEASE_EMERGENCY="true", RELEASE_EMERGENCY_REASON=reason),
                   skip_preview=False)
    assert code == 0, out
    assert rehearsal.writes() and rehearsal.vercel_writes()
    outputs = rehearsal.cli("stack", "output", "--stack", STACK, "--json")
    assert json.loads(outputs.stdout)["emergencyOverride"] == {"reason": reason}


def test_the_rehearsal_knob_is_refused_against_github(rehearsal):
    """Refused even in a preview (an update of the demo stacks against GitHub is refused anyway: topology/keys.py)."""
    env = {**rehearsal.env, "GITHUB_BASE_URL": "https://api.github.com/"}
    assert rehearsal.cli("stack", "select", "--create", STACK).returncode == 0
    saved, rehearsal.env = rehearsal.env, env
    try:
        code, out = rehearsal.preview(STACK)
    finally:
        rehearsal.env = saved
    assert code != 0 and "RELEASE_DEPLOY_WINDOW: makes the deploy window advisory" in out, out
    assert_nothing_written(rehearsal)
