"""Deployments and their statuses, created two ways, as on GitHub:

- a workflow job that names an environment (the control API's `jobs`, what a runner would do): the
  environment's protection rules apply first: deployment branch policy, required reviewers (a pending
  deployment that a reviewer approves or rejects; never whoever triggered the run when
  prevent_self_review is on), wait timer; then the job creates a deployment for its ref and SHA and
  statuses that track it (docs "Deployments and environments" [DE], "Reviewing deployments" [RD],
  "environment" in workflow syntax [EV]). A missing environment is created without rules [c36].
- the REST API (POST /repos/{o}/{r}/deployments and .../statuses): no environment protection rule
  applies to API deployments [c24], so a disallowed branch still gets its deployment [inf.].

`required_deployments` counts, for each named environment, the latest deployment of the pull
request's head SHA [c28] whose latest status is `success` [inf.]; with `auto_inactive` (default) a
later success in the environment marks earlier ones inactive [OA], so only the environment's latest
success counts [c30].
"""

from __future__ import annotations

from . import errors, refmatch, shapes
from .clock import rfc3339

DEPLOY_DOCS = "https://docs.github.com/rest/deployments/deployments"
STATUS_DOCS = "https://docs.github.com/rest/deployments/statuses"
RUNS_DOCS = "https://docs.github.com/rest/actions/workflow-runs#review-pending-deployments-for-a-workflow-run"
STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")


# ---- deployments and statuses ------------------------------------------------------------------

def _environment(flow, name: str):
    """The environment, created without protection rules when it does not exist yet [c36]."""
    store = flow.store
    env = store._environments.get(name.casefold())
    return env if env is not None else store._upsert_environment(name, {})


def new_deployment(flow, actor: str, *, ref: str, sha: str, environment: str, task: str = "deploy",
                   payload=None, description: str | None = None, transient: bool = False,
                   production: bool | None = None) -> dict:
    env = _environment(flow, environment)
    stamp = flow.now()
    deployment = {"id": flow.next_id(), "sha": sha, "ref": ref, "task": task, "payload": payload or {},
                  "environment": env.name, "description": description, "creator": flow.login(actor),
                  "created_at": stamp, "updated_at": stamp, "transient": transient,
                  # production_environment defaults to true for an environment named production [OA].
                  "production": env.name == "production" if production is None else production,
                  "statuses": []}
    flow.deployments[deployment["id"]] = deployment
    return deployment


def add_status(flow, actor: str, deployment: dict, state: str, *, target_url: str = "",
               environment_url: str = "", description: str = "", auto_inactive: bool = True) -> dict:
    if state not in STATES:
        raise errors.invalid_request(f"For 'state', {state!r} is not one of {list(STATES)}.", STATUS_DOCS)
    stamp = flow.now()
    status = {"id": flow.next_id(), "state": state, "creator": flow.login(actor), "description": description,
              "environment": deployment["environment"], "target_url": target_url, "log_url": target_url,
              "environment_url": environment_url, "created_at": stamp, "updated_at": stamp}
    deployment["statuses"].append(status)
    deployment["updated_at"] = stamp
    if state == "success" and auto_inactive and not deployment["transient"] and not deployment["production"]:
        # auto_inactive: earlier successful deployments of this environment become inactive [OA].
        for other in flow.deployments.values():
            if (other is not deployment and other["environment"] == deployment["environment"]
                    and other["statuses"] and other["statuses"][-1]["state"] == "success"):
                other["statuses"].append(dict(status, id=flow.next_id(), state="inactive"))
    return status


def state_of(deployment: dict) -> str | None:
    return deployment["statuses"][-1]["state"] if deployment["statuses"] else None


def deployment_lines(flow, sha: str, environments: list[str]) -> list[str]:
    lines = []
    for name in environments:
        mine = [d for d in flow.deployments.values()
                if d["environment"].casefold() == name.casefold() and d["sha"] == sha]
        if not mine or state_of(mine[-1]) != "success":
            lines.append(f'Changes must be successfully deployed to "{name}" before merging.')  # wording [guess]
    return lines


