"""Pull request reviews, and what the `pull_request` rule asks of them before a merge.

Sources: docs "Available rules for rulesets" [AR] (approvals from write access, stale approvals,
code owners, last-push approval), docs "About pull request reviews"/request-changes tips [RCT]
(authors cannot approve their own pull request; a write user's "Request changes" blocks until they
approve or it is dismissed), REST "Pull request reviews" [OA].
"""

from __future__ import annotations

from . import accounts, codeowners, errors, shapes

REVIEWS_DOCS = "https://docs.github.com/rest/pulls/reviews"
EVENTS = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}


def _refuse(message: str) -> errors.ApiError:
    # GitHub: 422 {"message": "Unprocessable Entity", "errors": [<text>]} [c12]; the list shape [guess].
    return errors.ApiError(422, {"message": "Unprocessable Entity", "errors": [message],
                                 "documentation_url": REVIEWS_DOCS + "#create-a-review-for-a-pull-request",
                                 "status": "422"})


def submit(flow, actor: str, pull: dict, body) -> dict:
    body = body if isinstance(body, dict) else {}
    event = body.get("event")
    if event is not None and event not in EVENTS:
        raise errors.invalid_request(f"For 'event', {event!r} is not one of {list(EVENTS)}.", REVIEWS_DOCS)
    login = flow.login(actor)
    if login.casefold() == pull["user"].casefold():
        if event == "APPROVE":
            raise _refuse("Can not approve your own pull request")  # [RCT][c12]
        if event == "REQUEST_CHANGES":
            raise _refuse("Can not request changes on your own pull request")  # [guess], by analogy
    if pull["state"] != "open" and event in ("APPROVE", "REQUEST_CHANGES"):
        raise _refuse("Can not approve or request changes on a closed pull request")  # [guess]
    review = {"id": flow.next_id(), "user": login, "body": body.get("body") or "",
              "state": EVENTS.get(event, "PENDING"), "commit_id": body.get("commit_id") or pull["head_sha"],
              "submitted_at": flow.now() if event else None, "pull": pull["number"]}
    flow.reviews[pull["number"]].append(review)
    return to_json(flow, review)


def dismiss(flow, pull: dict, review_id: int) -> dict:
    for review in flow.reviews[pull["number"]]:
        if review["id"] == review_id:
            review["state"] = "DISMISSED"
            return to_json(flow, review)
    raise errors.not_found(REVIEWS_DOCS)


def to_json(flow, review: dict) -> dict:
    store = flow.store
    pull_url = f"{store.api_url}/repos/{store.full_name}/pulls/{review['pull']}"
    html = f"{shapes.GITHUB}/{store.full_name}/pull/{review['pull']}#pullrequestreview-{review['id']}"
    answer = {"id": review["id"], "node_id": shapes.node_id("PullRequestReview", review["id"]),
              "user": flow.user_json(review["user"]), "body": review["body"], "state": review["state"],
              "html_url": html, "pull_request_url": pull_url,
              "_links": {"html": {"href": html}, "pull_request": {"href": pull_url}},
              "commit_id": review["commit_id"], "author_association": "COLLABORATOR"}
    if review["submitted_at"]:
        answer["submitted_at"] = review["submitted_at"]
    return answer


def current_states(flow, pull: dict) -> dict[str, dict]:
    """Each write+ reviewer's standing review: the latest that approves, requests changes or was
    dismissed (a comment changes nothing). Read-only reviewers' reviews never count [AR]."""
    latest: dict[str, dict] = {}
    for review in flow.reviews[pull["number"]]:
        if review["state"] in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[review["user"]] = review
    return {login: r for login, r in latest.items() if accounts.at_least(flow.role_of(login), "write")}


def review_lines(flow, pull: dict, params: dict) -> list[str]:
    """The unmet review requirements of one pull_request rule, as rule-violation lines."""
    states = current_states(flow, pull)
    approvers = [login for login, r in states.items() if r["state"] == "APPROVED"]
    lines = []
    if any(r["state"] == "CHANGES_REQUESTED" for r in states.values()):
        lines.append("Changes requested by a reviewer with write access must be addressed.")  # [guess]
    missing = (params.get("required_approving_review_count") or 0) - len(approvers)
    if missing > 0:
        # The "Waiting on N more approval..." form is GitHub's ruleset wording [c8].
        lines.append(f"Waiting on {missing} more approval{'s' if missing > 1 else ''} "
                     "from a reviewer with write access.")
    if params.get("require_last_push_approval"):
        # The latest push needs an approval of that very commit by someone who did not push it [AR][OA].
        if not any(r["state"] == "APPROVED" and r["commit_id"] == pull["head_sha"]
                   and login.casefold() != (pull["last_pusher"] or "").casefold()
                   for login, r in states.items()):
            lines.append("Waiting on 1 more approval from a reviewer with write access "
                         "other than the last pusher.")  # [guess], after [c8]
    if params.get("require_code_owner_review"):
        lines += code_owner_lines(flow, pull, approvers)
    return lines


def code_owner_lines(flow, pull: dict, approvers: list[str]) -> list[str]:
    repo = flow.repo
    base_sha = repo.resolve(f"refs/heads/{pull['base_ref']}")
    rules = codeowners.read(repo, base_sha)  # from the BASE branch [CO]
    approved = {login.casefold() for login in approvers}
    waiting: list[str] = []
    for path in repo.changed_files(base_sha, pull["head_sha"]):
        owners = [o for o in codeowners.owners_of(rules, path)
                  if accounts.at_least(flow.role_of(o), "write")]  # owners need write [CO]
        if owners and not approved & {o.casefold() for o in owners}:
            text = ", ".join(owners)
            if text not in waiting:
                waiting.append(text)
    # Wording seen on GitHub: "Waiting on code owner review from cloudhead." (radicle-explorer#649).
    return [f"Waiting on code owner review from {text}." for text in waiting]
