"""Create the release version of a production deploy: a GitHub release whose new tag points at the deployed commit.

    GITHUB_TOKEN=... .venv/bin/python scripts/release_tag.py --repository koomy-app/koomy --sha <deployed sha> \
        [--api-url https://api.github.com] [--pattern 'v*' (default: Pulumi.yaml's releaseTagPattern)]

Run by the deploy workflow after a successful production `pulumi up` (.github/workflows/deploy.yml, job
`release`). Names are `v<YYYY.MM.DD>-<n>`: the deploy's UTC date and the day's sequence, 1 for the first
production deploy of the day, then the highest existing one + 1 (README, "Release versions"). The tag matches
the stack's `releaseTagPattern` (default `v*`), so the release archive's tag ruleset keeps it from being moved
or deleted. A re-run for a commit that already has a release tag of that day creates nothing and prints it.

Prints the tag. Exit 1 on an API error, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from pathlib import Path
from typing import Callable, Iterable

from audit.rest import RestError, github_call  # the project's one GitHub client (make install)

API = "https://api.github.com"
# (method, path, body) -> (status, JSON answer)
Call = Callable[[str, str, "dict | None"], "tuple[int, object]"]


# --- the naming: pure functions ------------------------------------------------------------------------


def prefix_of(pattern: str) -> str:
    """The literal prefix of a `releaseTagPattern` such as `v*` (the only shape the names can honour)."""
    if pattern.count("*") != 1 or not pattern.endswith("*") or any(c in pattern for c in "?[]"):
        raise ValueError(f"releaseTagPattern {pattern!r}: release names need a pattern '<prefix>*', such as 'v*'")
    return pattern[:-1]


def day_prefix(day: dt.date, prefix: str = "v") -> str:
    return f"{prefix}{day:%Y.%m.%d}-"


def tag_name(day: dt.date, sequence: int, prefix: str = "v") -> str:
    """`v2026.11.30-1`: the day's first production release."""
    if sequence < 1:
        raise ValueError("the sequence starts at 1")
    return f"{day_prefix(day, prefix)}{sequence}"


def sequence_of(tag: str, day: dt.date, prefix: str = "v") -> int | None:
    """The sequence of a release tag of that day, None for any other tag."""
    match = re.fullmatch(re.escape(day_prefix(day, prefix)) + r"([1-9][0-9]*)", tag)
    return int(match.group(1)) if match else None


def next_tag(existing: Iterable[str], day: dt.date, prefix: str = "v") -> str:
    """The next release tag of the day: one above the highest (numerically: -10 follows -9)."""
    taken = [n for n in (sequence_of(t, day, prefix) for t in existing) if n is not None]
    return tag_name(day, max(taken, default=0) + 1, prefix)


# --- GitHub's REST API ---------------------------------------------------------------------------------


def rest(api_url: str, token: str) -> Call:
    """The project's one GitHub client (audit/rest.py), with room for a slow release creation."""
    return github_call(api_url, token, timeout=60)


def day_tags(call: Call, repository: str, day: dt.date, prefix: str) -> dict[str, str]:
    """Tags of that day -> the object they point at (`GET /git/matching-refs/tags/<prefix>`)."""
    status, refs = call("GET", f"/repos/{repository}/git/matching-refs/tags/{day_prefix(day, prefix)}", None)
    if status != 200 or not isinstance(refs, list):
        raise RuntimeError(f"GET matching-refs answered {status}: {refs}")
    return {r["ref"][len("refs/tags/"):]: r["object"]["sha"] for r in refs}


def create_release(call: Call, repository: str, sha: str, now: dt.datetime, prefix: str = "v",
                   attempts: int = 3) -> tuple[str, bool]:
    """(tag, created): the day's next release at `sha`, or the day's tag already there for `sha`."""
    day = now.astimezone(dt.timezone.utc).date()
    for _ in range(attempts):
        tags = day_tags(call, repository, day, prefix)
        mine = sorted((t for t, target in tags.items() if target == sha and sequence_of(t, day, prefix)),
                      key=lambda t: sequence_of(t, day, prefix) or 0)
        if mine:
            return mine[0], False
        tag = next_tag(tags, day, prefix)
        status, answer = call("POST", f"/repos/{repository}/releases", {
            "tag_name": tag, "target_commitish": sha, "name": tag,
            "body": f"Production deploy of {sha}.", "make_latest": "true"})
        if status == 201:
            return tag, True
        errors = (answer or {}).get("errors") if isinstance(answer, dict) else None
        if status == 422 and any(isinstance(e, dict) and e.get("code") == "already_exists" for e in errors or []):
            continue  # another run took that name: count again
        raise RuntimeError(f"POST releases {tag} answered {status}: {answer}")
    raise RuntimeError(f"no free release name for {day} after {attempts} attempts")


def project_pattern(project_file: Path) -> str:
    """The topology's releaseTagPattern: the tags the production stack's release archive protects."""
    if not project_file.exists():
        return "v*"
    from topology.project import read_topology  # the project's own reader (make install)

    return read_topology(project_file).release_tag_pattern


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/release_tag.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repository", required=True, help="owner/name")
    parser.add_argument("--sha", required=True, help="the deployed commit")
    parser.add_argument("--api-url", default=os.environ.get("GITHUB_API_URL") or API)
    parser.add_argument("--pattern", help="the tag pattern (default: Pulumi.yaml's releaseTagPattern, else v*)")
    args = parser.parse_args(argv)
    if args.pattern is None:
        args.pattern = project_pattern(Path("Pulumi.yaml"))
    token = os.environ.get("GITHUB_TOKEN", "")
    if not token or not re.fullmatch(r"[0-9a-f]{40}", args.sha) or args.repository.count("/") != 1:
        print("error: GITHUB_TOKEN, --sha (40 hex) and --repository owner/name are required", file=sys.stderr)
        return 2
    try:
        prefix = prefix_of(args.pattern)
        tag, created = create_release(rest(args.api_url, token), args.repository, args.sha,
                                      dt.datetime.now(dt.timezone.utc), prefix)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (RuntimeError, RestError) as error:  # a refusal; no answer (the error names the call, not the token)
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(tag)
    if not created:
        print(f"{tag} already marks {args.sha}: nothing created", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
