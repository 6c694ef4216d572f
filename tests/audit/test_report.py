"""The versioned JSON report (docs/audit.md) and the Markdown rendered from it."""

from __future__ import annotations

import json

from audit import report
from audit.model import Change, Evidence, Finding, FindingClass, Resource, StackAudit
from scenarios import audits_of

RUN = {"id": "r-1", "started_at": "2026-11-22T06:17:00Z", "duration_seconds": 7.5, "stacks": ["staging", "production"],
       "rest_calls": {"github": 8, "vercel": 0}}


def doc_of(scenario: str) -> dict:
    return report.document(audits_of(scenario), RUN)


def test_document_shape_version_1():
    doc = doc_of("edited")
    assert doc["schema_version"] == 1
    assert list(doc) == ["schema_version", "classes", "run", "summary", "stacks"]
    assert doc["classes"] == [c.value for c in FindingClass]
    assert doc["summary"] == {"exit_code": 2, "meaning": "findings", "by_class": doc["summary"]["by_class"],
                              "stacks": {"production": "findings", "staging": "findings"}}
    assert sum(doc["summary"]["by_class"].values()) == sum(len(s["findings"]) for s in doc["stacks"])
    stack = doc["stacks"][0]
    assert set(stack) == {"name", "status", "complete", "last_update", "findings_digest", "findings"}
    assert set(stack["last_update"]) == {"end_time"}
    finding = stack["findings"][0]
    assert set(finding) == {"id", "class", "informational", "level", "stack", "summary", "resource", "changes",
                            "evidence", "fix"}
    assert set(finding["resource"]) == {"urn", "type", "id", "name"}
    json.loads(report.to_json(doc))


def test_changes_show_values_only_when_they_may():
    doc = doc_of("edited")
    changes = {(f["resource"]["name"], c["path"]): c for s in doc["stacks"] for f in s["findings"] for c in f["changes"]}
    assert changes[("staging-branch-gate-ruleset", "enforcement")] == {
        "path": "enforcement", "kind": "update", "secret": False, "before": "active", "after": "disabled"}
    assert changes[("staging-secrets-app-env-github", "value")] == {"path": "value", "kind": "update", "secret": False}
    secret = changes[("staging-secrets-stripe-secret-key-github", "value")]
    assert secret["secret"] is True and secret["kind"] == "changed_at" and "before" not in secret


def test_markdown_has_a_table_per_class_then_details():
    md = report.markdown(doc_of("edited"))
    assert md.startswith("# Drift audit: findings (exit 2)")
    order = [md.index(f"### {c.title}") for c in (FindingClass.POLICY_VIOLATION, FindingClass.SECRET_TOUCHED,
                                                  FindingClass.MANAGED_DRIFT, FindingClass.UNMANAGED_ADDITION,
                                                  FindingClass.ISOLATION, FindingClass.PENDING_CHANGE)]
    assert order == sorted(order), "tables follow the classes' precedence"
    assert "### Errors" not in md  # no empty tables
    assert "| staging | `staging-branch-gate-ruleset`" in md
    assert '`enforcement`: "active" → "disabled"' in md
    assert "changed at 20" in md  # the secret: a time, never a value
    assert md.index("## Details") > order[-1]
    assert md.count("<details>") == sum(len(s["findings"]) for s in doc_of("edited")["stacks"])


def test_markdown_of_a_clean_run_and_a_stack_part():
    doc = report.document([StackAudit("staging", [])], RUN)
    assert "No findings." in report.markdown(doc) and "exit 0" in report.markdown(doc)
    part = report.stack_markdown(doc_of("edited"), "production")
    assert "stack `production` reports **findings**" in part and "staging-" not in part


def test_table_cells_cannot_break_the_table():
    f = Finding("staging", FindingClass.MANAGED_DRIFT, Resource("t", "a|b"), "x | y\nz", "fix",
                (Change("p", "update"),), (Evidence("refresh", "d"),))
    md = report.markdown(report.document([StackAudit("staging", [f])], RUN))
    row = next(line for line in md.splitlines() if line.startswith("| staging | `a"))
    assert row.count(" | ") == 4 and "\\|" in row


def test_digest_follows_the_set_of_findings_not_the_information():
    base = doc_of("edited")["stacks"][1]["findings"]
    digest = report.findings_digest(base)
    assert report.findings_digest(list(reversed(base))) == digest
    assert report.findings_digest([f for f in base if not f["informational"]]) == digest
    fewer = [f for f in base if f["class"] != "managed_drift"]
    assert report.findings_digest(fewer) != digest
