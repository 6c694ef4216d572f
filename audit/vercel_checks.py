"""Vercel's lists against the ids in state: env vars and domains nobody manages, managed ones gone, and
sensitive values edited after the last update (refresh keeps a sensitive value as it was stored,
so only the list's `updatedAt` shows a dashboard edit)."""

from __future__ import annotations

from typing import Mapping

from . import describe, times
from .listings import ProjectListing
from .model import Change, Evidence, Finding, FindingClass, LastUpdate, Resource
from .state import Managed

REST = "vercel-rest"


def _resource(m: Managed) -> Resource:
    return Resource(type=m.type, name=m.name, urn=m.urn, id=m.id)


def project_findings(stack: str, managed: list[Managed], listing: ProjectListing,
                     last_update: LastUpdate | None) -> list[Finding]:
    pid = listing.project_id
    base = f"GET /v10/projects/{pid}/env"
    found: list[Finding] = []
    mine = [m for m in managed if m.kind in ("vercel_env", "vercel_domain") and m.key[1] == pid]
    team = vercel_projects(managed).get(pid)

    envs = {e.get("id"): e for e in listing.envs}
    for m in (m for m in mine if m.kind == "vercel_env"):
        live = envs.get(m.key[2])
        key = m.props.get("key") or m.name
        if live is None:
            found.append(Finding(stack, FindingClass.MANAGED_DRIFT, _resource(m), "deleted outside Pulumi",
                                 describe.fix_recreate(stack), changes=(Change("*", "delete"),),
                                 evidence=(Evidence(REST, f"{base} does not list {key} ({m.key[2]})"),)))
            continue
        sensitive = live.get("type") == "sensitive" or m.props.get("sensitive") is True
        if sensitive and last_update and times.later(live.get("updatedAt"), last_update.end_time):
            when = times.iso(live.get("updatedAt"))
            by = f" by {live['updatedBy']}" if live.get("updatedBy") else ""
            found.append(Finding(stack, FindingClass.SECRET_TOUCHED, _resource(m),
                                 f"sensitive variable {key} was set outside Pulumi at {when}",
                                 describe.fix_secret(stack, key, m.urn),
                                 changes=(describe.change("value", "changed_at", secret=True, changed_at=when),),
                                 evidence=(Evidence(REST, f"{base}: updatedAt {when}{by} is later than the last "
                                                          f"update ({last_update.end_time})", when),)))
    for env_id, live in envs.items():
        if not any(m.kind == "vercel_env" and m.key[2] == env_id for m in mine):
            key = live.get("key")
            targets = ",".join(live.get("target") or []) or "all"
            found.append(Finding(stack, FindingClass.UNMANAGED_ADDITION,
                                 Resource(type="vercel:env", name=f"{pid}/{key}", id=env_id),
                                 f"Vercel variable {key} ({targets}) exists but no stack manages it",
                                 describe.fix_unmanaged("variable", describe.vercel_delete(
                                     f"/v9/projects/{pid}/env/{env_id}", team)),
                                 evidence=(Evidence(REST, f"{base} lists {key} ({env_id})",
                                                    times.iso(live.get("createdAt"))),)))

    domains = {d.get("name"): d for d in listing.domains}
    dbase = f"GET /v9/projects/{pid}/domains"
    for m in (m for m in mine if m.kind == "vercel_domain"):
        if m.key[2] not in domains:
            found.append(Finding(stack, FindingClass.MANAGED_DRIFT, _resource(m), "deleted outside Pulumi",
                                 describe.fix_recreate(stack), changes=(Change("*", "delete"),),
                                 evidence=(Evidence(REST, f"{dbase} does not list {m.key[2]}"),)))
    for name, live in domains.items():
        if not any(m.kind == "vercel_domain" and m.key[2] == name for m in mine):
            found.append(Finding(stack, FindingClass.UNMANAGED_ADDITION,
                                 Resource(type="vercel:domain", name=str(name)),
                                 f"domain {name} is attached to the project but no stack manages it",
                                 describe.fix_unmanaged("domain", describe.vercel_delete(
                                     f"/v9/projects/{pid}/domains/{name}", team)),
                                 evidence=(Evidence(REST, f"{dbase} lists {name}", times.iso(live.get("createdAt"))),)))
    return found


def vercel_projects(managed: list[Managed]) -> Mapping[str, str | None]:
    """project id -> team id, for every Vercel project the stack manages."""
    return {m.key[1]: m.props.get("teamId") or None for m in managed if m.kind == "vercel_project"}