def deployment_json(flow, deployment: dict) -> dict:
    store = flow.store
    url = f"{store.api_url}/repos/{store.full_name}/deployments/{deployment['id']}"
    return {"url": url, "id": deployment["id"], "node_id": shapes.node_id("Deployment", deployment["id"]),
            "sha": deployment["sha"], "ref": deployment["ref"], "task": deployment["task"],
            "payload": deployment["payload"], "original_environment": deployment["environment"],
            "environment": deployment["environment"], "description": deployment["description"],
            "creator": flow.user_json(deployment["creator"]), "created_at": deployment["created_at"],
            "updated_at": deployment["updated_at"], "statuses_url": f"{url}/statuses",
            "repository_url": f"{store.api_url}/repos/{store.full_name}",
            "transient_environment": deployment["transient"], "production_environment": deployment["production"]}


def status_json(flow, deployment: dict, status: dict) -> dict:
    store = flow.store
    url = f"{store.api_url}/repos/{store.full_name}/deployments/{deployment['id']}"
    return {"url": f"{url}/statuses/{status['id']}", "id": status["id"],
            "node_id": shapes.node_id("DeploymentStatus", status["id"]), "state": status["state"],
            "creator": flow.user_json(status["creator"]), "description": status["description"],
            "environment": status["environment"], "target_url": status["target_url"],
            "created_at": status["created_at"], "updated_at": status["updated_at"], "deployment_url": url,
            "repository_url": f"{store.api_url}/repos/{store.full_name}",
            "environment_url": status["environment_url"], "log_url": status["log_url"]}


def get(flow, deployment_id: int) -> dict:
    if deployment_id not in flow.deployments:
        raise errors.not_found(DEPLOY_DOCS)
    return flow.deployments[deployment_id]


def listing(flow, query: dict) -> list[dict]:
    found = [d for d in flow.deployments.values()
             if all(not query.get(key) or str(d[key]).casefold() == query[key].casefold()
                    for key in ("sha", "ref", "task", "environment"))]
    return [deployment_json(flow, d) for d in reversed(found)]  # newest first


def create_via_api(flow, actor: str, body) -> dict:
    """POST /deployments: no environment protection rule applies [c24]; required_contexts apply [OA]."""
    body = body if isinstance(body, dict) else {}
    ref = body.get("ref")
    if not isinstance(ref, str) or not ref:
        raise errors.invalid_request("'ref' is a required string.", DEPLOY_DOCS)
    sha = flow.repo.resolve(ref if ref.startswith("refs/") else ref)
    if sha is None:
        raise errors.validation_failed("Deployment", "ref", "invalid", f"No ref found for: {ref}", DEPLOY_DOCS)
    from .checks import passing
    required = body.get("required_contexts")
    contexts = required if isinstance(required, list) else sorted({s["context"] for s in flow.statuses if s["sha"] == sha})
    if any(passing(flow, sha, context) is not True for context in contexts):
        # [OA] 409 Conflict when a required context is not successful; wording after [c25].
        raise errors.basic(409, f"Conflict: Commit status checks failed for {ref}.", DEPLOY_DOCS)
    deployment = new_deployment(flow, actor, ref=ref, sha=sha, environment=body.get("environment") or "production",
                                task=body.get("task") or "deploy", payload=body.get("payload"),
                                description=body.get("description"),
                                transient=bool(body.get("transient_environment")),
                                production=body.get("production_environment"))
    return deployment_json(flow, deployment)


def create_status_via_api(flow, actor: str, deployment_id: int, body) -> dict:
    body = body if isinstance(body, dict) else {}
    deployment = get(flow, deployment_id)
    status = add_status(flow, actor, deployment, body.get("state"), target_url=body.get("target_url") or "",
                        environment_url=body.get("environment_url") or "",
                        description=body.get("description") or "", auto_inactive=body.get("auto_inactive", True))
    return status_json(flow, deployment, status)


