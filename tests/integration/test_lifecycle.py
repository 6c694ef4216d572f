"""Lifecycle of the shipped stacks on the real engine, the github, random and vercel plugins and the two doubles.

Assertions are on what reached the double (its state and request log) and on what the engine keeps
(state, exports), never only on the program's own view.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from harness import TEST_SECRETS
from lifecycle import backend_files, kill_session, resources_of, still_running
from topology import keys

STACKS = ("staging", "production")
NOISE = re.compile(r"^.*(warning: |can't run policy|is deprecated).*$", re.M)


def set_sentinel_secrets(rehearsal, stacks=STACKS) -> dict[str, dict[str, str]]:
    """Every config secret of the stacks set to a sentinel value: leaks become greppable."""
    for stack in stacks:
        for name, value in TEST_SECRETS[stack].items():
            result = rehearsal.cli("config", "set", "--secret", "--stack", stack, name, value)
            assert result.returncode == 0, result.stderr
    return TEST_SECRETS


def noise(out: str) -> list[str]:
    """Provider warnings and "can't run policy" lines; the pack's own advisories are not noise."""
    return [line for line in NOISE.findall(out) if "[advisory]" not in line]


def test_noise_catches_the_lines_a_preview_must_not_show():
    seen = """    github:index:ActionsEnvironmentSecret staging-secrets-jwt-secret-github  warning: property "plaintextValue" is deprecated: Use value
    can't run policy 'stripe-mode' from policy pack 'release-topology' during preview: string value at .plaintextValue can't be known during preview
        - [advisory]  deploy-window-preview  (release-topology:index:ReleaseEnvironment: production)
"""
    assert len(noise(seen)) == 2


@pytest.fixture
def deployed(rehearsal):
    """Both stacks up, staging then production, with sentinel secrets."""
    for stack in STACKS:
        rehearsal.cli("stack", "init", stack)
    secrets = set_sentinel_secrets(rehearsal)
    for stack in STACKS:
        out = rehearsal.up(stack)
        assert not noise(out), noise(out)
    return rehearsal, secrets


def test_preview_of_the_shipped_stacks_is_clean(rehearsal):
    for stack in STACKS:
        code, out = rehearsal.preview(stack)
        assert code == 0, out
        assert not noise(out), noise(out)
        assert "release-topology:github:BranchGate" in out and "github:index:RepositoryRuleset" in out
    # Check and Diff call nothing: a preview of an empty stack only configures the provider.
    assert {(r["method"], r["path"].split("/")[3]) for r in rehearsal.double.store.requests()} <= {("GET", "orgs")}
    assert rehearsal.vercel.requests() == []  # no team declared: the Vercel provider reads nothing at preview


