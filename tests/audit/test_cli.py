"""The command line without an engine: refusals, exit codes, and the report of an audit that could not start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audit.rest import JsonClient, RestError, github_api_root

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "GITHUB_", "VERCEL_"))}
    return subprocess.run([sys.executable, "-m", "audit", *args], cwd=ROOT, env={**base, **(env or {})},
                          capture_output=True, text=True, timeout=120)


def test_an_empty_passphrase_is_refused(tmp_path):
    result = run_cli("--out", str(tmp_path), env={"PULUMI_CONFIG_PASSPHRASE": ""})
    assert result.returncode == 1 and "PULUMI_CONFIG_PASSPHRASE" in result.stderr


def test_a_usage_error_exits_1_not_2():
    result = run_cli("--no-such-flag")
    assert result.returncode == 1


def test_a_backend_that_does_not_exist_is_an_error_and_stays_unwritten(tmp_path):
    backend = tmp_path / "never-created"
    out = tmp_path / "out"
    result = run_cli("--out", str(out), "--stacks", "staging,production", "--quiet",
                     env={"PULUMI_CONFIG_PASSPHRASE": "x", "PULUMI_BACKEND_URL": f"file://{backend}"})
    assert result.returncode == 4, result.stderr
    assert not backend.exists()
    doc = json.loads((out / "audit.json").read_text())
    assert doc["summary"]["stacks"] == {"staging": "error", "production": "error"}
    assert all(f["class"] == "error" for s in doc["stacks"] for f in s["findings"])
    assert (out / "audit.md").read_text().startswith("# Drift audit: incomplete (errors) (exit 4)")


def test_default_stacks_follow_the_promotion_order(tmp_path):
    result = run_cli("--out", str(tmp_path), "--quiet",
                     env={"PULUMI_CONFIG_PASSPHRASE": "x", "PULUMI_BACKEND_URL": f"file://{tmp_path / 'none'}"})
    assert "auditing staging, production (read-only)" in result.stderr


# --- the REST client ---------------------------------------------------------------------------------

@pytest.mark.parametrize("base,root", [
    ("", "https://api.github.com"),
    ("https://api.github.com/", "https://api.github.com"),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/api/v3"),
    ("http://127.0.0.1:8080/api/v3/", "http://127.0.0.1:8080/api/v3"),
    ("https://ghe.example.com/", "https://ghe.example.com/api/v3"),
    ("https://acme.ghe.com/", "https://api.acme.ghe.com"),
])
def test_github_api_root_follows_the_provider(base, root):
    assert github_api_root(base) == root


def answering(status: int, body: bytes, headers: dict | None = None):
    seen = []

    def fetch(request, timeout):
        seen.append(request)
        return status, headers or {}, body
    return fetch, seen


def test_requests_are_get_with_the_token_and_errors_never_show_it():
    fetch, seen = answering(403, b'{"message": "Resource not accessible by integration"}')
    client = JsonClient("github", "https://api.github.com", "ghp_SENTINELtoken", fetch=fetch)
    with pytest.raises(RestError) as err:
        client.get("/repos/o/r/environments", {"per_page": 100})
    assert seen[0].get_method() == "GET" and seen[0].get_header("Authorization") == "Bearer ghp_SENTINELtoken"
    assert "HTTP 403: Resource not accessible" in str(err.value) and "SENTINEL" not in str(err.value)
    assert "per_page" not in str(err.value)  # the path only
    assert client.calls == 1


def test_an_answer_that_is_not_json_or_no_answer():
    fetch, _ = answering(200, b"<html>")
    with pytest.raises(RestError, match="not JSON"):
        JsonClient("github", "https://x", "t", fetch=fetch).get("/p")

    def refused(request, timeout):
        raise ConnectionRefusedError("nope")
    with pytest.raises(RestError, match="no answer"):
        JsonClient("github", "https://x", "t", fetch=refused).get("/p")


def test_a_next_page_outside_the_api_is_not_followed():
    fetch, _ = answering(200, b"[]", {"Link": '<https://evil.example/steal>; rel="next"'})
    with pytest.raises(RestError, match="outside the API root"):
        JsonClient("github", "https://api.github.com", "t", fetch=fetch).github_pages("/repos/o/r/rulesets", None)
