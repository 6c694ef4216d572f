"""Issues, issue comments (a pull request's conversation comments too) and labels: what pulumi/actions
(`comment-on-pr`, `edit-pr-comment`: src/libs/pr.ts lists, updates or creates an issue comment) and the drift
audit's issue sync (`gh issue ...`, `gh label create`) need. REST docs: "Issues", "Issue comments", "Labels"
(API version 2022-11-28); shapes checked against githubkit's models (issue, issue-comment, label) in
tests/doubles/test_github_issues.py.

Issues and pull requests share one number sequence per repository (docs: "every pull request is an issue");
a pull request's issue comments live here, keyed by its number. List answers are oldest first, as GitHub's
issue comments ("sorted by ascending ID"); `GET …/issues` newest first (its default `sort=created`,
`direction=desc`) and, as on GitHub, includes pull requests unless filtered by label [inf.: our PRs carry no
labels]. Pagination: `per_page` (default 30, max 100) and `page`, no Link header [guess: one page suffices here].
"""

from __future__ import annotations

from . import accounts, errors, shapes

DOCS = "https://docs.github.com/rest/issues"


def _api(flow) -> str:
    return f"{flow.store.api_url}/repos/{flow.store.full_name}"


def _html(flow) -> str:
    return f"{shapes.GITHUB}/{flow.store.full_name}"


def _page(items: list, query: dict) -> list:
    per_page = max(1, min(int(query.get("per_page") or 30), 100))
    page = max(1, int(query.get("page") or 1))
    return items[(page - 1) * per_page: page * per_page]


def _need(body, key: str) -> str:
    value = (body or {}).get(key) if isinstance(body, dict) else None
    if not isinstance(value, str) or (key == "title" and not value.strip()):
        raise errors.ApiError(422, {"message": "Invalid request.\n\n"
                                    f"\"{key}\" wasn't supplied.", "documentation_url": DOCS, "status": "422"})
    return value


# ---- labels ---------------------------------------------------------------------------------------

def label_json(flow, label: dict) -> dict:
    return {"id": label["id"], "node_id": shapes.node_id("Label", label["id"]),
            "url": f"{_api(flow)}/labels/{label['name']}", "name": label["name"],
            "description": label["description"], "color": label["color"], "default": False,
            "archived_at": None, "archived_by": None}


def _label(flow, name: str) -> dict:
    """An existing label, or one made on the fly as GitHub does for an issue's new label name [inf.]."""
    key = name.casefold()
    if key not in flow.labels:
        flow.labels[key] = {"id": flow.next_id(), "name": name, "color": "ededed", "description": None}
    return flow.labels[key]


def create_label(flow, body) -> tuple[int, dict]:
    name = _need(body, "name")
    if name.casefold() in flow.labels:  # docs: 422 "already_exists" (gh label create --force then PATCHes)
        raise errors.ApiError(422, {"message": "Validation Failed", "errors": [
            {"resource": "Label", "code": "already_exists", "field": "name"}], "documentation_url": DOCS,
            "status": "422"})
    label = _label(flow, name)
    label.update(color=(body.get("color") or "ededed").lstrip("#"), description=body.get("description"))
    return 201, label_json(flow, label)


def update_label(flow, name: str, body) -> dict:
    label = flow.labels.get(name.casefold())
    if label is None:
        raise errors.not_found(DOCS + "/labels#update-a-label")
    for key in ("color", "description"):
        if isinstance(body, dict) and key in body:
            label[key] = body[key].lstrip("#") if key == "color" and body[key] else body[key]
    if isinstance(body, dict) and body.get("new_name"):
        flow.labels.pop(name.casefold())
        label["name"] = body["new_name"]
        flow.labels[label["name"].casefold()] = label
    return label_json(flow, label)


def get_label(flow, name: str) -> dict:
    label = flow.labels.get(name.casefold())
    if label is None:
        raise errors.not_found(DOCS + "/labels#get-a-label")
    return label_json(flow, label)


def list_labels(flow, query: dict) -> list[dict]:
    return _page([label_json(flow, label) for label in flow.labels.values()], query)


# ---- issues ---------------------------------------------------------------------------------------

def _issue(flow, number: int) -> dict:
    if number not in flow.issues:
        raise errors.not_found(DOCS + "/issues#get-an-issue")
    return flow.issues[number]


def issue_json(flow, issue: dict) -> dict:
    api, n = _api(flow), issue["number"]
    return {
        "id": issue["id"], "node_id": shapes.node_id("Issue", issue["id"]), "url": f"{api}/issues/{n}",
        "repository_url": api, "labels_url": f"{api}/issues/{n}/labels{{/name}}",
        "comments_url": f"{api}/issues/{n}/comments", "events_url": f"{api}/issues/{n}/events",
        "html_url": f"{_html(flow)}/issues/{n}", "number": n, "state": issue["state"],
        "state_reason": issue["state_reason"], "title": issue["title"], "body": issue["body"],
        "user": flow.user_json(issue["user"]),
        # An issue's labels have the short shape (no archived_at/archived_by: issue.labels[] in the schema).
        "labels": [{k: v for k, v in label_json(flow, flow.labels[name.casefold()]).items() if not k.startswith("archived")}
                   for name in issue["labels"]],
        "assignee": flow.user_json(issue["assignees"][0]) if issue["assignees"] else None,
        "assignees": [flow.user_json(login) for login in issue["assignees"]],
        "milestone": None, "locked": False, "active_lock_reason": None,
        "comments": sum(1 for c in flow.comments.values() if c["issue"] == n),
        "closed_at": issue["closed_at"], "created_at": issue["created_at"], "updated_at": issue["updated_at"],
        "closed_by": flow.user_json(issue["closed_by"]) if issue["closed_by"] else None,
        "author_association": "OWNER" if issue["user"].casefold() == flow.store.token_user.casefold() else "MEMBER",
    }