def test_up_creates_every_declared_object_with_its_settings(deployed):
    rehearsal, _ = deployed
    state = rehearsal.double.store.state()
    rulesets = state["rulesets"]
    # production also owns the repository-wide allowed-branches ruleset (issue 18: allowedBranches).
    assert set(rulesets) == {"staging-branch-gate", "production-branch-gate", "production-release-archive",
                             "production-allowed-branches"}, rulesets
    allowed = rulesets["production-allowed-branches"]
    assert allowed["conditions"]["ref_name"]["include"] == ["~ALL"] and [r["type"] for r in allowed["rules"]] == ["creation"]
    assert {"refs/heads/main", "refs/heads/staging", "refs/heads/feature/*"} <= set(allowed["conditions"]["ref_name"]["exclude"])
    gate = rulesets["production-branch-gate"]
    assert gate["target"] == "branch" and gate["enforcement"] == "active"
    assert gate["conditions"]["ref_name"]["include"] == ["refs/heads/main"]
    rules = {r["type"]: r.get("parameters") for r in gate["rules"]}
    # Issue 15: main is promoted from staging, so it takes merge commits only and has no linear history
    # (the merge's second parent is the staging SHA that was deployed); its checks are not strict, or
    # the second promotion would be out of date forever (README "The release flow").
    assert {"deletion", "non_fast_forward", "pull_request", "required_status_checks",
            "required_deployments"} <= set(rules)
    assert "required_linear_history" not in rules
    assert rules["pull_request"]["allowed_merge_methods"] == ["merge"]
    assert rules["required_status_checks"]["strict_required_status_checks_policy"] is False
    staging_rules = {r["type"]: r.get("parameters") for r in rulesets["staging-branch-gate"]["rules"]}
    assert "required_linear_history" in staging_rules
    assert staging_rules["pull_request"]["allowed_merge_methods"] == ["squash", "rebase"]
    assert rules["required_deployments"]["required_deployment_environments"] == ["staging"]
    assert {c["context"] for c in rules["required_status_checks"]["required_status_checks"]} == {"ci/test", "ci/lint"}
    assert gate["bypass_actors"] == []
    archive = rulesets["production-release-archive"]
    assert archive["target"] == "tag" and {r["type"] for r in archive["rules"]} >= {"deletion", "update"}

    environments = state["environments"]
    assert set(environments) == {"staging", "production"}
    for name, branch in (("staging", "staging"), ("production", "main")):
        env = environments[name]
        assert env["deployment_branch_policy"] == {"protected_branches": False, "custom_branch_policies": True}
        assert [p["name"] for p in env["deployment_branch_policies"]] == [branch]
        assert set(env["secrets"]) == {"STRIPE_SECRET_KEY", "SUPABASE_SERVICE_ROLE_KEY", "JWT_SECRET"}
        assert set(env["variables"]) == {"NEXT_PUBLIC_SUPABASE_URL", "APP_ENV", "LOG_LEVEL"}
        assert env["variables"]["APP_ENV"]["value"] == name
    assert_only_refusal_is_the_providers_environment_fallback(rehearsal.double.store.requests(), state["plan"])

    # Vercel: a project per environment linked to the repository with the environment's branch as its
    # production branch, every catalogue entry for Vercel (secrets sensitive), the domain.
    projects = rehearsal.vercel.state()["projects"]
    assert set(projects) == {"koomy-staging", "koomy-production"}, projects
    for stack, branch, domain in (("staging", "staging", "staging.koomy.app"), ("production", "main", "koomy.app")):
        project = projects[f"koomy-{stack}"]
        assert project["link"]["type"] == "github" and (project["link"]["org"], project["link"]["repo"]) == ("koomy-app", "koomy"), project["link"]
        assert project["link"]["productionBranch"] == branch, project["link"]
        assert set(project["env"]) == {"STRIPE_SECRET_KEY", "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET",
                                       "NEXT_PUBLIC_SUPABASE_URL", "NEXT_PUBLIC_SUPABASE_ANON_KEY",
                                       "SUPABASE_SERVICE_ROLE_KEY", "JWT_SECRET", "APP_ENV", "LOG_LEVEL"}, project["env"]
        for key, [variable] in project["env"].items():
            # featurePreviews: staging's values also serve feature branches' preview deployments; never production's.
            assert sorted(variable["target"]) == (["preview", "production"] if stack == "staging" else ["production"]), variable
            secret = key not in ("NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY", "NEXT_PUBLIC_SUPABASE_URL", "APP_ENV", "LOG_LEVEL")
            assert (variable["type"] == "sensitive") == secret and ("value" in variable) != secret, variable
        assert project["env"]["APP_ENV"][0]["value"] == stack
        assert set(project["domains"]) == {domain}
    assert not [r for r in rehearsal.vercel.requests() if r["status"] >= 400], rehearsal.vercel.requests()


