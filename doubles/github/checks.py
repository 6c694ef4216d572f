"""Commit statuses and check runs, and what `required_status_checks` asks of them.

REST "Commit statuses" (POST /repos/{o}/{r}/statuses/{sha}: state error|failure|pending|success) and
"Check runs" (POST /repos/{o}/{r}/check-runs). A required check's `context` is matched against a
status's context or a check run's name [TR][OA]; a skipped or neutral check run passes [PB]; the
latest status of a context counts. `integration_id` is not checked: the double has no apps [inf.].
"""

from __future__ import annotations

from . import errors, shapes

STATUS_DOCS = "https://docs.github.com/rest/commits/statuses"
CHECKS_DOCS = "https://docs.github.com/rest/checks/runs"
STATES = ("error", "failure", "pending", "success")
PASSING_CONCLUSIONS = ("success", "neutral", "skipped")
CONCLUSIONS = ("action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out")


def create_status(flow, actor: str, sha: str, body) -> dict:
    body = body if isinstance(body, dict) else {}
    if body.get("state") not in STATES:
        raise errors.invalid_request(f"For 'state', {body.get('state')!r} is not one of {list(STATES)}.", STATUS_DOCS)
    sha = flow.require_repo_sha(sha, STATUS_DOCS)
    stamp = flow.now()
    status = {"id": flow.next_id(), "sha": sha, "state": body["state"], "context": body.get("context") or "default",
              "description": body.get("description"), "target_url": body.get("target_url"),
              "creator": flow.login(actor), "created_at": stamp, "updated_at": stamp}
    flow.statuses.append(status)
    return status_json(flow, status)


def status_json(flow, status: dict, simple: bool = False) -> dict:
    store = flow.store
    number = status["id"]
    answer = {"url": f"{store.api_url}/repos/{store.full_name}/statuses/{status['sha']}",
              "avatar_url": "https://avatars.githubusercontent.com/u/9919?v=4", "id": number,
              "node_id": shapes.node_id("StatusContext", number), "state": status["state"],
              "description": status["description"], "target_url": status["target_url"],
              "context": status["context"], "created_at": status["created_at"], "updated_at": status["updated_at"]}
    if not simple:
        answer["creator"] = flow.user_json(status["creator"])
    return answer


def statuses_for(flow, ref: str) -> list[dict]:
    sha = flow.repo.resolve(ref)
    return [status_json(flow, s) for s in reversed(flow.statuses) if s["sha"] == sha]


def combined_status(flow, ref: str) -> dict:
    """GET /commits/{ref}/status: the latest status per context, and their overall state."""
    sha = flow.require_repo_sha(ref, STATUS_DOCS)
    latest: dict[str, dict] = {}
    for status in flow.statuses:
        if status["sha"] == sha:
            latest[status["context"]] = status
    states = {s["state"] for s in latest.values()}
    state = ("failure" if states & {"error", "failure"} else "pending" if "pending" in states or not states
             else "success")
    store = flow.store
    return {"state": state, "statuses": [status_json(flow, s, simple=True) for s in latest.values()],
            "sha": sha, "total_count": len(latest),
            "repository": pulls_repository(flow),
            "commit_url": f"{store.api_url}/repos/{store.full_name}/commits/{sha}",
            "url": f"{store.api_url}/repos/{store.full_name}/commits/{sha}/status"}


def pulls_repository(flow) -> dict:
    from .pulls import _side
    return _side(flow, "", "")["repo"]


def create_check_run(flow, actor: str, body) -> dict:
    body = body if isinstance(body, dict) else {}
    if not isinstance(body.get("name"), str) or not isinstance(body.get("head_sha"), str):
        raise errors.invalid_request("'name' and 'head_sha' are required strings.", CHECKS_DOCS)
    status = body.get("status", "completed" if body.get("conclusion") else "queued")
    conclusion = body.get("conclusion")
    if status not in ("queued", "in_progress", "completed", "waiting", "requested", "pending"):
        raise errors.invalid_request(f"For 'status', {status!r} is not a check run status.", CHECKS_DOCS)
    if (status == "completed") != (conclusion is not None) or (conclusion and conclusion not in CONCLUSIONS):
        # GitHub: a completed check run needs a conclusion, and a conclusion completes it [OA].
        raise errors.invalid_request("'conclusion' is required exactly when 'status' is completed.", CHECKS_DOCS)
    sha = flow.require_repo_sha(body["head_sha"], CHECKS_DOCS)
    stamp = flow.now()
    run = {"id": flow.next_id(), "head_sha": sha, "name": body["name"], "status": status,
           "conclusion": conclusion, "started_at": stamp, "completed_at": stamp if conclusion else None,
           "external_id": body.get("external_id") or "", "details_url": body.get("details_url")}
    flow.check_runs.append(run)
    return check_run_json(flow, run)


def check_run_json(flow, run: dict) -> dict:
    store = flow.store
    api = f"{store.api_url}/repos/{store.full_name}"
    number = run["id"]
    return {"id": number, "head_sha": run["head_sha"], "node_id": shapes.node_id("CheckRun", number),
            "external_id": run["external_id"], "url": f"{api}/check-runs/{number}",
            "html_url": f"{shapes.GITHUB}/{store.full_name}/runs/{number}", "details_url": run["details_url"],
            "status": run["status"], "conclusion": run["conclusion"], "started_at": run["started_at"],
            "completed_at": run["completed_at"],
            "output": {"title": None, "summary": None, "text": None, "annotations_count": 0,
                       "annotations_url": f"{api}/check-runs/{number}/annotations"},
            "name": run["name"], "check_suite": {"id": number}, "app": None, "pull_requests": []}


def check_runs_for(flow, ref: str) -> dict:
    sha = flow.require_repo_sha(ref, CHECKS_DOCS)
    runs = [check_run_json(flow, r) for r in reversed(flow.check_runs) if r["head_sha"] == sha]
    return {"total_count": len(runs), "check_runs": runs}


def passing(flow, sha: str, context: str) -> bool | None:
    """True when the context passes on this commit, False when it failed, None when it is missing."""
    result = None
    for status in flow.statuses:
        if status["sha"] == sha and status["context"] == context:
            result = status["state"] == "success" if status["state"] != "pending" else None
    for run in flow.check_runs:
        if run["head_sha"] == sha and run["name"] == context and run["status"] == "completed":
            result = run["conclusion"] in PASSING_CONCLUSIONS
    return result


def status_check_lines(flow, sha: str, required: list[dict]) -> list[str]:
    contexts = [item["context"] for item in required]
    results = {context: passing(flow, sha, context) for context in contexts}
    failing = [c for c, ok in results.items() if ok is False]
    missing = [c for c, ok in results.items() if ok is None]
    lines = [f'Required status check "{c}" is failing.' for c in failing]  # wording [guess]
    if len(missing) == 1:
        lines.append(f'Required status check "{missing[0]}" is expected.')  # [c6]
    elif missing:
        lines.append(f"{len(missing)} of {len(contexts)} required status checks are expected.")  # [c2]
    return lines
