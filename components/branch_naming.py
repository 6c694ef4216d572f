"""Allowed branches: a repository ruleset that refuses creating a branch outside the declared patterns."""

from __future__ import annotations

from typing import Sequence

import pulumi
import pulumi_github as github

from topology import registry


class AllowedBranches(pulumi.ComponentResource):
    """koomy §3.1 "Branches autorisées: main, staging, feature/*" (airhost adds develop), as GitHub enforces it:
    a branch ruleset on `~ALL` that excludes every environment's branch and the declared patterns, with the
    `creation` rule and no bypass actor, so pushing a new branch outside them is refused ("Cannot create ref due
    to creations being restricted."). Existing branches are not touched (the rule restricts creation only).

    Repository-wide, so exactly one stack owns it: production's, the stack whose updates are the most guarded
    (its approval, deploy window and freeze, protect=True), which already owns the other repository-wide
    ruleset (the release archive); the other stacks keep writing only their own branch.
    """

    def __init__(
        self,
        name: str,
        *,
        repository: str,
        excludes: Sequence[str],
        adopt_id: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(registry.ALLOWED_BRANCHES, name, None, opts)
        self.ruleset = github.RepositoryRuleset(
            name + registry.RULESET_SUFFIX,
            name=name,
            repository=repository,
            target="branch",
            enforcement="active",
            conditions={"ref_name": {"includes": ["~ALL"], "excludes": list(excludes)}},
            rules={"creation": True},
            bypass_actors=[],
            # `adopt.allowedBranchesRuleset`: a ruleset made by hand, or created by an interrupted `up`, taken over.
            opts=pulumi.ResourceOptions(parent=self, import_=adopt_id),
        )
        self.register_outputs({"ruleset_id": self.ruleset.ruleset_id})
