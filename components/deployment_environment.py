"""The GitHub deployment environment: who approves, from which branch, how long to wait.

What reaches GitHub (terraform-provider-github v6.13.0 github/resource_github_repository_environment.go
createUpdateEnvironmentData; google/go-github v88 github/repos_environments.go): every PUT carries
`wait_timer` (0 when unset, MarshalJSON), `reviewers` (null when unset, no omitempty), `can_admins_bypass`
(the input, default true), `prevent_self_review` (the input, default false) and `deployment_branch_policy`.
On a private Pro/Team repository GitHub answers 422 to protection fields; go-github then retries with
`deployment_branch_policy` alone, but only when reviewers are empty and the wait timer 0, silently
dropping whatever can_admins_bypass and prevent_self_review said.

So on a plan without a feature its inputs stay unset: the first PUT then holds GitHub's own defaults
only, a retry (if GitHub answers 422 to defaults at all) drops nothing that was declared, and the
read-back equals the inputs: no 422 reaches `up`, no perpetual diff. Reviewers or a wait timer there
would be a 422 that reaches `up`: topology/rules.py refuses them before anything registers.
tests/test_plans.py replays that request body for every plan.
"""

from __future__ import annotations

from typing import Sequence

import pulumi
import pulumi_github as github

from topology import registry
from topology.model import Reviewer
from topology.plans import GithubFeatures, offered_fields, offers


def reviewer_id(reviewer: Reviewer, opts: pulumi.InvokeOptions) -> pulumi.Input[int]:
    """The numeric user id GitHub wants; looked up only when the stack gives a bare handle."""
    if reviewer.user_id is not None:
        return reviewer.user_id
    return github.get_user_output(username=reviewer.handle, opts=opts).id.apply(int)


class DeploymentEnvironment(pulumi.ComponentResource):
    """A GitHub environment that deploys only from its own branch, approved by its reviewers."""

    def __init__(
        self,
        name: str,
        *,
        repository: str,
        environment: str,
        branch: str,
        reviewers: Sequence[Reviewer],
        features: GithubFeatures,
        wait_timer: int = 0,
        production: bool = False,
        adopt_id: str | None = None,
        adopt_branch_policy_id: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(registry.DEPLOYMENT_ENVIRONMENT, name, None, opts)
        # Only the protections the plan accepts (module docstring, topology/plans.ENVIRONMENT_FIELDS):
        # the others stay unset.
        wanted: dict = {"wait_timer": wait_timer, "can_admins_bypass": not production}
        # Without reviewers there is nothing to prevent: GitHub would keep an empty reviewers rule
        # for prevent_self_review, which the provider reads back as one empty reviewers block, a
        # perpetual diff against none (seen on Enterprise against the double).
        if reviewers and offers(features, "reviewers"):
            users = [reviewer_id(r, pulumi.InvokeOptions(parent=self)) for r in reviewers]
            wanted.update(reviewers=[{"users": users}], prevent_self_review=True)
        protection = offered_fields(features, wanted)
        self.environment = github.RepositoryEnvironment(
            name + registry.ENVIRONMENT_SUFFIX,
            repository=repository,
            environment=environment,
            **protection,
            deployment_branch_policy={"protected_branches": False, "custom_branch_policies": True},
            # Deleting an environment deletes its secrets and deployment history with it.
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=production, import_=adopt_id),
        )
        self.branch_policy = github.RepositoryEnvironmentDeploymentPolicy(
            name + registry.BRANCH_POLICY_SUFFIX,
            repository=repository,
            environment=self.environment.environment,
            branch_pattern=branch,
            opts=pulumi.ResourceOptions(parent=self, import_=adopt_branch_policy_id),
        )
        # Consumers take the name from the resource so they depend on it being created.
        self.name = self.environment.environment
        self.register_outputs({"environment": self.name})