def assert_only_refusal_is_the_providers_environment_fallback(requests: list[dict], plan: str) -> None:
    """The program sends nothing a plan refuses; one refusal stays, and it is the provider's own.

    terraform-provider-github v6.13.0 (through go-github v88) always puts `wait_timer` and
    `reviewers` in an environment PUT, even at their defaults; on Team/Pro private GitHub answers 422
    and go-github retries with `deployment_branch_policy` alone. Our components declare nothing beyond
    the defaults there, so the retry drops nothing (the no-change tests prove it); the 422 itself
    cannot be avoided without changing the provider.
    """
    refused = [(i, r) for i, r in enumerate(requests) if r["status"] >= 400 and r["method"] != "GET"]
    for i, r in refused:
        assert plan in ("team", "pro") and r["method"] == "PUT" and "/environments/" in r["path"], r
        # Requests of other resources interleave: the retry is the next PUT of the same path.
        retry = next(q for q in requests[i + 1:] if (q["method"], q["path"]) == ("PUT", r["path"]))
        assert retry["status"] == 200, (r, retry)


def test_second_preview_and_refreshed_preview_show_no_change(deployed):
    rehearsal, _ = deployed
    for stack in STACKS:
        code, out = rehearsal.preview(stack, "--expect-no-changes")
        assert code == 0, out
        code, out = rehearsal.preview(stack, "--refresh", "--expect-no-changes")
        assert code == 0, out
        assert not noise(out), noise(out)


def test_every_secret_reached_github_intact(deployed):
    rehearsal, secrets = deployed
    store = rehearsal.double.store
    for stack in STACKS:
        for name in ("STRIPE_SECRET_KEY", "SUPABASE_SERVICE_ROLE_KEY"):
            assert store.secret_matches(stack, name, secrets[stack][name]), (stack, name)
            assert not store.secret_matches(stack, name, secrets[stack][name] + "x")
        # The generated one: its value lives only in state, encrypted.
        value = rehearsal.generated_secret(stack, "RandomPassword")
        assert len(value) == 64 and store.secret_matches(stack, "JWT_SECRET", value)
        # Vercel gets the same values, kept as keyed fingerprints.
        project = f"koomy-{stack}"
        for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "NEXT_PUBLIC_SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY"):
            assert rehearsal.vercel.env_matches(project, name, secrets[stack][name]), (stack, name)
            assert not rehearsal.vercel.env_matches(project, name, secrets[stack][name] + "x")
        assert rehearsal.vercel.env_matches(project, "JWT_SECRET", value)


def test_no_secret_in_clear_in_state_exports_backups_or_logs(deployed):
    rehearsal, secrets = deployed
    sentinels = [v for stack in STACKS for v in secrets[stack].values()]
    for stack in STACKS:
        rehearsal.export(stack)
    texts = {str(p): p.read_bytes().decode("utf-8", "replace") for p in backend_files(rehearsal.env)}
    assert any("/backups/" in p or "/history/" in p for p in texts), "no backup or history file to scan"
    texts.update({f"output {i}": out for i, out in enumerate(rehearsal.outputs)})
    texts["double state"] = repr(rehearsal.double.store.state()) + repr(rehearsal.double.store.requests())
    texts["vercel double state"] = repr(rehearsal.vercel.state()) + repr(rehearsal.vercel.requests())
    hits = [(where, s[:12]) for where, text in texts.items() for s in sentinels if s in text]
    print(f"scanned {len(texts)} files and outputs for {len(sentinels)} sentinel secrets: {len(hits)} hits")
    assert hits == []


def test_production_is_protected_from_destroy_and_replace(deployed):
    rehearsal, _ = deployed
    before = rehearsal.double.store.state()
    writes = len(rehearsal.writes())
    result = rehearsal.cli("destroy", "--yes", "--stack", "production", "--skip-preview")
    assert result.returncode != 0 and "protected" in result.stdout + result.stderr, result.stdout + result.stderr
    # A replace of the environment would delete its secrets and deployment history.
    environment = resources_of(rehearsal.export("production"), "RepositoryEnvironment")[0]["urn"]
    code, out = rehearsal.program("up", "production", "--replace", environment)
    assert code != 0 and "protect" in out, out
    assert len(rehearsal.writes()) == writes, rehearsal.writes()[writes:]
    after = rehearsal.double.store.state()
    assert after["rulesets"] == before["rulesets"] and after["environments"] == before["environments"]
    # The Vercel project is protected too: deleting it would take the deployments a rollback goes back to.
    project = resources_of(rehearsal.export("production"), "vercel:index/project:Project")
    assert project and project[0].get("protect") is True and project[0].get("retainOnDelete") is True, project
    assert "koomy-production" in rehearsal.vercel.state()["projects"]
    assert not [w for w in rehearsal.vercel_writes() if w["method"] == "DELETE"]


