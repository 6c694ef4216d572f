"""One environment of the release topology, composed from one component per concern."""

from __future__ import annotations

import pulumi
import pulumi_github as github

from topology import registry, seed_rules
from topology.plans import Approval, describe_approval
from topology.release import Connection, Release, Values
from .deployment_environment import DeploymentEnvironment
from .deployment_target import DeploymentTarget
from .branch_naming import AllowedBranches
from .github_gates import BranchGate, ReleaseArchive
from .secrets import EnvironmentSecrets


class ReleaseEnvironment(pulumi.ComponentResource):
    """Everything one stack owns: branch gate, release archive (production), GitHub deployment
    environment, secrets, Vercel target. Production children inherit `protect` from here."""

    def __init__(
        self,
        name: str,
        *,
        release: Release,
        values: Values,
        connection: Connection = Connection(),
        opts: pulumi.ResourceOptions | None = None,
    ):
        env, settings, topology = release.environment, release.settings, release.topology
        opts = pulumi.ResourceOptions.merge(pulumi.ResourceOptions(protect=env.production), opts)
        super().__init__(registry.RELEASE_ENVIRONMENT, name, None, opts)
        # The declared owner decides where GitHub writes go, not whatever GITHUB_OWNER the
        # runner happens to have (the token still comes from GITHUB_TOKEN).
        self.github = github.Provider(
            name + registry.GITHUB_PROVIDER_SUFFIX,
            owner=topology.owner,
            write_delay_ms=connection.github_write_delay_ms,
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=self, providers=[self.github])
        repo = topology.repository

        adopt = settings.adopt
        self.gate = BranchGate(
            name + registry.BRANCH_GATE_SUFFIX,
            repository=repo,
            branch=env.branch,
            required_approvals=settings.required_approvals,
            # + the code-freeze check on the production branch when a freeze is declared (topology/seed_rules.py)
            status_checks=seed_rules.gate_status_checks(topology, env),
            required_deployment=release.source.name if release.source else None,
            bypass_actors=settings.bypass_actors,
            code_owners_approve=release.approval is Approval.CODE_OWNER_REVIEW,
            adopt_id=registry.ruleset_import_id(repo, adopt.branch_ruleset) if adopt.branch_ruleset else None,
            opts=child,
        )
        self.archive = None
        if env.production:
            self.archive = ReleaseArchive(
                name + registry.RELEASE_ARCHIVE_SUFFIX,
                repository=repo,
                tag_pattern=topology.release_tag_pattern,
                adopt_id=registry.ruleset_import_id(repo, adopt.release_ruleset) if adopt.release_ruleset else None,
                opts=child,
            )
        self.allowed_branches = None
        if env.production and topology.allowed_branches:
            # Repository-wide: production's stack owns it (components/branch_naming.py says why).
            self.allowed_branches = AllowedBranches(
                name + registry.ALLOWED_BRANCHES_SUFFIX,
                repository=repo,
                excludes=seed_rules.allowed_branch_excludes(topology),
                adopt_id=(registry.ruleset_import_id(repo, adopt.allowed_branches_ruleset)
                          if adopt.allowed_branches_ruleset else None),
                opts=child,
            )
        self.deployment = DeploymentEnvironment(
            name + registry.DEPLOYMENT_SUFFIX,
            repository=repo,
            environment=env.name,
            branch=env.branch,
            reviewers=settings.reviewers,
            features=topology.plans.github_features,
            wait_timer=settings.wait_timer,
            production=env.production,
            adopt_id=registry.environment_import_id(repo, env.name) if adopt.environment else None,
            adopt_branch_policy_id=(registry.branch_policy_import_id(repo, env.name, adopt.branch_policy)
                                    if adopt.branch_policy else None),
            opts=child,
        )
        self.secrets = EnvironmentSecrets(
            name + registry.SECRETS_SUFFIX,
            repository=repo,
            environment=self.deployment.name,
            catalogue=topology.catalogue,
            secrets=values.secrets,
            variables=values.variables,
            opts=child,
        )
        self.target = None
        if settings.vercel_project:
            self.target = DeploymentTarget(
                name + registry.VERCEL_SUFFIX,
                project_name=settings.vercel_project,
                team_id=settings.vercel_team,
                git_repository=f"{topology.owner}/{repo}",
                branch=env.branch,
                catalogue=topology.catalogue,
                values=self.secrets.values,
                domain=settings.domain,
                production=env.production,
                targets=seed_rules.preview_targets(topology, env),
                opts=child,
            )
        # The preview says how a person approves what reaches this environment on the declared plan.
        self.approval_mechanism = release.approval.value if release.approval else "none"
        sentence = describe_approval(release.approval, branch=env.branch, reviewers=[r.handle for r in settings.reviewers],
                                     approvals=settings.required_approvals)
        pulumi.log.info(f"{env.name}: {sentence}", resource=self)
        self.register_outputs({"environment": env.name, "branch": env.branch, "approvalMechanism": self.approval_mechanism})
