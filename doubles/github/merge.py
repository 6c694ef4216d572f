"""Merging a pull request (PUT /repos/{o}/{r}/pulls/{n}/merge) as real git on the bare repository.

- merge: a new commit whose parents are the base tip and the head (order [inf.]), like `--no-ff`;
- squash: one new commit, the base tip its only parent; the head's commits never reach the base;
- rebase: the head's commits replayed on the base, always with new SHAs (GitHub's committer);
  (docs "About pull request merges" and "About merge methods on GitHub" [PM]).
merge-tree --write-tree + commit-tree for merge and squash; a temporary worktree and cherry-pick for
rebase (git 2.39's merge-tree has no --merge-base to replay a single commit).

The merge then goes through the base's rulesets as a ref update made by a pull request merge
(push_rules.evaluate with via="merge"): every rule applies except "through a pull request".
"""

from __future__ import annotations

import shutil

from . import accounts, errors, refmatch
from .gitrepo import GitError
from .pulls import close_merged, get
from .push_rules import RULES_DOCS, RefChange, evaluate

MERGE_DOCS = "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request"
METHODS = ("merge", "squash", "rebase")
# 405 when the method is not allowed: "Merge commits..." (jeffrichley/foreman#399, Mergifyio/mergify#48),
# "Squash merges..." (flowglad/onton#336); "Rebase merges..." is [guess] by analogy.
METHOD_REFUSED = {"merge": "Merge commits are not allowed on this repository.",
                  "squash": "Squash merges are not allowed on this repository.",
                  "rebase": "Rebase merges are not allowed on this repository."}
GITHUB_COMMITTER = {"GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@github.com"}


class Conflict(Exception):
    pass


def _refuse(status: int, message: str, docs: str = MERGE_DOCS) -> errors.ApiError:
    return errors.basic(status, message, docs)


def allowed_methods(flow, pull: dict) -> set[str]:
    """The methods every active pull_request rule on the base allows (all when none says) [OA]."""
    allowed = set(METHODS)
    ref = f"refs/heads/{pull['base_ref']}"
    for ruleset in flow.store._rulesets.values():
        if ruleset["enforcement"] == "active" and refmatch.ruleset_targets(ruleset, ref, flow.repo.default_branch):
            for rule in ruleset["rules"]:
                if rule["type"] == "pull_request":
                    allowed &= set((rule.get("parameters") or {}).get("allowed_merge_methods") or METHODS)
    return allowed


def merge(flow, actor: str, number: int, body) -> dict:
    pull = get(flow, number)
    body = body if isinstance(body, dict) else {}
    method = body.get("merge_method", "merge")
    if method not in METHODS:
        raise errors.invalid_request(f"For 'merge_method', {method!r} is not one of {list(METHODS)}.", MERGE_DOCS)
    login = flow.login(actor)
    if not accounts.at_least(flow.role_of(login), "write"):
        raise _refuse(403, "Must have write access to merge pull requests.")  # wording [guess]
    if pull["state"] != "open":
        raise _refuse(405, "Pull Request is not mergeable")  # [OA] 405 when the merge cannot be performed
    if body.get("sha") and body["sha"] != pull["head_sha"]:
        raise _refuse(409, "Head branch was modified. Review and try the merge again.")  # [OA] 409
    if method not in allowed_methods(flow, pull):
        raise _refuse(405, METHOD_REFUSED[method])
    base_ref = f"refs/heads/{pull['base_ref']}"
    base_sha = flow.repo.resolve(base_ref)
    try:
        new_sha = build(flow, pull, method, base_sha, login, body)
    except Conflict:
        raise _refuse(405, "Pull Request is not mergeable") from None  # [OA]; conflicts
    change = RefChange(base_ref, base_sha, new_sha, via="merge", pull=pull, method=method)
    verdict = evaluate(flow, change, login)
    if not verdict.allowed:
        # [c8]: 405 {"message": "Repository rule violations found\n\n<rule line>\n\n"}; several lines
        # one per line [inf.].
        raise _refuse(405, "Repository rule violations found\n\n" + "\n".join(verdict.refused) + "\n\n", RULES_DOCS)
    if not flow.repo.update_ref(base_ref, new_sha, base_sha):
        raise _refuse(409, "Base branch was modified. Review and try the merge again.")  # [guess]
    close_merged(flow, pull, login, new_sha)
    flow.after_ref_moved(change, login)
    return {"sha": new_sha, "merged": True, "message": "Pull Request successfully merged"}


# ---- the git side -----------------------------------------------------------------------------

def _identity(flow, login: str) -> dict:
    number = flow.user_id(login) or 0
    # GitHub's no-reply address for web commits: ID+login@users.noreply.github.com (docs "Setting
    # your commit email address").
    return {"GIT_AUTHOR_NAME": login, "GIT_AUTHOR_EMAIL": f"{number}+{login}@users.noreply.github.com",
            **GITHUB_COMMITTER}


def _merged_tree(repo, base_sha: str, head_sha: str) -> str:
    done = repo.git("merge-tree", "--write-tree", base_sha, head_sha, check=False)
    if done.returncode == 1:
        raise Conflict()
    if done.returncode != 0:
        raise GitError(done.stderr.decode(errors="replace"))
    return done.stdout.decode().split()[0]


def build(flow, pull: dict, method: str, base_sha: str, login: str, body: dict) -> str:
    repo, number, head_sha = flow.repo, pull["number"], pull["head_sha"]
    title = body.get("commit_title")
    if method == "merge":
        message = (title or f"Merge pull request #{number} from {flow.store.owner}/{pull['head_ref']}") \
            + "\n\n" + (body.get("commit_message") or pull["title"])
        tree = _merged_tree(repo, base_sha, head_sha)
        return repo.out("commit-tree", tree, "-p", base_sha, "-p", head_sha, "-m", message,
                        env=_identity(flow, login))
    if method == "squash":
        commits = repo.out("rev-list", "--reverse", head_sha, f"^{base_sha}").split()
        listing = "\n\n".join("* " + repo.commit_message(sha) for sha in commits)
        message = (title or f"{pull['title']} (#{number})") + "\n\n" + (body.get("commit_message") or listing)
        tree = _merged_tree(repo, base_sha, head_sha)
        # The pull request's author is the squash commit's author [inf.].
        return repo.out("commit-tree", tree, "-p", base_sha, "-m", message, env=_identity(flow, pull["user"]))
    return _rebase(flow, pull, base_sha)


def _rebase(flow, pull: dict, base_sha: str) -> str:
    repo = flow.repo
    commits = repo.out("rev-list", "--reverse", pull["head_sha"], f"^{base_sha}").split()
    if any(len(repo.parents(sha)) > 1 for sha in commits):
        raise Conflict()  # GitHub cannot rebase merge commits: "This branch cannot be rebased" [PM]
    worktree = repo.root / f"rebase-{pull['number']}-{flow.next_id()}"
    repo.git("worktree", "add", "--detach", str(worktree), base_sha)
    try:
        for sha in commits:
            done = repo.git("cherry-pick", "--allow-empty", "--keep-redundant-commits", sha,
                            cwd=worktree, env=GITHUB_COMMITTER, check=False)
            if done.returncode != 0:
                raise Conflict()
        return repo.out("rev-parse", "HEAD", cwd=worktree)
    finally:
        repo.git("worktree", "remove", "--force", str(worktree), check=False)
        shutil.rmtree(worktree, ignore_errors=True)
        repo.git("worktree", "prune", check=False)
