"""No secret value in the report, the Markdown, the issue body or the log, whatever the finding.

Sentinels go everywhere a value can come from: decrypted config (read for fingerprints), the state
export, GitHub's variable values, a Vercel value, a provider error and a policy message that echo a
secret. The collection code runs for real (the config observer, `_state_and_apis`) on a fake workspace.
"""

from __future__ import annotations

import copy
import json
from concurrent.futures import Future
from types import SimpleNamespace

from audit import times
from audit import listings, report
from audit.conclude import Collected, conclude
from audit.events import EngineRun, Failure, PolicyViolation
from audit.isolation import new_key
from audit.model import LastUpdate
from audit.redact import Redactor
from audit.isolation import with_variables
from audit.run import Settings, _state_and_apis, observe_config
from scenarios import API, collected, github_client, load, topology

CONFIG_SECRET = "sk_test_SENTINELconfigSECRET0001"
OTHER_SECRET = "whsec_SENTINELwebhook0002"
CIPHERTEXT = "v1:SENTINELciphertext0003"
VARIABLE_VALUE = "SENTINELplainVariableValue0004"
HAND_SET = "sk_live_SENTINELhandSetInVariable0005"
SENTINELS = (CONFIG_SECRET, OTHER_SECRET, CIPHERTEXT, VARIABLE_VALUE, HAND_SET, "SENTINEL")


class FakeCommand:
    def __init__(self, export: dict):
        self.export = export
        self.calls: list[list[str]] = []

    def run(self, args, cwd, env):
        self.calls.append(list(args))
        return SimpleNamespace(stdout=json.dumps(self.export), stderr="")


class FakeStack:
    """The parts of an automation Stack/LocalWorkspace the state-and-APIs task uses."""

    def __init__(self, export: dict):
        self.workspace = SimpleNamespace(work_dir="/nowhere", env_vars={}, pulumi_command=FakeCommand(export))


def poisoned_export(export: dict) -> dict:
    """The staging export with a sentinel ciphertext and a hand-set secret in a plain variable's state."""
    export = copy.deepcopy(export)
    for res in export["deployment"]["resources"]:
        for props in (res.get("inputs") or {}, res.get("outputs") or {}):
            for value in props.values():
                if isinstance(value, dict) and "ciphertext" in value:
                    value["ciphertext"] = CIPHERTEXT
            if res["type"].endswith("ActionsEnvironmentVariable") and "value" in props:
                props["value"] = HAND_SET
    return export


def collect_staging() -> tuple[Collected, Settings, FakeStack]:
    data = copy.deepcopy(load("edited"))
    for answer in data["github"].values():
        for variable in (answer["body"] or {}).get("variables", []) if isinstance(answer["body"], dict) else []:
            variable["value"] = VARIABLE_VALUE
    # The config as the engine hands it to the program (decrypted), seen by the audit's observer.
    config = {"release-topology:STRIPE_SECRET_KEY": CONFIG_SECRET, "release-topology:STRIPE_WEBHOOK_SECRET": OTHER_SECRET,
              "release-topology:APP_ENV": "staging"}
    secret_keys = frozenset({"release-topology:STRIPE_SECRET_KEY", "release-topology:STRIPE_WEBHOOK_SECRET"})
    stack = FakeStack(poisoned_export(data["stacks"]["staging"]["export"]))
    settings = Settings(root=API, stacks=["staging"], env={}, topology=topology(), github=github_client(data["github"]))
    repo: Future = Future()
    topo = topology()
    repo.set_result(listings.fetch_repository(settings.github, topo.owner, topo.repository))
    key = new_key()
    seen: list = []
    observe_config("staging", settings, key, seen)(config, secret_keys)
    c = Collected("staging")
    c.fingerprints = with_variables(seen[0], _state_and_apis("staging", stack, settings, key, repo, c))
    recorded, _ = collected(data)
    refresh = next(r.engine for r in recorded if r.stack == "staging").refresh
    c.engine = EngineRun(refresh, policy_violations=(
        PolicyViolation("stripe-mode", "release-topology", "mandatory", None, f"value {CONFIG_SECRET} is a live key"),),
        failures=(Failure(f"provider said: bad request {{\"value\": \"{OTHER_SECRET}\"}}",
                          "urn:pulumi:staging::release-topology::a$github:index/x:X::thing"),))
    return c, settings, stack


def test_state_is_exported_without_secrets():
    c, settings, stack = collect_staging()
    (export_call,) = stack.workspace.pulumi_command.calls
    assert export_call[:2] == ["stack", "export"] and "--show-secrets" not in export_call
    manifest = load("edited")["stacks"]["staging"]["export"]["deployment"]["manifest"]["time"]
    # To the microsecond: a Vercel variable written in the update's last second is not "edited after it".
    assert c.last_update == LastUpdate(times.parse(manifest).isoformat().replace("+00:00", "Z"))
    assert CIPHERTEXT not in repr(c.managed)  # replaced by a marker as the export is read


def test_config_secrets_reach_the_redactor_and_fingerprints_only():
    c, settings, _ = collect_staging()
    assert settings.redactor.scrub(f"x {CONFIG_SECRET} {OTHER_SECRET}") == "x [secret] [secret]"
    assert set(c.fingerprints.secrets) == {"STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"}
    assert CONFIG_SECRET not in repr(c.fingerprints) and OTHER_SECRET not in repr(c.fingerprints)


def test_no_sentinel_anywhere_in_the_outputs(capsys):
    c, settings, _ = collect_staging()
    audits = conclude([c], topology(), listings.fetch_repository(github_client(load("edited")["github"]),
                                                                 topology().owner, topology().repository))
    doc = report.document(audits, {"id": "run", "started_at": "now"})
    json_text, markdown = report.render(doc, settings.redactor.scrub)
    issue = settings.redactor.scrub(report.stack_markdown(doc, "staging"))
    print(settings.redactor.scrub(f"[audit] log line mentioning {CONFIG_SECRET}"))
    logged = capsys.readouterr()
    # The audit did find things in each place the sentinels were put:
    classes = {f["class"] for s in doc["stacks"] for f in s["findings"]}
    assert {"error", "policy_violation", "secret_touched", "managed_drift"} <= classes
    for text in (json_text, markdown, issue, logged.out, logged.err):
        for sentinel in SENTINELS:
            assert sentinel not in text
    assert "[secret]" in json_text  # the provider's and the policy's echoes were cut out, not dropped
    json.loads(json_text)


def test_values_never_reported_even_when_not_known_as_secrets():
    """Without the redactor at all, a variable's value (a secret pasted by hand) still never shows."""
    c, _, _ = collect_staging()
    c.engine = EngineRun(c.engine.refresh)
    audits = conclude([c], topology(), listings.fetch_repository(github_client(load("edited")["github"]),
                                                                 topology().owner, topology().repository))
    doc = report.document(audits, {"id": "run"})
    text = report.to_json(doc) + report.markdown(doc)
    assert any(f["class"] == "managed_drift" and f["resource"]["name"].endswith("app-env-github")
               for s in doc["stacks"] for f in s["findings"])
    assert VARIABLE_VALUE not in text and HAND_SET not in text and CIPHERTEXT not in text


def test_the_redactor():
    r = Redactor()
    r.add('pa"ss\\word-123')
    r.add("short")  # too short to be a secret worth shredding text for
    assert r.scrub('x pa"ss\\word-123 y') == "x [secret] y"
    assert r.scrub(json.dumps({"v": 'pa"ss\\word-123'})) == '{"v": "[secret]"}'
    assert r.scrub("short stays") == "short stays"
