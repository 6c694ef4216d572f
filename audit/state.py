"""What a stack manages, read from `pulumi stack export` (run WITHOUT --show-secrets).

Only the ids and the few properties the REST pass compares are kept; every secret (still
encrypted in such an export) is replaced by a marker as it is read, so no ciphertext outlives the
parse. The export itself is never written anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from topology import registry

from .events import is_secret

SECRET = "[secret]"



@dataclass(frozen=True)
class Managed:
    """One cloud object the stack manages: its live identity (`key`) and state properties."""

    kind: str  # ruleset | environment | branch_policy | env_secret | env_variable | vercel_project | vercel_env | vercel_domain
    key: tuple
    urn: str
    type: str
    id: str
    props: Mapping[str, Any]  # inputs overlaid with outputs; secrets replaced by SECRET

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


def without_secrets(value: Any) -> Any:
    if is_secret(value):
        return SECRET
    if isinstance(value, Mapping):
        return {k: without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def _key(kind: str, props: Mapping[str, Any], resource_id: str) -> tuple | None:
    env = props.get("environment")
    if kind == "ruleset":
        raw = props.get("rulesetId") or resource_id
        return ("ruleset", int(raw)) if str(raw).isdigit() else None
    if kind == "environment":
        return ("environment", env)
    if kind == "branch_policy":
        raw = props.get("policyId") or registry.branch_policy_id(resource_id)
        return ("branch_policy", env, int(raw)) if str(raw).isdigit() else None
    if kind == "env_secret":
        return ("env_secret", env, props.get("secretName"))
    if kind == "env_variable":
        return ("env_variable", env, props.get("variableName"))
    if kind == "vercel_project":
        return ("vercel_project", resource_id.rsplit("/", 1)[-1])
    if kind == "vercel_env":
        return ("vercel_env", props.get("projectId"), resource_id.rsplit("/", 1)[-1])
    if kind == "vercel_domain":
        return ("vercel_domain", props.get("projectId"), props.get("domain"))
    return None


KINDS = {
    registry.RULESET: "ruleset",
    registry.GITHUB_ENVIRONMENT: "environment",
    registry.BRANCH_POLICY: "branch_policy",
    registry.ENV_SECRET: "env_secret",
    registry.ENV_VARIABLE: "env_variable",
    registry.VERCEL_PROJECT: "vercel_project",
    registry.VERCEL_ENV: "vercel_env",
    registry.VERCEL_DOMAIN: "vercel_domain",
}


def inventory(export: Mapping[str, Any]) -> list[Managed]:
    """The managed objects of a `stack export` document (version 3 deployment)."""
    resources = ((export or {}).get("deployment") or {}).get("resources") or []
    found = []
    for res in resources:
        kind = KINDS.get(res.get("type", ""))
        if kind is None or not res.get("id") or res.get("delete"):
            continue  # not audited by REST, not created, or a replaced resource pending deletion
        props = {**without_secrets(res.get("inputs") or {}), **without_secrets(res.get("outputs") or {})}
        key = _key(kind, props, str(res["id"]))
        if key is not None:
            found.append(Managed(kind, key, res["urn"], res["type"], str(res["id"]), props))
    return found
