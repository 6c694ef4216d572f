"""Issue 18's workflow scripts, pure logic and against loopback servers: post-release health checks (an app that
answers well, badly and slowly), notifications (a receiver: Slack's and Discord's payload shapes), the post-mortem
issue (the GitHub double's issues API), the code-freeze status check."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from doubles.github import GitHubDouble
from doubles.loopback import Server
from harness import ROOT_DIR
from topology.seed_rules import HealthCheck


def script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT_DIR / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


health, notify, postmortem, code_freeze = (script(n) for n in ("health_check", "notify", "postmortem", "code_freeze"))


def project(tmp_path: Path, **config) -> Path:
    """A copy of the project's files with some project-level keys replaced (None: removed)."""
    for name in ("Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.production.yaml"):
        shutil.copy(ROOT_DIR / name, tmp_path / name)
    doc = yaml.safe_load((tmp_path / "Pulumi.yaml").read_text())
    for key, value in config.items():
        if value is None:
            doc["config"].pop(key, None)
        else:
            doc["config"][key] = {"value": value}
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump(doc))
    return tmp_path


def app(path: str):
    """An app after a deploy: /well healthy, /bad 500, /wrong 200 with the wrong body, /slow too slow."""
    return {"/well": (200, '{"status":"ok"}', 0), "/bad": (500, "boom", 0), "/wrong": (200, '{"status":"degraded"}', 0),
            "/slow": (200, '{"status":"ok"}', 1.5)}.get(path, (404, "", 0))


# --- 3. post-release health checks -------------------------------------------------------------------


def test_judge_is_pure_and_never_quotes_the_body():
    check = HealthCheck(path="/api/health", status=200, body='"ok"')
    assert health.judge(check, "u", health.Answer(200, '{"status":"ok"}')) is None
    assert health.judge(check, "u", health.Answer(503, "SECRETbody")) == "u: answered 503, expected 200"
    assert health.judge(check, "u", health.Answer(200, "SECRETbody")) == "u: the body does not contain '\"ok\"'"
    assert health.judge(check, "u", health.Answer(error="no answer within 2 s")) == "u: no answer within 2 s"


def test_health_checks_against_an_app_that_answers_well_badly_and_slowly(tmp_path):
    with Server(app) as server:
        checks = [{"url": f"{server.url}/{p}", "status": 200, "body": "ok", "timeout": 0.5}
                  for p in ("well", "bad", "wrong", "slow")]
        root = project(tmp_path, healthChecks=checks)
        lines: list[str] = []
        code = health.run("production", root=root, sha="abc123", attempts=2, interval=0, out=lines.append)
    text = "\n".join(lines)
    assert code == 1
    assert f"ok   {server.url}/well (200)" in lines
    assert f"{server.url}/bad: answered 500, expected 200" in text
    assert f"{server.url}/wrong: the body does not contain 'ok'" in text
    assert f"{server.url}/slow: no answer within 0.5 s" in text
    assert "boom" not in text and "degraded" not in text
    # the rollback: the previous production deployment on Vercel, `git revert` for the topology
    assert "vercel link --yes --project koomy-production && vercel rollback --yes" in text
    assert "git revert abc123" in text
    # two tries per failing check (the deployment may still be rolling out), one for the healthy one
    assert sum(1 for _, path, _ in server.requests if path == "/bad") == 2
    assert sum(1 for _, path, _ in server.requests if path == "/well") == 1


def test_a_healthy_deploy_passes_and_paths_use_the_stack_s_domain(tmp_path):
    with Server(app) as server:
        root = project(tmp_path, healthChecks=[{"url": f"{server.url}/well", "timeout": 2}])
        assert health.run("staging", root=root, attempts=1, out=lambda _: None) == 0
    seen = []
    root = project(tmp_path / "paths" if (tmp_path / "paths").mkdir() is None else tmp_path,
                   healthChecks=[{"path": "/api/health", "environments": ["production"]}])
    code = health.run("production", root=root, attempts=1, out=lambda _: None,
                      get=lambda url, timeout: seen.append(url) or health.Answer(200, ""))
    assert code == 0 and seen == ["https://koomy.app/api/health"]
    assert health.run("staging", root=root, attempts=1, out=lambda _: None, get=None) == 0  # not staging's


# --- 4. notifications --------------------------------------------------------------------------------

EVENT = notify.Event("emergency", "production", "0123456789abcdef", "koomy-cto", "https://github.com/r/actions/runs/1",
                     "checkout broken; key sk_live_SENTINEL123 pasted by mistake")


