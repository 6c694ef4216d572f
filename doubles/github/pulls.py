"""Pull requests: open, read, list; their head follows pushes to the head branch.

REST "Pulls" (docs.github.com/rest/pulls/pulls). Readings: a push to the head branch dismisses
approvals when an active ruleset on the base says dismiss_stale_reviews_on_push (any push: GitHub
dismisses when the approved diff changes [AR]; every push is our simplification [inf.]); a pull
request whose head becomes reachable from its base is marked merged even if its rules were unmet
(docs "About pull request merges" [PM]).
"""

from __future__ import annotations

from . import errors, refmatch, shapes
from .gitrepo import ZERO

PULLS_DOCS = "https://docs.github.com/rest/pulls/pulls"


def _branch(ref: str) -> str:
    return ref.removeprefix("refs/heads/")


def create(flow, actor: str, body) -> dict:
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("head", "base")):
        raise errors.invalid_request("'head' and 'base' are required strings.", PULLS_DOCS + "#create-a-pull-request")
    if not isinstance(body.get("title"), str) and not body.get("issue"):
        raise errors.invalid_request("'title' is a required string.", PULLS_DOCS + "#create-a-pull-request")
    head = body["head"].split(":", 1)[-1]  # `owner:branch` names the same repository here
    base = body["base"]
    head_sha = flow.repo.resolve(f"refs/heads/{head}")
    base_sha = flow.repo.resolve(f"refs/heads/{base}")
    for field, sha in (("head", head_sha), ("base", base_sha)):
        if sha is None:  # GitHub: 422 Validation Failed, {resource: PullRequest, field, code: invalid}
            raise errors.validation_failed("PullRequest", field, "invalid", f"{field} is invalid",
                                           PULLS_DOCS + "#create-a-pull-request")
    if any(p["state"] == "open" and (p["head_ref"], p["base_ref"]) == (head, base) for p in flow.pulls.values()):
        raise errors.validation_failed("PullRequest", "head", "custom",
                                       f"A pull request already exists for {flow.store.owner}:{head}.")
    if flow.repo.is_ancestor(head_sha, base_sha):
        raise errors.validation_failed("PullRequest", "head", "custom",
                                       f"No commits between {base} and {head}")
    flow.number += 1
    stamp = flow.now()
    pull = {"number": flow.number, "id": flow.next_id(), "title": body.get("title") or head,
            "body": body.get("body"), "user": flow.login(actor), "head_ref": head, "base_ref": base,
            "head_sha": head_sha, "state": "open", "merged": False, "merged_by": None,
            "merge_commit_sha": None, "created_at": stamp, "updated_at": stamp, "closed_at": None,
            "merged_at": None, "draft": bool(body.get("draft")),
            # Whoever last pushed the head branch; the author when the double never saw a push.
            "last_pusher": flow.pushers.get(f"refs/heads/{head}", flow.login(actor))}
    flow.pulls[pull["number"]] = pull
    flow.reviews[pull["number"]] = []
    return to_json(flow, pull)


def get(flow, number: int) -> dict:
    if number not in flow.pulls:
        raise errors.not_found(PULLS_DOCS + "#get-a-pull-request")
    return flow.pulls[number]


def listing(flow, query: dict) -> list[dict]:
    state = query.get("state", "open")
    head = query.get("head", "").split(":", 1)[-1]
    base = query.get("base", "")
    found = [p for p in flow.pulls.values()
             if (state == "all" or p["state"] == state)
             and (not head or p["head_ref"] == head) and (not base or p["base_ref"] == base)]
    return [to_json(flow, p) for p in sorted(found, key=lambda p: -p["number"])]


def base_rules(flow, pull: dict) -> list[dict]:
    """The pull_request rules of the active rulesets that target the pull request's base."""
    ref = f"refs/heads/{pull['base_ref']}"
    return [rule.get("parameters") or {} for ruleset in flow.store._rulesets.values()
            if ruleset["enforcement"] == "active"
            and refmatch.ruleset_targets(ruleset, ref, flow.repo.default_branch)
            for rule in ruleset["rules"] if rule["type"] == "pull_request"]