def test_two_concurrent_ups_of_one_stack_one_is_refused_by_the_lock(deployed):
    rehearsal, _ = deployed
    rehearsal.double.store.clear_log()
    # Something to write: a variable value changes, so the first up holds the lock while it writes.
    stack_file = rehearsal.project / "Pulumi.staging.yaml"
    stack_file.write_text(stack_file.read_text().replace("release-topology:APP_ENV: staging", "release-topology:APP_ENV: staging-2"))
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(rehearsal.program("up", "staging"))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    codes = sorted(code for code, _ in results)
    assert codes[0] == 0 and codes[1] != 0, results
    refused = next(out for code, out in results if code != 0)
    assert "currently locked" in refused, refused
    writes = rehearsal.writes()
    assert [(w["method"], w["path"].rsplit("/", 1)[-1]) for w in writes] == [("PATCH", "APP_ENV")], writes


def test_rotating_one_secret_writes_exactly_that_secret(deployed):
    rehearsal, _ = deployed
    rehearsal.double.store.clear_log()
    rehearsal.vercel.clear_log()
    variable = rehearsal.vercel.state()["projects"]["koomy-staging"]["env"]["STRIPE_SECRET_KEY"][0]["id"]
    rotated = "sk_test_SENTINELstagingROTATED0009"
    assert rehearsal.cli("config", "set", "--secret", "--stack", "staging", "STRIPE_SECRET_KEY", rotated).returncode == 0
    out = rehearsal.up("staging")
    writes = [(w["method"], w["path"].rsplit("/", 2)[-2:]) for w in rehearsal.writes()]
    assert writes == [("PUT", ["secrets", "STRIPE_SECRET_KEY"])], writes
    assert rehearsal.double.store.secret_matches("staging", "STRIPE_SECRET_KEY", rotated)
    # On Vercel exactly that variable: a sensitive value cannot be updated in place, so the provider
    # replaces it (delete_before_replace: pulumiverse/pulumi-vercel#118); nothing else is touched.
    vercel_writes = [(w["method"], w["path"].split("/env", 1)[-1]) for w in rehearsal.vercel_writes()]
    assert vercel_writes in ([("PATCH", f"/{variable}")], [("DELETE", f"/{variable}"), ("POST", "")]), vercel_writes
    assert rehearsal.vercel.env_matches("koomy-staging", "STRIPE_SECRET_KEY", rotated)
    replaced = re.findall(r"[+-~]+\s+(\S+:\S+:\S+) (\S+) (?:replace|update|create-replacement|delete-replaced)", out)
    assert {name for _, name in replaced} <= {"staging-vercel-stripe-secret-key", "staging-secrets-stripe-secret-key-github"}, out


def test_a_ui_edit_shows_in_a_refreshed_preview(deployed):
    rehearsal, _ = deployed
    store = rehearsal.double.store
    gate = store.state()["rulesets"]["production-branch-gate"]
    store.disable_ruleset(gate["id"])
    store.set_variable("staging", "APP_ENV", "edited-in-the-ui")
    for stack, changed in (("production", "production-branch-gate-ruleset"), ("staging", "staging-secrets-app-env-github")):
        code, out = rehearsal.preview(stack, "--refresh", "--expect-no-changes")
        assert code != 0, out
        assert re.search(rf"~\s+github:index:\w+ {changed} update", out), out
    # `up --refresh` puts the declared settings back (a plain `up` diffs against the stored state).
    rehearsal.up("production", "--refresh")
    rehearsal.up("staging", "--refresh")
    assert store.state()["rulesets"]["production-branch-gate"]["enforcement"] == "active"
    assert store.state()["environments"]["staging"]["variables"]["APP_ENV"]["value"] == "staging"


