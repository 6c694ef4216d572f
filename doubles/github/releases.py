"""Tags and releases through the REST API, and the git references API.

REST "Releases" (docs.github.com/rest/releases/releases) and "Git references"
(docs.github.com/rest/git/refs). A ref the API creates, moves or deletes (a release's new tag
included) goes through the same rulesets as a push by the caller [inf.]; a refusal answers
`Repository rule violations found` with the rule lines [c7] (status 422 [guess]: [c7] shows the
message only).
"""

from __future__ import annotations

import zlib

from . import errors, shapes
from .gitrepo import ZERO
from .push_rules import RULES_DOCS, RefChange, evaluate

RELEASES_DOCS = "https://docs.github.com/rest/releases/releases"
REFS_DOCS = "https://docs.github.com/rest/git/refs"


def change_ref(flow, actor: str, ref: str, new: str, old: str | None = None) -> None:
    """Create, move or delete a ref as the API does: rules first, then the ref."""
    current = flow.repo.ref_target(ref) or ZERO
    change = RefChange(ref, current if old is None else old, new)
    verdict = evaluate(flow, change, actor)
    if not verdict.allowed:
        raise errors.basic(422, "Repository rule violations found\n\n" + "\n".join(verdict.refused) + "\n\n",
                           RULES_DOCS)
    if not flow.repo.update_ref(ref, new, change.old):
        raise errors.validation_failed("Reference", "sha", "invalid", "Reference update failed", REFS_DOCS)
    flow.after_ref_moved(change, actor)


# ---- releases -----------------------------------------------------------------------------------

def create_release(flow, actor: str, body) -> dict:
    body = body if isinstance(body, dict) else {}
    tag = body.get("tag_name")
    if not isinstance(tag, str) or not tag:
        raise errors.invalid_request("'tag_name' is a required string.", RELEASES_DOCS)
    if any(r["tag_name"] == tag for r in flow.releases.values()):
        raise errors.validation_failed("Release", "tag_name", "already_exists", "Validation Failed", RELEASES_DOCS)
    target = body.get("target_commitish") or flow.repo.default_branch
    ref = f"refs/tags/{tag}"
    if flow.repo.ref_target(ref) is None:
        sha = flow.repo.resolve(target if target.startswith("refs/") or len(target) == 40 else f"refs/heads/{target}")
        if sha is None:
            raise errors.validation_failed("Release", "target_commitish", "invalid", "Validation Failed", RELEASES_DOCS)
        change_ref(flow, flow.login(actor), ref, sha)  # the release's tag: a ref creation by the caller
    stamp = flow.now()
    draft = bool(body.get("draft"))
    release = {"id": flow.next_id(), "tag_name": tag, "target_commitish": target, "name": body.get("name") or tag,
               "body": body.get("body") or "", "draft": draft, "prerelease": bool(body.get("prerelease")),
               "author": flow.login(actor), "created_at": stamp, "published_at": None if draft else stamp}
    flow.releases[release["id"]] = release
    return release_json(flow, release)


def release_json(flow, release: dict) -> dict:
    store = flow.store
    api = f"{store.api_url}/repos/{store.full_name}"
    number, tag = release["id"], release["tag_name"]
    return {"url": f"{api}/releases/{number}", "html_url": f"{shapes.GITHUB}/{store.full_name}/releases/tag/{tag}",
            "assets_url": f"{api}/releases/{number}/assets",
            "upload_url": f"https://uploads.github.com/repos/{store.full_name}/releases/{number}/assets{{?name,label}}",
            "tarball_url": f"{api}/tarball/{tag}", "zipball_url": f"{api}/zipball/{tag}", "id": number,
            "node_id": shapes.node_id("Release", number), "tag_name": tag,
            "target_commitish": release["target_commitish"], "name": release["name"], "body": release["body"],
            "draft": release["draft"], "prerelease": release["prerelease"], "created_at": release["created_at"],
            "published_at": release["published_at"], "author": flow.user_json(release["author"]), "assets": []}


def list_releases(flow) -> list[dict]:
    return [release_json(flow, r) for r in sorted(flow.releases.values(), key=lambda r: -r["id"])]


def release_by_tag(flow, tag: str) -> dict:
    for release in flow.releases.values():
        if release["tag_name"] == tag:
            return release_json(flow, release)
    raise errors.not_found(RELEASES_DOCS + "#get-a-release-by-tag-name")


def release_by_id(flow, release_id: int) -> dict:
    if release_id not in flow.releases:
        raise errors.not_found(RELEASES_DOCS)
    return release_json(flow, flow.releases[release_id])


# ---- git references -----------------------------------------------------------------------------

def ref_json(flow, ref: str, sha: str) -> dict:
    store = flow.store
    kind = flow.repo.out("cat-file", "-t", sha)
    plural = {"commit": "commits", "tag": "tags"}.get(kind, kind + "s")
    api = f"{store.api_url}/repos/{store.full_name}/git"
    return {"ref": ref, "node_id": shapes.node_id("Ref", zlib.crc32(ref.encode())), "url": f"{api}/{ref}",
            "object": {"type": kind, "sha": sha, "url": f"{api}/{plural}/{sha}"}}


def get_ref(flow, name: str) -> dict:
    ref = f"refs/{name}"
    sha = flow.repo.refs(ref).get(ref)
    if sha is None:
        raise errors.not_found(REFS_DOCS + "#get-a-reference")
    return ref_json(flow, ref, sha)


def matching_refs(flow, prefix: str) -> list[dict]:
    return [ref_json(flow, ref, sha) for ref, sha in sorted(flow.repo.refs().items())
            if ref.startswith(f"refs/{prefix}")]


def create_ref(flow, actor: str, body) -> dict:
    body = body if isinstance(body, dict) else {}
    ref, sha = body.get("ref"), body.get("sha")
    if not isinstance(ref, str) or not ref.startswith("refs/") or ref.count("/") < 2 or not isinstance(sha, str):
        raise errors.validation_failed("Reference", "ref", "invalid", "Reference name is invalid", REFS_DOCS)
    if flow.repo.ref_target(ref):
        raise errors.validation_failed("Reference", "ref", "already_exists", "Reference already exists", REFS_DOCS)
    change_ref(flow, flow.login(actor), ref, flow.require_repo_sha(sha, REFS_DOCS), ZERO)
    return get_ref(flow, ref.removeprefix("refs/"))


def update_ref(flow, actor: str, name: str, body) -> dict:
    body = body if isinstance(body, dict) else {}
    ref = f"refs/{name}"
    old = flow.repo.ref_target(ref)
    if old is None:
        raise errors.validation_failed("Reference", "ref", "invalid", "Reference does not exist", REFS_DOCS)
    new = flow.require_repo_sha(body.get("sha") or "", REFS_DOCS)
    if not body.get("force") and not flow.repo.is_ancestor(old, new):
        raise errors.validation_failed("Reference", "sha", "invalid", "Update is not a fast forward", REFS_DOCS)
    change_ref(flow, flow.login(actor), ref, new, old)
    return get_ref(flow, name)


def delete_ref(flow, actor: str, name: str) -> None:
    ref = f"refs/{name}"
    old = flow.repo.ref_target(ref)
    if old is None:
        raise errors.validation_failed("Reference", "ref", "invalid", "Reference does not exist", REFS_DOCS)
    change_ref(flow, flow.login(actor), ref, ZERO, old)
