"""The GitHub deployment environment: who approves, from which branch, how long to wait."""

from __future__ import annotations

from typing import Sequence

import pulumi
import pulumi_github as github

from topology.model import Reviewer


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
        wait_timer: int = 0,
        production: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("release-topology:github:DeploymentEnvironment", name, None, opts)
        invoke_opts = pulumi.InvokeOptions(parent=self)
        users = [reviewer_id(r, invoke_opts) for r in reviewers]
        self.environment = github.RepositoryEnvironment(
            f"{name}-environment",
            repository=repository,
            environment=environment,
            reviewers=[{"users": users}] if users else [],
            prevent_self_review=True,
            can_admins_bypass=not production,
            wait_timer=wait_timer,
            deployment_branch_policy={"protected_branches": False, "custom_branch_policies": True},
            # Deleting an environment deletes its secrets and deployment history with it.
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=production),
        )
        self.branch_policy = github.RepositoryEnvironmentDeploymentPolicy(
            f"{name}-branch-policy",
            repository=repository,
            environment=self.environment.environment,
            branch_pattern=branch,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Consumers take the name from the resource so they depend on it being created.
        self.name = self.environment.environment
        self.register_outputs({"environment": self.name})
