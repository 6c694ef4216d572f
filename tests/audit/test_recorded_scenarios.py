"""Each class from recorded engine events and recorded GitHub answers, and nothing else.

The recordings (record_fixtures.py) come from the real engine, the real github/random plugins and the
GitHub double, after edits made through the double's control API (see each file's "edits").
"""

from __future__ import annotations

import json

import pytest

from audit.classify import EXIT_CLEAN, EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_MANDATORY, exit_code
from audit.conclude import Collected, conclude
from audit.events import EngineRun
from scenarios import audits_of, by_stack, collected, facts, load, topology


def test_clean_stacks_are_clean_and_exit_0():
    audits = by_stack(audits_of("clean"))
    for name in ("staging", "production"):
        assert audits[name].status == "clean"
        assert facts(audits[name]) == set(), audits[name].findings
    # What remains is informational: advisory policy warnings that every preview shows.
    assert all(f.informational for a in audits.values() for f in a.findings)
    assert exit_code(audits.values()) == EXIT_CLEAN


def test_every_edit_is_found_with_its_class_and_nothing_else():
    data = load("edited")
    assert "staging ruleset disabled" in data["edits"]
    audits = by_stack(audits_of("edited"))
    assert facts(audits["staging"]) == {
        ("managed_drift", "staging-branch-gate-ruleset"),  # ruleset disabled
        ("secret_touched", "staging-secrets-stripe-secret-key-github"),  # secret re-set
        ("managed_drift", "staging-secrets-app-env-github"),  # variable changed
        ("managed_drift", "staging-secrets-next-public-supabase-url-github"),  # variable changed
        ("unmanaged_addition", "staging/EXTRA_TOKEN"),  # secret added by hand
    }
    assert facts(audits["production"]) == {
        ("managed_drift", "production-deployment-environment"),  # reviewers removed
        ("unmanaged_addition", "qa"),  # environment added by hand: no stack owns it, production stewards it
        ("isolation", "LEGACY_DEPLOY_KEY"),  # a repository secret: every deploy job inherits it
    }
    pending = {(a.stack, f.resource.name) for a in audits.values() for f in a.findings if f.cls.value == "pending_change"}
    assert pending == {("production", "production-branch-gate-ruleset")}  # config changed, not applied
    assert exit_code(audits.values()) == EXIT_FINDINGS


def _finding(audit, cls, name):
    return next(f for f in audit.findings if f.cls.value == cls and f.resource.name == name)


def test_what_changed_is_named_and_values_only_where_they_cannot_be_secret():
    audits = by_stack(audits_of("edited"))
    ruleset = _finding(audits["staging"], "managed_drift", "staging-branch-gate-ruleset")
    assert [(c.path, c.before, c.after) for c in ruleset.changes] == [("enforcement", "active", "disabled")]
    assert {e.source for e in ruleset.evidence} == {"refresh", "github-rest"}  # one fact, two witnesses
    assert ruleset.resource.urn.endswith("::staging-branch-gate-ruleset") and ruleset.resource.id

    variable = _finding(audits["staging"], "managed_drift", "staging-secrets-app-env-github")
    assert [c.path for c in variable.changes] == ["value"]
    assert not {"before", "after"} & set(_json(variable)["changes"][0])  # a string value is never shown

    secret = _finding(audits["staging"], "secret_touched", "staging-secrets-stripe-secret-key-github")
    (change,) = secret.changes
    assert change.secret and change.kind == "changed_at" and change.changed_at.endswith("Z")
    assert f"at {change.changed_at}" in secret.summary

    reviewers = _finding(audits["production"], "managed_drift", "production-deployment-environment")
    assert ("reviewers", [1234567], []) in [(c.path, c.before, c.after) for c in reviewers.changes]

    pending = _finding(audits["production"], "pending_change", "production-branch-gate-ruleset")
    assert [(c.path, c.before, c.after) for c in pending.changes] == [
        ("rules.pullRequest.requiredApprovingReviewCount", 1, 2)]
    assert "pulumi up --stack production" in pending.fix


def _json(finding):
    from audit.report import finding_json
    return finding_json(finding)


def test_refresh_blind_spots_are_seen_by_the_rest_pass_alone():
    """Without the GitHub lists, the hand-added secret and environment go unseen: the REST pass is needed."""
    data = load("edited")
    stacks, _ = collected(data)
    for c in stacks:
        c.environment = None
    audits = by_stack(conclude(stacks, topology(), None))
    assert ("unmanaged_addition", "staging/EXTRA_TOKEN") not in facts(audits["staging"])
    assert ("unmanaged_addition", "qa") not in facts(audits["production"])


def test_an_unreachable_api_is_an_error_never_clean():
    audits = by_stack(audits_of("api_down"))
    staging = audits["staging"]
    assert staging.status == "error" and not staging.complete
    assert {f.cls.value for f in staging.findings} == {"error"}
    assert any("connection refused" in e.detail for f in staging.findings for e in f.evidence)
    assert exit_code(audits.values()) == EXIT_INCOMPLETE


def test_a_mandatory_violation_is_a_policy_finding_not_an_error():
    audits = by_stack(audits_of("policy_stop"))
    production = audits["production"]
    assert {(f.cls.value, f.level) for f in production.findings} == {("policy_violation", "mandatory")}
    assert {f.summary.split(":")[0] for f in production.findings} == {"production-branch-gate", "release-archive",
                                                                       "allowed-branches"}
    assert production.status == "policy_violation"
    assert exit_code(audits.values()) == EXIT_MANDATORY


def test_a_missing_stack_is_an_error_finding():
    missing = Collected("staging", engine=EngineRun(missing_stack=True))
    (audit,) = conclude([missing], topology(), None)
    assert [f.cls.value for f in audit.findings] == ["error"]
    assert "never creates" in audit.findings[0].summary
    assert exit_code([audit]) == EXIT_INCOMPLETE


@pytest.mark.parametrize("scenario", ["clean", "edited", "api_down", "policy_stop"])
def test_finding_ids_are_stable_across_runs(scenario):
    first = [f.id for a in audits_of(scenario) for f in a.findings]
    again = [f.id for a in audits_of(scenario) for f in a.findings]
    assert first == again and len(set(first)) == len(first)


def test_a_repository_secret_is_named_with_where_it_belongs_and_how_to_delete_it():
    audits = by_stack(audits_of("edited"))
    found = _finding(audits["production"], "isolation", "LEGACY_DEPLOY_KEY")
    assert "reaches every deploy job" in found.summary
    assert "Settings -> Environments" in found.fix
    assert "gh api -X DELETE repos/koomy-app/koomy/actions/secrets/LEGACY_DEPLOY_KEY" in found.fix
    assert "added-to-the-repository" not in json.dumps(load("edited"))  # the double never answers a value
