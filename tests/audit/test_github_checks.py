"""The GitHub REST pass on recorded answers of the double, each varied the way a person or GitHub would."""

from __future__ import annotations

import copy

from audit.classify import EXIT_INCOMPLETE, exit_code
from audit.conclude import conclude
from audit.events import EngineRun
from audit.rest import RestError
from scenarios import by_stack, collected, facts, load, topology

REPO = "/repos/koomy-app/koomy"


def answers_of(data, suffix: str) -> dict:
    """The recorded answer whose path ends with `suffix` (query ignored)."""
    return next(v for k, v in data["github"].items() if k.split("?")[0] == f"{REPO}{suffix}")


def run(data, *, blind_refresh: bool = False, only: tuple[str, ...] | None = None):
    stacks, repo = collected(data)
    if only:
        stacks = [c for c in stacks if c.stack in only]
    if blind_refresh:
        for c in stacks:
            c.engine = EngineRun()
    return by_stack(conclude(stacks, topology(), repo))


def clean():
    return copy.deepcopy(load("clean"))


def test_pagination_is_followed():
    data = clean()
    secrets = answers_of(data, "/environments/staging/secrets")
    everything = secrets["body"]["secrets"]
    secrets["body"] = {"total_count": len(everything), "secrets": everything[:1]}
    secrets["link"] = f'<http://127.0.0.1:1/api/v3{REPO}/environments/staging/secrets?per_page=100&page=2>; rel="next"'
    data["github"][f"{REPO}/environments/staging/secrets?per_page=100&page=2"] = {
        "status": 200, "link": None, "body": {"total_count": len(everything), "secrets": everything[1:]}}
    assert facts(run(data)["staging"]) == set()
    # Without the second page, the secrets on it would be "deleted outside Pulumi".
    del data["github"][f"{REPO}/environments/staging/secrets?per_page=100&page=2"]
    try:
        run(data)
    except RestError as err:
        assert err.status == 404
    else:
        raise AssertionError("a missing page must fail, not shrink the list")


def test_a_failed_list_makes_every_stack_incomplete():
    stacks, _ = collected(clean())
    audits = conclude(stacks, topology(), None, repo_error="github GET /repos/koomy-app/koomy/rulesets: HTTP 403: Forbidden")
    assert all(a.status == "error" for a in audits)
    assert exit_code(audits) == EXIT_INCOMPLETE


def test_secret_dates():
    data = clean()
    secrets = answers_of(data, "/environments/staging/secrets")["body"]["secrets"]
    secret = next(s for s in secrets if s["name"] == "SUPABASE_SERVICE_ROLE_KEY")
    secret["updated_at"] = "2030-01-01T00:00:00Z"
    staging = run(data, blind_refresh=True)["staging"]
    assert facts(staging) == {("secret_touched", "staging-secrets-supabase-service-role-key-github")}
    (finding,) = [f for f in staging.findings if not f.informational]
    assert finding.changes[0].changed_at == "2030-01-01T00:00:00Z"
    assert "2030-01-01T00:00:00Z is later than" in finding.evidence[0].detail


def test_a_secret_gone_is_drift_and_a_stranger_is_an_addition():
    data = clean()
    body = answers_of(data, "/environments/staging/secrets")["body"]
    body["secrets"] = [s for s in body["secrets"] if s["name"] != "JWT_SECRET"] + [
        {"name": "LEGACY_KEY", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}]
    variables = answers_of(data, "/environments/staging/variables")["body"]
    variables["variables"].append({"name": "DEBUG", "value": "1", "created_at": "x", "updated_at": "x"})
    assert facts(run(data, blind_refresh=True)["staging"]) == {
        ("managed_drift", "staging-secrets-jwt-secret-github"),
        ("unmanaged_addition", "staging/LEGACY_KEY"),
        ("unmanaged_addition", "staging/DEBUG"),
    }


def test_branch_policies():
    data = clean()
    policies = answers_of(data, "/environments/staging/deployment-branch-policies")["body"]["branch_policies"]
    policies.append({"id": 9999, "node_id": "x", "name": "hotfix/*", "type": "branch"})
    assert facts(run(data, blind_refresh=True)["staging"]) == {("unmanaged_addition", "staging/hotfix/*")}
    policies[0]["name"] = "main"
    assert ("managed_drift", "staging-deployment-branch-policy") in facts(run(data, blind_refresh=True)["staging"])


