"""The Vercel deployment target of one environment: its project, env vars and domain."""

from __future__ import annotations

from typing import Mapping, Sequence

import pulumi
import pulumiverse_vercel as vercel

from topology import registry
from topology.model import CatalogueEntry, Destination


class DeploymentTarget(pulumi.ComponentResource):
    """One Vercel project per environment; its production branch is the environment's branch."""

    def __init__(
        self,
        name: str,
        *,
        project_name: str,
        team_id: str | None,
        git_repository: str,
        branch: str,
        catalogue: Sequence[CatalogueEntry],
        values: Mapping[str, pulumi.Input[str]],
        domain: str | None = None,
        production: bool = False,
        targets: Sequence[str] = ("production",),
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(registry.DEPLOYMENT_TARGET, name, None, opts)
        self.project = vercel.Project(
            name + registry.PROJECT_SUFFIX,
            name=project_name,
            team_id=team_id,
            git_repository={"type": "github", "repo": git_repository, "production_branch": branch},
            # A deleted project takes its deployments, the ones a rollback goes back to.
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=production),
        )
        self.env_vars: list[vercel.ProjectEnvironmentVariable] = []
        for entry in catalogue:
            if Destination.VERCEL not in entry.destinations:
                continue
            value = values[entry.name]
            self.env_vars.append(vercel.ProjectEnvironmentVariable(
                f"{name}-{registry.slug(entry.name)}",
                project_id=self.project.id,
                team_id=team_id,
                key=entry.name,
                value=pulumi.Output.secret(value) if entry.kind.is_secret else value,
                # This project deploys the environment's branch as its "production"; the feature-previews
                # environment's values also go to `preview` (feature branches' preview deployments).
                targets=list(targets),
                sensitive=entry.kind.is_secret,
                # Vercel refuses a second variable with the same key (pulumiverse/pulumi-vercel#118).
                opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
            ))
        self.domain = None
        if domain:
            self.domain = vercel.ProjectDomain(
                name + registry.DOMAIN_SUFFIX,
                project_id=self.project.id,
                team_id=team_id,
                domain=domain,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"project_id": self.project.id, "domain": domain})
