"""The Vercel double's state: one account (personal, plus an optional team), its projects, env vars, domains.

Two kinds of operations, both under one lock:
- what Vercel does on an API request (plan refusals, validation, Vercel's error answers);
- what a person does in the dashboard, or a test seeds ("out of band"): no plan check, same validation.

Secret values are never kept: every env var keeps a keyed fingerprint; only `plain` and `encrypted` values
are kept as well, because the provider reads them back to diff (README, "What comes back"). A `sensitive`
value is fingerprint-only. Readings of Vercel that are ours are marked [guess] (doubles/README.md).
"""

from __future__ import annotations

import copy
import functools
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Callable, Iterable

from . import errors, plans, shapes
from .clock import StrictClock, random_id
from .fingerprints import Fingerprinter

TARGETS = ("production", "preview", "development")
ENV_TYPES = ("plain", "encrypted", "sensitive")
# Query parameters whose values may be logged: ids, cursors, flags. Any other value is masked.
LOGGED_QUERY = frozenset({"teamId", "slug", "limit", "until", "since", "decrypt", "projectIdOrName", "upsert"})


def locked(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return wrapper


@dataclass
class EnvVar:
    id: str
    key: str
    type: str
    target: list[str]
    custom_environment_ids: list[str]
    git_branch: str | None
    comment: str
    created_at: int
    updated_at: int
    fingerprint: str            # of every value, sensitive or not
    value: str | None = None    # plain/encrypted only; None for sensitive


@dataclass
class Domain:
    name: str
    project_id: str
    created_at: int
    updated_at: int
    git_branch: str | None = None
    redirect: str | None = None
    redirect_status_code: int | None = None
    custom_environment_id: str | None = None
    verified: bool = True  # [guess] the account owns the domain: no TXT challenge
    misconfigured: bool = False


@dataclass
class CustomEnvironment:
    id: str
    slug: str
    description: str
    branch_matcher: dict | None
    created_at: int
    updated_at: int


@dataclass
class Project:
    id: str
    name: str
    account: str   # team id, or the personal account's user id
    created_at: int
    updated_at: int
    settings: dict
    link: dict | None = None
    envs: dict[str, EnvVar] = field(default_factory=dict)
    domains: dict[str, Domain] = field(default_factory=dict)
    custom_envs: dict[str, CustomEnvironment] = field(default_factory=dict)


class Store:
    def __init__(self, *, plan: str = "pro", team_id: str | None = None, team_slug: str | None = None,
                 team_name: str | None = None, sensitive_policy: str | None = None,
                 user_id: str = "user_koomycto0000000000000", org_owners: Iterable[str] = ("koomy-app",),
                 now: Callable[[], float] = time.time):
        plans.check(plan)
        if team_id is not None and plan == "hobby":
            raise ValueError("Hobby accounts have no teams (team_id must be None on the hobby plan)")
        if team_id is not None and not team_id.startswith("team_"):
            raise ValueError("Vercel team ids start with 'team_'")
        self._lock = threading.RLock()
        self._clock = StrictClock(now)
        self._fingerprint = Fingerprinter()
        self._seed_plan = plan
        self.user_id = user_id
        # GitHub owners that are organisations (Hobby cannot link their repositories); others are users.
        self.org_owners = frozenset(owner.casefold() for owner in org_owners)
        self.team = None if team_id is None else {
            "id": team_id, "slug": team_slug or team_id.removeprefix("team_").lower(),
            "name": team_name or team_slug or team_id, "created_at": self._clock.tick(),
            "sensitive_policy": sensitive_policy}
        self._reset()

    def _reset(self) -> None:
        self.plan = self._seed_plan
        self._projects: dict[str, Project] = {}
        self._log: list[dict] = []

    # ---- scope: which account a request acts on ------------------------------------------------

    @property
    def default_scope(self) -> str:
        return self.team["id"] if self.team else self.user_id

    def scope(self, team: str | None) -> str:
        """`?teamId=` (an id or a slug) names the team; without it a request acts on the personal account."""
        if not team:
            return self.user_id
        if self.team and team in (self.team["id"], self.team["slug"]):
            return self.team["id"]
        raise errors.forbidden()

    def _project(self, scope: str, id_or_name: str) -> Project:
        for p in self._projects.values():
            if p.account == scope and id_or_name in (p.id, p.name):
                return p
        raise errors.not_found("Project not found")

    # ---- teams --------------------------------------------------------------------------------

    @locked
    def get_team(self, id_or_slug: str) -> dict:
        if not self.team or id_or_slug not in (self.team["id"], self.team["slug"]):
            raise errors.not_found("Team not found")  # the provider reads 404 as "team not found"
        return shapes.team(self.team, self.user_id)

    # ---- projects -----------------------------------------------------------------------------

    def _link(self, repository) -> dict:
        """`gitRepository`/link body {type, repo: "owner/name"}; the plan decides whether an org's repo links."""
        if not isinstance(repository, dict) or repository.get("type") != "github":
            # Only GitHub here; gitlab/bitbucket exist on Vercel but not in this double.
            raise errors.bad_request("gitRepository must be {type: 'github', repo: 'owner/name'}.")
        owner, _, name = str(repository.get("repo") or "").partition("/")
        if not owner or not name or "/" in name:
            raise errors.bad_request("gitRepository.repo must be 'owner/name'.")
        plans.refuse_org_repository(self.plan, owner, self.org_owners)
        stamp = self._clock.tick()
        # [guess] the repository's default branch is "main" until PATCH .../branch says otherwise.
        return {"type": "github", "org": owner, "repo": name, "repoId": zlib.crc32(repository["repo"].encode()) % 10**9,
                "repoOwnerId": zlib.crc32(owner.encode()) % 10**9, "productionBranch": "main", "deployHooks": [],
                "gitCredentialId": "", "sourceless": True, "createdAt": stamp, "updatedAt": stamp}

    @staticmethod
    def _apply_settings(settings: dict, body: dict) -> None:
        """PATCH semantics, as the provider's client documents them (client/project.go, UpdateProjectRequest):
        a field present is set; null or "" removes the setting; an omitted field is left as it is."""
        for key, value in body.items():
            if key in ("name", "gitRepository", "environmentVariables"):
                continue
            if value is None or value == "":
                settings.pop(key, None)
            elif key == "resourceConfig" and isinstance(value, dict):
                merged = dict(settings.get(key) or {})
                for sub, subvalue in value.items():
                    if subvalue is None:
                        merged.pop(sub, None)
                    else:
                        merged[sub] = copy.deepcopy(subvalue)
                settings[key] = merged
            else:
                settings[key] = copy.deepcopy(value)

    def _check_name(self, scope: str, name, own_id: str | None = None) -> str:
        if not isinstance(name, str) or not name:
            raise errors.bad_request("Invalid request: `name` is required.")
        if any(p.account == scope and p.name == name and p.id != own_id for p in self._projects.values()):
            # Observed answer (dyad-sh/dyad#1873): 409 {"code":"conflict","message":"Project \"x\" already exists."}
            raise errors.ApiError(409, "conflict", f'Project "{name}" already exists.')
        return name

    def _project_json(self, p: Project) -> dict:
        return shapes.project(p, p.link)

    def _insert_project(self, scope: str, body) -> Project:
        body = _object(body)
        name = self._check_name(scope, body.get("name"))
        link = self._link(body["gitRepository"]) if body.get("gitRepository") else None
        stamp = self._clock.tick()
        p = Project(random_id("prj_", 28), name, scope, stamp, stamp, copy.deepcopy(shapes.NEW_PROJECT_SETTINGS), link)
        self._apply_settings(p.settings, body)
        for item in body.get("environmentVariables") or []:
            self._insert_env(p, item)
        self._projects[p.id] = p
        return p

    @locked
    def create_project(self, scope: str, body) -> dict:
        return self._project_json(self._insert_project(scope, body))

    @locked
    def get_project(self, scope: str, id_or_name: str) -> dict:
        return self._project_json(self._project(scope, id_or_name))

    @locked
    def update_project(self, scope: str, id_or_name: str, body) -> dict:
        p = self._project(scope, id_or_name)
        body = _object(body)
        if "name" in body and body["name"] is not None:
            p.name = self._check_name(scope, body["name"], p.id)
        self._apply_settings(p.settings, body)
        p.updated_at = self._clock.tick()
        return self._project_json(p)

    @locked
    def set_production_branch(self, scope: str, id_or_name: str, body) -> dict:
        p = self._project(scope, id_or_name)
        branch = _object(body).get("branch")
        if not isinstance(branch, str) or not branch:
            raise errors.bad_request("Invalid request: `branch` is required.")
        if p.link is None:
            raise errors.bad_request("The project is not connected to a Git repository.")  # [guess] wording
        p.link["productionBranch"] = branch
        p.link["updatedAt"] = p.updated_at = self._clock.tick()
        return self._project_json(p)

    @locked
    def link_repository(self, scope: str, id_or_name: str, body) -> dict:
        p = self._project(scope, id_or_name)
        p.link = self._link(_object(body))
        p.updated_at = self._clock.tick()
        return self._project_json(p)

    @locked
    def unlink_repository(self, scope: str, id_or_name: str) -> dict:
        p = self._project(scope, id_or_name)
        p.link, p.updated_at = None, self._clock.tick()
        return self._project_json(p)

    @locked
    def delete_project(self, scope: str, id_or_name: str) -> None:
        # A project takes its env vars, domains and custom environments with it (client/project.go).
        self._projects.pop(self._project(scope, id_or_name).id)

    # ---- environment variables ----------------------------------------------------------------

    def _env(self, p: Project, env_id: str) -> EnvVar:
        if env_id not in p.envs:
            raise errors.not_found("Environment Variable not found")  # [guess] wording
        return p.envs[env_id]

    def _validated_env(self, p: Project, body: dict, existing: EnvVar | None = None) -> dict:
        """The fields of an env var after a create (existing None) or an edit body; Vercel's refusals."""
        body = _object(body)
        key = existing.key if existing else body.get("key")
        if not isinstance(key, str) or not key:
            raise errors.bad_request("Invalid request: `key` is required.")
        kind = body.get("type", existing.type if existing else None)
        if kind not in ENV_TYPES:
            # `system` exists but is Vercel's own; the provider sends encrypted or sensitive.
            raise errors.bad_request(f"Invalid request: `type` must be one of {', '.join(ENV_TYPES)}.")
        if existing is not None and existing.type == "sensitive" and kind != "sensitive":
            # Docs: a sensitive value is non-readable once created; turning it back is refused [guess: status].
            raise errors.bad_request("A sensitive Environment Variable cannot be changed to another type.")
        target = body.get("target", existing.target if existing else None) or []
        custom = body.get("customEnvironmentIds", existing.custom_environment_ids if existing else None) or []
        if not isinstance(target, list) or any(t not in TARGETS for t in target):
            raise errors.bad_request("Invalid request: `target` must be production, preview or development.")
        unknown_custom = [c for c in custom if c not in p.custom_envs]
        if not isinstance(custom, list) or unknown_custom:
            raise errors.bad_request("Invalid request: unknown custom environment in `customEnvironmentIds`.")
        if not target and not custom:
            raise errors.bad_request("Invalid request: at least one `target` or `customEnvironmentIds` is required.")
        if kind == "sensitive" and "development" in target:
            # Vercel docs (sensitive environment variables): "You can only create sensitive environment
            # variables in the preview and production environments." Status, code and wording [guess].
            raise errors.bad_request("Sensitive Environment Variables cannot target the development environment; "
                                     "only preview and production.")
        value = body.get("value") if "value" in body else None
        if existing is None and not isinstance(value, str):
            raise errors.bad_request("Invalid request: `value` is required.")
        if value is not None and not isinstance(value, str):
            raise errors.bad_request("Invalid request: `value` must be a string.")
        branch = body.get("gitBranch", existing.git_branch if existing else None) or None
        comment = body.get("comment", existing.comment if existing else "") or ""
        self._refuse_conflict(p, key, target, custom, branch, existing)
        return {"key": key, "type": kind, "target": list(target), "custom": list(custom), "branch": branch,
                "comment": comment, "value": value}

    @staticmethod
    def _refuse_conflict(p: Project, key: str, target: list, custom: list, branch, existing) -> None:
        for other in p.envs.values():
            if other is existing or other.key != key or other.git_branch != branch:
                continue
            if set(other.target) & set(target) or set(other.custom_environment_ids) & set(custom):
                # The provider's client reads 400 ENV_CONFLICT with key/envVarKey/target/gitBranch
                # (client/error.go conflictingEnvVar); wording [guess].
                clash = (sorted(set(other.target) & set(target))
                         or sorted(set(other.custom_environment_ids) & set(custom)))
                raise errors.ApiError(400, "ENV_CONFLICT",
                                      f"A variable with the name `{key}` already exists for the target "
                                      f"{','.join(clash)} on branch {branch or 'undefined'}",
                                      key=key, envVarKey=key, target=clash, gitBranch=branch)

    def _write_value(self, v: EnvVar, value: str) -> None:
        v.fingerprint = self._fingerprint(value)
        v.value = None if v.type == "sensitive" else value

    def _insert_env(self, p: Project, body) -> EnvVar:
        f = self._validated_env(p, body)
        stamp = self._clock.tick()
        v = EnvVar(random_id("", 16), f["key"], f["type"], f["target"], f["custom"], f["branch"], f["comment"],
                   stamp, stamp, "")
        self._write_value(v, f["value"])
        p.envs[v.id] = v
        return v

    def _edit_env(self, p: Project, v: EnvVar, body) -> EnvVar:
        f = self._validated_env(p, body, v)
        v.type, v.target, v.custom_environment_ids = f["type"], f["target"], f["custom"]
        v.git_branch, v.comment = f["branch"], f["comment"]
        if f["value"] is not None:
            self._write_value(v, f["value"])
        elif v.type == "sensitive":
            v.value = None  # became sensitive without a new value: forget the readable one
        v.updated_at = p.updated_at = self._clock.tick()
        return v

    @locked
    def create_env(self, scope: str, id_or_name: str, body) -> dict:
        """POST /v10/projects/{id}/env: one object -> {"created": {...}, "failed": []};
        a list -> {"created": [...], "failed": [{"error": {...}}]} (client/environment_variable.go)."""
        p = self._project(scope, id_or_name)
        if isinstance(body, list):
            created, failed = [], []
            for item in body:
                try:
                    created.append(shapes.env_var(self._insert_env(p, item), reveal=False))
                except errors.ApiError as err:
                    failed.append(err.body)
            return {"created": created, "failed": failed}
        return {"created": shapes.env_var(self._insert_env(p, body), reveal=False), "failed": []}

    @locked
    def list_envs(self, scope: str, id_or_name: str, query: dict) -> dict:
        """Newest first [guess: order]; `limit` per page, `until` = a createdAt cursor (exclusive);
        `pagination.next` is the last item's createdAt while more remain (client/pagination.go)."""
        p = self._project(scope, id_or_name)
        reveal = str(query.get("decrypt", "")).lower() == "true"
        limit = _int(query.get("limit"), 100, "limit")
        until = _int(query.get("until"), None, "until")
        envs = sorted(p.envs.values(), key=lambda v: v.created_at, reverse=True)
        if until is not None:
            envs = [v for v in envs if v.created_at < until]
        page, more = envs[:limit], len(envs) > limit
        return {"envs": [shapes.env_var(v, reveal=reveal, listed=True) for v in page],
                "pagination": {"count": len(page), "next": page[-1].created_at if more else None,
                               "prev": page[0].created_at if page and until is not None else None}}

    @locked
    def get_env(self, scope: str, id_or_name: str, env_id: str) -> dict:
        # The single GET returns the decrypted value (Vercel docs, "Retrieve the decrypted value of an
        # environment variable"); the provider diffs it for non-sensitive variables.
        return shapes.env_var(self._env(self._project(scope, id_or_name), env_id), reveal=True)

    @locked
    def edit_env(self, scope: str, id_or_name: str, env_id: str, body) -> dict:
        p = self._project(scope, id_or_name)
        return shapes.env_var(self._edit_env(p, self._env(p, env_id), body), reveal=False)

    @locked
    def delete_env(self, scope: str, id_or_name: str, env_id: str) -> dict:
        p = self._project(scope, id_or_name)
        return shapes.env_var(p.envs.pop(self._env(p, env_id).id), reveal=False)

    # ---- domains ------------------------------------------------------------------------------

    def _domain(self, p: Project, name: str) -> Domain:
        found = p.domains.get(name.lower())
        if found is None:
            raise errors.not_found(f"The domain {name} was not found on the project")  # [guess] wording
        return found

    def _domain_owner(self, name: str) -> Project | None:
        return next((p for p in self._projects.values() if name.lower() in p.domains), None)

    def _insert_domain(self, p: Project, body) -> Domain:
        body = _object(body)
        name = body.get("name")
        if not isinstance(name, str) or not name or "/" in name or ":" in name:
            raise errors.bad_request("Invalid request: `name` must be a domain name.")
        if self._domain_owner(name) is not None:
            # Observed: "Cannot add X since it's already assigned to another project. (400)"
            # (vercel/vercel#15678 and public deploy notes); the code is [guess].
            raise errors.bad_request(f"Cannot add {name} since it's already assigned to another project.")
        stamp = self._clock.tick()
        d = Domain(name.lower(), p.id, stamp, stamp)
        self._update_domain_fields(p, d, body)
        p.domains[d.name] = d
        return d

    @staticmethod
    def _update_domain_fields(p: Project, d: Domain, body: dict) -> None:
        if "gitBranch" in body:
            d.git_branch = body["gitBranch"] or None
        if "redirect" in body:
            d.redirect = body["redirect"] or None
        if "redirectStatusCode" in body:
            d.redirect_status_code = body["redirectStatusCode"] or None
        if "customEnvironmentId" in body:
            custom = body["customEnvironmentId"] or None
            if custom is not None and custom not in p.custom_envs:
                raise errors.bad_request("Invalid request: unknown `customEnvironmentId`.")
            d.custom_environment_id = custom

    @locked
    def add_project_domain(self, scope: str, id_or_name: str, body) -> dict:
        return shapes.domain(self._insert_domain(self._project(scope, id_or_name), body))

    @locked
    def get_project_domain(self, scope: str, id_or_name: str, name: str) -> dict:
        return shapes.domain(self._domain(self._project(scope, id_or_name), name))

    @locked
    def list_project_domains(self, scope: str, id_or_name: str, query: dict) -> dict:
        p = self._project(scope, id_or_name)
        limit = _int(query.get("limit"), 20, "limit")
        until = _int(query.get("until"), None, "until")
        domains = sorted(p.domains.values(), key=lambda d: d.created_at, reverse=True)
        if until is not None:
            domains = [d for d in domains if d.created_at < until]
        page, more = domains[:limit], len(domains) > limit
        return {"domains": [shapes.domain(d) for d in page],
                "pagination": {"count": len(page), "next": page[-1].created_at if more else None,
                               "prev": None}}

    @locked
    def update_project_domain(self, scope: str, id_or_name: str, name: str, body) -> dict:
        p = self._project(scope, id_or_name)
        d = self._domain(p, name)
        self._update_domain_fields(p, d, _object(body))
        d.updated_at = self._clock.tick()
        return shapes.domain(d)

    @locked
    def delete_project_domain(self, scope: str, id_or_name: str, name: str) -> dict:
        p = self._project(scope, id_or_name)
        p.domains.pop(self._domain(p, name).name)
        return {}

    @locked
    def domain_config(self, scope: str, name: str, query: dict) -> dict:
        """GET /v6/domains/{d}/config?projectIdOrName=: misconfigured unless the domain is on a project of
        this account that says otherwise (a domain nobody added has no DNS pointing at Vercel) [guess]."""
        owner = self._domain_owner(name)
        if query.get("projectIdOrName"):
            self._project(scope, query["projectIdOrName"])
        if owner is None or owner.account != scope:
            return shapes.domain_config(misconfigured=True)
        return shapes.domain_config(owner.domains[name.lower()].misconfigured)

    # ---- custom environments ------------------------------------------------------------------

    def _custom(self, p: Project, slug_or_id: str) -> CustomEnvironment:
        for c in p.custom_envs.values():
            if slug_or_id in (c.id, c.slug):
                return c
        raise errors.not_found("Custom environment not found")  # [guess] wording

    @locked
    def create_custom_environment(self, scope: str, id_or_name: str, body) -> dict:
        p = self._project(scope, id_or_name)
        plans.refuse_custom_environment(self.plan, len(p.custom_envs))
        body = _object(body)
        slug = body.get("slug")
        if not isinstance(slug, str) or not slug or any(c.slug == slug for c in p.custom_envs.values()):
            raise errors.bad_request("Invalid request: `slug` is required and unique per project.")
        stamp = self._clock.tick()
        c = CustomEnvironment(random_id("env_", 24), slug, body.get("description") or "",
                              copy.deepcopy(body.get("branchMatcher")), stamp, stamp)
        p.custom_envs[c.id] = c
        return shapes.custom_environment(c)

    @locked
    def get_custom_environment(self, scope: str, id_or_name: str, slug: str) -> dict:
        return shapes.custom_environment(self._custom(self._project(scope, id_or_name), slug))

    @locked
    def update_custom_environment(self, scope: str, id_or_name: str, slug: str, body) -> dict:
        c = self._custom(self._project(scope, id_or_name), slug)
        body = _object(body)
        c.slug = body.get("slug") or c.slug
        c.description = body.get("description", c.description) or ""
        if "branchMatcher" in body:
            c.branch_matcher = copy.deepcopy(body["branchMatcher"])
        c.updated_at = self._clock.tick()
        return shapes.custom_environment(c)

    @locked
    def delete_custom_environment(self, scope: str, id_or_name: str, slug: str) -> None:
        p = self._project(scope, id_or_name)
        c = p.custom_envs.pop(self._custom(p, slug).id)
        for v in list(p.envs.values()):  # the provider asks deleteUnassignedEnvironmentVariables: true
            if c.id in v.custom_environment_ids:
                v.custom_environment_ids.remove(c.id)
                if not v.target and not v.custom_environment_ids:
                    del p.envs[v.id]

    # ---- request log --------------------------------------------------------------------------

    @locked
    def record(self, method: str, path: str, query: dict, status: int, *, tunnel: bool,
               unknown: bool = False, refused: bool = False) -> None:
        """Method, path, status; query values only for LOGGED_QUERY names. Never a body or a header."""
        masked = {k: (v if k in LOGGED_QUERY else "…") for k, v in sorted(query.items())}
        self._log.append({"method": method, "path": path, "query": masked, "status": status,
                          "tunnel": tunnel, "unknown": unknown, "refused": refused})

    @locked
    def requests(self) -> list[dict]:
        return copy.deepcopy(self._log)

    @locked
    def unknown_requests(self) -> list[dict]:
        return [dict(e) for e in self._log if e["unknown"]]

    @locked
    def refused_connects(self) -> list[dict]:
        return [dict(e) for e in self._log if e["refused"]]

    @locked
    def clear_log(self) -> None:
        self._log.clear()

    # ---- out-of-band edits: a person in the dashboard, or a test seeding state ---------------
    # No plan check; the same validation. Projects are named by id or name in the default scope.

    @locked
    def reset(self) -> None:
        """Back to the constructor's state (plan, team; no projects); the clock keeps going."""
        self._reset()

    @locked
    def set_plan(self, plan: str) -> None:
        plans.check(plan)
        if plan == "hobby" and self.team:
            raise ValueError("Hobby accounts have no teams")
        self.plan = plan

    @locked
    def add_project(self, name: str, repo: str | None = None, production_branch: str | None = None) -> dict:
        """A project nobody declared, or an existing one to import."""
        saved, self.plan = self.plan, "enterprise"  # out of band: no plan check
        try:
            p = self._insert_project(self.default_scope, {
                "name": name, **({"gitRepository": {"type": "github", "repo": repo}} if repo else {})})
        finally:
            self.plan = saved
        if production_branch and p.link:
            p.link["productionBranch"] = production_branch
        return self._project_json(p)

    def _dashboard_project(self, id_or_name: str) -> Project:
        return self._project(self.default_scope, id_or_name)

    @locked
    def set_env(self, project: str, key: str, value: str | None = None, *, target: list[str] | None = None,
                type: str | None = None) -> dict:  # noqa: A002 - Vercel's field name
        """Add a variable, or edit the one with this key: its value, targets or type, as in the dashboard.
        Re-setting a sensitive value gives a new fingerprint and a later updatedAt."""
        p = self._dashboard_project(project)
        matches = [v for v in p.envs.values() if v.key == key]
        if len(matches) > 1:
            raise ValueError(f"{len(matches)} variables are named {key}: edit one by id through the API")
        body = {k: v for k, v in (("value", value), ("target", target), ("type", type)) if v is not None}
        if matches:
            v = self._edit_env(p, matches[0], body)
        else:
            v = self._insert_env(p, {"key": key, "type": "encrypted", "target": ["production"], **body})
        return self._env_state(v)

    @locked
    def remove_env(self, project: str, key: str) -> None:
        p = self._dashboard_project(project)
        for v in [v for v in p.envs.values() if v.key == key] or [None]:
            if v is None:
                raise errors.not_found("Environment Variable not found")
            del p.envs[v.id]

    @locked
    def add_domain(self, project: str, name: str, *, misconfigured: bool = False) -> dict:
        d = self._insert_domain(self._dashboard_project(project), {"name": name})
        d.misconfigured = misconfigured
        return shapes.domain(d)

    @locked
    def remove_domain(self, project: str, name: str) -> None:
        p = self._dashboard_project(project)
        p.domains.pop(self._domain(p, name).name)

    # ---- inspection ---------------------------------------------------------------------------

    def fingerprint(self, value: str | bytes) -> str:
        """The fingerprint the double keeps for a variable whose value is `value`."""
        return self._fingerprint(value)

    @locked
    def env_matches(self, project: str, key: str, value: str | bytes) -> bool:
        """True when a variable `key` of the project (id or name, any account) holds exactly `value`."""
        wanted = self._fingerprint(value)
        return any(v.key == key and v.fingerprint == wanted
                   for p in self._projects.values() if project in (p.id, p.name) for v in p.envs.values())

    @staticmethod
    def _env_state(v: EnvVar) -> dict:
        state = {"id": v.id, "key": v.key, "type": v.type, "target": list(v.target),
                 "customEnvironmentIds": list(v.custom_environment_ids), "gitBranch": v.git_branch,
                 "createdAt": v.created_at, "updatedAt": v.updated_at, "fingerprint": v.fingerprint}
        if v.type != "sensitive":
            state["value"] = v.value
        return state

    @locked
    def state(self) -> dict:
        """Everything the double holds, sensitive values as fingerprints only. Projects keyed by name;
        env vars by key (a list: one key may exist once per target)."""
        projects = {}
        for p in self._projects.values():
            envs: dict[str, list] = {}
            for v in sorted(p.envs.values(), key=lambda v: v.created_at):
                envs.setdefault(v.key, []).append(self._env_state(v))
            projects[p.name] = {
                **self._project_json(p), "env": envs,
                "domains": {d.name: shapes.domain(d) for d in p.domains.values()},
                "customEnvironments": {c.slug: shapes.custom_environment(c) for c in p.custom_envs.values()}}
        return {"plan": self.plan, "user_id": self.user_id,
                "team": shapes.team(self.team, self.user_id) if self.team else None, "projects": projects}


def _object(body) -> dict:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise errors.bad_request("Invalid request: the body must be a JSON object.")
    return body


def _int(raw, default, name: str):
    if raw is None or raw == "":
        return default
    try:
        number = int(raw)
    except (TypeError, ValueError):
        raise errors.bad_request(f"Invalid request: `{name}` must be a number.") from None
    if number < 0 or (name == "limit" and not 1 <= number <= 100):
        raise errors.bad_request(f"Invalid request: `{name}` is out of range.")
    return number