def test_rulesets():
    data = clean()
    rulesets = answers_of(data, "/rulesets")["body"]
    archive = next(r for r in rulesets if r["name"] == "production-release-archive")
    rulesets.remove(archive)
    rulesets.append({**archive, "id": 4242, "name": "org-wide", "source_type": "Organization", "source": "koomy-app"})
    rulesets.append({**archive, "id": 4243, "name": "bypass-for-bots"})
    audits = run(data, blind_refresh=True)
    assert facts(audits["production"]) == {("managed_drift", "production-release-archive-ruleset"),
                                           ("unmanaged_addition", "bypass-for-bots")}
    assert facts(audits["staging"]) == set()


def test_objects_of_a_stack_not_audited_are_left_to_it():
    data = clean()
    answers_of(data, "/rulesets")["body"].append(
        {"id": 4244, "name": "production-extra", "target": "branch", "enforcement": "active", "source_type": "Repository"})
    staging_only = run(data, blind_refresh=True, only=("staging",))
    # production's environment and rulesets belong to the production stack, not audited in this run:
    assert facts(staging_only["staging"]) == set()
    both = run(data, blind_refresh=True)
    assert ("unmanaged_addition", "production-extra") in facts(both["production"])


def test_environment_protection_against_what_pulumi_applied():
    data = clean()
    envs = answers_of(data, "/environments")["body"]["environments"]
    staging = next(e for e in envs if e["name"] == "staging")
    staging["can_admins_bypass"] = not staging["can_admins_bypass"]
    staging["protection_rules"].append({"id": 1, "node_id": "n", "type": "wait_timer", "wait_timer": 30})
    finding = next(f for f in run(data, blind_refresh=True)["staging"].findings if f.cls.value == "managed_drift")
    assert {(c.path, c.after) for c in finding.changes} == {("canAdminsBypass", staging["can_admins_bypass"]),
                                                            ("waitTimer", 30)}
    assert finding.resource.name == "staging-deployment-environment"


def test_all_reviewers_removed_is_seen_even_where_refresh_is_blind():
    # On GitHub the rule may vanish with its last reviewer; the provider then keeps the stale reviewers.
    data = copy.deepcopy(load("edited"))
    envs = answers_of(data, "/environments")["body"]["environments"]
    production = next(e for e in envs if e["name"] == "production")
    production["protection_rules"] = [r for r in production["protection_rules"] if r["type"] != "required_reviewers"]
    audits = run(data, blind_refresh=True)
    finding = next(f for f in audits["production"].findings
                   if f.cls.value == "managed_drift" and f.resource.name == "production-deployment-environment")
    assert ("reviewers", [1234567], []) in [(c.path, c.before, c.after) for c in finding.changes]
    assert [e.source for e in finding.evidence] == ["github-rest"]


def test_a_managed_environment_deleted():
    data = clean()
    body = answers_of(data, "/environments")["body"]
    body["environments"] = [e for e in body["environments"] if e["name"] != "staging"]
    stacks, repo = collected(data)
    for c in stacks:
        c.engine = EngineRun()
        c.environment = None  # its lists are not fetched when it is gone
    staging = by_stack(conclude(stacks, topology(), repo))["staging"]
    assert facts(staging) == {("managed_drift", "staging-deployment-environment")}


def test_the_workflows_own_machinery_is_not_drift():
    """The program lives in the repository it manages (README): its workflows' `drift` environment and
    their credentials in each environment (topology/machinery.py) are set up by hand, never reported."""
    data = clean()
    environments = answers_of(data, "/environments")["body"]
    environments["environments"].append({**copy.deepcopy(environments["environments"][0]), "id": 4242, "name": "drift",
                                         "protection_rules": []})
    environments["total_count"] = len(environments["environments"])
    body = answers_of(data, "/environments/staging/secrets")["body"]
    body["secrets"] += [{"name": n, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}
                        for n in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "RELEASE_TOPOLOGY_GITHUB_TOKEN",
                                  "VERCEL_API_TOKEN")]
    audits = run(data, blind_refresh=True)
    assert facts(audits["staging"]) == set() and facts(audits["production"]) == set()
    # Anything else by hand is still an addition, the machinery's names only in the machinery's places.
    environments["environments"].append({**environments["environments"][-1], "id": 4243, "name": "qa"})
    assert ("unmanaged_addition", "qa") in facts(run(data, blind_refresh=True)["production"])
