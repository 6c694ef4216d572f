"""The release version a production deploy creates (scripts/release_tag.py): `v<UTC date>-<n>`.

The naming is pure; the release is created through GitHub's REST API, here the GitHub double's
(`POST …/releases`, `GET …/git/matching-refs/tags/…`), and the release archive's tag ruleset then keeps the
tag from being moved or deleted, by git push and by the API.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import subprocess
import sys

import pytest

from doubles.github import GitHubDouble
from doubles.github.workspace import Checkout
from harness import ROOT_DIR

spec = importlib.util.spec_from_file_location("release_tag", ROOT_DIR / "scripts" / "release_tag.py")
release_tag = importlib.util.module_from_spec(spec)
spec.loader.exec_module(release_tag)

DAY = dt.date(2026, 11, 30)
NOON = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.timezone.utc)
REPO = "koomy-app/koomy"
CTO = "koomy-cto"
# The production stack's release archive as the program declares it (components/github_gates.py ReleaseArchive).
TAG_ARCHIVE = {
    "name": "production-release-archive", "target": "tag", "source_type": "Repository", "source": "koomy",
    "enforcement": "active", "bypass_actors": None,
    "conditions": {"ref_name": {"include": ["refs/tags/v*"], "exclude": []}},
    "rules": [{"type": "deletion"}, {"type": "update"}, {"type": "non_fast_forward"}],
}


# --- naming ---------------------------------------------------------------------------------------------


def test_names_carry_the_date_and_the_days_sequence():
    assert release_tag.tag_name(DAY, 1) == "v2026.11.30-1"
    assert release_tag.next_tag([], DAY) == "v2026.11.30-1"
    assert release_tag.next_tag(["v2026.11.30-1"], DAY) == "v2026.11.30-2"
    # numerically, not as text; other days, other shapes and a hole do not count
    tags = ["v2026.11.30-9", "v2026.11.30-10", "v2026.11.29-30", "v2026.11.30-x", "v2026.11.30-01", "v1.0"]
    assert release_tag.next_tag(tags, DAY) == "v2026.11.30-11"
    assert release_tag.next_tag(["v2026.11.30-3"], DAY) == "v2026.11.30-4"
    assert release_tag.sequence_of("v2026.11.30-2", DAY) == 2 and release_tag.sequence_of("v2026.11.30-2", DAY.replace(day=29)) is None
    with pytest.raises(ValueError):
        release_tag.tag_name(DAY, 0)


def test_the_prefix_comes_from_the_release_tag_pattern():
    assert release_tag.prefix_of("v*") == "v"
    assert release_tag.prefix_of("release-*") == "release-"
    assert release_tag.next_tag([], DAY, "release-") == "release-2026.11.30-1"
    for pattern in ("v", "*v", "v*.*", "v[0-9]*"):
        with pytest.raises(ValueError):
            release_tag.prefix_of(pattern)
    assert release_tag.project_pattern(ROOT_DIR / "Pulumi.yaml") == "v*"


# --- against the GitHub double ----------------------------------------------------------------------------


@pytest.fixture
def github(tmp_path):
    with GitHubDouble(users={CTO: 1234567}) as double:
        cto = Checkout(double, CTO, tmp_path / "cto")
        cto.commit({"app.py": "VERSION = 1\n"}, "first")
        assert cto.push("HEAD:refs/heads/main").returncode == 0
        status, ruleset = double.as_user(CTO).post(f"/repos/{REPO}/rulesets", TAG_ARCHIVE)
        assert status == 201, ruleset
        yield double, cto


def tip(double, ref: str) -> str | None:
    return double.store.flow.repo.ref_target(ref)


def test_two_deploys_the_same_day_get_1_and_2_and_neither_tag_moves(github, tmp_path):
    double, cto = github
    call = release_tag.rest(double.api_url, double.token_for(CTO))
    first = cto.git("rev-parse", "HEAD")
    assert release_tag.create_release(call, REPO, first, NOON) == ("v2026.11.30-1", True)
    # the same deploy run again (a re-run of the job): nothing new
    assert release_tag.create_release(call, REPO, first, NOON) == ("v2026.11.30-1", False)
    second = cto.commit({"app.py": "VERSION = 2\n"}, "second")
    assert cto.push("HEAD:refs/heads/main").returncode == 0
    assert release_tag.create_release(call, REPO, second, NOON + dt.timedelta(hours=3)) == ("v2026.11.30-2", True)
    assert release_tag.create_release(call, REPO, second, NOON + dt.timedelta(days=1)) == ("v2026.12.01-1", True)
    assert tip(double, "refs/tags/v2026.11.30-1") == first and tip(double, "refs/tags/v2026.11.30-2") == second
    releases = double.as_user(CTO).get(f"/repos/{REPO}/releases")[1]
    assert {r["tag_name"]: r["target_commitish"] for r in releases} == {
        "v2026.11.30-1": first, "v2026.11.30-2": second, "v2026.12.01-1": second}

    # The tag ruleset keeps the release where it is: no move, no deletion, by git or by the API.
    cto.fetch()
    cto.run("tag", "--force", "v2026.11.30-1", second)
    moved = cto.push("refs/tags/v2026.11.30-1", force=True)
    assert moved.returncode != 0
    assert "GH013: Repository rule violations found for refs/tags/v2026.11.30-1." in moved.stderr, moved.stderr
    assert "Cannot update this protected ref." in moved.stderr
    deleted = cto.push(":refs/tags/v2026.11.30-1")
    assert deleted.returncode != 0 and "Cannot delete this tag" in deleted.stderr, deleted.stderr
    api = double.as_user(CTO)
    assert api.patch(f"/repos/{REPO}/git/refs/tags/v2026.11.30-1", {"sha": second, "force": True})[0] == 422
    assert api.delete(f"/repos/{REPO}/git/refs/tags/v2026.11.30-1")[0] == 422
    assert tip(double, "refs/tags/v2026.11.30-1") == first
    # ... and the first release is still checkout-able, in a fresh clone
    fresh = Checkout(double, CTO, tmp_path / "fresh")
    fresh.run("checkout", "--quiet", "v2026.11.30-1")
    assert (fresh.path / "app.py").read_text() == "VERSION = 1\n"


def test_a_name_taken_meanwhile_is_counted_again(github):
    double, cto = github
    call = release_tag.rest(double.api_url, double.token_for(CTO))
    sha = cto.git("rev-parse", "HEAD")
    seen = []

    def racing(method, path, body=None):
        if method == "POST" and not seen:  # another run creates -1 between our count and our POST
            seen.append(call("POST", path, dict(body, target_commitish=sha)))
        return call(method, path, body)

    other = cto.commit({"app.py": "VERSION = 2\n"}, "second")
    assert cto.push("HEAD:refs/heads/main").returncode == 0
    assert release_tag.create_release(racing, REPO, other, NOON) == ("v2026.11.30-2", True)


def test_the_command_line_prints_the_tag(github, tmp_path):
    double, cto = github
    sha = cto.git("rev-parse", "HEAD")
    env = {"GITHUB_TOKEN": double.token_for(CTO), "PATH": "/usr/bin:/bin"}
    args = [sys.executable, str(ROOT_DIR / "scripts" / "release_tag.py"), "--repository", REPO, "--sha", sha,
            "--api-url", double.api_url]
    done = subprocess.run(args, cwd=ROOT_DIR, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"v\d{4}\.\d{2}\.\d{2}-1", done.stdout.strip()), done.stdout
    bad = subprocess.run([*args[:-4], "--sha", "main"], cwd=ROOT_DIR, env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "--sha (40 hex)" in bad.stderr