# ---- workflow jobs that name an environment -----------------------------------------------------

def _short(ref: str) -> tuple[str, str]:
    """("branch"|"tag", name) of a ref."""
    if ref.startswith("refs/tags/"):
        return "tag", ref.removeprefix("refs/tags/")
    return "branch", ref.removeprefix("refs/heads/")


def branch_allowed(flow, env, ref: str) -> bool:
    """The environment's deployment branch policy [DE][ME]."""
    policy = env.deployment_branch_policy
    if not policy:
        return True
    kind, name = _short(ref)
    if policy.get("protected_branches"):
        # Only protected branches; when no branch is protected, every branch [DE]. A branch counts as
        # protected when an active branch ruleset targets it [inf.]; tags never do [inf.].
        protected = [r for r in flow.store._rulesets.values()
                     if r["enforcement"] == "active" and r.get("target", "branch") == "branch"]
        if kind == "tag":
            return False
        return not protected or any(refmatch.ruleset_targets(r, ref, flow.repo.default_branch) for r in protected)
    return any(p["type"] == kind and refmatch.fnmatch_path(p["name"], name) for p in env.branch_policies.values())


def start_job(flow, body) -> dict:
    """POST /_double/jobs {actor, environment, ref, sha?, url?, result?}: a job with `environment:`; result
    success (default), failure, or running (finished later by finish_job)."""
    body = body if isinstance(body, dict) else {}
    for key in ("actor", "environment", "ref"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise errors.invalid_request(f"'{key}' is a required string.")
    actor = flow.login(body["actor"])
    ref = body["ref"] if body["ref"].startswith("refs/") else f"refs/heads/{body['ref']}"
    sha = flow.require_repo_sha(body.get("sha") or ref)
    env = _environment(flow, body["environment"])
    run = {"id": flow.next_id(), "actor": actor, "environment": env.name, "ref": ref, "sha": sha,
           "url": body.get("url") or "", "result": body.get("result") or "success", "status": "queued",
           "conclusion": None, "message": None, "wait_timer_started_at": None, "wait_until": None,
           "review": None, "deployment_id": None}
    flow.runs[run["id"]] = run
    if not branch_allowed(flow, env, ref):
        kind, name = _short(ref)
        # [c24]; the tag wording is [guess].
        return _finish(run, "failure", f'{kind.capitalize()} "{name}" is not allowed to deploy to {env.name} '
                                       "due to environment protection rules.")
    if env.reviewers:
        run["status"] = "waiting"  # a pending deployment: a reviewer approves or rejects it [RD]
        return dict(run)
    _after_review(flow, run, env)
    return dict(run)


def _finish(run: dict, conclusion: str, message: str | None = None) -> dict:
    run.update(status="completed", conclusion=conclusion, message=message)
    return dict(run)


def _after_review(flow, run: dict, env) -> None:
    if env.wait_timer:
        # The timer starts once the reviewers approved (or at once without reviewers) [DE].
        now = flow.store._clock.seconds()
        run.update(status="waiting", wait_timer_started_at=rfc3339(now), wait_until=now + env.wait_timer * 60)
        return
    _deploy(flow, run)


def _deploy(flow, run: dict) -> None:
    """The job runs: a deployment for its ref and SHA, and statuses that track the job [EV]. A job whose
    result is `running` (one that really runs elsewhere: a workflow under act) stays in progress until
    `finish_job` records how it ended."""
    deployment = new_deployment(flow, run["actor"], ref=_short(run["ref"])[1], sha=run["sha"],
                                environment=run["environment"])
    run["deployment_id"] = deployment["id"]
    add_status(flow, run["actor"], deployment, "in_progress", environment_url=run["url"])
    if run["result"] == "running":
        run["status"] = "in_progress"
        return
    add_status(flow, run["actor"], deployment, run["result"], environment_url=run["url"])
    _finish(run, run["result"])


def finish_job(flow, run_id: int, body) -> dict:
    """POST /_double/jobs/{id}/finish {conclusion: success|failure}: the job of a `running` run ended; its
    deployment gets the matching status [EV]."""
    run = get_run(flow, run_id)
    conclusion = (body or {}).get("conclusion") if isinstance(body, dict) else None
    if conclusion not in ("success", "failure"):
        raise errors.invalid_request("'conclusion' must be success or failure.")
    if run["status"] != "in_progress":
        raise errors.validation_failed("Job", "status", "invalid", f"the job is {run['status']}, not in progress.")
    add_status(flow, run["actor"], flow.deployments[run["deployment_id"]], conclusion, environment_url=run["url"])
    return _finish(run, conclusion)


def progress(flow) -> None:
    """Runs whose wait timer ran out start (called whenever the clock moves or runs are read)."""
    now = flow.store._clock.seconds()
    for run in flow.runs.values():
        if run["status"] == "waiting" and run["wait_until"] is not None and now >= run["wait_until"]:
            _deploy(flow, run)


def get_run(flow, run_id: int) -> dict:
    progress(flow)
    if run_id not in flow.runs:
        raise errors.not_found(RUNS_DOCS)
    return flow.runs[run_id]


def pending_deployments(flow, actor: str, run_id: int) -> list[dict]:
    run = get_run(flow, run_id)
    if run["status"] != "waiting":
        return []
    env = _environment(flow, run["environment"])
    store = flow.store
    return [{"environment": {"id": env.id, "node_id": shapes.node_id("Environment", env.id), "name": env.name,
                             "url": f"{store.api_url}/repos/{store.full_name}/environments/{env.name}",
                             "html_url": f"{shapes.GITHUB}/{store.full_name}/deployments/activity_log"},
             "wait_timer": env.wait_timer, "wait_timer_started_at": run["wait_timer_started_at"],
             "current_user_can_approve": run["wait_until"] is None and can_review(flow, env, run, actor),
             "reviewers": [store._reviewer_json(r) for r in env.reviewers]}]


def can_review(flow, env, run: dict, actor: str) -> bool:
    if flow.user_id(actor) not in {r["id"] for r in env.reviewers}:
        return False
    # prevent_self_review: whoever triggered the run cannot approve it [ME][RD][c26].
    return not (env.prevent_self_review and actor.casefold() == run["actor"].casefold())


def review_pending(flow, actor: str, run_id: int, body) -> list[dict]:
    """POST .../actions/runs/{id}/pending_deployments {environment_ids, state, comment} [OA]."""
    body = body if isinstance(body, dict) else {}
    if body.get("state") not in ("approved", "rejected") or not isinstance(body.get("environment_ids"), list):
        raise errors.invalid_request("'environment_ids' (array) and 'state' (approved|rejected) are required.",
                                     RUNS_DOCS)
    run = get_run(flow, run_id)
    env = _environment(flow, run["environment"])
    if run["status"] != "waiting" or run["wait_until"] is not None or env.id not in body["environment_ids"]:
        # Nothing of this run waits on this environment's reviewers; status and wording [guess].
        raise errors.validation_failed("PendingDeployment", "environment_ids", "invalid",
                                       "No pending deployment for these environments.", RUNS_DOCS)
    login = flow.login(actor)
    if not can_review(flow, env, run, login):
        # [guess] status and wording: GitHub's UI only hides the approve button (current_user_can_approve).
        raise errors.validation_failed("PendingDeployment", "environment_ids", "invalid",
                                       f"{login} cannot review deployments to {env.name} of this run.", RUNS_DOCS)
    run["review"] = {"user": login, "state": body["state"], "comment": body.get("comment") or ""}
    if body["state"] == "rejected":
        _finish(run, "failure", f"Deployment to {env.name} rejected by {login}.")  # no deployment [inf.]
        return []
    _after_review(flow, run, env)
    deployment = flow.deployments.get(run["deployment_id"])
    return [deployment_json(flow, deployment)] if deployment else []
