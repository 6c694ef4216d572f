"""CODEOWNERS, as GitHub reads it for a pull request (docs "About code owners", [CO]).

The file is read from the pull request's BASE branch: the first of `.github/CODEOWNERS`,
`CODEOWNERS`, `docs/CODEOWNERS`. Patterns follow gitignore rules, the LAST matching line wins, a line
without owners leaves the path unowned; `docs/*` does not reach nested files; `apps/` matches a
directory anywhere, `/apps/` only at the root. Owners are `@user` (teams and emails: the double has
none, they are ignored); an owner without write access does not count.
"""

from __future__ import annotations

import re

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


def _glob(text: str) -> str:
    out = []
    for part in re.split(r"(\*\*/?|\*|\?)", text):
        out.append({"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part)))
    return "".join(out)


def compile_pattern(pattern: str) -> re.Pattern:
    anchored = pattern.startswith("/") or "/" in pattern.strip("/")
    body = _glob(pattern.strip("/"))
    prefix = "" if anchored else "(?:.*/)?"
    # A match on a directory covers what is under it, except `dir/*`, which stops at one level.
    suffix = "" if pattern.endswith("/*") else "(?:/.*)?"
    return re.compile(prefix + body + suffix + r"\Z")


def parse(text: str) -> list[tuple[re.Pattern, list[str]]]:
    rules = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        pattern, *owners = line.split()
        users = [o[1:] for o in owners if o.startswith("@") and "/" not in o]
        rules.append((compile_pattern(pattern), users))
    return rules


def read(repo, commit: str) -> list[tuple[re.Pattern, list[str]]]:
    for path in LOCATIONS:
        text = repo.read_file(commit, path)
        if text is not None:
            return parse(text)
    return []


def owners_of(rules, path: str) -> list[str]:
    found: list[str] = []
    for pattern, owners in rules:
        if pattern.match(path):
            found = owners  # the last match wins
    return found
