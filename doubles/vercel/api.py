"""Vercel REST routes: what terraform-provider-vercel (vendored, commit c8a6711: client/*.go) and our drift
audit (audit/listings.py) call for projects, env vars, domains, custom environments and the team.

Several API versions reach one handler: the provider creates projects on /v8, reads them on /v10, lists env
vars on /v8 and reads one on /v10; the audit lists on /v10; the SDK (@vercel/sdk) uses /v9-/v11.
`?teamId=` (id or slug) scopes every route but the team lookup; without it a route acts on the personal account.
"""

from __future__ import annotations

from .router import Request, Router
from .store import Store

api = Router()
P = "projects/{project}"


@api.route("GET", "v2/teams/{team}")
def get_team(store: Store, r: Request):
    return 200, store.get_team(r.params["team"])


# ---- projects (client/project.go) ----

@api.route("POST", "v8/projects", "v10/projects", "v11/projects")
def create_project(store: Store, r: Request):
    return 200, store.create_project(r.scope, r.body)


@api.route("GET", f"v8/{P}", f"v9/{P}", f"v10/{P}")
def get_project(store: Store, r: Request):
    return 200, store.get_project(r.scope, r.params["project"])


@api.route("PATCH", f"v9/{P}")
def update_project(store: Store, r: Request):
    return 200, store.update_project(r.scope, r.params["project"], r.body)


@api.route("DELETE", f"v8/{P}", f"v9/{P}")
def delete_project(store: Store, r: Request):
    store.delete_project(r.scope, r.params["project"])
    return 204, None


@api.route("PATCH", f"v9/{P}/branch")
def production_branch(store: Store, r: Request):
    return 200, store.set_production_branch(r.scope, r.params["project"], r.body)


@api.route("POST", f"v9/{P}/link")
def link(store: Store, r: Request):
    return 200, store.link_repository(r.scope, r.params["project"], r.body)


@api.route("DELETE", f"v9/{P}/link")
def unlink(store: Store, r: Request):
    return 200, store.unlink_repository(r.scope, r.params["project"])


# ---- environment variables (client/environment_variable.go) ----

@api.route("GET", f"v8/{P}/env", f"v9/{P}/env", f"v10/{P}/env")
def list_envs(store: Store, r: Request):
    return 200, store.list_envs(r.scope, r.params["project"], r.query)


@api.route("POST", f"v10/{P}/env")
def create_env(store: Store, r: Request):
    # 201 as the published model says; the provider accepts any 2xx.
    return 201, store.create_env(r.scope, r.params["project"], r.body)


@api.route("GET", f"v1/{P}/env/{{env_id}}", f"v10/{P}/env/{{env_id}}")
def get_env(store: Store, r: Request):
    return 200, store.get_env(r.scope, r.params["project"], r.params["env_id"])


@api.route("PATCH", f"v9/{P}/env/{{env_id}}", f"v10/{P}/env/{{env_id}}")
def edit_env(store: Store, r: Request):
    return 200, store.edit_env(r.scope, r.params["project"], r.params["env_id"], r.body)


@api.route("DELETE", f"v8/{P}/env/{{env_id}}", f"v9/{P}/env/{{env_id}}", f"v10/{P}/env/{{env_id}}")
def delete_env(store: Store, r: Request):
    return 200, store.delete_env(r.scope, r.params["project"], r.params["env_id"])


# ---- project domains (client/project_domain.go, client/domain_config.go) ----

@api.route("POST", f"v10/{P}/domains")
def add_domain(store: Store, r: Request):
    return 200, store.add_project_domain(r.scope, r.params["project"], r.body)


@api.route("GET", f"v9/{P}/domains")
def list_domains(store: Store, r: Request):
    return 200, store.list_project_domains(r.scope, r.params["project"], r.query)


@api.route("GET", f"v9/{P}/domains/{{domain}}")
def get_domain(store: Store, r: Request):
    return 200, store.get_project_domain(r.scope, r.params["project"], r.params["domain"])


@api.route("PATCH", f"v9/{P}/domains/{{domain}}")
def update_domain(store: Store, r: Request):
    return 200, store.update_project_domain(r.scope, r.params["project"], r.params["domain"], r.body)


@api.route("DELETE", f"v9/{P}/domains/{{domain}}")
def delete_domain(store: Store, r: Request):
    return 200, store.delete_project_domain(r.scope, r.params["project"], r.params["domain"])


@api.route("GET", "v6/domains/{domain}/config")
def domain_config(store: Store, r: Request):
    return 200, store.domain_config(r.scope, r.params["domain"], r.query)


# ---- custom environments (client/custom_environment.go: /v1; the SDK: /v9) ----

CUSTOM = f"{P}/custom-environments"


@api.route("POST", f"v1/{CUSTOM}", f"v9/{CUSTOM}")
def create_custom_environment(store: Store, r: Request):
    return 201, store.create_custom_environment(r.scope, r.params["project"], r.body)


@api.route("GET", f"v1/{CUSTOM}/{{slug}}", f"v9/{CUSTOM}/{{slug}}")
def get_custom_environment(store: Store, r: Request):
    return 200, store.get_custom_environment(r.scope, r.params["project"], r.params["slug"])


@api.route("PATCH", f"v1/{CUSTOM}/{{slug}}", f"v9/{CUSTOM}/{{slug}}")
def update_custom_environment(store: Store, r: Request):
    return 200, store.update_custom_environment(r.scope, r.params["project"], r.params["slug"], r.body)


@api.route("DELETE", f"v1/{CUSTOM}/{{slug}}", f"v9/{CUSTOM}/{{slug}}")
def delete_custom_environment(store: Store, r: Request):
    store.delete_custom_environment(r.scope, r.params["project"], r.params["slug"])
    return 204, None
