"""REST routes of the flow (pull requests, reviews, statuses, check runs, deployments, workflow run
reviews, releases, git refs) and their control-API companions. Registered on the same routers as
api.py and control.py; every handler runs under the store's lock and knows its actor (the token's
user: accounts.py).
"""

from __future__ import annotations

import functools

from . import accounts, checks, deployments, errors, merge, pulls, releases, reviews
from .api import api
from .control import control

REPO = "repos/{owner}/{repo}"


def _route(router, method: str, pattern: str):
    """Register a handler(flow, actor, params, body) under the store's lock."""
    def register(handler):
        @functools.wraps(handler)
        def call(store, params, body):
            with store._lock:
                actor = store.flow.actor_for_token(accounts.bearer(params.get("_auth")))
                return handler(store.flow, actor, params, body)
        router.route(method, pattern)(call)
        return handler
    return register


def _query(params) -> dict:
    return params.get("_query") or {}


# ---- pull requests --------------------------------------------------------------------------------

@_route(api, "POST", REPO + "/pulls")
def create_pull(flow, actor, p, body):
    return 201, pulls.create(flow, actor, body)


@_route(api, "GET", REPO + "/pulls")
def list_pulls(flow, actor, p, body):
    return 200, pulls.listing(flow, _query(p))


@_route(api, "GET", REPO + "/pulls/{number}")
def get_pull(flow, actor, p, body):
    return 200, pulls.to_json(flow, pulls.get(flow, _number(p["number"])))


@_route(api, "PUT", REPO + "/pulls/{number}/merge")
def merge_pull(flow, actor, p, body):
    return 200, merge.merge(flow, actor, _number(p["number"]), body)


@_route(api, "GET", REPO + "/pulls/{number}/merge")
def is_merged(flow, actor, p, body):
    # 204 when merged, 404 otherwise (REST "Check if a pull request has been merged").
    if pulls.get(flow, _number(p["number"]))["merged"]:
        return 204, None
    raise errors.not_found(pulls.PULLS_DOCS + "#check-if-a-pull-request-has-been-merged")


@_route(api, "POST", REPO + "/pulls/{number}/reviews")
def create_review(flow, actor, p, body):
    return 200, reviews.submit(flow, actor, pulls.get(flow, _number(p["number"])), body)


@_route(api, "GET", REPO + "/pulls/{number}/reviews")
def list_reviews(flow, actor, p, body):
    pull = pulls.get(flow, _number(p["number"]))
    return 200, [reviews.to_json(flow, r) for r in flow.reviews[pull["number"]]]


@_route(api, "PUT", REPO + "/pulls/{number}/reviews/{review_id}/dismissals")
def dismiss_review(flow, actor, p, body):
    return 200, reviews.dismiss(flow, pulls.get(flow, _number(p["number"])), p["review_id"])


def _number(text: str) -> int:
    if not text.isdigit():
        raise errors.not_found(pulls.PULLS_DOCS)
    return int(text)


# ---- statuses and check runs -------------------------------------------------------------------

@_route(api, "POST", REPO + "/statuses/{sha}")
def create_status(flow, actor, p, body):
    return 201, checks.create_status(flow, actor, p["sha"], body)


@_route(api, "GET", REPO + "/commits/{ref*}")
def commit_reads(flow, actor, p, body):
    # /commits/{ref}/statuses, /status and /check-runs; a ref may hold slashes, so one route splits.
    ref, _, what = p["ref"].rpartition("/")
    target = ref if ref.startswith("refs/") or len(ref) == 40 else f"refs/heads/{ref}"
    if flow.repo.resolve(target) is None and flow.repo.resolve(f"refs/tags/{ref}"):
        target = f"refs/tags/{ref}"
    if what == "statuses":
        return 200, checks.statuses_for(flow, target)
    if what == "status":
        return 200, checks.combined_status(flow, target)
    if what == "check-runs":
        return 200, checks.check_runs_for(flow, target)
    raise errors.not_implemented("GET", f"/commits/{p['ref']}")


@_route(api, "POST", REPO + "/check-runs")
def create_check_run(flow, actor, p, body):
    return 201, checks.create_check_run(flow, actor, body)


# ---- deployments ----------------------------------------------------------------------------

@_route(api, "GET", REPO + "/deployments")
def list_deployments(flow, actor, p, body):
    return 200, deployments.listing(flow, _query(p))


