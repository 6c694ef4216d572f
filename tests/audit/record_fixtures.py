"""Record the audit's unit-test fixtures from the real engine, the real plugins and the GitHub and Vercel doubles.

    .venv/bin/python -m tests.audit.record_fixtures      # from the checkout's root; rewrites tests/audit/recorded/*.json

Not a test. For each scenario it deploys a copy of the project against a fresh double, makes the
scenario's edits through the double's control API (what a person does in the UI) or in the copy's
stack files (a change merged, not applied), then records, one call at a time:
- the raw engine events of the refreshed preview with the policy pack (only the kinds the audit
  reads: resource outputs, policy events, error diagnostics, failed operations);
- `pulumi stack export` without secrets (ciphertexts replaced: the fixtures hold none);
- every GET answer of GitHub's list endpoints that the audit reads.
Secrets in events arrive blinded by the engine; the config (with decrypted secrets) is not recorded.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.automation import events as sdk_events

from audit import listings
from audit.rest import JsonClient, github_api_root, urlopen_fetch
from audit.run import command_failure
from topology import keys
from topology.project import read_topology

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "recorded"
KEPT = ("resOutputsEvent", "policyEvent", "resOpFailedEvent", "diagnosticEvent")
ENGINE = Path.home() / ".cache" / "release-topology" / "engine" / "v3.259.0" / "bin"
EMPTY_PROGRAM = "import pulumi\npulumi.export('ok', True)\n"


def _kept(event: dict) -> bool:
    kind = next((k for k in KEPT if k in event), None)
    if kind == "diagnosticEvent":
        return event[kind].get("severity") == "error"
    return kind is not None


def strip_ciphertext(value: Any) -> Any:
    if isinstance(value, dict):
        if "ciphertext" in value:
            return {**value, "ciphertext": "[removed by the recorder]"}
        return {k: strip_ciphertext(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_ciphertext(v) for v in value]
    return value


class EventTap:
    """Keeps the raw JSON of every event the SDK parses (one engine call at a time)."""

    def __init__(self) -> None:
        self.raw: list[dict] = []
        original = sdk_events.EngineEvent.from_json.__func__

        def tapped(cls, data):
            self.raw.append(data)
            return original(cls, data)

        sdk_events.EngineEvent.from_json = classmethod(tapped)

    def take(self) -> list[dict]:
        taken, self.raw = [e for e in self.raw if _kept(e)], []
        return taken


class RecordingFetch:
    def __init__(self, root: str) -> None:
        self.root = root
        self.answers: dict[str, Any] = {}

    def __call__(self, request, timeout):
        status, headers, body = urlopen_fetch(request, timeout)
        key = request.full_url[len(self.root):]
        self.answers[key] = {"status": status, "link": headers.get("Link") or headers.get("link"),
                             "body": json.loads(body or b"null")}
        return status, headers, body


def record_stack(name: str, project: Path, env: dict[str, str], tap: EventTap, policy_config: Path) -> dict:
    """The stack's engine call as the audit makes it (preview --refresh with the pack), and its export."""
    # The stack's own passphrase only (topology/keys.py), as the audit gives each stack's engine calls.
    env = keys.stack_env(name, env)
    stack = auto.select_stack(name, work_dir=str(project), opts=auto.LocalWorkspaceOptions(env_vars=env))
    tap.take()
    error = None
    try:
        stack.preview(refresh=True, color="never", suppress_progress=True, suppress_outputs=True,
                      policy_packs=[str(project / "policy")], policy_pack_configs=[str(policy_config)],
                      on_event=lambda e: None)
    except auto.errors.CommandError as err:
        error = command_failure(err)
    ws = stack.workspace
    exported = ws.pulumi_command.run(["stack", "export", "--stack", name], ws.work_dir, dict(ws.env_vars))
    return {"engine": {"events": tap.take(), "command_error": error},
            "export": strip_ciphertext(json.loads(exported.stdout))}


def record_github(env: dict[str, str], topology, stacks: list[str]) -> dict:
    root = github_api_root(env["GITHUB_BASE_URL"])
    fetch = RecordingFetch(root)
    client = JsonClient("github", root, env["GITHUB_TOKEN"], fetch=fetch)
    repo = listings.fetch_repository(client, topology.owner, topology.repository)
    for name in stacks:
        live = repo.environment(name)
        if live is not None:
            listings.fetch_environment(client, topology.owner, topology.repository, live)
    return fetch.answers


def edit_out_of_band(double, project: Path) -> list[str]:
    """What people did outside Pulumi (through the double's control API), and one change merged not applied."""
    rulesets = double.store.state()["rulesets"]
    double.disable_ruleset(rulesets["staging-branch-gate"]["id"])
    double.set_secret("staging", "STRIPE_SECRET_KEY", "sk_test_RESETinTheUI0000000000")
    double.set_variable("staging", "APP_ENV", "staging-edited")
    double.set_variable("staging", "NEXT_PUBLIC_SUPABASE_URL", "https://production-ref.supabase.co/")
    double.set_secret("staging", "EXTRA_TOKEN", "added-by-hand-0000000000")
    double.remove_reviewers("production")
    double.add_environment("qa")
    double.add_repository_secret("LEGACY_DEPLOY_KEY", "added-to-the-repository-0000")
    stack_file = project / "Pulumi.production.yaml"
    stack_file.write_text(stack_file.read_text().replace('release-topology:requiredApprovals: "1"',
                                                         'release-topology:requiredApprovals: "2"'))
    assert 'requiredApprovals: "2"' in stack_file.read_text()
    return ["staging ruleset disabled", "staging STRIPE_SECRET_KEY re-set", "staging APP_ENV changed",
            "staging NEXT_PUBLIC_SUPABASE_URL set to production's URL", "staging secret EXTRA_TOKEN added",
            "production reviewers all removed", "environment qa added", "repository secret LEGACY_DEPLOY_KEY added",
            "production requiredApprovals 1 -> 2 in its stack file (not applied)"]


