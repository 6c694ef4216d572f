"""GitHub REST routes the provider uses (shared/notes/github-api.md), under /api/v3 (GHES mode).

A repository is addressed as /repos/{owner}/{repo} or, as go-github does for environment secrets and
(in older releases) variables, as /repositories/{repository_id}: both reach the same routes.
"""

from __future__ import annotations

from .router import Router
from .store import Store

api = Router()
ENV = "repos/{owner}/{repo}/environments/{env}"


def canonical(store: Store, parts: list[str]) -> list[str]:
    """Rewrite /repositories/{id}/... as /repos/{owner}/{repo}/... (an unknown id then answers 404)."""
    if len(parts) >= 2 and parts[0] == "repositories":
        owner, repo = store.repo_for_id(parts[1]) or ("", "")
        return ["repos", owner, repo, *parts[2:]]
    return parts


@api.route("GET", "user")
def authenticated_user(store: Store, p, body):
    return 200, store.authenticated_user()


@api.route("GET", "users/{login}")
def user(store: Store, p, body):
    return 200, store.user(p["login"])


@api.route("GET", "users/{login}/gpg_keys")
def gpg_keys(store: Store, p, body):
    return 200, store.user_keys(p["login"])


@api.route("GET", "users/{login}/keys")
def ssh_keys(store: Store, p, body):
    return 200, store.user_keys(p["login"])


@api.route("GET", "orgs/{org}")
def organization(store: Store, p, body):
    return 200, store.organization(p["org"])


@api.route("GET", "repos/{owner}/{repo}")
def repository(store: Store, p, body):
    return 200, store.repository()


# ---- rulesets (?includes_parents is ignored: a lone repository has no parents) ----

@api.route("GET", "repos/{owner}/{repo}/rulesets")
def list_rulesets(store: Store, p, body):
    return 200, store.list_rulesets()


@api.route("POST", "repos/{owner}/{repo}/rulesets")
def create_ruleset(store: Store, p, body):
    return 201, store.create_ruleset(body)


@api.route("GET", "repos/{owner}/{repo}/rulesets/{ruleset_id}")
def get_ruleset(store: Store, p, body):
    return 200, store.get_ruleset(p["ruleset_id"])


@api.route("PUT", "repos/{owner}/{repo}/rulesets/{ruleset_id}")
def update_ruleset(store: Store, p, body):
    return 200, store.update_ruleset(p["ruleset_id"], body)


@api.route("DELETE", "repos/{owner}/{repo}/rulesets/{ruleset_id}")
def delete_ruleset(store: Store, p, body):
    store.delete_ruleset(p["ruleset_id"])
    return 204, None


# ---- environments ----

@api.route("GET", "repos/{owner}/{repo}/environments")
def list_environments(store: Store, p, body):
    return 200, store.list_environments()


@api.route("GET", ENV)
def get_environment(store: Store, p, body):
    return 200, store.get_environment(p["env"])


@api.route("PUT", ENV)
def put_environment(store: Store, p, body):
    return 200, store.put_environment(p["env"], body if body is not None else {})


@api.route("DELETE", ENV)
def delete_environment(store: Store, p, body):
    store.delete_environment(p["env"])
    return 204, None


# ---- deployment branch policies ----

@api.route("GET", ENV + "/deployment-branch-policies")
def list_branch_policies(store: Store, p, body):
    return 200, store.list_branch_policies(p["env"])


@api.route("POST", ENV + "/deployment-branch-policies")
def create_branch_policy(store: Store, p, body):
    return store.create_branch_policy(p["env"], body)


@api.route("GET", ENV + "/deployment-branch-policies/{policy_id}")
def get_branch_policy(store: Store, p, body):
    return 200, store.get_branch_policy(p["env"], p["policy_id"])


@api.route("PUT", ENV + "/deployment-branch-policies/{policy_id}")
def update_branch_policy(store: Store, p, body):
    return 200, store.update_branch_policy(p["env"], p["policy_id"], body)


@api.route("DELETE", ENV + "/deployment-branch-policies/{policy_id}")
def delete_branch_policy(store: Store, p, body):
    store.delete_branch_policy(p["env"], p["policy_id"])
    return 204, None


# ---- repository secrets: listed by the audit (deploy.yml's stages inherit them), deleted by its fix ----

@api.route("GET", "repos/{owner}/{repo}/actions/secrets")
def list_repository_secrets(store: Store, p, body):
    return 200, store.list_repository_secrets()


@api.route("DELETE", "repos/{owner}/{repo}/actions/secrets/{name}")
def delete_repository_secret(store: Store, p, body):
    store.delete_repository_secret(p["name"])
    return 204, None


# ---- environment secrets (public-key first: it is not a secret name) ----

@api.route("GET", ENV + "/secrets/public-key")
def public_key(store: Store, p, body):
    return 200, store.public_key(p["env"])


@api.route("GET", ENV + "/secrets")
def list_secrets(store: Store, p, body):
    return 200, store.list_secrets(p["env"])


@api.route("GET", ENV + "/secrets/{name}")
def get_secret(store: Store, p, body):
    return 200, store.get_secret(p["env"], p["name"])


@api.route("PUT", ENV + "/secrets/{name}")
def put_secret(store: Store, p, body):
    created = store.put_secret(p["env"], p["name"], body)
    return (201, {}) if created else (204, None)


@api.route("DELETE", ENV + "/secrets/{name}")
def delete_secret(store: Store, p, body):
    store.delete_secret(p["env"], p["name"])
    return 204, None


# ---- environment variables ----

@api.route("GET", ENV + "/variables")
def list_variables(store: Store, p, body):
    return 200, store.list_variables(p["env"])


@api.route("POST", ENV + "/variables")
def create_variable(store: Store, p, body):
    store.create_variable(p["env"], body)
    return 201, {}


@api.route("GET", ENV + "/variables/{name}")
def get_variable(store: Store, p, body):
    return 200, store.get_variable(p["env"], p["name"])


@api.route("PATCH", ENV + "/variables/{name}")
def update_variable(store: Store, p, body):
    store.update_variable(p["env"], p["name"], body)
    return 204, None


@api.route("DELETE", ENV + "/variables/{name}")
def delete_variable(store: Store, p, body):
    store.delete_variable(p["env"], p["name"])
    return 204, None