@_route(api, "POST", REPO + "/deployments")
def create_deployment(flow, actor, p, body):
    return 201, deployments.create_via_api(flow, actor, body)


@_route(api, "GET", REPO + "/deployments/{deployment_id}")
def get_deployment(flow, actor, p, body):
    return 200, deployments.deployment_json(flow, deployments.get(flow, p["deployment_id"]))


@_route(api, "GET", REPO + "/deployments/{deployment_id}/statuses")
def list_deployment_statuses(flow, actor, p, body):
    deployment = deployments.get(flow, p["deployment_id"])
    return 200, [deployments.status_json(flow, deployment, s) for s in reversed(deployment["statuses"])]


@_route(api, "POST", REPO + "/deployments/{deployment_id}/statuses")
def create_deployment_status(flow, actor, p, body):
    return 201, deployments.create_status_via_api(flow, actor, p["deployment_id"], body)


@_route(api, "GET", REPO + "/actions/runs/{run_id}/pending_deployments")
def get_pending_deployments(flow, actor, p, body):
    return 200, deployments.pending_deployments(flow, actor, p["run_id"])


@_route(api, "POST", REPO + "/actions/runs/{run_id}/pending_deployments")
def review_pending_deployments(flow, actor, p, body):
    return 200, deployments.review_pending(flow, actor, p["run_id"], body)


# ---- releases and refs ------------------------------------------------------------------------

@_route(api, "POST", REPO + "/releases")
def create_release(flow, actor, p, body):
    return 201, releases.create_release(flow, actor, body)


@_route(api, "GET", REPO + "/releases")
def list_releases(flow, actor, p, body):
    return 200, releases.list_releases(flow)


@_route(api, "GET", REPO + "/releases/tags/{tag*}")
def release_by_tag(flow, actor, p, body):
    return 200, releases.release_by_tag(flow, p["tag"])


@_route(api, "GET", REPO + "/releases/{release_id}")
def release_by_id(flow, actor, p, body):
    return 200, releases.release_by_id(flow, p["release_id"])


@_route(api, "GET", REPO + "/git/ref/{ref*}")
def get_ref(flow, actor, p, body):
    return 200, releases.get_ref(flow, p["ref"])


@_route(api, "GET", REPO + "/git/matching-refs/{ref*}")
def matching_refs(flow, actor, p, body):
    return 200, releases.matching_refs(flow, p["ref"])


@_route(api, "POST", REPO + "/git/refs")
def create_ref(flow, actor, p, body):
    return 201, releases.create_ref(flow, actor, body)


@_route(api, "PATCH", REPO + "/git/refs/{ref*}")
def update_ref(flow, actor, p, body):
    return 200, releases.update_ref(flow, actor, p["ref"], body)


@_route(api, "DELETE", REPO + "/git/refs/{ref*}")
def delete_ref(flow, actor, p, body):
    releases.delete_ref(flow, actor, p["ref"])
    return 204, None


# ---- control API: what runners, hooks and tests do ------------------------------------------------

@_route(control, "POST", "git/receive")
def receive(flow, actor, p, body):
    """The proc-receive hook's call: {actor, updates: [{old, new, ref}]} -> {results, messages}."""
    return 200, flow.receive(body["actor"], body["updates"])


@_route(control, "POST", "jobs")
def start_job(flow, actor, p, body):
    return 201, deployments.start_job(flow, body)


@_route(control, "POST", "jobs/{run_id}/finish")
def finish_job(flow, actor, p, body):
    return 200, deployments.finish_job(flow, p["run_id"], body)


@_route(control, "GET", "jobs/{run_id}")
def get_job(flow, actor, p, body):
    return 200, dict(deployments.get_run(flow, p["run_id"]))


@_route(control, "POST", "clock/advance")
def advance_clock(flow, actor, p, body):
    flow.store._clock.advance(int((body or {}).get("seconds", 0)))
    deployments.progress(flow)
    return 204, None


@_route(control, "POST", "tokens")
def token(flow, actor, p, body):
    login = flow.login((body or {}).get("login") or "")
    return 200, {"login": login, "token": accounts.token_for(login)}


@_route(control, "PUT", "roles/{login}")
def set_role(flow, actor, p, body):
    role = (body or {}).get("role")
    if role not in accounts.ROLES:
        raise errors.invalid_request(f"'role' is one of {list(accounts.ROLES)}.")
    flow.roles[flow.login(p["login"]).casefold()] = role
    return 200, {"login": flow.login(p["login"]), "role": role}
