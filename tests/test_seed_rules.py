"""Issue 18's rules as declared topology: value rules per environment, allowed branches, feature-branch previews,
the code freeze. Each: the program (before anything registers), the policy pack and the offline check (the same
verdicts), and the failing fixture without it."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from harness import ROOT_DIR, TEST_SECRETS, TEST_VARIABLES, run_failing, run_stack
from policy.check import to_resources
from test_policy import Project, edit, project_copy, rules_of, verdicts
from topology import seed_rules
from topology.model import PolicyRefusal, parse_topology
from topology.project import project_values

STAGING, PRODUCTION = TEST_SECRETS["staging"], TEST_SECRETS["production"]
TUESDAY = dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.timezone.utc)  # 12:00 Paris, inside the deploy window
FREEZE = [{"start": "2026-11-23", "end": "2026-11-27", "reason": "go-live S1"}]


def shipped_catalogue() -> list[dict]:
    return list(project_values()["release-topology:catalogue"])


def no_value_leaks(message: str, *values: str) -> None:
    for value in [*STAGING.values(), *PRODUCTION.values(), *values]:
        assert value not in message


# --- 1. value rules per environment -------------------------------------------------------------------


def test_debug_logs_in_production_are_refused_with_the_fix():
    """mbayar: "Niveau de log passé à WARN ou ERROR (désactiver DEBUG)"."""
    error, registered = run_failing("production", variables={**TEST_VARIABLES["production"], "LOG_LEVEL": "debug"})
    assert registered == []
    assert [p.key for p in error.problems] == ["release-topology:LOG_LEVEL"]
    problem = error.problems[0]
    assert problem.message == "holds a value not allowed in production (allowed: warn, error)"
    assert problem.fix == "pulumi config set --stack production LOG_LEVEL <one of: warn, error>"
    assert "debug" not in str(error)


def test_debug_logs_are_fine_in_staging_and_warn_in_production_case_insensitively():
    assert run_stack("staging", variables={**TEST_VARIABLES["staging"], "LOG_LEVEL": "debug"})
    assert run_stack("production", variables={**TEST_VARIABLES["production"], "LOG_LEVEL": "ERROR"})


def test_without_the_rule_debug_reaches_production():
    catalogue = [{k: v for k, v in e.items() if k != "values"} for e in shipped_catalogue()]
    run = run_stack("production", overrides={"catalogue": catalogue},
                    variables={**TEST_VARIABLES["production"], "LOG_LEVEL": "debug"})
    assert {r.inputs["value"] for r in run.of_type("ProjectEnvironmentVariable") if r.inputs["key"] == "LOG_LEVEL"} == {"debug"}


def test_a_mode_that_must_say_test_outside_production_and_never_shows_a_secret():
    """koomy 06: "Firebase, CDN, Stripe en mode TEST" in staging: a secret and a variable with a pattern / values."""
    catalogue = [*shipped_catalogue(),
                 {"name": "FIREBASE_KEY", "kind": "secret", "to": ["github"], "pattern": {"nonProduction": "test-.*"}},
                 {"name": "CDN_MODE", "kind": "variable", "to": ["vercel"],
                  "values": {"nonProduction": ["test"], "production": ["live"]}}]
    leaked = "live-SENTINELfirebase7777"
    error, registered = run_failing(
        "staging", overrides={"catalogue": catalogue, "CDN_MODE": "live"},
        secrets={**STAGING, "FIREBASE_KEY": leaked})
    assert registered == []
    by_key = {p.key: p for p in error.problems}
    assert set(by_key) == {"release-topology:FIREBASE_KEY", "release-topology:CDN_MODE"}
    assert by_key["release-topology:FIREBASE_KEY"].message == (
        "holds a value not allowed outside production (it must match the pattern 'test-.*')")
    assert by_key["release-topology:FIREBASE_KEY"].fix == "pulumi config set --secret --stack staging FIREBASE_KEY <value>"
    assert by_key["release-topology:CDN_MODE"].fix == "pulumi config set --stack staging CDN_MODE <one of: test>"
    no_value_leaks(str(error), leaked)
    assert run_stack("staging", overrides={"catalogue": catalogue, "CDN_MODE": "test"},
                     secrets={**STAGING, "FIREBASE_KEY": "test-abc"})


@pytest.mark.parametrize("entry, expected", [
    ({"values": {"prod": ["warn"]}}, "'prod' is neither production, nonProduction nor an environment"),
    ({"values": {"production": []}}, "expected a non-empty list of strings"),
    ({"pattern": {"production": "(unclosed"}}, "is not a regular expression"),
    ({"valus": {"production": ["warn"]}}, "unknown field"),
])
def test_value_rules_are_validated(entry, expected):
    catalogue = [e for e in shipped_catalogue() if e["name"] != "LOG_LEVEL"]
    catalogue.append({"name": "LOG_LEVEL", "kind": "variable", "to": ["github"], **entry})
    error, _ = run_failing("production", overrides={"catalogue": catalogue})
    assert any(expected in p.message for p in error.problems), error


def test_the_pack_refuses_a_value_the_entry_does_not_allow(monkeypatch, tmp_path):
    project = Project(project_copy(tmp_path))
    assert verdicts(project["production"], "production", monkeypatch, root=project.root) == []
    for suffix in ("secrets-log-level-github", "vercel-log-level"):
        bad = edit(project["production"], suffix, lambda p: p.update(value="debug"))
        found = verdicts(bad, "production", monkeypatch, root=project.root)
        assert found == [("value-rules", "stack 'production': LOG_LEVEL holds a value not allowed in production "
                                         "(allowed: warn, error)")]


# --- 2. allowed branches ------------------------------------------------------------------------------


def allowed_ruleset(run):
    return [r for r in run.of_type("RepositoryRuleset") if r.name.endswith("-allowed-branches-ruleset")]


def test_production_owns_the_allowed_branches_ruleset():
    """koomy §3.1 "Branches autorisées: main, staging, feature/*"."""
    [ruleset] = allowed_ruleset(run_stack("production"))
    assert ruleset.name == "production-allowed-branches-ruleset"
    assert ruleset.inputs["name"] == "production-allowed-branches"
    assert ruleset.inputs["target"] == "branch" and ruleset.inputs["enforcement"] == "active"
    assert ruleset.inputs["conditions"]["refName"] == {
        "includes": ["~ALL"], "excludes": ["refs/heads/staging", "refs/heads/main", "refs/heads/feature/*"]}
    assert ruleset.inputs["rules"] == {"creation": True}
    assert ruleset.inputs.get("bypassActors", []) == []
    assert allowed_ruleset(run_stack("staging")) == []  # repository-wide: one stack owns it


def test_airhost_adds_develop_and_without_the_key_there_is_no_ruleset():
    run = run_stack("production", overrides={"allowedBranches": ["feature/*", "develop"]})
    assert allowed_ruleset(run)[0].inputs["conditions"]["refName"]["excludes"][-1] == "refs/heads/develop"
    assert allowed_ruleset(run_stack("production", remove=("allowedBranches",))) == []


def test_feature_branches_must_stay_creatable():
    error, registered = run_failing("production", overrides={"allowedBranches": ["develop"]})
    assert registered == []
    assert [(p.key, p.fix) for p in error.problems] == [
        ("release-topology:allowedBranches", "add 'feature/*' to allowedBranches")]


@pytest.mark.parametrize("mutate, expected", [
    (lambda p: p["conditions"]["refName"]["excludes"].append("refs/heads/hotfix-*"), "also allows ['refs/heads/hotfix-*']"),
    (lambda p: p.update(bypassActors=[{"actorType": "RepositoryRole", "actorId": 5, "bypassMode": "always"}]),
     "has bypass actors"),
    (lambda p: p.update(enforcement="disabled"), "not active"),
])
def test_the_pack_refuses_a_weakened_allowed_branches_ruleset(monkeypatch, tmp_path, mutate, expected):
    project = Project(project_copy(tmp_path))
    found = verdicts(edit(project["production"], "allowed-branches-ruleset", mutate), "production", monkeypatch,
                     root=project.root)
    assert any(rule == "allowed-branches" and expected in m for rule, m in found), found


def test_the_pack_refuses_production_without_it_and_staging_owning_it(monkeypatch, tmp_path):
    project = Project(project_copy(tmp_path))
    missing = [r for r in project["production"] if not r.name.startswith("production-allowed-branches")]
    assert "allowed-branches" in rules_of(verdicts(missing, "production", monkeypatch, root=project.root))
    stray = next(r for r in project["production"] if r.name == "production-allowed-branches-ruleset")
    found = verdicts([*project["staging"], stray], "staging", monkeypatch, root=project.root)
    assert "no-cross-environment-writes" in rules_of(found)


# --- 6. feature-branch previews -----------------------------------------------------------------------


def targets(run) -> dict[str, list[str]]:
    return {r.inputs["key"]: r.inputs["targets"] for r in run.of_type("ProjectEnvironmentVariable")}


def test_staging_values_reach_the_preview_target_never_production_s():
    """airhost "Environnement de test temporaire" per feature; koomy's preview environment."""
    assert set(map(tuple, targets(run_stack("staging")).values())) == {("production", "preview")}
    assert set(map(tuple, targets(run_stack("production")).values())) == {("production",)}
    # without the key, no preview deployment gets any value
    assert set(map(tuple, targets(run_stack("staging", remove=("featurePreviews",))).values())) == {("production",)}


