"""From what was collected (engine runs, state, listings, fingerprints) to each stack's findings. Pure.

`run.py` collects, in parallel and touching nothing; this module decides. Tests feed it recorded
engine events and recorded API answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from topology.model import Topology

from . import classify, github_checks, vercel_checks
from .events import EngineRun
from .isolation import Fingerprints, isolation_findings
from .listings import EnvironmentListing, ProjectListing, RepoListing
from .model import Evidence, Finding, FindingClass, LastUpdate, Resource, StackAudit
from .state import Managed


@dataclass
class Collected:
    """Everything gathered about one stack; None where a step did not run or failed."""

    stack: str
    engine: EngineRun | None = None  # the refreshed preview with the policy pack
    managed: list[Managed] | None = None
    last_update: LastUpdate | None = None
    fingerprints: Fingerprints | None = None
    environment: EnvironmentListing | None = None
    vercel: Mapping[str, ProjectListing] = field(default_factory=dict)
    errors: list[Finding] = field(default_factory=list)  # failures of collection steps

    @property
    def missing(self) -> bool:
        return bool(self.engine and self.engine.missing_stack)


def collection_error(stack: str, step: str, message: str, source: str = "engine") -> Finding:
    return Finding(stack, FindingClass.ERROR, Resource(type="stack", name=stack), f"{step} failed",
                   "fix the cause and rerun the audit; until then this stack's state is unknown (not clean)",
                   evidence=(Evidence(source, message),))


def steward(stacks: list[str], topology: Topology) -> str:
    """The stack that receives repository-wide additions no stack owns: production if audited, else the
    audited stack latest in promotion order (its reviewers are the most senior)."""
    order = [e.name for e in topology.promotion_order()]
    production = [e.name for e in topology.environments if e.production and e.name in stacks]
    if production:
        return production[0]
    ranked = sorted(stacks, key=lambda s: order.index(s) if s in order else -1)
    return ranked[-1]


def conclude(collected: list[Collected], topology: Topology, repo: RepoListing | None,
             repo_error: str | None = None) -> list[StackAudit]:
    findings: list[Finding] = []
    for c in collected:
        findings += c.errors
        if c.engine is not None:
            findings += classify.error_findings(c.stack, c.engine)
        if c.missing:
            continue
        if c.engine is not None:
            findings += classify.refresh_findings(c.stack, c.engine)
            findings += classify.preview_findings(c.stack, c.engine)
        if c.managed is not None:
            for listing in c.vercel.values():
                findings += vercel_checks.project_findings(c.stack, c.managed, listing, c.last_update)

    present = [c for c in collected if not c.missing and c.managed is not None]
    owner, name = topology.owner, topology.repository
    if repo_error:
        findings += [collection_error(c.stack, "the GitHub listing of the repository", repo_error, "github-rest")
                     for c in collected if not c.missing]
    elif repo is not None and present:
        scope = github_checks.Scope(
            audited={c.stack: c.managed for c in present},
            declared={e.name: e.name for e in topology.environments},
            steward=steward([c.stack for c in present], topology))
        findings += github_checks.ruleset_findings(scope, repo.rulesets, owner, name)
        findings += github_checks.environment_findings(scope, repo.environments, owner, name)
        findings += github_checks.repository_secret_findings(scope, repo.secrets, owner, name)
        for c in present:
            if c.environment is not None:
                live_env = repo.environment(c.environment.name) or {}
                findings += github_checks.content_findings(c.stack, c.managed, c.environment, live_env, owner, name)

    fingerprints = [c.fingerprints for c in collected if c.fingerprints is not None]
    findings += isolation_findings(fingerprints)

    by_stack = classify.group_by_stack(classify.settle(findings))
    return [StackAudit(c.stack, by_stack.get(c.stack, []), c.last_update) for c in collected]