def test_blind_spot_a_secret_re_set_in_the_ui_is_not_seen_by_refresh(deployed):
    """GitHub never returns a secret's value: refresh moves only `remote_updated_at`, and the plan
    stays empty (README, "What refresh cannot see"; the drift audit compares the times)."""
    rehearsal, _ = deployed
    before = rehearsal.double.store.state()["environments"]["production"]["secrets"]["STRIPE_SECRET_KEY"]
    rehearsal.double.store.set_secret("production", "STRIPE_SECRET_KEY", "sk_live_SENTINELsetByHandInTheUI")
    after = rehearsal.double.store.state()["environments"]["production"]["secrets"]["STRIPE_SECRET_KEY"]
    assert after["updated_at"] > before["updated_at"] and after["fingerprint"] != before["fingerprint"]
    code, out = rehearsal.preview("production", "--refresh", "--expect-no-changes")
    assert code == 0, out


def test_reviewers_removed_in_the_ui_show_in_a_refreshed_preview(rehearsal):
    """On a plan with environment reviewers (Enterprise here). pitfalls.md lists this as a blind spot
    (the provider never cleared them); the upstream pinned here (v6.13.0) reads them back: not blind."""
    project = rehearsal.project / "Pulumi.yaml"
    project.write_text(re.sub(r"(githubPlan:\s*\n\s*value:\s*)\w+", r"\1enterprise", project.read_text()))
    rehearsal.double.store.set_plan(plan="enterprise")
    rehearsal.cli("stack", "init", "production")
    set_sentinel_secrets(rehearsal, ("production",))
    rehearsal.up("production")
    environment = rehearsal.double.store.state()["environments"]["production"]
    assert [r["type"] for r in environment["protection_rules"]].count("required_reviewers") == 1, environment
    rehearsal.double.store.remove_reviewers("production")
    rules = rehearsal.double.store.state()["environments"]["production"]["protection_rules"]
    assert not [r for r in rules if r["type"] == "required_reviewers" and r.get("reviewers")], rules
    code, out = rehearsal.preview("production", "--refresh", "--expect-no-changes")
    assert code != 0 and re.search(r"~\s+github:index:RepositoryEnvironment production-deployment-environment update "
                                   r"\[diff: ~reviewers\]", out), out


DEVELOPMENT = """      - name: development
        branch: develop
        promotedFrom: feature/*
      - name: staging
        branch: staging
        promotedFrom: develop
"""
SHIPPED_FIRST_STAGE = """      - name: staging
        branch: staging
        promotedFrom: feature/*
"""


def add_development(rehearsal) -> str:
    """The README's "Add an environment", by config only: Pulumi.yaml and a new stack's values."""
    project = rehearsal.project / "Pulumi.yaml"
    shipped = project.read_text()
    assert SHIPPED_FIRST_STAGE in shipped
    project.write_text(shipped.replace(SHIPPED_FIRST_STAGE, DEVELOPMENT))
    assert rehearsal.cli("stack", "init", "development").returncode == 0
    values = {"vercelProject": "koomy-development", "domain": "dev.koomy.app", "APP_ENV": "development", "LOG_LEVEL": "debug",
              "NEXT_PUBLIC_SUPABASE_URL": "https://dev-ref.supabase.co",
              "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY": "pk_test_developmentPublishable"}
    for key, value in values.items():
        assert rehearsal.cli("config", "set", "--stack", "development", key, value).returncode == 0
    for key, value in TEST_SECRETS["staging"].items():
        assert rehearsal.cli("config", "set", "--secret", "--stack", "development", key, value).returncode == 0
    return shipped


