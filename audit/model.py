"""The audit's vocabulary: finding classes (most severe first), findings, what a stack's audit found.

Values never live here: a change carries its property path and, only for values that cannot be a
secret (booleans, numbers, a few enumerations), its before/after. Secrets are "changed at T".
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from typing import Any


class FindingClass(str, enum.Enum):
    """Declared most severe first: the order is the precedence."""

    ERROR = "error"  # the stack's state is unknown: never reported clean
    POLICY_VIOLATION = "policy_violation"
    SECRET_TOUCHED = "secret_touched"
    MANAGED_DRIFT = "managed_drift"
    UNMANAGED_ADDITION = "unmanaged_addition"
    ISOLATION = "isolation"
    PENDING_CHANGE = "pending_change"  # merged, not applied: information only

    @property
    def rank(self) -> int:
        return list(FindingClass).index(self)

    @property
    def informational(self) -> bool:
        return self is FindingClass.PENDING_CHANGE

    @property
    def title(self) -> str:
        return TITLES[self]


TITLES = {
    FindingClass.ERROR: "Errors (state unknown)",
    FindingClass.POLICY_VIOLATION: "Policy violations",
    FindingClass.SECRET_TOUCHED: "Secrets touched outside Pulumi",
    FindingClass.MANAGED_DRIFT: "Drift of managed resources",
    FindingClass.UNMANAGED_ADDITION: "Added outside Pulumi",
    FindingClass.ISOLATION: "Isolation between environments",
    FindingClass.PENDING_CHANGE: "Pending changes (merged, not applied)",
}


class Hidden:
    """Marks a value the report must not show (a string that could be anything, a secret)."""

    def __repr__(self) -> str:
        return "HIDDEN"


HIDDEN = Hidden()


@dataclass(frozen=True)
class Change:
    path: str  # property path as the engine names it, e.g. reviewers[0].users
    kind: str  # update | add | delete | changed_at
    before: Any = HIDDEN
    after: Any = HIDDEN
    secret: bool = False
    changed_at: str | None = None  # for secrets: when the remote value last changed


@dataclass(frozen=True)
class Evidence:
    source: str  # refresh | preview | policy | engine | github-rest | vercel-rest | config
    detail: str
    observed_at: str | None = None


@dataclass(frozen=True)
class Resource:
    type: str
    name: str  # logical name for managed resources, the live name for unmanaged ones
    urn: str | None = None
    id: str | None = None

    @property
    def identity(self) -> str:
        return self.urn or f"{self.type}::{self.name}"


@dataclass(frozen=True)
class Finding:
    stack: str
    cls: FindingClass
    resource: Resource
    summary: str  # one line, no values
    fix: str
    changes: tuple[Change, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    level: str | None = None  # policy enforcement level: mandatory | advisory

    @property
    def id(self) -> str:
        """Stable across runs for the same fact (what the drift issue compares)."""
        paths = ",".join(sorted({c.path for c in self.changes}))
        basis = "|".join([self.stack, self.cls.value, self.resource.identity, paths, self.summary if not paths else ""])
        return hashlib.sha256(basis.encode()).hexdigest()[:16]

    @property
    def mandatory(self) -> bool:
        return self.cls is FindingClass.POLICY_VIOLATION and self.level == "mandatory"

    @property
    def informational(self) -> bool:
        """Pending changes, and advisory policy violations (warnings every preview shows, accepted at deploy)."""
        return self.cls.informational or (self.cls is FindingClass.POLICY_VIOLATION and not self.mandatory)


@dataclass(frozen=True)
class LastUpdate:
    end_time: str  # RFC 3339, UTC: when the state was last written (the export's manifest time)


@dataclass
class StackAudit:
    """Everything the audit concluded about one stack."""

    stack: str
    findings: list[Finding] = field(default_factory=list)
    last_update: LastUpdate | None = None

    @property
    def complete(self) -> bool:
        return not any(f.cls is FindingClass.ERROR for f in self.findings)

    @property
    def status(self) -> str:
        """error > policy_violation (mandatory) > findings > clean; informational findings alone are clean."""
        if not self.complete:
            return "error"
        if any(f.mandatory for f in self.findings):
            return "policy_violation"
        if any(not f.informational for f in self.findings):
            return "findings"
        return "clean"
