"""What GitHub and Vercel list, fetched through their read-only list endpoints.

One repository listing per audit (rulesets, environments), one environment listing per audited
stack (its secrets' names and dates, variables, deployment branch policies), one project listing
per Vercel project a stack manages (env vars, domains). Values of GitHub variables are kept in
memory for the comparison and the isolation fingerprints, never reported. Vercel values are not
requested (no `decrypt`).
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Mapping

from .rest import JsonClient


@dataclass(frozen=True)
class RepoListing:
    rulesets: list[Mapping[str, Any]] = field(default_factory=list)
    environments: list[Mapping[str, Any]] = field(default_factory=list)
    secrets: list[Mapping[str, Any]] = field(default_factory=list)  # the repository's own Actions secrets

    def environment(self, name: str) -> Mapping[str, Any] | None:
        return next((e for e in self.environments if e.get("name") == name), None)


@dataclass(frozen=True)
class EnvironmentListing:
    name: str
    secrets: list[Mapping[str, Any]] = field(default_factory=list)
    variables: list[Mapping[str, Any]] = field(default_factory=list)
    branch_policies: list[Mapping[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ProjectListing:
    project_id: str
    envs: list[Mapping[str, Any]] = field(default_factory=list)
    domains: list[Mapping[str, Any]] = field(default_factory=list)


def _seg(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def fetch_repository(client: JsonClient, owner: str, repo: str) -> RepoListing:
    base = f"/repos/{_seg(owner)}/{_seg(repo)}"
    return RepoListing(
        rulesets=client.github_pages(f"{base}/rulesets", None, {"includes_parents": "false"}),
        environments=client.github_pages(f"{base}/environments", "environments"),
        secrets=client.github_pages(f"{base}/actions/secrets", "secrets"),
    )


def custom_branch_policies(environment: Mapping[str, Any] | None) -> bool:
    policy = (environment or {}).get("deployment_branch_policy") or {}
    return bool(policy.get("custom_branch_policies"))


def fetch_environment(client: JsonClient, owner: str, repo: str, environment: Mapping[str, Any]) -> EnvironmentListing:
    name = environment["name"]
    base = f"/repos/{_seg(owner)}/{_seg(repo)}/environments/{_seg(name)}"
    # GitHub keeps branch policies only while the environment uses custom ones.
    policies = (client.github_pages(f"{base}/deployment-branch-policies", "branch_policies")
                if custom_branch_policies(environment) else [])
    return EnvironmentListing(
        name=name,
        secrets=client.github_pages(f"{base}/secrets", "secrets"),
        variables=client.github_pages(f"{base}/variables", "variables"),
        branch_policies=policies,
    )


def fetch_vercel_project(client: JsonClient, project_id: str, team_id: str | None) -> ProjectListing:
    team = {"teamId": team_id} if team_id else {}
    base = f"/projects/{_seg(project_id)}"
    return ProjectListing(
        project_id=project_id,
        envs=client.vercel_pages(f"/v10{base}/env", "envs", team),
        domains=client.vercel_pages(f"/v9{base}/domains", "domains", team),
    )
