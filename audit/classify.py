"""Pure classification: engine runs into findings, then one precedence over every source, then exit codes.

One engine call per stack, `preview --refresh` with the policy pack, read for three questions:
- its refresh steps (live objects against state): drift, a deleted object, a secret touched;
- its preview steps (the code against the refreshed state): what was merged and not applied
  (pending), once the properties the refresh already explains are taken out (`settle`);
- its policy events: the violations of the code as it stands.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from topology import registry

from . import describe, times
from .events import EngineRun, Failure, Step, is_secret
from .model import Change, Evidence, Finding, FindingClass, Resource, StackAudit

EXIT_CLEAN, EXIT_FINDINGS, EXIT_MANDATORY, EXIT_INCOMPLETE = 0, 2, 3, 4
SECRET_TIMESTAMPS = frozenset({"updatedAt", "remoteUpdatedAt"})
PENDING_OPS = {"create": "created", "update": "updated", "delete": "deleted", "replace": "replaced",
               "create-replacement": "replaced", "delete-replaced": "replaced", "import": "imported",
               "import-replacement": "replaced by an import", "discard": "discarded"}
# The engine's closing diagnostic after any failure, a mandatory policy's included.
_CLOSING = {"preview failed", "update failed", "refresh failed"}


def resource_of_urn(urn: str | None) -> Resource:
    if not urn:
        return Resource(type="stack", name="(stack)")
    parts = urn.split("::")
    rtype = parts[2].rsplit("$", 1)[-1] if len(parts) > 3 else "unknown"
    return Resource(type=rtype, name=parts[-1], urn=urn)


def _step_resource(step: Step) -> Resource:
    return Resource(type=step.type, name=step.name, urn=step.urn, id=step.id)


def empty(value) -> bool:
    """None, "", and collections of nothing but empties: how providers spell "none" differently.

    A refresh of an environment without reviewers reads `[{users: [], teams: []}]` where the
    program declared `[]`: the same protection, a perpetual diff, not drift.
    """
    if value is None or value == "" or value == [] or value == {}:
        return True
    if isinstance(value, list):
        return all(empty(v) for v in value)
    if isinstance(value, dict) and not is_secret(value):
        return all(empty(v) for v in value.values())
    return False


def _path_kind(before, after) -> str:
    if before is None and after is not None:
        return "add"
    if after is None and before is not None:
        return "delete"
    return "update"


# --- the refreshed preview ------------------------------------------------------------------------

def _secret_touch(stack: str, step: Step) -> Finding | None:
    """A GitHub environment secret re-set outside Pulumi: only its remote timestamp moves."""
    new = step.new or {}
    remote, stored = new.get("remoteUpdatedAt"), new.get("updatedAt")
    timestamp_only = bool(step.paths) and set(step.paths) <= SECRET_TIMESTAMPS
    if not (timestamp_only or (remote and stored and remote != stored)):
        return None
    when = times.iso(remote) or times.iso(stored)
    name = new.get("secretName") or step.name
    return Finding(stack, FindingClass.SECRET_TOUCHED, _step_resource(step),
                   f"secret {name} was set outside Pulumi" + (f" at {when}" if when else ""),
                   describe.fix_secret(stack, name, step.urn),
                   changes=(describe.change("value", "changed_at", secret=True, changed_at=when),),
                   evidence=(Evidence("refresh", "remoteUpdatedAt differs from the updatedAt Pulumi stored", when),))


def refresh_findings(stack: str, run: EngineRun) -> list[Finding]:
    found: list[Finding] = []
    for step in run.refresh:
        if step.op == "delete":
            found.append(Finding(stack, FindingClass.MANAGED_DRIFT, _step_resource(step),
                                 "deleted outside Pulumi", describe.fix_recreate(stack),
                                 changes=(Change("*", "delete"),),
                                 evidence=(Evidence("refresh", "the provider no longer finds it"),)))
            continue
        if step.type == registry.ENV_SECRET:
            touched = _secret_touch(stack, step)
            if touched:
                found.append(touched)
        if step.op != "update":
            continue
        paths = tuple(p for p in step.paths if not (step.type == registry.ENV_SECRET and p in SECRET_TIMESTAMPS))
        real = tuple(p for p in paths if not (empty(describe.lookup(step.old, p)) and empty(describe.lookup(step.new, p))))
        if step.paths and not real:
            continue  # only secret timestamps, or "none" spelled two ways
        changes = tuple(
            describe.change(p, _path_kind(describe.lookup(step.old, p), describe.lookup(step.new, p)),
                            describe.lookup(step.old, p), describe.lookup(step.new, p))
            for p in real) or (Change("*", "update"),)  # the provider named no property
        found.append(Finding(stack, FindingClass.MANAGED_DRIFT, _step_resource(step), "changed outside Pulumi",
                             describe.fix_restore(stack), changes=changes,
                             evidence=(Evidence("refresh", "refreshed state differs from the stored state"),)))
    return found


# --- the preview and the policy pack --------------------------------------------------------------

def _pending_paths(step: Step) -> tuple[str, ...]:
    """The properties the next `up` really changes: not a secret's timestamps (a touch, which the refresh
    reports), not "none" spelled as the provider reads it back."""
    paths = step.paths
    if step.type == registry.ENV_SECRET:
        paths = tuple(p for p in paths if p not in SECRET_TIMESTAMPS)
    return tuple(p for p in paths if not (empty(describe.lookup(step.new_inputs, p)) and (
        empty(describe.lookup(step.old_inputs, p)) or empty(describe.lookup(step.old, p)))))


def preview_findings(stack: str, run: EngineRun) -> list[Finding]:
    found: list[Finding] = []
    for v in run.policy_violations:
        level = "mandatory" if v.level == "mandatory" else "advisory"
        found.append(Finding(stack, FindingClass.POLICY_VIOLATION, resource_of_urn(v.urn),
                             f"{v.policy}: {v.message.splitlines()[-1] if v.message else 'violated'}",
                             describe.fix_policy(level), level=level,
                             evidence=(Evidence("policy", f"{v.pack}/{v.policy}: {v.message}"),)))
    gone = {s.urn for s in run.refresh if s.op == "delete"}
    for step in run.preview:
        if step.op not in PENDING_OPS or step.urn in gone:
            continue  # recreating what was deleted outside Pulumi is the drift finding's fix
        paths = _pending_paths(step)
        if step.op == "update" and step.paths and not paths:
            continue  # only what the refresh explains, or "none" spelled another way
        changes = tuple(
            describe.change(p, _path_kind(describe.lookup(step.old_inputs, p), describe.lookup(step.new_inputs, p)),
                            describe.lookup(step.old_inputs, p), describe.lookup(step.new_inputs, p))
            for p in paths)
        found.append(Finding(stack, FindingClass.PENDING_CHANGE, _step_resource(step),
                             f"will be {PENDING_OPS[step.op]} by the next `pulumi up`", describe.fix_pending(stack),
                             changes=changes, evidence=(Evidence("preview", f"planned step: {step.op}"),)))
    return found


# --- failures -----------------------------------------------------------------------------------

def _closing_line(f: Failure) -> bool:
    """The engine's last word after any failure ("preview failed"): it explains nothing by itself."""
    return f.urn is None and f.message.strip().rstrip(".") in _CLOSING


