"""The precedence of classes, the merge of one fact seen twice, the status of a stack and the exit codes."""

from __future__ import annotations

import pytest

from audit.classify import (EXIT_CLEAN, EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_MANDATORY, error_findings, exit_code,
                            refresh_findings, settle)
from audit.events import EngineRun, Failure, PolicyViolation, Step
from audit.model import Change, Evidence, Finding, FindingClass, Resource, StackAudit
from topology.registry import ENV_SECRET, GITHUB_ENVIRONMENT

URN = "urn:pulumi:staging::release-topology::a$github:index/x:X::thing"
THING = Resource(type="github:index/x:X", name="thing", urn=URN, id="7")


def finding(cls: FindingClass, *paths: str, source: str = "refresh", stack: str = "staging", level=None,
            resource: Resource = THING, summary: str = "s") -> Finding:
    return Finding(stack, cls, resource, summary, "fix", tuple(Change(p, "update") for p in paths),
                   (Evidence(source, "d"),), level)


def test_classes_are_declared_most_severe_first():
    assert [c.value for c in FindingClass] == ["error", "policy_violation", "secret_touched", "managed_drift",
                                               "unmanaged_addition", "isolation", "pending_change"]
    assert [c.informational for c in FindingClass] == [False] * 6 + [True]


def test_one_fact_from_two_sources_is_one_finding_with_both_evidences():
    merged = settle([finding(FindingClass.MANAGED_DRIFT, "enforcement", source="refresh"),
                     finding(FindingClass.MANAGED_DRIFT, "enforcement", "name", source="github-rest")])
    (only,) = merged
    assert [c.path for c in only.changes] == ["enforcement", "name"]
    assert [e.source for e in only.evidence] == ["refresh", "github-rest"]


def test_a_property_goes_to_the_most_severe_class_only():
    drift = finding(FindingClass.MANAGED_DRIFT, "value")
    pending = finding(FindingClass.PENDING_CHANGE, "value", source="preview")
    assert [f.cls for f in settle([pending, drift])] == [FindingClass.MANAGED_DRIFT]
    # A pending change on another property of the same resource stays.
    other = finding(FindingClass.PENDING_CHANGE, "name", source="preview")
    assert [f.cls for f in settle([pending, drift, other])] == [FindingClass.MANAGED_DRIFT, FindingClass.PENDING_CHANGE]


def test_findings_are_sorted_by_class_then_stack():
    out = settle([finding(FindingClass.PENDING_CHANGE, "a"), finding(FindingClass.ERROR, stack="production"),
                  finding(FindingClass.ISOLATION, resource=Resource("config", "k")), finding(FindingClass.ERROR)])
    assert [(f.cls.value, f.stack) for f in out] == [("error", "production"), ("error", "staging"),
                                                      ("isolation", "staging"), ("pending_change", "staging")]


def test_two_policies_on_one_resource_stay_two_findings():
    a = finding(FindingClass.POLICY_VIOLATION, level="mandatory", summary="gate: ...")
    b = finding(FindingClass.POLICY_VIOLATION, level="mandatory", summary="archive: ...")
    assert len(settle([a, b])) == 2


def _secret_step(paths, new_remote, op="update") -> Step:
    old = {"secretName": "STRIPE_SECRET_KEY", "updatedAt": "2026-11-22 03:18:01 +0000 UTC",
           "remoteUpdatedAt": "2026-11-22 03:18:01 +0000 UTC"}
    return Step(op, URN, ENV_SECRET, "koomy:staging:STRIPE_SECRET_KEY", tuple(paths), old,
                {**old, "remoteUpdatedAt": new_remote}, {}, {})


def test_a_secret_whose_timestamps_alone_moved_is_touched_not_drifted():
    found = refresh_findings("staging", EngineRun((_secret_step(["remoteUpdatedAt"], "2026-11-22 04:00:00 +0000 UTC"),)))
    assert [(f.cls, f.changes[0].changed_at) for f in found] == [(FindingClass.SECRET_TOUCHED, "2026-11-22T04:00:00Z")]


def test_a_secret_that_is_same_for_the_engine_but_remotely_newer_is_touched():
    # What the real provider does: the refresh op is "same", the refreshed outputs say otherwise.
    found = refresh_findings("staging", EngineRun((_secret_step([], "2026-11-22 04:00:00 +0000 UTC", op="same"),)))
    assert [f.cls for f in found] == [FindingClass.SECRET_TOUCHED]


