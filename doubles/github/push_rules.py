"""Repository rules on a ref update: a push (every ref of it) or a pull request merge.

Sources (shared/notes/github-flow.md, keys there): rule semantics from docs "Available rules for
rulesets" [AR] and the REST schema [OA]; the refusal lines from observed GitHub output [c1]-[c6];
bypass from [OA] and [c5]. Only `active` rulesets are enforced: `disabled` is off, `evaluate` only
reports (docs "About rulesets", enforcement statuses).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from . import accounts, refmatch
from .gitrepo import ZERO

RULES_DOCS = ("https://docs.github.com/repositories/configuring-branches-and-merges-in-your-repository/"
              "managing-rulesets/available-rules-for-rulesets")


@dataclass
class RefChange:
    ref: str
    old: str
    new: str
    via: str = "push"          # "push", or "merge" (a pull request merged through the API)
    pull: dict | None = None   # the pull request being merged
    method: str | None = None  # its merge method

    @property
    def kind(self) -> str:
        return "creation" if self.old == ZERO else "deletion" if self.new == ZERO else "update"

    @property
    def noun(self) -> str:
        return "tag" if self.ref.startswith("refs/tags/") else "branch"


@dataclass
class Verdict:
    refused: list[str] = field(default_factory=list)
    bypassed: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.refused


def _add(lines: list[str], new: list[str]) -> None:
    lines.extend(line for line in new if line not in lines)


def evaluate(flow, change: RefChange, actor: str) -> Verdict:
    """Every active ruleset that targets the ref; a bypass actor's violations are only reported."""
    verdict = Verdict()
    for ruleset in flow.store._rulesets.values():
        if ruleset["enforcement"] != "active":
            continue
        if not refmatch.ruleset_targets(ruleset, change.ref, flow.repo.default_branch):
            continue
        lines = []
        for rule in ruleset["rules"]:
            _add(lines, rule_lines(flow, rule, change))
        if not lines:
            continue
        mode = bypass_mode(flow, ruleset, actor)
        # bypass_mode "pull_request": the actor bypasses only when merging a pull request [OA].
        if mode in ("always", "exempt") or (mode == "pull_request" and change.via == "merge"):
            if mode != "exempt":  # exempt: rules skipped silently [OA]
                _add(verdict.bypassed, lines)
        else:
            _add(verdict.refused, lines)
    return verdict


def bypass_mode(flow, ruleset: dict, actor: str) -> str | None:
    """The bypass mode this actor has on this ruleset, or None."""
    role = flow.role_of(actor)
    user_id = flow.user_id(actor)
    for entry in ruleset.get("bypass_actors") or []:
        kind, number = entry.get("actor_type"), entry.get("actor_id")
        matched = (
            (kind == "User" and number == user_id)
            # A role bypass covers that role and the roles above it [inf.]; ids as in [c14].
            or (kind == "RepositoryRole" and number in accounts.ROLE_ACTOR_IDS
                and accounts.at_least(role, accounts.ROLE_ACTOR_IDS[number]))
            # OrganizationAdmin: the id is ignored [OA]; an organisation's admins are the users
            # with the admin role here [inf.: the double has no organisation membership].
            or (kind == "OrganizationAdmin" and flow.store.owner_type == "Organization" and role == "admin")
        )
        if matched:
            return entry.get("bypass_mode") or "always"  # `always` is the default [c39]
    return None


def rule_lines(flow, rule: dict, change: RefChange) -> list[str]:
    """The refusal lines one rule gives for one change ([] when it is satisfied)."""
    kind, params = rule["type"], rule.get("parameters") or {}
    repo = flow.repo
    if kind == "creation" and change.kind == "creation":
        return ["Cannot create ref due to creations being restricted."]  # [c4]
    if kind == "deletion" and change.kind == "deletion":
        return [f"Cannot delete this {change.noun}"]  # [c5]; the tag wording is [guess]
    if kind == "update" and change.kind == "update":
        return ["Cannot update this protected ref."]  # [c6]; PR merges too [c15]
    if kind == "non_fast_forward" and change.kind == "update" and not repo.is_ancestor(change.old, change.new):
        return [f"Cannot force-push to this {change.noun}"]  # [c3]; the tag wording is [guess]
    if kind == "required_linear_history" and change.kind != "deletion":
        # A merge commit is a commit with more than one parent [inf.]; a merge-method merge makes one.
        merging = change.via == "merge" and change.method == "merge"
        if merging or (change.via == "push" and repo.merge_commits(change.new, None if change.kind == "creation" else change.old)):
            return ["This branch must not contain merge commits."]  # [c10]
    if kind == "pull_request":
        if change.via == "push" and change.kind == "update":
            # The ref moves only by a pull request merge [AR]; creating the branch is not refused [inf.].
            return ["Changes must be made through a pull request."]  # [c1]
        if change.via == "merge":
            from .reviews import review_lines
            return review_lines(flow, change.pull, params)
    if kind == "required_status_checks" and change.kind != "deletion":
        if change.kind == "creation" and params.get("do_not_enforce_on_create"):
            return []
        from .checks import status_check_lines
        sha = change.pull["head_sha"] if change.via == "merge" else change.new
        lines = status_check_lines(flow, sha, params.get("required_status_checks") or [])
        if change.via == "merge" and params.get("strict_required_status_checks_policy"):
            # Strict: the head must be up to date with the base: base tip an ancestor of head [inf., c23].
            if not repo.is_ancestor(change.old, sha):
                lines.append("This branch is out-of-date with the base branch.")  # PR page text [guess]
        return lines
    if kind == "required_deployments" and change.via == "merge":
        from .deployments import deployment_lines
        return deployment_lines(flow, change.pull["head_sha"],
                                params.get("required_deployment_environments") or [])
    return []


def rules_url(flow, ref: str) -> str:
    return f"https://github.com/{flow.store.full_name}/rules?ref={quote(ref, safe='')}"


def push_messages(flow, change: RefChange, verdict: Verdict) -> str:
    """What the pusher reads (git adds `remote: `): GitHub's GH013 text [c1][c2], or the bypass note [c5]."""
    text = []
    if verdict.refused:
        text += [f"error: GH013: Repository rule violations found for {change.ref}.",
                 f"Review all repository rules at {rules_url(flow, change.ref)}", ""]
        text += [f"- {line}" for line in verdict.refused] + [""]
    elif verdict.bypassed:
        text += [f"Bypassed rule violations for {change.ref}:", ""]
        text += [f"- {line}" for line in verdict.bypassed] + [""]
    return "".join(line + "\n" for line in text)