def _assignable(flow, actor: str, logins) -> list[str]:
    """Create an issue, `assignees`: "Only users with push access can set assignees for new issues. Assignees
    are silently dropped otherwise." Of those, the double keeps users with a role on the repository (who can be
    assigned); others are dropped too [guess: GitHub's handling of a non-assignable login is undocumented here]."""
    if not accounts.at_least(flow.role_of(actor), "write"):
        return []
    return [flow.store._user(login)[0] for login in logins
            if isinstance(login, str) and flow.role_of(login) is not None]


def create_issue(flow, actor: str, body) -> dict:
    title = _need(body, "title")
    flow.number += 1  # shared with pull requests
    now = flow.now()
    issue = {"number": flow.number, "id": flow.next_id(), "title": title, "body": body.get("body"),
             "user": actor, "state": "open", "state_reason": None, "labels": [],
             "assignees": _assignable(flow, actor, body.get("assignees") or []),
             "created_at": now, "updated_at": now, "closed_at": None, "closed_by": None}
    for name in body.get("labels") or []:
        issue["labels"].append(_label(flow, name if isinstance(name, str) else name["name"])["name"])
    flow.issues[issue["number"]] = issue
    return issue_json(flow, issue)


def get_issue(flow, number: int) -> dict:
    return issue_json(flow, _issue(flow, number))


def list_issues(flow, query: dict) -> list[dict]:
    """`state` open (default), closed or all; `labels` a comma-separated list, all must match."""
    state = query.get("state") or "open"
    wanted = [name.strip().casefold() for name in (query.get("labels") or "").split(",") if name.strip()]
    found = [issue for issue in flow.issues.values()
             if (state == "all" or issue["state"] == state)
             and all(name in {label.casefold() for label in issue["labels"]} for name in wanted)]
    found.sort(key=lambda issue: -issue["number"])
    return _page([issue_json(flow, issue) for issue in found], query)


def update_issue(flow, actor: str, number: int, body) -> dict:
    """PATCH: title, body, state (open/closed) with state_reason, labels (replaces them)."""
    issue = _issue(flow, number)
    body = body if isinstance(body, dict) else {}
    for key in ("title", "body"):
        if key in body:
            issue[key] = body[key]
    if "labels" in body:
        issue["labels"] = [_label(flow, n if isinstance(n, str) else n["name"])["name"] for n in body["labels"] or []]
    if body.get("state") in ("open", "closed") and body["state"] != issue["state"]:
        issue["state"] = body["state"]
        closed = body["state"] == "closed"
        issue["state_reason"] = (body.get("state_reason") or "completed") if closed else "reopened"
        issue["closed_at"], issue["closed_by"] = (flow.now(), actor) if closed else (None, None)
    issue["updated_at"] = flow.now()
    return issue_json(flow, issue)


# ---- issue comments -------------------------------------------------------------------------------

def comment_json(flow, comment: dict) -> dict:
    api = _api(flow)
    return {
        "id": comment["id"], "node_id": shapes.node_id("IssueComment", comment["id"]),
        "url": f"{api}/issues/comments/{comment['id']}", "body": comment["body"],
        "html_url": f"{_html(flow)}/issues/{comment['issue']}#issuecomment-{comment['id']}",
        "user": flow.user_json(comment["user"]), "created_at": comment["created_at"],
        "updated_at": comment["updated_at"], "issue_url": f"{api}/issues/{comment['issue']}",
        "author_association": "OWNER" if comment["user"].casefold() == flow.store.token_user.casefold() else "MEMBER",
    }


def _commentable(flow, number: int) -> None:
    if number not in flow.issues and number not in flow.pulls:
        raise errors.not_found(DOCS + "/comments#create-an-issue-comment")


def create_comment(flow, actor: str, number: int, body) -> dict:
    _commentable(flow, number)
    text = _need(body, "body")
    now = flow.now()
    comment = {"id": flow.next_id(), "issue": number, "body": text, "user": actor,
               "created_at": now, "updated_at": now, "edits": 0}
    flow.comments[comment["id"]] = comment
    if number in flow.issues:
        flow.issues[number]["updated_at"] = now
    return comment_json(flow, comment)


def list_comments(flow, number: int, query: dict) -> list[dict]:
    _commentable(flow, number)
    found = sorted((c for c in flow.comments.values() if c["issue"] == number), key=lambda c: c["id"])
    return _page([comment_json(flow, c) for c in found], query)


def _comment(flow, comment_id) -> dict:
    try:
        return flow.comments[int(comment_id)]
    except (KeyError, ValueError):
        raise errors.not_found(DOCS + "/comments#get-an-issue-comment") from None


def get_comment(flow, comment_id) -> dict:
    return comment_json(flow, _comment(flow, comment_id))


def update_comment(flow, comment_id, body) -> dict:
    comment = _comment(flow, comment_id)
    comment["body"] = _need(body, "body")
    comment["updated_at"] = flow.now()
    comment["edits"] += 1  # not GitHub's: what a test asks ("edited, not duplicated"); never in the JSON
    return comment_json(flow, comment)


def delete_comment(flow, comment_id) -> None:
    flow.comments.pop(_comment(flow, comment_id)["id"])
