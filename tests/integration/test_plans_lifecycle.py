"""Issue 10 on the real engine: every plan a user can be on, against a double that answers as
GitHub does on that plan. What the program sends is what the plan accepts: each `up` is green, the
next refreshed preview is empty, and the request log holds no refusal of ours."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import need_plugins
from lifecycle import Rehearsal
from test_lifecycle import assert_only_refusal_is_the_providers_environment_fallback, set_sentinel_secrets

from rehearsal.doubles import started

STACKS = ("staging", "production")


def declare_plan(project: Path, plan: str, visibility: str) -> None:
    text = (project / "Pulumi.yaml").read_text()
    text = re.sub(r"(githubPlan:\s*\n\s*value:\s*)\w+", rf"\g<1>{plan}", text)
    text = re.sub(r"(repositoryVisibility:\s*\n\s*value:\s*)\w+", rf"\g<1>{visibility}", text)
    (project / "Pulumi.yaml").write_text(text)


@pytest.mark.parametrize("plan, visibility", [("free", "public"), ("enterprise", "private"),
                                              ("team", "private"), ("pro", "private")])
def test_up_on_each_plan_is_green_and_sends_nothing_the_plan_refuses(engine, project, pulumi_env, plan, visibility):
    need_plugins(engine)
    declare_plan(project, plan, visibility)
    with started(project) as doubles:
        rehearsal = Rehearsal(project, Rehearsal.environment(pulumi_env, doubles, project), doubles)
        double = doubles.github
        assert double.store.plan == plan and double.store.visibility == visibility
        for stack in STACKS:
            rehearsal.cli("stack", "init", stack)
        set_sentinel_secrets(rehearsal, STACKS)
        for stack in STACKS:
            rehearsal.up(stack)
        for stack in STACKS:
            code, out = rehearsal.preview(stack, "--refresh", "--expect-no-changes")
            assert code == 0, out
        assert_only_refusal_is_the_providers_environment_fallback(double.store.requests(), plan)
        assert not double.store.unknown_requests() and not doubles.vercel.unknown_requests()
        production = double.store.state()["environments"]["production"]
        reviewers_rule = [r for r in production["protection_rules"] if r["type"] == "required_reviewers"]
        gate = double.store.state()["rulesets"]["production-branch-gate"]
        pull_request = next(r["parameters"] for r in gate["rules"] if r["type"] == "pull_request")
        if plan in ("team", "pro") and visibility == "private":
            # No environment reviewers on these plans: the CTO approves as code owner of main.
            assert not reviewers_rule and pull_request["require_code_owner_review"] is True
        else:
            assert reviewers_rule and reviewers_rule[0]["prevent_self_review"] is True
            assert production["can_admins_bypass"] is False


def test_free_private_is_refused_before_the_engine_registers_anything(engine, project, pulumi_env):
    need_plugins(engine)
    declare_plan(project, "free", "private")
    with started(project) as doubles:
        rehearsal = Rehearsal(project, Rehearsal.environment(pulumi_env, doubles, project), doubles)
        double = doubles.github
        rehearsal.cli("stack", "init", "production")
        code, out = rehearsal.program("up", "production")
        assert code != 0
        assert "githubPlan" in out and "nothing was registered" in out, out
        assert double.store.requests() == []  # not even the provider's Configure
        assert doubles.vercel.requests() == []
        resources = rehearsal.export("production")["deployment"].get("resources") or []
        assert [r["type"] for r in resources] in ([], ["pulumi:pulumi:Stack"]), resources