def branch_moved(flow, change, actor: str) -> None:
    """A ref moved (push or merge): heads follow their branch; a base that now holds a head merges it."""
    if not change.ref.startswith("refs/heads/"):
        return
    branch = _branch(change.ref)
    for pull in flow.pulls.values():
        if pull["state"] != "open":
            continue
        if pull["head_ref"] == branch:
            if change.new == ZERO:
                continue  # the head branch is gone; the pull request stays open on its last head
            pull["head_sha"], pull["last_pusher"], pull["updated_at"] = change.new, flow.login(actor), flow.now()
            if any(rules.get("dismiss_stale_reviews_on_push") for rules in base_rules(flow, pull)):
                for review in flow.reviews[pull["number"]]:
                    if review["state"] == "APPROVED":
                        review["state"] = "DISMISSED"
        elif pull["base_ref"] == branch and change.new != ZERO \
                and flow.repo.is_ancestor(pull["head_sha"], change.new):
            close_merged(flow, pull, actor, change.new)


def close_merged(flow, pull: dict, actor: str, merge_commit_sha: str) -> None:
    stamp = flow.now()
    pull.update(state="closed", merged=True, merged_by=flow.login(actor), merge_commit_sha=merge_commit_sha,
                merged_at=stamp, closed_at=stamp, updated_at=stamp)


# ---- JSON: GitHub's `pull-request` ------------------------------------------------------------

def _side(flow, branch: str, sha: str) -> dict:
    store = flow.store
    repo = shapes.repository(store.api_url, store._owner_json(), store.repo_name, store.repo_id,
                             store.visibility, store._born)
    for key in ("network_count", "subscribers_count"):  # full-repository only; `repository` here
        repo.pop(key, None)
    return {"label": f"{store.owner}:{branch}", "ref": branch, "sha": sha, "user": store._owner_json(),
            "repo": repo}


def to_json(flow, pull: dict) -> dict:
    store, number = flow.store, pull["number"]
    api = f"{store.api_url}/repos/{store.full_name}"
    html = f"{shapes.GITHUB}/{store.full_name}/pull/{number}"
    repo = flow.repo
    base_sha = repo.resolve(f"refs/heads/{pull['base_ref']}") or pull["head_sha"]
    files = repo.changed_files(base_sha, pull["head_sha"]) if pull["state"] == "open" else []
    commits = len(repo.out("rev-list", pull["head_sha"], f"^{base_sha}").split()) if pull["state"] == "open" else 0
    link = lambda href: {"href": href}  # noqa: E731
    return {
        "url": f"{api}/pulls/{number}", "id": pull["id"], "node_id": shapes.node_id("PullRequest", pull["id"]),
        "html_url": html, "diff_url": f"{html}.diff", "patch_url": f"{html}.patch",
        "issue_url": f"{api}/issues/{number}", "commits_url": f"{api}/pulls/{number}/commits",
        "review_comments_url": f"{api}/pulls/{number}/comments",
        "review_comment_url": f"{api}/pulls/comments{{/number}}", "comments_url": f"{api}/issues/{number}/comments",
        "statuses_url": f"{api}/statuses/{pull['head_sha']}", "number": number, "state": pull["state"],
        "locked": False, "title": pull["title"], "user": flow.user_json(pull["user"]), "body": pull["body"],
        "labels": [], "milestone": None, "active_lock_reason": None,
        "created_at": pull["created_at"], "updated_at": pull["updated_at"], "closed_at": pull["closed_at"],
        "merged_at": pull["merged_at"], "merge_commit_sha": pull["merge_commit_sha"], "assignee": None,
        "assignees": [], "requested_reviewers": [], "requested_teams": [],
        "head": _side(flow, pull["head_ref"], pull["head_sha"]),
        "base": _side(flow, pull["base_ref"], base_sha),
        "_links": {"self": link(f"{api}/pulls/{number}"), "html": link(html),
                   "issue": link(f"{api}/issues/{number}"), "comments": link(f"{api}/issues/{number}/comments"),
                   "review_comments": link(f"{api}/pulls/{number}/comments"),
                   "review_comment": link(f"{api}/pulls/comments{{/number}}"),
                   "commits": link(f"{api}/pulls/{number}/commits"),
                   "statuses": link(f"{api}/statuses/{pull['head_sha']}")},
        "author_association": "COLLABORATOR", "auto_merge": None, "draft": pull["draft"],
        "merged": pull["merged"], "mergeable": None if pull["state"] != "open" else True,
        "rebaseable": None, "mergeable_state": "unknown",
        "merged_by": flow.user_json(pull["merged_by"]) if pull["merged_by"] else None,
        "comments": 0, "review_comments": 0, "maintainer_can_modify": False,
        "commits": commits, "additions": 0, "deletions": 0, "changed_files": len(files),
    }
