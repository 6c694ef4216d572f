"""Branch gates and the release archive: GitHub repository rulesets."""

from __future__ import annotations

from typing import Sequence

import pulumi
import pulumi_github as github

from topology import registry
from topology.model import BypassActor


def _ref_condition(ref: str) -> dict:
    return {"ref_name": {"includes": [ref], "excludes": []}}


def merge_methods(promoted: bool) -> tuple[str, ...]:
    """How pull requests merge into a branch: merge commits only where it is promoted from another
    environment (the source's deployed SHA becomes a parent of the target's tip), squash or rebase
    (linear history) where feature branches land."""
    return ("merge",) if promoted else ("squash", "rebase")


class BranchGate(pulumi.ComponentResource):
    """A ruleset on one branch: reviewed pull requests only, checks green, history kept.

    When the environment is promoted from another one, merging requires a successful
    deployment of that environment: what reaches production existed and worked in staging.
    With `code_owners_approve`, the merge needs a code owner's approval (CODEOWNERS names the
    environment's reviewers): how the CTO decides on plans without environment reviewers.

    Merge methods and history, per kind of branch (README "The release flow"; the pack's
    `promotion-merges` rule refuses the combinations that deadlock):
    - promoted from an environment (main from staging): merge commits only, no linear history, checks
      not strict. The merge commit's second parent is the source branch's tip, the very SHA that was
      deployed there, so both branches share SHAs; main's merge commits never reach staging, so a
      strict ("up to date") main would find the next promotion out of date, and bringing staging up
      to date would take a merge commit (linear history) or a rewrite (non_fast_forward): deadlock.
    - promoted from feature branches (staging): squash or rebase, linear history, strict checks: a
      feature is tested on top of the latest staging; its author rebases the feature branch (no rules
      there) when another one landed first.
    """

    def __init__(
        self,
        name: str,
        *,
        repository: str,
        branch: str,
        required_approvals: int,
        status_checks: Sequence[str],
        required_deployment: str | None = None,
        bypass_actors: Sequence[BypassActor] = (),
        code_owners_approve: bool = False,
        adopt_id: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(registry.BRANCH_GATE, name, None, opts)
        promoted = required_deployment is not None
        rules: dict = {
            "pull_request": {
                "allowed_merge_methods": list(merge_methods(promoted)),
                "required_approving_review_count": required_approvals,
                "dismiss_stale_reviews_on_push": True,
                "required_review_thread_resolution": True,
                "require_code_owner_review": code_owners_approve,
                # The analogue of an environment's prevent-self-review: whoever pushed last
                # cannot be the one whose approval lets it merge.
                "require_last_push_approval": code_owners_approve,
            },
            "non_fast_forward": True,
            "deletion": True,
        }
        if not promoted:
            rules["required_linear_history"] = True
        if status_checks:
            rules["required_status_checks"] = {
                "required_checks": [{"context": check} for check in status_checks],
                "strict_required_status_checks_policy": not promoted,
            }
        if required_deployment:
            rules["required_deployments"] = {"required_deployment_environments": [required_deployment]}

        self.ruleset = github.RepositoryRuleset(
            name + registry.RULESET_SUFFIX,
            name=name,
            repository=repository,
            target="branch",
            enforcement="active",
            conditions=_ref_condition(f"refs/heads/{branch}"),
            rules=rules,
            bypass_actors=[
                {"actor_type": a.actor_type, "actor_id": a.actor_id, "bypass_mode": a.bypass_mode}
                for a in bypass_actors
            ],
            # An existing ruleset is taken over, never created twice (GitHub refuses a second one of the same name).
            opts=pulumi.ResourceOptions(parent=self, import_=adopt_id),
        )
        self.register_outputs({"ruleset_id": self.ruleset.ruleset_id})


class ReleaseArchive(pulumi.ComponentResource):
    """A tag ruleset: release tags are never deleted or moved, so every release stays revertible."""

    def __init__(
        self,
        name: str,
        *,
        repository: str,
        tag_pattern: str,
        adopt_id: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(registry.RELEASE_ARCHIVE, name, None, opts)
        self.ruleset = github.RepositoryRuleset(
            name + registry.RULESET_SUFFIX,
            name=name,
            repository=repository,
            target="tag",
            enforcement="active",
            conditions=_ref_condition(f"refs/tags/{tag_pattern}"),
            rules={"deletion": True, "update": True, "non_fast_forward": True},
            bypass_actors=[],
            opts=pulumi.ResourceOptions(parent=self, import_=adopt_id),
        )
        self.register_outputs({"ruleset_id": self.ruleset.ruleset_id})
