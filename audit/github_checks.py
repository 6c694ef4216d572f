"""GitHub's lists against the ids in state: what refresh cannot see.

- objects nobody manages (an environment, ruleset, secret, variable or branch policy added by hand);
- environment protection against what Pulumi applied (the provider never clears reviewers, so
  removing all of them is invisible to refresh);
- a secret whose `updated_at` is later than the one Pulumi stored when it last wrote it;
- a secret of the repository itself: every deploy job inherits it (deploy.yml), whatever its environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping
from urllib.parse import quote

from topology import machinery, registry

from . import describe, times
from .listings import EnvironmentListing, custom_branch_policies
from .model import Change, Evidence, Finding, FindingClass, Resource
from .state import SECRET, Managed

REST = "github-rest"


@dataclass(frozen=True)
class Scope:
    """Who owns what in the repository, to attribute each live object to one stack."""

    audited: Mapping[str, list[Managed]]  # stack -> what its state manages
    declared: Mapping[str, str]  # environment name -> its stack (one stack per environment)
    steward: str  # the audited stack that receives additions no stack owns (production if audited)

    def managed(self, key: tuple) -> tuple[str, Managed] | None:
        for stack, objects in self.audited.items():
            for m in objects:
                if m.key == key:
                    return stack, m
        return None

    def owner_by_name(self, name: str) -> str | None:
        """The stack whose environment names this object (`<env>` or `<env>-...`: topology/registry.py)."""
        env = registry.environment_of(name, list(self.declared))
        return None if env is None else self.declared[env]


def _managed_resource(m: Managed) -> Resource:
    return Resource(type=m.type, name=m.name, urn=m.urn, id=m.id)


def _drift(stack: str, m: Managed, changes: list[Change], detail: str) -> Finding:
    return Finding(stack, FindingClass.MANAGED_DRIFT, _managed_resource(m), "differs from what Pulumi applied",
                   describe.fix_restore(stack), changes=tuple(changes), evidence=(Evidence(REST, detail),))


def _deleted(stack: str, m: Managed, detail: str) -> Finding:
    return Finding(stack, FindingClass.MANAGED_DRIFT, _managed_resource(m), "deleted outside Pulumi",
                   describe.fix_recreate(stack), changes=(Change("*", "delete"),), evidence=(Evidence(REST, detail),))


def _addition(stack: str, rtype: str, name: str, what: str, removal: str, detail: str,
              object_id: Any = None, seen: Any = None) -> Finding:
    return Finding(stack, FindingClass.UNMANAGED_ADDITION,
                   Resource(type=rtype, name=name, id=None if object_id is None else str(object_id)),
                   f"{what} {name} exists but no stack manages it", describe.fix_unmanaged(what, removal),
                   evidence=(Evidence(REST, detail, times.iso(seen)),))


def _compare(pairs: Iterable[tuple[str, Any, Any]]) -> list[Change]:
    return [describe.change(path, "update", declared, live) for path, declared, live in pairs if declared != live]


# --- rulesets ------------------------------------------------------------------------------------

def ruleset_findings(scope: Scope, rulesets: list[Mapping[str, Any]], owner: str, repo: str) -> list[Finding]:
    found = []
    live_ids = set()
    for rs in rulesets:
        if rs.get("source_type", "Repository") != "Repository":
            continue  # organisation rulesets are not this project's
        live_ids.add(rs.get("id"))
        hit = scope.managed(("ruleset", rs.get("id")))
        if hit:
            stack, m = hit
            changes = _compare([(p, m.props.get(p), rs.get(p)) for p in ("enforcement", "name", "target")])
            if changes:
                found.append(_drift(stack, m, changes, f"GET /repos/{owner}/{repo}/rulesets lists ruleset {rs.get('id')}"))
            continue
        stack = scope.owner_by_name(str(rs.get("name", "")))
        if stack is not None and stack not in scope.audited:
            continue  # an environment whose stack is not audited in this run owns it
        found.append(_addition(stack or scope.steward, "github:ruleset", str(rs.get("name")), "ruleset",
                               describe.gh_delete(f"repos/{owner}/{repo}/rulesets/{rs.get('id')}"),
                               f"GET /repos/{owner}/{repo}/rulesets lists ruleset {rs.get('id')}",
                               rs.get("id"), rs.get("updated_at")))
    for stack, objects in scope.audited.items():
        for m in objects:
            if m.kind == "ruleset" and m.key[1] not in live_ids:
                found.append(_deleted(stack, m, f"GET /repos/{owner}/{repo}/rulesets does not list ruleset {m.key[1]}"))
    return found


# --- the repository's own secrets -------------------------------------------------------------------

def repository_secret_findings(scope: Scope, secrets: list[Mapping[str, Any]], owner: str, repo: str) -> list[Finding]:
    """Every secret lives in an environment (docs/workflows.md): deploy.yml's stages hand `_pulumi-up.yml` their
    secrets with `inherit`, so a repository secret would reach staging's and production's deploy jobs alike."""
    found = []
    for secret in secrets:
        name = str(secret.get("name"))
        path = f"repos/{owner}/{repo}/actions/secrets"
        found.append(Finding(
            scope.steward, FindingClass.ISOLATION, Resource(type="github:repository-secret", name=name),
            f"repository secret {name} reaches every deploy job (deploy.yml inherits the repository's secrets); "
            "a secret belongs to one environment",
            f"set it in the environment that needs it (Settings -> Environments), then "
            f"{describe.gh_delete(path + '/' + quote(name, safe=''))}",
            evidence=(Evidence(REST, f"GET /{path} lists {name}", times.iso(secret.get("updated_at"))),)))
    return found


# --- environments ---------------------------------------------------------------------------------

def _declared_reviewers(props: Mapping[str, Any]) -> list[int]:
    ids = []
    for block in props.get("reviewers") or []:
        ids += [int(u) for u in (block.get("users") or []) + (block.get("teams") or []) if str(u).isdigit()]
    return sorted(ids)


def live_protection(env: Mapping[str, Any]) -> dict[str, Any]:
    """An environment's protection, in the provider's property names."""
    rules = {r.get("type"): r for r in env.get("protection_rules") or []}
    reviewers_rule = rules.get("required_reviewers") or {}
    policy = env.get("deployment_branch_policy")
    return {
        "reviewers": sorted(int(r["reviewer"]["id"]) for r in reviewers_rule.get("reviewers") or []
                            if isinstance(r.get("reviewer"), Mapping) and "id" in r["reviewer"]),
        "preventSelfReview": bool(reviewers_rule.get("prevent_self_review")) if reviewers_rule else None,
        "waitTimer": int((rules.get("wait_timer") or {}).get("wait_timer") or 0),
        "canAdminsBypass": bool(env.get("can_admins_bypass", True)),
        "deploymentBranchPolicy": None if policy is None else {
            "protectedBranches": bool(policy.get("protected_branches")),
            "customBranchPolicies": bool(policy.get("custom_branch_policies"))},
    }


def _declared_protection(props: Mapping[str, Any]) -> dict[str, Any]:
    policy = props.get("deploymentBranchPolicy")
    reviewers = _declared_reviewers(props)
    return {
        "reviewers": reviewers,
        "preventSelfReview": bool(props.get("preventSelfReview")) if reviewers else None,
        "waitTimer": int(props.get("waitTimer") or 0),
        "canAdminsBypass": bool(props.get("canAdminsBypass", True)),
        "deploymentBranchPolicy": None if not policy else {
            "protectedBranches": bool(policy.get("protectedBranches")),
            "customBranchPolicies": bool(policy.get("customBranchPolicies"))},
    }


def _protection_changes(declared: Mapping[str, Any], live: Mapping[str, Any]) -> list[Change]:
    changes = []
    for path in ("reviewers", "preventSelfReview", "waitTimer", "canAdminsBypass"):
        if path == "preventSelfReview" and (declared[path] is None or live[path] is None):
            continue  # only meaningful while reviewers are required on both sides
        if declared[path] != live[path]:
            changes.append(describe.change(path, "update", declared[path], live[path]))
    d, lv = declared["deploymentBranchPolicy"], live["deploymentBranchPolicy"]
    if d != lv:
        for sub in ("protectedBranches", "customBranchPolicies"):
            before, after = (d or {}).get(sub), (lv or {}).get(sub)
            if before != after:
                changes.append(describe.change(f"deploymentBranchPolicy.{sub}", "update", before, after))
    return changes


def environment_findings(scope: Scope, environments: list[Mapping[str, Any]], owner: str, repo: str) -> list[Finding]:
    found = []
    where = f"GET /repos/{owner}/{repo}/environments"
    live_names = set()
    for env in environments:
        name = str(env.get("name"))
        live_names.add(name)
        hit = scope.managed(("environment", name))
        if hit:
            stack, m = hit
            changes = _protection_changes(_declared_protection(m.props), live_protection(env))
            if changes:
                found.append(_drift(stack, m, changes, f"{where}: protection rules of {name}"))
            continue
        stack = scope.declared.get(name)
        if stack is not None and stack not in scope.audited:
            continue  # the environment of a stack not audited in this run
        if stack is None and machinery.is_environment(name):
            continue  # the workflows' own environment (topology/machinery.py), not drift
        found.append(_addition(stack or scope.steward, "github:environment", name, "environment",
                               describe.gh_delete(f"repos/{owner}/{repo}/environments/{quote(name, safe='')}"),
                               f"{where} lists {name}", env.get("id"), env.get("updated_at")))
    for stack, objects in scope.audited.items():
        for m in objects:
            if m.kind == "environment" and m.key[1] not in live_names:
                found.append(_deleted(stack, m, f"{where} does not list {m.key[1]}"))
    return found


# --- one environment's secrets, variables and branch policies -----------------------------------

def content_findings(stack: str, managed: list[Managed], listing: EnvironmentListing,
                     environment: Mapping[str, Any], owner: str, repo: str) -> list[Finding]:
    env = listing.name
    base = f"GET /repos/{owner}/{repo}/environments/{env}"
    found: list[Finding] = []
    mine = [m for m in managed if len(m.key) > 1 and m.key[1] == env]

    secrets = {s.get("name"): s for s in listing.secrets}
    for m in (m for m in mine if m.kind == "env_secret"):
        live = secrets.get(m.key[2])
        if live is None:
            found.append(_deleted(stack, m, f"{base}/secrets does not list {m.key[2]}"))
            continue
        stored = m.props.get("updatedAt")
        if times.later(live.get("updated_at"), stored):
            when = times.iso(live.get("updated_at"))
            found.append(Finding(stack, FindingClass.SECRET_TOUCHED, _managed_resource(m),
                                 f"secret {m.key[2]} was set outside Pulumi at {when}",
                                 describe.fix_secret(stack, m.key[2], m.urn),
                                 changes=(describe.change("value", "changed_at", secret=True, changed_at=when),),
                                 evidence=(Evidence(REST, f"{base}/secrets: updated_at {when} is later than "
                                                          f"{times.iso(stored)}, when Pulumi last wrote it", when),)))
    for name, live in secrets.items():
        if machinery.is_secret(name) and not any(m.kind == "env_secret" and m.key[2] == name for m in mine):
            continue  # the workflows' own credentials (topology/machinery.py), not drift
        if not any(m.kind == "env_secret" and m.key[2] == name for m in mine):
            found.append(_addition(stack, "github:environment-secret", f"{env}/{name}", "secret",
                                   describe.gh_delete(f"repos/{owner}/{repo}/environments/{quote(env, safe='')}/secrets/{name}"),
                                   f"{base}/secrets lists {name}", seen=live.get("updated_at")))

    variables = {v.get("name"): v for v in listing.variables}
    for m in (m for m in mine if m.kind == "env_variable"):
        live = variables.get(m.key[2])
        if live is None:
            found.append(_deleted(stack, m, f"{base}/variables does not list {m.key[2]}"))
        elif isinstance(m.props.get("value"), str) and m.props["value"] != SECRET and live.get("value") != m.props["value"]:
            found.append(_drift(stack, m, [describe.change("value", "update", m.props["value"], live.get("value"))],
                                f"{base}/variables: the value of {m.key[2]} differs (values not shown)"))
    for name, live in variables.items():
        if not any(m.kind == "env_variable" and m.key[2] == name for m in mine):
            found.append(_addition(stack, "github:environment-variable", f"{env}/{name}", "variable",
                                   describe.gh_delete(f"repos/{owner}/{repo}/environments/{quote(env, safe='')}/variables/{name}"),
                                   f"{base}/variables lists {name}", seen=live.get("updated_at")))

    if custom_branch_policies(environment):
        policies = {p.get("id"): p for p in listing.branch_policies}
        for m in (m for m in mine if m.kind == "branch_policy"):
            live = policies.get(m.key[2])
            if live is None:
                found.append(_deleted(stack, m, f"{base}/deployment-branch-policies does not list {m.key[2]}"))
            elif live.get("name") != (m.props.get("branchPattern") or m.props.get("tagPattern")):
                found.append(_drift(stack, m, [describe.change(
                    "branchPattern", "update", m.props.get("branchPattern"), live.get("name"))],
                    f"{base}/deployment-branch-policies: policy {m.key[2]}"))
        for pid, live in policies.items():
            if not any(m.kind == "branch_policy" and m.key[2] == pid for m in mine):
                found.append(_addition(stack, "github:deployment-branch-policy", f"{env}/{live.get('name')}",
                                       "deployment branch policy",
                                       describe.gh_delete(f"repos/{owner}/{repo}/environments/{quote(env, safe='')}"
                                                          f"/deployment-branch-policies/{pid}"),
                                       f"{base}/deployment-branch-policies lists {live.get('name')}", pid))
    return found