def test_feature_previews_from_production_are_refused():
    error, registered = run_failing("staging", overrides={"featurePreviews": "production"})
    assert registered == [] and [p.key for p in error.problems] == ["release-topology:featurePreviews"]
    assert "production's secrets" in error.problems[0].message


def test_the_pack_refuses_a_production_secret_on_a_preview_target(monkeypatch, tmp_path):
    project = Project(project_copy(tmp_path))
    bad = edit(project["production"], "vercel-stripe-secret-key", lambda p: p.update(targets=["production", "preview"]))
    assert verdicts(bad, "production", monkeypatch, root=project.root) == [
        ("preview-values", "stack 'production': production's STRIPE_SECRET_KEY targets Vercel's preview environment: "
                           "every feature branch's preview deployment would run with production's values")]
    undeclared = project_copy(tmp_path / "undeclared" if (tmp_path / "undeclared").mkdir() is None else tmp_path)
    doc = yaml.safe_load((undeclared / "Pulumi.yaml").read_text())
    del doc["config"]["featurePreviews"]
    (undeclared / "Pulumi.yaml").write_text(yaml.safe_dump(doc))
    found = verdicts(project["staging"], "staging", monkeypatch, root=undeclared)
    assert ("preview-values", "stack 'staging': APP_ENV targets Vercel's preview environment, which only the "
                              "featurePreviews environment (none) delivers to") in found


