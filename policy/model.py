"""What the policy's rules work on: resources as the engine registered them, and a Context.

The Context is a view over the program's own Release of the stack (topology/release.py `load`, from the
stack files: policy/stacks.py), plus what only the policy knows: its config, the clock, the emergency
override, the checkout's CODEOWNERS.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from topology.model import CatalogueEntry, DeployWindow
from topology.release import Release

MANDATORY = "mandatory"
ADVISORY = "advisory"
LEVEL_NAMES = (MANDATORY, ADVISORY, "remediate", "disabled")


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""
    dependencies: tuple[str, ...] = ()


def _view(read: Callable[[Release], Any], default: Any = None) -> property:
    return property(lambda ctx: read(ctx.release) if ctx.release is not None else default)


@dataclass(frozen=True)
class Context:
    stack: str
    release: Release | None  # None when the program refuses the project's files (it registers nothing then)
    production_reviewers: tuple[str, ...] = ()  # every production stack's: the code owners CODEOWNERS names
    codeowners: str | None = None  # the checkout's CODEOWNERS text, None when there is none
    min_approvals: int = 1
    window: DeployWindow = DeployWindow()
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    emergency: bool = False
    emergency_reason: str = ""
    dry_run: bool = False

    # A view over the Release: what the rules read of it (None, or the default, without a Release).
    topology = _view(lambda r: r.topology)
    environment = _view(lambda r: r.environment)
    production = _view(lambda r: r.environment.production, False)
    source = _view(lambda r: r.source)  # the environment it is promoted from
    approval = _view(lambda r: r.approval)  # how a person approves what reaches it, on the declared plan
    features = _view(lambda r: r.topology.plans.github_features)
    plan_words = _view(lambda r: r.topology.plans.github_words, "the declared plan")
    vercel_project = _view(lambda r: r.settings.vercel_project)

    def entry(self, name: str | None) -> CatalogueEntry | None:
        """The catalogue entry of that name, if any."""
        catalogue = self.release.topology.catalogue if self.release else ()
        return next((e for e in catalogue if e.name == name), None)


@dataclass(frozen=True)
class Violation:
    rule: str
    level: str
    resource: str
    message: str

    def render(self) -> str:
        return f"[{self.level}] {self.rule}: {self.resource}: {self.message}"


# A check yields (resource name, message) pairs for what it finds wrong.
Finding = tuple[str, str]


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    level: str
    fix: str
    scope: str  # "resource": check(resource, ctx); "stack": check(resources, ctx)
    check: Callable[..., Iterable[Finding]]

    def run(self, resources: Sequence[Resource], ctx: Context) -> list[Violation]:
        if self.scope == "resource":
            found = [f for r in resources for f in self.check(r, ctx)]
        else:
            found = list(self.check(resources, ctx))
        return [Violation(self.name, self.level, name, message) for name, message in found]
