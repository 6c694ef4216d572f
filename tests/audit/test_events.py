"""Engine events as the SDK parses them, reduced to steps, policy violations and failures."""

from __future__ import annotations

from pulumi.automation.events import EngineEvent

from audit.events import SECRET_SIG, changed_paths, is_secret, read_events
from scenarios import engine_run, load

BLINDED = {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "[secret]"}


def outputs_event(op, urn, rtype, old=None, new=None, custom=True, detailed=None):
    def state(outputs):
        if outputs is None:
            return None
        shape = {"type": rtype, "urn": urn, "id": "i", "inputs": {}, "outputs": outputs}
        return {**shape, "custom": True} if custom else shape  # the engine omits `custom: false`
    return {"sequence": 1, "timestamp": 1, "resOutputsEvent": {"metadata": {
        "op": op, "urn": urn, "type": rtype, "provider": "", "old": state(old), "new": state(new),
        "detailedDiff": detailed}, "planning": True}}


def parse(*raw):
    return [EngineEvent.from_json(r) for r in raw]


def test_one_refreshed_preview_holds_refresh_steps_and_preview_steps():
    run = engine_run(load("edited")["stacks"]["staging"]["engine"])
    refreshed = {s.name: s.op for s in run.refresh}
    assert refreshed["staging-branch-gate-ruleset"] == "update"
    assert refreshed["staging-deployment-branch-policy"] == "same"
    assert not any(s.type.startswith(("pulumi:pulumi:Stack", "pulumi:providers:")) for s in run.refresh + run.preview)
    ruleset = next(s for s in run.refresh if s.name == "staging-branch-gate-ruleset")
    assert ruleset.paths == ("enforcement",) and ruleset.old["enforcement"] == "active"
    assert ruleset.new["enforcement"] == "disabled"
    # The preview then plans to put it back: the same property, which settle() leaves to the drift.
    planned = next(s for s in run.preview if s.name == "staging-branch-gate-ruleset")
    assert (planned.op, planned.paths) == ("update", ("enforcement",))


def test_secrets_stay_blinded_markers():
    run = engine_run(load("edited")["stacks"]["staging"]["engine"])
    secret = next(s for s in run.refresh if s.name == "staging-secrets-stripe-secret-key-github")
    assert is_secret(secret.new["value"]) and secret.new["value"].get("ciphertext") == "[secret]"


def test_components_and_the_stack_are_not_steps():
    run = read_events(parse(
        outputs_event("same", "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s", "pulumi:pulumi:Stack", {}, {}, custom=False),
        outputs_event("update", "urn:pulumi:s::p::a:b:Comp::c", "a:b:Comp", {"x": 1}, {"x": 2}, custom=False),
        outputs_event("update", "urn:pulumi:s::p::a:b:C::r", "a:b:C", {"x": 1}, {"x": 2}),
    ))
    assert [s.name for s in run.preview] == ["r"] and run.refresh == ()


def test_the_result_of_a_refresh_step():
    diff = {"enforcement": {"diffKind": "update", "inputDiff": False}}
    run = read_events(parse(
        outputs_event("refresh", "urn:pulumi:s::p::a:b:C::drifted", "a:b:C", {"e": "a"}, {"e": "b"}, detailed=diff),
        outputs_event("refresh", "urn:pulumi:s::p::a:b:C::gone", "a:b:C", {"e": "a"}, None),
        # Outputs the provider computes (an etag, a remote timestamp) move without a diff: not drift.
        outputs_event("refresh", "urn:pulumi:s::p::a:b:C::same", "a:b:C", {"etag": "1"}, {"etag": "2"}),
    ))
    assert {s.name: s.op for s in run.refresh} == {"drifted": "update", "gone": "delete", "same": "same"}
    assert run.preview == ()


def test_a_preview_update_without_named_properties_compares_inputs():
    event = outputs_event("update", "urn:pulumi:s::p::a:b:C::r", "a:b:C", {}, {})
    metadata = event["resOutputsEvent"]["metadata"]
    metadata["old"]["inputs"] = {"a": 1, "b": {"c": [1, 2]}, "s": BLINDED}
    metadata["new"]["inputs"] = {"a": 1, "b": {"c": [1, 3]}, "s": BLINDED}
    assert read_events(parse(event)).preview[0].paths == ("b.c[1]",)


def test_a_detailed_diff_wins():
    run = read_events(parse(outputs_event(
        "update", "urn:pulumi:s::p::a:b:C::r", "a:b:C", {"a": 1}, {"a": 2},
        detailed={"rules.pullRequest.count": {"diffKind": "update", "inputDiff": False}})))
    assert run.preview[0].paths == ("rules.pullRequest.count",)


def test_policy_events_failures_and_unknown_events():
    raw = [
        {"policyEvent": {"policyName": "gate", "policyPackName": "pack", "enforcementLevel": "mandatory",
                         "resourceUrn": "urn:x", "message": "m\n", "color": "never"}},
        {"diagnosticEvent": {"message": "boom\n", "severity": "error", "urn": "urn:y", "color": "never"}},
        {"diagnosticEvent": {"message": "just info", "severity": "info", "color": "never"}},
        {"resOpFailedEvent": {"metadata": {"op": "update", "urn": "urn:z", "type": "t", "provider": ""},
                              "status": 1, "steps": 1}},
        {"someFutureEvent": {"x": 1}},  # unknown to the SDK: every field None, ignored
    ]
    run = read_events(parse(*raw))
    assert [(v.policy, v.level, v.urn, v.message) for v in run.policy_violations] == [("gate", "mandatory", "urn:x", "m")]
    assert [(f.message, f.urn) for f in run.failures] == [("boom", "urn:y"), ("update of the resource failed", "urn:z")]


def test_changed_paths():
    assert changed_paths({"a": [1, {"b": 2}]}, {"a": [1, {"b": 3}]}) == ["a[1].b"]
    assert changed_paths({"a": [1]}, {"a": [1, 2]}) == ["a"]
    assert changed_paths({"a": 1}, {"b": 1}) == ["a", "b"]
    assert changed_paths({"s": BLINDED}, {"s": BLINDED}) == []
    assert changed_paths({"x": 1}, {"x": 1}) == []
