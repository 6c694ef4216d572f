"""Issue 18 through the real engine: production's `up` creates the allowed-branches ruleset (koomy §3.1 "Branches
autorisées: main, staging, feature/*"), then real git pushes to the GitHub double: a branch outside the declared
patterns is refused with GitHub's message, a feature branch is created."""

from __future__ import annotations

from pathlib import Path

from conftest import need_plugins
from lifecycle import Rehearsal
from test_lifecycle import set_sentinel_secrets

from doubles.github.workspace import Checkout
from rehearsal.doubles import started

CTO, DEV = "koomy-cto", "koomy-dev"
REFUSED = "Cannot create ref due to creations being restricted."


def test_branches_outside_the_declared_patterns_cannot_be_created(engine, project, pulumi_env, tmp_path: Path):
    need_plugins(engine)
    with started(project) as doubles:
        rehearsal = Rehearsal(project, Rehearsal.environment(pulumi_env, doubles, project), doubles)
        gh = doubles.github
        gh.add_user(DEV, 1003)
        gh.set_role(DEV, "write")
        cto = Checkout(gh, CTO, tmp_path / "cto")
        cto.commit({"app/index.py": "print('koomy')\n"}, "The app")
        for branch in ("main", "staging"):
            assert cto.push(f"HEAD:refs/heads/{branch}").returncode == 0
        # the production stack file's own demo passphrase (README, "Security")
        rehearsal.env["PULUMI_CONFIG_PASSPHRASE"] = "release-topology-demo-production"
        done = rehearsal.cli("stack", "init", "production")
        assert done.returncode == 0, done.stderr
        set_sentinel_secrets(rehearsal, ("production",))
        rehearsal.up("production")

        status, rulesets = gh.as_user(CTO).get(f"/repos/{gh.store.owner}/{gh.store.repo_name}/rulesets")
        assert status == 200 and "production-allowed-branches" in {r["name"] for r in rulesets}

        dev = Checkout(gh, DEV, tmp_path / "dev")
        dev.commit({"app/x.py": "x = 1\n"}, "work")
        for branch in ("hotfix-x", "test"):
            done = dev.push(f"HEAD:refs/heads/{branch}")
            assert done.returncode != 0 and REFUSED in done.stderr, done.stderr
            assert "GH013: Repository rule violations found for refs/heads/" + branch in done.stderr
            assert not gh.git("for-each-ref", f"refs/heads/{branch}")
        done = dev.push("HEAD:refs/heads/feature/x")
        assert done.returncode == 0, done.stderr
        assert gh.git("for-each-ref", "refs/heads/feature/x")
        # Existing branches still take their own rules (the ruleset restricts creation only): pushing an update
        # to the new feature branch is accepted.
        dev.commit({"app/x.py": "x = 2\n"}, "more work")
        assert dev.push("HEAD:refs/heads/feature/x").returncode == 0