@pytest.mark.parametrize("fmt", ["slack", "discord"])
def test_one_message_per_event_in_slack_s_and_discord_s_shape(tmp_path, fmt):
    with Server(lambda path: (200 if fmt == "slack" else 204, "ok" if fmt == "slack" else "", 0)) as receiver:
        root = project(tmp_path, notifications={"format": fmt})
        environ = {"RELEASE_NOTIFY_WEBHOOK": f"{receiver.url}/hook"}
        assert notify.notify(EVENT, root=root, environ=environ, strict=True, out=lambda _: None) == 0
    [(method, path, raw)] = receiver.requests
    body = json.loads(raw)
    assert method == "POST" and path == "/hook"
    if fmt == "slack":  # https://api.slack.com/messaging/webhooks: text (the fallback) and blocks
        assert set(body) == {"text", "blocks"} and body["blocks"][0]["type"] == "section"
        text = body["text"]
    else:  # https://discord.com/developers/docs/resources/webhook#execute-webhook: content <= 2000, no pings
        assert set(body) == {"content", "allowed_mentions"} and body["allowed_mentions"] == {"parse": []}
        assert len(body["content"]) <= notify.DISCORD_MAX
        text = body["content"]
    for what in ("EMERGENCY deploy", "production", "0123456789ab", "koomy-cto", "https://github.com/r/actions/runs/1"):
        assert what in text
    assert "sk_live_SENTINEL123" not in raw.decode() and "[redacted]" in text


def test_no_webhook_no_declaration_or_a_dead_receiver_never_fails_a_deploy(tmp_path):
    lines: list[str] = []
    root = project(tmp_path, notifications={"format": "slack"})
    assert notify.notify(EVENT, root=root, environ={}, out=lines.append) == 0
    assert "RELEASE_NOTIFY_WEBHOOK is not set" in lines[-1]
    dead = {"RELEASE_NOTIFY_WEBHOOK": "http://127.0.0.1:9/hook-SECRET"}
    assert notify.notify(EVENT, root=root, environ=dead, out=lines.append) == 0
    assert "hook-SECRET" not in lines[-1]
    assert notify.notify(EVENT, root=root, environ=dead, strict=True, out=lines.append) == 1
    (tmp_path / "none").mkdir()
    undeclared = project(tmp_path / "none", notifications=None)
    assert notify.notify(EVENT, root=undeclared, environ=dead, strict=True, out=lines.append) == 0


# --- 5. post-mortem after an emergency ---------------------------------------------------------------


def test_an_emergency_opens_a_post_mortem_that_the_next_one_sees():
    with GitHubDouble(plan="team", visibility="private") as gh:
        call = postmortem.rest(gh.api_url, gh.token_for("koomy-cto"))
        repository = f"{gh.store.owner}/{gh.store.repo_name}"
        first: list[str] = []
        assert postmortem.run("production", "payment outage INC-42", "a" * 40, "https://ci/run/1", call=call,
                              repository=repository, out=first.append) == 0
        second: list[str] = []
        assert postmortem.run("production", "checkout 500", "b" * 40, "https://ci/run/2", call=call,
                              repository=repository, out=second.append) == 0
        status, issues = call("GET", f"/repos/{repository}/issues?labels=post-mortem", None)
    assert status == 200 and len(issues) == 2
    newest, oldest = issues
    assert oldest["title"] == f"Post-mortem: emergency deploy of production at {'a' * 12}"
    assert [label["name"] if isinstance(label, dict) else label for label in oldest["labels"]] == ["post-mortem"]
    for text in ("payment outage INC-42", "a" * 40, "https://ci/run/1"):
        assert text in oldest["body"]
    assert f"#{oldest['number']}" in newest["body"]  # the next emergency lists the open ones
    assert any(f"#{oldest['number']}" in line and "still open" in line for line in second)


def test_the_issue_is_assigned_to_the_production_reviewers():
    body = postmortem.issue("production", " INC-42 ", "c" * 40, "https://ci/run/3", ["koomy-cto"], ["post-mortem"], [])
    assert body["assignees"] == ["koomy-cto"] and body["labels"] == ["post-mortem"]
    assert "**Reason given:** INC-42" in body["body"]


# --- 7. the code-freeze status check -----------------------------------------------------------------


def test_the_freeze_check_fails_during_a_freeze_unless_an_emergency_gives_a_reason(tmp_path):
    root = project(tmp_path, codeFreeze=[{"start": "2026-12-18", "end": "2027-01-04", "reason": "go-live S1"}])
    during = dt.datetime(2026, 12, 20, 10, 0, tzinfo=dt.timezone.utc)
    lines: list[str] = []
    assert code_freeze.check(during, root=root, out=lines.append) == 1
    assert "code freeze from 2026-12-18 to 2027-01-04" in lines[-1] and "'main'" in lines[-1]
    assert code_freeze.check(during, "INC-42", root=root, out=lines.append) == 0
    assert code_freeze.check(during + dt.timedelta(days=30), root=root, out=lines.append) == 0