def test_a_third_environment_by_config_alone_and_its_revert(deployed):
    rehearsal, _ = deployed
    store = rehearsal.double.store
    before = store.state()
    shipped = add_development(rehearsal)
    store.clear_log()
    rehearsal.up("development")
    after = store.state()
    assert set(after["environments"]) - set(before["environments"]) == {"development"}
    assert set(after["rulesets"]) - set(before["rulesets"]) == {"development-branch-gate"}
    assert after["rulesets"]["development-branch-gate"]["conditions"]["ref_name"]["include"] == ["refs/heads/develop"]
    assert {k: v for k, v in after["environments"].items() if k != "development"} == before["environments"]
    assert all("/development" in w["path"] or w["path"].endswith("/rulesets") for w in rehearsal.writes()), rehearsal.writes()
    # The revert: Pulumi.yaml back as shipped (git revert), then the retired stack's resources removed.
    (rehearsal.project / "Pulumi.yaml").write_text(shipped)
    result = rehearsal.cli("destroy", "--yes", "--skip-preview", "--stack", "development")
    assert result.returncode == 0, result.stdout + result.stderr
    assert store.state()["environments"] == before["environments"]
    assert store.state()["rulesets"] == before["rulesets"]
    for stack in STACKS:
        code, out = rehearsal.preview(stack, "--expect-no-changes")
        assert code == 0, out


def readme_recovery(rehearsal, stack: str) -> list[str]:
    """The README's "An `up` was interrupted" steps, literally."""
    steps = []
    cancel = rehearsal.cli("cancel", "--yes", "--stack", stack)  # the file backend's stale lock
    loaded = rehearsal.cli("stack", "export", "--stack", stack)
    if "failed to load checkpoint" in cancel.stderr + loaded.stderr:
        # Killed while the backend wrote the checkpoint: put back the previous one, which it keeps beside it.
        checkpoint = (Path(rehearsal.env["PULUMI_BACKEND_URL"].removeprefix("file://")) / ".pulumi" / "stacks"
                      / "release-topology" / f"{stack}.json")
        shutil.copy(checkpoint.with_name(checkpoint.name + ".bak"), checkpoint)
        steps.append("restored the checkpoint the backend kept (.json.bak)")
        cancel = rehearsal.cli("cancel", "--yes", "--stack", stack)
    assert cancel.returncode == 0 or "has no update in progress" in cancel.stderr, cancel.stderr
    deployment = rehearsal.export(stack)["deployment"]
    pending = deployment.get("pending_operations") or []
    recorded = {r["outputs"].get("name") for r in deployment.get("resources") or []
                if r["type"].endswith("RepositoryRuleset") and r.get("outputs")}
    for ruleset in rehearsal.double.store.list_rulesets():
        name = ruleset["name"]
        if name.startswith(f"{stack}-") and name not in recorded:
            # In GitHub, not in the state (created before the kill: pending, or after the checkpoint put back):
            # adopt it, or the next up makes a second, which GitHub refuses ("Name must be unique").
            key = ("adopt.releaseRuleset" if ruleset["target"] == "tag" else
                   "adopt.allowedBranchesRuleset" if name.endswith("-allowed-branches") else "adopt.branchRuleset")
            result = rehearsal.cli("config", "set", "--path", "--stack", stack, f"release-topology:{key}",
                                   str(ruleset["id"]))
            assert result.returncode == 0, result.stderr
            steps.append(f"{key} {name}")
    for operation in pending:
        resource = operation["resource"]
        if operation["type"] == "creating" and resource["type"] == "vercel:index/projectDomain:ProjectDomain":
            # Added in Vercel before the kill, never recorded: Vercel refuses to add it again ("already assigned
            # to another project"). Remove it from the project (the dashboard, `vercel domains rm`); `up` adds it.
            domain = resource["inputs"]["domain"]
            owner = next((name for name, p in rehearsal.vercel.state()["projects"].items() if domain in p["domains"]), None)
            if owner is not None:
                rehearsal.vercel.remove_domain(owner, domain)
                steps.append(f"removed the unrecorded domain {domain} from Vercel project {owner}")
    # Every other pending create is a PUT (idempotent) or never reached GitHub: forget it, `up` redoes it.
    result = rehearsal.cli("refresh", "--yes", "--skip-preview", "--clear-pending-creates", "--stack", stack)
    assert result.returncode == 0, result.stdout + result.stderr
    steps.append(f"cleared {len(pending)} pending operation(s)")
    return steps


