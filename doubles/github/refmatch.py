"""Ref and branch-name patterns, as GitHub matches them.

Rulesets: `conditions.ref_name.include` must match and no `exclude` may; patterns are full refs
(`refs/heads/feature/*`), plus `~DEFAULT_BRANCH` and `~ALL` (REST "Create a repository ruleset",
repository-ruleset-conditions [OA]). Deployment branch policies match the branch or tag name
(docs "Managing environments for deployment", [ME]). Both use fnmatch with FNM_PATHNAME: `*` and `?`
do not cross `/`, `**` does (docs "About fnmatch", [FN]).
"""

from __future__ import annotations

import functools
import re


@functools.lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern:
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and "]" in pattern[i + 1:]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z")


def fnmatch_path(pattern: str, name: str) -> bool:
    return bool(_compile(pattern).match(name))


def _matches(pattern: str, ref: str, default_branch: str) -> bool:
    if pattern == "~ALL":
        return True
    if pattern == "~DEFAULT_BRANCH":
        return ref == f"refs/heads/{default_branch}"
    return fnmatch_path(pattern, ref)


def ruleset_targets(ruleset: dict, ref: str, default_branch: str) -> bool:
    """Does this ruleset apply to this full ref? Its target (branch/tag) and its ref_name condition.

    A ruleset without a ref_name condition targets nothing [inf.: the UI says a ruleset without
    targets "does not apply to any branches"]. `push` rulesets govern file contents: not refs.
    """
    prefix = {"branch": "refs/heads/", "tag": "refs/tags/"}.get(ruleset.get("target", "branch"))
    if prefix is None or not ref.startswith(prefix):
        return False
    condition = (ruleset.get("conditions") or {}).get("ref_name") or {}
    include, exclude = condition.get("include") or [], condition.get("exclude") or []
    return (any(_matches(p, ref, default_branch) for p in include)
            and not any(_matches(p, ref, default_branch) for p in exclude))
