"""The policy's checks of issue 18's rules (topology/seed_rules.py): value rules per environment, allowed branches,
feature-branch previews, the code freeze. Pure functions over registered resources and a Context, like
policy/checks.py; messages name stack, resource and key, never a value."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from topology import registry, seed_rules

from .checks import _carried_value, _includes
from .model import Context, Finding, Resource

ALL_REFS = "~ALL"


def is_allowed_branches_ruleset(props: Mapping[str, Any]) -> bool:
    """The allowed-branches ruleset: every branch, the `creation` rule alone (not a gate: Checkov parity skips it)."""
    rules = {k for k, v in (props.get("rules") or {}).items() if v}
    return props.get("target") == "branch" and _includes(props) == [ALL_REFS] and rules == {"creation"}


# --- value rules per environment -----------------------------------------------------------------------


def check_value_rules(resource: Resource, ctx: Context) -> Iterable[Finding]:
    """A delivered value breaks its catalogue entry's value rules in this environment (mbayar LOG_LEVEL)."""
    carried = _carried_value(resource, ctx)
    if carried is None or ctx.environment is None:
        return
    key, value = carried
    entry = ctx.entry(key)
    if entry is None or not isinstance(value, str):
        return
    for violation in seed_rules.value_rule_violations(entry, ctx.environment, value):
        yield resource.name, f"stack '{ctx.stack}': {key} {violation}"


# --- allowed branches ----------------------------------------------------------------------------------


def check_allowed_branches(resources: Sequence[Resource], ctx: Context) -> Iterable[Finding]:
    """Where allowedBranches is declared, production's stack keeps an active ruleset refusing the creation of any
    other branch: on ~ALL, excluding exactly the environments' branches and the declared patterns, no bypass."""
    topology = ctx.topology
    if topology is None or not ctx.production or not topology.allowed_branches:
        return
    rulesets = [r for r in resources if r.type == registry.RULESET and r.props.get("target") == "branch"
                and ALL_REFS in _includes(r.props)]
    expected = seed_rules.allowed_branch_excludes(topology)
    if not rulesets:
        yield ctx.stack, (f"stack '{ctx.stack}': no ruleset refuses creating branches outside allowedBranches "
                          f"({', '.join(topology.allowed_branches)}) and the environments' branches")
    for r in rulesets:
        where = f"stack '{ctx.stack}' ruleset '{r.props.get('name', r.name)}'"
        excludes = list(((r.props.get("conditions") or {}).get("refName") or {}).get("excludes") or [])
        if not (r.props.get("rules") or {}).get("creation"):
            yield r.name, f"{where}: does not restrict branch creation (rule `creation`)"
        if r.props.get("enforcement") != "active":
            yield r.name, f"{where}: enforcement is '{r.props.get('enforcement')}', not active"
        if r.props.get("bypassActors"):
            yield r.name, f"{where}: has bypass actors; branch creation allows none"
        if sorted(excludes) != sorted(expected):
            extra = sorted(set(excludes) - set(expected))
            missing = sorted(set(expected) - set(excludes))
            yield r.name, (f"{where}: excludes differ from allowedBranches and the environments' branches"
                           + (f"; also allows {extra}" if extra else "") + (f"; refuses {missing}" if missing else ""))


# --- feature-branch previews ---------------------------------------------------------------------------


def check_preview_targets(resource: Resource, ctx: Context) -> Iterable[Finding]:
    """Vercel's preview target (every feature branch's preview deployment) gets only the declared feature-previews
    environment's values: never production's, never an undeclared environment's."""
    if resource.type != registry.VERCEL_ENV or "preview" not in (resource.props.get("targets") or []):
        return
    key, topology = resource.props.get("key"), ctx.topology
    if ctx.production:
        yield resource.name, (f"stack '{ctx.stack}': production's {key} targets Vercel's preview environment: every "
                              "feature branch's preview deployment would run with production's values")
    elif topology is not None and topology.feature_previews != ctx.stack:
        declared = topology.feature_previews or "none"
        yield resource.name, (f"stack '{ctx.stack}': {key} targets Vercel's preview environment, which only the "
                              f"featurePreviews environment ({declared}) delivers to")


# --- the code freeze -----------------------------------------------------------------------------------


def freeze_findings(ctx: Context) -> Iterable[Finding]:
    """The program refuses the same update before it registers anything (topology/release.py policy_refusals)."""
    if ctx.release is None:
        return
    for problem in seed_rules.freeze_problems(ctx.stack, ctx.release.environment, ctx.release.topology, ctx.now,
                                              emergency=ctx.emergency, emergency_reason=ctx.emergency_reason):
        yield ctx.stack, problem.message


def check_code_freeze(resources: Sequence[Resource], ctx: Context) -> Iterable[Finding]:
    if not ctx.dry_run:
        yield from freeze_findings(ctx)


def check_code_freeze_preview(resources: Sequence[Resource], ctx: Context) -> Iterable[Finding]:
    if ctx.dry_run:
        yield from freeze_findings(ctx)


def check_freeze_gate(resources: Sequence[Resource], ctx: Context) -> Iterable[Finding]:
    """Once codeFreeze is declared, the production branch requires the freeze check: merges are refused during it."""
    env, topology = ctx.environment, ctx.topology
    if env is None or topology is None or not env.production or topology.code_freeze is None:
        return
    ref = f"refs/heads/{env.branch}"
    gates = [r for r in resources if r.type == registry.RULESET and r.props.get("target") == "branch"
             and ref in _includes(r.props)]
    for gate in gates:
        checks = ((gate.props.get("rules") or {}).get("requiredStatusChecks") or {}).get("requiredChecks") or []
        if seed_rules.FREEZE_CHECK not in {c.get("context") for c in checks}:
            yield gate.name, (f"stack '{ctx.stack}' ruleset '{gate.props.get('name', gate.name)}': codeFreeze is declared "
                              f"but merges into '{env.branch}' do not require the {seed_rules.FREEZE_CHECK} check")