def first_ruleset_created(rehearsal) -> bool:
    return any(w["method"] == "POST" and w["path"].endswith("/rulesets") for w in rehearsal.writes())


@pytest.mark.parametrize("killed_after", ["2 writes", "4 writes", "the first ruleset", "the checkpoint cut short"])
def test_an_up_killed_half_way_recovers_with_the_readme_steps(rehearsal, killed_after):
    rehearsal.cli("stack", "init", "production")
    set_sentinel_secrets(rehearsal, ("production",))
    # GitHub's own 1 s between writes, so that the kill lands in the middle of the update.
    # Production's own passphrase only (topology/keys.py), as Rehearsal.cli gives every call.
    env = keys.stack_env("production", dict(rehearsal.env, RELEASE_GITHUB_WRITE_DELAY_MS="1000"))
    up = subprocess.Popen(["pulumi", "up", "--yes", "--skip-preview", "--stack", "production", "--policy-pack", "policy",
                           "--policy-pack-config", env["REHEARSAL_POLICY_CONFIG"]],
                          cwd=rehearsal.project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          start_new_session=True, text=True)
    deadline = time.time() + 120
    done = first_ruleset_created if killed_after.startswith("the ") else \
        (lambda r: len(r.writes()) >= int(killed_after.split()[0]))
    while time.time() < deadline and not done(rehearsal):
        time.sleep(0.005)
    # The CLI, its language host, the pack, the plugins: the whole session at once (a runner that dies).
    kill_session(up.pid, rehearsal.project)
    up.communicate()
    assert done(rehearsal)
    assert still_running(up.pid, rehearsal.project) == {}, "a killed up left processes behind"
    if killed_after == "the checkpoint cut short":  # the kill landed while the backend wrote it (seen in CI)
        (Path(rehearsal.env["PULUMI_BACKEND_URL"].removeprefix("file://")) / ".pulumi" / "stacks" / "release-topology"
         / "production.json").write_text("")
    print(f"killed after {len(rehearsal.writes())} GitHub writes; recovery: {readme_recovery(rehearsal, 'production')}")
    rehearsal.up("production")
    state = rehearsal.double.store.state()
    assert set(state["rulesets"]) == {"production-branch-gate", "production-release-archive", "production-allowed-branches"}
    assert len(rehearsal.double.store.list_rulesets()) == 3  # no second copy of any ruleset
    assert set(state["environments"]) == {"production"}
    code, out = rehearsal.preview("production", "--refresh", "--expect-no-changes")
    assert code == 0, out


def test_adopting_what_a_team_made_by_hand_recreates_nothing(rehearsal):
    """The README's import path: a team already has production's environment (with its branch policy)
    and its branch ruleset, made by hand with the settings the policy asks for."""
    store = rehearsal.double.store
    # The team's objects: the settings a first `up` makes, rebuilt by hand on a clean GitHub.
    rehearsal.cli("stack", "init", "production")
    set_sentinel_secrets(rehearsal, ("production",))
    rehearsal.up("production")
    made = store.state()
    gate = made["rulesets"]["production-branch-gate"]
    environment = made["environments"]["production"]
    store.reset()
    rehearsal.vercel.reset()  # the team's Vercel is new: only GitHub objects were made by hand
    ruleset = store.add_ruleset({k: gate[k] for k in ("name", "target", "enforcement", "conditions", "rules", "bypass_actors")})
    store.add_environment("production", deployment_branch_policy=environment["deployment_branch_policy"])
    policy = store.add_branch_policy("production", "main")
    # A new stack that has never seen them: the README's steps.
    assert rehearsal.cli("stack", "rm", "--yes", "--force", "--preserve-config", "--stack", "production").returncode == 0
    rehearsal.cli("stack", "init", "production")
    for key, value in (("adopt.environment", "true"), ("adopt.branchPolicy", str(policy["id"])),
                       ("adopt.branchRuleset", str(ruleset["id"]))):
        result = rehearsal.cli("config", "set", "--path", "--stack", "production", f"release-topology:{key}", value)
        assert result.returncode == 0, result.stderr
    store.clear_log()
    out = rehearsal.up("production")
    assert re.search(r"= +github:index:RepositoryRuleset production-branch-gate-ruleset import", out), out
    writes = [(w["method"], w["path"].split("/koomy/", 1)[-1]) for w in rehearsal.writes()]
    assert ("POST", "rulesets") in writes  # the release archive and the allowed branches, which did not exist
    assert writes.count(("POST", "rulesets")) == 2 and not [w for w in writes if w[0] == "DELETE"], writes
    assert not [w for w in writes if "deployment-branch-policies" in w[1]], writes
    after = store.state()
    assert after["rulesets"]["production-branch-gate"]["id"] == ruleset["id"]
    assert [p["id"] for p in after["environments"]["production"]["deployment_branch_policies"]] == [policy["id"]]
    code, out = rehearsal.preview("production", "--expect-no-changes")
    assert code == 0, out