def error_findings(stack: str, run: EngineRun) -> list[Finding]:
    """Failures of the engine call, one per cause: the stack is then incomplete, never clean."""
    what = "refreshed preview"
    stack_resource = Resource(type="stack", name=stack)
    if run.missing_stack:
        return [Finding(stack, FindingClass.ERROR, stack_resource,
                        "no such stack in the backend (the audit never creates one)",
                        "check PULUMI_BACKEND_URL and the stack name; stacks are created by their first deploy",
                        evidence=(Evidence("engine", "pulumi stack select: no stack of this name was found"),))]
    stopped_by_policy = any(v.level == "mandatory" for v in run.policy_violations)
    failures = [f for f in run.failures if not _closing_line(f)]
    if not failures and (stopped_by_policy or not (run.command_error or run.failures)):
        return []  # clean, or stopped by a mandatory policy (reported as such)
    if not failures:
        detail = "; ".join(f.message for f in run.failures) or run.command_error or "no detail"
        return [Finding(stack, FindingClass.ERROR, stack_resource, f"the {what} failed", describe.fix_error(),
                        evidence=(Evidence("engine", detail),))]
    found = []
    by_message: dict[str, list[Failure]] = defaultdict(list)
    for f in failures:
        by_message[f.message].append(f)
    for message, group in by_message.items():
        if len(group) == 1 and group[0].urn:
            found.append(Finding(stack, FindingClass.ERROR, resource_of_urn(group[0].urn),
                                 f"the {what} failed on this resource", describe.fix_error(),
                                 evidence=(Evidence("engine", message),)))
        else:
            names = sorted(resource_of_urn(f.urn).name for f in group if f.urn)
            on = f" on {len(names)} resources ({', '.join(names)})" if names else ""
            found.append(Finding(stack, FindingClass.ERROR, stack_resource, f"the {what} failed{on}",
                                 describe.fix_error(), evidence=(Evidence("engine", message),)))
    return found