# --- 7. code freeze -----------------------------------------------------------------------------------


def test_production_update_is_refused_during_a_freeze_before_anything_registers():
    """mbayar S1 "Code Freeze"."""
    error, registered = run_failing("production", now=TUESDAY, overrides={"codeFreeze": FREEZE})
    assert isinstance(error, PolicyRefusal) and registered == []
    [problem] = error.problems
    assert problem.key == "code-freeze"
    assert problem.message == "stack 'production': code freeze from 2026-11-23 to 2026-11-27 (Europe/Paris): go-live S1"
    assert "RELEASE_EMERGENCY=true" in problem.fix


def test_the_freeze_spares_staging_previews_other_dates_and_emergencies(monkeypatch):
    assert run_stack("staging", now=TUESDAY, overrides={"codeFreeze": FREEZE})
    assert run_stack("production", now=TUESDAY, preview=True, overrides={"codeFreeze": FREEZE})
    assert run_stack("production", now=TUESDAY + dt.timedelta(days=7), overrides={"codeFreeze": FREEZE})
    monkeypatch.setenv("RELEASE_EMERGENCY", "true")
    monkeypatch.setenv("RELEASE_EMERGENCY_REASON", "payment outage INC-42")
    run = run_stack("production", now=TUESDAY, overrides={"codeFreeze": FREEZE})
    assert run.outputs["emergencyOverride"] == {"reason": "payment outage INC-42"}


