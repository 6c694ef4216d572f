"""`pulumi import` on the command line, as the README's adoption section says: objects that exist in GitHub
and Vercel but not in the stack's state (a ruleset, an environment, a Vercel project, and what hangs off
them) are taken over under the names the program gives them, with the README's import ids. Nothing is
created or deleted; the next `up` only writes the secrets again (GitHub never returns their values), and
the preview after it is empty."""

from __future__ import annotations

import re

from test_lifecycle import set_sentinel_secrets

FORGOTTEN = ("production-branch-gate-ruleset", "production-deployment-environment", "production-vercel-project")


def import_id(resource: dict) -> str:
    """The README's import ids: `koomy:<ruleset id>`, `koomy:production`, `koomy:production:<policy id>`;
    Vercel `[team/]project_id`, `[team/]project_id/env_id`, `[team/]project_id/domain`."""
    outputs, kind = resource["outputs"], resource["type"]
    team = f"{outputs['teamId']}/" if outputs.get("teamId") else ""
    if kind.endswith("RepositoryRuleset"):
        return f"{outputs['repository']}:{outputs['rulesetId']}"
    if kind.startswith("vercel:index/project:"):
        return f"{team}{resource['id']}"
    if kind.startswith("vercel:index/projectEnvironmentVariable:"):
        return f"{team}{outputs['projectId']}/{resource['id']}"
    if kind.startswith("vercel:index/projectDomain:"):
        return f"{team}{outputs['projectId']}/{outputs['domain']}"
    return resource["id"]  # the github environment, its branch policy, secrets, variables: their id is the import id


def vercel_objects(state: dict) -> dict:
    """What exists on Vercel, not when it was last written: projects, their link, variable ids, domains."""
    return {name: (p["id"], p["link"], sorted(v["id"] for vs in p["env"].values() for v in vs), sorted(p["domains"]))
            for name, p in state["projects"].items()}


def name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def test_pulumi_import_takes_over_a_ruleset_an_environment_and_a_vercel_project(rehearsal):
    rehearsal.cli("stack", "init", "production")
    set_sentinel_secrets(rehearsal, ("production",))
    rehearsal.up("production")
    before = {name_of(r["urn"]): r for r in rehearsal.export("production")["deployment"]["resources"]}
    github_before, vercel_before = rehearsal.double.store.state(), rehearsal.vercel.store.state()
    # Forget them in state only (with what depends on them): GitHub and Vercel keep every object.
    for name in FORGOTTEN:
        result = rehearsal.cli("state", "delete", "--force", "--yes", "--target-dependents", "--stack", "production",
                               before[name]["urn"])
        assert result.returncode == 0, result.stdout + result.stderr
    left = {name_of(r["urn"]) for r in rehearsal.export("production")["deployment"]["resources"]}
    forgotten = [before[name] for name in before if name not in left]
    assert {"production-secrets-stripe-secret-key-github", "production-vercel-domain"} <= {name_of(r["urn"]) for r in forgotten}
    rehearsal.double.store.clear_log()
    rehearsal.vercel.clear_log()
    # Parents before children (the export is in dependency order).
    for resource in forgotten:
        args = ["import", resource["type"], name_of(resource["urn"]), import_id(resource), "--stack", "production",
                "--yes", "--skip-preview", "--generate-code=false", "--parent", f"parent={resource['parent']}"]
        if resource.get("provider") and "::default" not in resource["provider"]:
            args += ["--provider", f"provider={resource['provider'].rsplit('::', 1)[0]}"]
        result = rehearsal.cli(*args)
        assert result.returncode == 0, result.stdout + result.stderr
        assert re.search(rf"=\s+\S+ {name_of(resource['urn'])} import", result.stdout), result.stdout
    # Imports only read. The Vercel provider's project read also asks dcs.vercel-infra.com (its region list),
    # which the double refuses: the import does not depend on it.
    assert rehearsal.writes() == [] and rehearsal.vercel_writes() == []
    assert rehearsal.refused_hosts() <= {"dcs.vercel-infra.com:443"}
    after = {name_of(r["urn"]): r for r in rehearsal.export("production")["deployment"]["resources"]}
    for resource in forgotten:
        name = name_of(resource["urn"])
        assert after[name]["id"] == resource["id"] and after[name].get("protect") is True, name
    # The next up writes the secrets again, neither GitHub nor Vercel returns their values (Vercel's
    # sensitive variables), and nothing else: no create, no delete.
    rehearsal.up("production")
    writes = [(w["method"], w["path"].rsplit("/", 2)[-2]) for w in rehearsal.writes()]
    assert writes and set(writes) == {("PUT", "secrets")}, writes
    sensitive = {v["id"] for variables in rehearsal.vercel.state()["projects"]["koomy-production"]["env"].values()
                 for v in variables if v["type"] == "sensitive"}
    vercel_writes = [(w["method"], w["path"].rsplit("/", 1)[-1]) for w in rehearsal.vercel_writes()]
    assert vercel_writes and {m for m, _ in vercel_writes} == {"PATCH"} and {i for _, i in vercel_writes} <= sensitive, vercel_writes
    assert rehearsal.double.store.state()["rulesets"] == github_before["rulesets"]
    assert vercel_objects(rehearsal.vercel.state()) == vercel_objects(vercel_before)
    code, out = rehearsal.preview("production", "--expect-no-changes")
    assert code == 0, out