def declare_plan(project: Path, plan: str) -> None:
    """Environment reviewers exist only on some plans (Enterprise, or public repositories)."""
    path = project / "Pulumi.yaml"
    text = path.read_text()
    updated = re.sub(r"(githubPlan:\s*\n\s*value:\s*)\w+", rf"\g<1>{plan}", text)
    assert updated != text or f"value: {plan}" in text, "Pulumi.yaml declares no githubPlan"
    path.write_text(updated)


def dump(data: dict) -> str:
    """Readable and diffable: the structure indented, each event and each export resource on one line."""
    lines: dict[str, str] = {}

    def one_per_line(items: list) -> str:
        token = f"@@{len(lines)}@@"
        lines[token] = "[\n" + ",\n".join(json.dumps(i, sort_keys=True) for i in items) + "\n]"
        return token

    shaped = copy.deepcopy(data)
    for rec in shaped.get("stacks", {}).values():
        rec["engine"]["events"] = one_per_line(rec["engine"]["events"])
        deployment = rec["export"].get("deployment") or {}
        deployment["resources"] = one_per_line(deployment.get("resources") or [])
    text = json.dumps(shaped, indent=1, sort_keys=True)
    for token, block in lines.items():
        text = text.replace(f'"{token}"', block)
    return text + "\n"


def scenario(name: str, about: str, body, plan: str | None = None) -> None:
    from tests.integration.lifecycle import Rehearsal

    from rehearsal.doubles import started
    from rehearsal.project import copy_project

    with tempfile.TemporaryDirectory(prefix="audit-record-") as tmp:
        tmp_path = Path(tmp)
        project = copy_project(tmp_path / "project")
        if plan:
            declare_plan(project, plan)
        backend = tmp_path / "state"
        backend.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "RELEASE_", "GITHUB_", "VERCEL_"))}
        env.update(PATH=f"{ENGINE}:{os.environ['PATH']}", PULUMI_BACKEND_URL=f"file://{backend}",
                   PULUMI_CONFIG_PASSPHRASE_STAGING="release-topology-demo-staging",
                   PULUMI_CONFIG_PASSPHRASE_PRODUCTION="release-topology-demo-production", PULUMI_SKIP_UPDATE_CHECK="true",
                   PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true", PULUMI_HOME=str(Path.home() / ".pulumi"))
        topology = read_topology(project / "Pulumi.yaml")
        with started(project) as doubles:
            rehearsal = Rehearsal(project, Rehearsal.environment(env, doubles, project), doubles)
            policy_config = tmp_path / "audit-policy-config.json"
            policy_config.write_text(json.dumps({"deploy-window-preview": "disabled"}))
            data = body(rehearsal, topology, policy_config)
        data["about"] = about
        (OUT / f"{name}.json").write_text(dump(data))
        print(f"recorded {name}: {len(json.dumps(data))} bytes")


def deployed_then(edit):
    def body(rehearsal, topology, policy_config):
        stacks = ["staging", "production"]
        for stack in stacks:
            assert rehearsal.cli("stack", "init", stack).returncode == 0
            rehearsal.up(stack)
        edits = edit(rehearsal.double, rehearsal.project) if edit else []
        tap = EventTap()
        recorded = {"edits": edits, "stacks": {}}
        for stack in stacks:
            recorded["stacks"][stack] = record_stack(stack, rehearsal.project, rehearsal.env, tap, policy_config)
        recorded["github"] = record_github(rehearsal.env, topology, stacks)
        recorded["double_requests"] = len(rehearsal.double.store.requests())
        return recorded
    return body


def double_down(rehearsal, topology, policy_config):
    """The API does not answer: the refresh and the REST pass fail (an error, never "clean")."""
    assert rehearsal.cli("stack", "init", "staging").returncode == 0
    rehearsal.up("staging")
    rehearsal.double.stop()
    tap = EventTap()
    return {"edits": ["the GitHub API stopped answering"],
            "stacks": {"staging": record_stack("staging", rehearsal.project, rehearsal.env, tap, policy_config)}}


def policy_stop(rehearsal, topology, policy_config):
    """The shipped pack on a production stack whose code lost its gate and archive: mandatory violations."""
    (rehearsal.project / "__main__.py").write_text(EMPTY_PROGRAM)
    assert rehearsal.cli("stack", "init", "production").returncode == 0
    tap = EventTap()
    return {"edits": ["production's program emptied (no gate, no archive), not applied"],
            "stacks": {"production": record_stack("production", rehearsal.project, rehearsal.env, tap, policy_config)}}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    if "--only" in sys.argv:
        wanted = set(sys.argv[sys.argv.index("--only") + 1].split(","))
    else:
        wanted = {"clean", "edited", "api_down", "policy_stop"}
    if "clean" in wanted:
        scenario("clean", "both stacks deployed, nothing touched", deployed_then(None))
    if "edited" in wanted:
        scenario("edited", "both stacks deployed on GitHub Enterprise (environment reviewers), then edited outside "
                 "Pulumi and in config", deployed_then(edit_out_of_band), plan="enterprise")
    if "api_down" in wanted:
        scenario("api_down", "staging deployed, then the GitHub API stopped", double_down)
    if "policy_stop" in wanted:
        scenario("policy_stop", "production's code violates mandatory policies (never deployed)", policy_stop)
    shutil.rmtree(ROOT / "tests" / "audit" / "__pycache__", ignore_errors=True)


if __name__ == "__main__":
    main()