def test_an_untouched_secret_says_nothing():
    found = refresh_findings("staging", EngineRun((_secret_step([], "2026-11-22 03:18:01 +0000 UTC", op="same"),)))
    assert found == []


def test_none_spelled_two_ways_is_not_drift():
    step = Step("update", URN, GITHUB_ENVIRONMENT, "koomy:staging",
                ("reviewers",), {"reviewers": []}, {"reviewers": [{"teams": [], "users": []}]}, {}, {})
    assert refresh_findings("staging", EngineRun((step,))) == []
    real = Step("update", URN, step.type, step.id, ("reviewers",), {"reviewers": []},
                {"reviewers": [{"teams": [], "users": [42]}]}, {}, {})
    assert [f.cls for f in refresh_findings("staging", EngineRun((real,)))] == [FindingClass.MANAGED_DRIFT]


def test_an_update_without_named_properties_is_still_drift():
    step = Step("update", URN, "github:index/x:X", "7", (), {"a": 1}, {"a": 1}, {}, {})
    (found,) = refresh_findings("staging", EngineRun((step,)))
    assert found.cls is FindingClass.MANAGED_DRIFT and [c.path for c in found.changes] == ["*"]


def test_a_deleted_resource_is_drift_with_a_recreate_fix():
    step = Step("delete", URN, "github:index/x:X", "7", (), {"a": 1}, {}, {}, {})
    (found,) = refresh_findings("staging", EngineRun((step,)))
    assert found.cls is FindingClass.MANAGED_DRIFT and "recreates" in found.fix


# --- failures ----------------------------------------------------------------------------------------

def test_the_engines_closing_line_after_a_mandatory_violation_is_not_an_error():
    run = EngineRun(policy_violations=(PolicyViolation("gate", "pack", "mandatory", None, "m"),),
                    failures=(Failure("preview failed"),), command_error="pulumi exited 1: ")
    assert error_findings("production", run) == []


def test_a_failure_besides_a_mandatory_violation_is_still_an_error():
    run = EngineRun(policy_violations=(PolicyViolation("gate", "pack", "mandatory", None, "m"),),
                    failures=(Failure("preview failed"), Failure("boom", URN)), command_error="pulumi exited 1: ")
    assert [f.resource.name for f in error_findings("staging", run)] == ["thing"]


def test_a_failed_command_without_any_event_is_an_error():
    (found,) = error_findings("staging", EngineRun(command_error="pulumi exited 255: panic"))
    assert found.cls is FindingClass.ERROR and "panic" in found.evidence[0].detail


def test_one_cause_on_many_resources_is_one_error():
    failures = tuple(Failure("connection refused", URN.replace("thing", f"r{i}")) for i in range(3))
    (found,) = error_findings("staging", EngineRun(failures=failures + (Failure("preview failed"),)))
    assert "on 3 resources" in found.summary


# --- status and exit codes -----------------------------------------------------------------------------

def audit_with(*findings: Finding) -> StackAudit:
    return StackAudit("staging", list(findings))


@pytest.mark.parametrize("findings,status,code", [
    ((), "clean", EXIT_CLEAN),
    ((finding(FindingClass.PENDING_CHANGE, "a"),), "clean", EXIT_CLEAN),
    ((finding(FindingClass.POLICY_VIOLATION, level="advisory"),), "clean", EXIT_CLEAN),
    ((finding(FindingClass.ISOLATION),), "findings", EXIT_FINDINGS),
    ((finding(FindingClass.UNMANAGED_ADDITION),), "findings", EXIT_FINDINGS),
    ((finding(FindingClass.MANAGED_DRIFT, "a"),), "findings", EXIT_FINDINGS),
    ((finding(FindingClass.SECRET_TOUCHED, "value"),), "findings", EXIT_FINDINGS),
    ((finding(FindingClass.POLICY_VIOLATION, level="mandatory"), finding(FindingClass.MANAGED_DRIFT, "a")),
     "policy_violation", EXIT_MANDATORY),
    ((finding(FindingClass.ERROR), finding(FindingClass.POLICY_VIOLATION, level="mandatory")), "error", EXIT_INCOMPLETE),
])
def test_status_and_exit_code(findings, status, code):
    audit = audit_with(*findings)
    assert audit.status == status
    assert exit_code([audit]) == code


def test_the_worst_stack_decides_the_exit_code():
    clean = StackAudit("production", [])
    assert exit_code([clean, audit_with(finding(FindingClass.MANAGED_DRIFT, "a"))]) == EXIT_FINDINGS
    assert exit_code([audit_with(finding(FindingClass.ERROR)), clean]) == EXIT_INCOMPLETE