def test_no_secret_in_the_audit_report_drift_issues_policy_messages_or_the_doubles_logs(deployed, tmp_path):
    """The scan above, extended to what the audit and the drift workflow publish: a secret re-set by hand in
    GitHub and in Vercel (sentinels too), the audit's JSON, Markdown and log, each stack's drift issue body
    (audit/issues.py, as `drift.yml` posts it), a mandatory policy message about a secret's value, and both
    doubles' state and request logs after all of it."""
    import json
    import sys

    from audit.issues import body_of
    from rehearsal.project import ROOT

    rehearsal, secrets = deployed
    by_hand = {"github": "sk_live_SENTINELsetByHandInGitHub01", "vercel": "sk_test_SENTINELsetByHandInVercel02",
               "policy": "sk_live_SENTINELliveKeyInStaging03"}
    rehearsal.double.store.set_secret("production", "STRIPE_SECRET_KEY", by_hand["github"])
    rehearsal.vercel.set_env("koomy-staging", "STRIPE_SECRET_KEY", by_hand["vercel"])
    out_dir = tmp_path / "audit-out"
    audited = subprocess.run([sys.executable, "-m", "audit", "--root", str(rehearsal.project), "--out", str(out_dir)],
                             cwd=ROOT, env=rehearsal.env, capture_output=True, text=True, timeout=900)
    assert audited.returncode == 2, audited.stdout[-3000:] + audited.stderr[-3000:]
    doc = json.loads((out_dir / "audit.json").read_text())
    assert {f["class"] for s in doc["stacks"] for f in s["findings"]} >= {"secret_touched"}
    # A live key in staging: the pack's mandatory message names the key, never its value.
    assert rehearsal.cli("config", "set", "--secret", "--stack", "staging", "STRIPE_SECRET_KEY",
                         by_hand["policy"]).returncode == 0
    code, policy_out = rehearsal.preview("staging")
    assert code != 0 and "STRIPE_SECRET_KEY" in policy_out, policy_out
    texts = {
        "audit stdout+stderr": audited.stdout + audited.stderr,
        "audit.json": (out_dir / "audit.json").read_text(),
        "audit.md": (out_dir / "audit.md").read_text(),
        **{f"drift issue {stack}": body_of(doc, stack, "https://github.example/run/1") for stack in STACKS},
        "policy preview": policy_out,
        "github double": repr(rehearsal.double.store.state()) + repr(rehearsal.double.store.requests()),
        "vercel double": repr(rehearsal.vercel.state()) + repr(rehearsal.vercel.requests()),
    }
    texts.update({str(p): p.read_bytes().decode("utf-8", "replace") for p in backend_files(rehearsal.env)})
    texts.update({f"output {i}": out for i, out in enumerate(rehearsal.outputs)})
    sentinels = [v for stack in STACKS for v in secrets[stack].values()] + list(by_hand.values())
    hits = [(where, s[:12]) for where, text in texts.items() for s in sentinels if s in text]
    print(f"scanned {len(texts)} reports, issue bodies, logs and files for {len(sentinels)} sentinels: {len(hits)} hits")
    assert hits == []
