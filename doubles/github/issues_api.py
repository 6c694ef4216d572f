"""REST routes of issues, issue comments and labels (issues.py), under /api/v3 like the others."""

from __future__ import annotations

from . import issues
from .api import api
from .flow_api import REPO, _number, _query, _route


@_route(api, "POST", REPO + "/issues")
def create_issue(flow, actor, p, body):
    return 201, issues.create_issue(flow, actor, body)


@_route(api, "GET", REPO + "/issues")
def list_issues(flow, actor, p, body):
    return 200, issues.list_issues(flow, _query(p))


@_route(api, "GET", REPO + "/issues/{number}")
def get_issue(flow, actor, p, body):
    return 200, issues.get_issue(flow, _number(p["number"]))


@_route(api, "PATCH", REPO + "/issues/{number}")
def update_issue(flow, actor, p, body):
    return 200, issues.update_issue(flow, actor, _number(p["number"]), body)


@_route(api, "POST", REPO + "/issues/{number}/comments")
def create_comment(flow, actor, p, body):
    return 201, issues.create_comment(flow, actor, _number(p["number"]), body)


@_route(api, "GET", REPO + "/issues/{number}/comments")
def list_comments(flow, actor, p, body):
    return 200, issues.list_comments(flow, _number(p["number"]), _query(p))


@_route(api, "GET", REPO + "/issues/comments/{comment_id}")
def get_comment(flow, actor, p, body):
    return 200, issues.get_comment(flow, p["comment_id"])


@_route(api, "PATCH", REPO + "/issues/comments/{comment_id}")
def update_comment(flow, actor, p, body):
    return 200, issues.update_comment(flow, p["comment_id"], body)


@_route(api, "DELETE", REPO + "/issues/comments/{comment_id}")
def delete_comment(flow, actor, p, body):
    issues.delete_comment(flow, p["comment_id"])
    return 204, None


@_route(api, "POST", REPO + "/labels")
def create_label(flow, actor, p, body):
    return issues.create_label(flow, body)


@_route(api, "GET", REPO + "/labels")
def list_labels(flow, actor, p, body):
    return 200, issues.list_labels(flow, _query(p))


@_route(api, "GET", REPO + "/labels/{name}")
def get_label(flow, actor, p, body):
    return 200, issues.get_label(flow, p["name"])


@_route(api, "PATCH", REPO + "/labels/{name}")
def update_label(flow, actor, p, body):
    return 200, issues.update_label(flow, p["name"], body)