# --- precedence -----------------------------------------------------------------------------------

def _merge(a: Finding, b: Finding) -> Finding:
    paths = {c.path for c in a.changes}
    changes = a.changes + tuple(c for c in b.changes if c.path not in paths)
    evidence = a.evidence + tuple(e for e in b.evidence if e not in a.evidence)
    return Finding(a.stack, a.cls, a.resource if a.resource.urn else b.resource, a.summary, a.fix,
                   changes, evidence, a.level)


def settle(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per (stack, class, resource); one class per (stack, resource, property): the most severe.

    The same fact seen by two sources (a refresh and the REST pass) becomes one finding with both
    pieces of evidence; a property claimed by a more severe class leaves the lesser one.
    """
    merged: dict[tuple, Finding] = {}
    for f in findings:
        key = (f.stack, f.cls, f.resource.identity, f.summary if f.cls in _BY_MESSAGE else "")
        merged[key] = _merge(merged[key], f) if key in merged else f
    claimed: dict[tuple, FindingClass] = {}
    for f in sorted(merged.values(), key=lambda f: f.cls.rank):
        for c in f.changes:
            claimed.setdefault((f.stack, f.resource.identity, c.path), f.cls)
    settled = []
    for f in merged.values():
        kept = tuple(c for c in f.changes if claimed[(f.stack, f.resource.identity, c.path)] is f.cls)
        if f.changes and not kept:
            continue
        settled.append(Finding(f.stack, f.cls, f.resource, f.summary, f.fix, kept, f.evidence, f.level))
    return sorted(settled, key=lambda f: (f.cls.rank, f.stack, f.resource.type, f.resource.name, f.summary))


# Classes whose findings on one resource stay apart by message (two policies on the stack resource).
_BY_MESSAGE = {FindingClass.POLICY_VIOLATION, FindingClass.ERROR, FindingClass.ISOLATION}


def exit_code(audits: Iterable[StackAudit]) -> int:
    """4 incomplete (an error) > 3 mandatory policy violation > 2 other findings > 0 clean (info allowed)."""
    statuses = {a.status for a in audits}
    if "error" in statuses:
        return EXIT_INCOMPLETE
    if "policy_violation" in statuses:
        return EXIT_MANDATORY
    if "findings" in statuses:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def group_by_stack(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        out[f.stack].append(f)
    return out