def test_freeze_dates_are_judged_in_the_window_s_time_zone():
    topology, problems = parse_topology({**{k.split(":", 1)[1]: v for k, v in project_values().items()},
                                         "codeFreeze": FREEZE})
    assert not problems
    sunday_late_utc = dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.timezone.utc)  # Monday 00:30 in Paris
    assert seed_rules.active_freeze(sunday_late_utc, topology) is not None
    assert seed_rules.active_freeze(sunday_late_utc - dt.timedelta(hours=1), topology) is None


@pytest.mark.parametrize("value, expected", [
    ([{"start": "2026-11-30", "end": "2026-11-23"}], "ends before it starts"),
    ([{"start": "monday", "end": "2026-11-23"}], "must be dates"),
    ({"start": "2026-11-23"}, "expected a list of periods"),
])
def test_freeze_periods_are_validated(value, expected):
    error, _ = run_failing("staging", overrides={"codeFreeze": value})
    assert any(expected in p.message for p in error.problems), error


def test_a_declared_freeze_makes_production_s_gate_require_the_freeze_check():
    def checks(run):
        gate = next(r for r in run.of_type("RepositoryRuleset") if r.name.endswith("-branch-gate-ruleset"))
        return [c["context"] for c in gate.inputs["rules"]["requiredStatusChecks"]["requiredChecks"]]
    assert checks(run_stack("production")) == ["ci/test", "ci/lint"]
    assert checks(run_stack("production", overrides={"codeFreeze": []})) == ["ci/test", "ci/lint", "release/code-freeze"]
    assert checks(run_stack("staging", overrides={"codeFreeze": []})) == ["ci/test", "ci/lint"]


def test_the_pack_judges_the_freeze_and_its_gate(monkeypatch, tmp_path):
    root = project_copy(tmp_path, plan={"codeFreeze": FREEZE})
    # the program refuses the update; a preview registers the same resources, which the pack judges
    resources = to_resources(run_stack("production", now=TUESDAY, preview=True, root=root).registrations)
    update = verdicts(resources, "production", monkeypatch, root=root, now=TUESDAY)
    assert update == [("code-freeze", "stack 'production': code freeze from 2026-11-23 to 2026-11-27 "
                                      "(Europe/Paris): go-live S1")]
    preview = verdicts(resources, "production", monkeypatch, root=root, now=TUESDAY, dry_run=True)
    assert rules_of(preview) == {"code-freeze-preview"}
    emergency = {"RELEASE_EMERGENCY": "true", "RELEASE_EMERGENCY_REASON": "INC-42"}
    assert verdicts(resources, "production", monkeypatch, root=root, now=TUESDAY, environ=emergency) == []
    later = TUESDAY + dt.timedelta(days=7)
    weakened = edit(resources, "production-branch-gate-ruleset", lambda p: p["rules"]["requiredStatusChecks"].update(
        requiredChecks=[{"context": "ci/test"}, {"context": "ci/lint"}]))
    assert rules_of(verdicts(weakened, "production", monkeypatch, root=root, now=later)) == {"code-freeze-gate"}


def test_pulumi_yaml_declares_every_issue_18_key():
    doc = yaml.safe_load((ROOT_DIR / "Pulumi.yaml").read_text())["config"]
    for key in ("allowedBranches", "featurePreviews", "healthChecks", "notifications", "postMortem"):
        assert key in doc, key
    assert any("values" in e for e in doc["catalogue"]["value"])
