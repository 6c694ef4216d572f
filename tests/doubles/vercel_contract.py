"""Vercel's published API models as a contract for the Vercel double's requests and answers.

The models are @vercel/sdk's zod schemas (generated from Vercel's OpenAPI description), pinned in
doubles/vercel/schemas/package-lock.json and installed by `make schemas` (`npm ci`; `make test` runs it). check.mjs there parses
each body strictly: no key the model does not list, no coerced value, no zero-filled required field.
Without node or the package the check is skipped locally and FAILS under CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCHEMAS = Path(__file__).resolve().parents[2] / "doubles" / "vercel" / "schemas"

# Which published model each answer (and each request body) is checked against: module, export.
RESPONSES = {
    "create_project": ("createprojectresponsebody", "CreateProjectResponseBody$inboundSchema"),
    "get_project": ("getprojectresponsebody", "GetProjectResponseBody$inboundSchema"),
    "update_project": ("updateprojectresponsebody", "UpdateProjectResponseBody$inboundSchema"),
    # No published operation for PATCH /v9/projects/{id}/branch: it answers the project, as GET does.
    "production_branch": ("getprojectresponsebody", "GetProjectResponseBody$inboundSchema"),
    "list_envs": ("filterprojectenvsop", "FilterProjectEnvsResponseBody$inboundSchema"),
    "create_env": ("createprojectenvop", "CreateProjectEnvResponseBody$inboundSchema"),
    "get_env": ("getprojectenvop", "GetProjectEnvResponseBody$inboundSchema"),
    "edit_env": ("editprojectenvop", "EditProjectEnvResponseBody$inboundSchema"),
    "delete_env": ("removeprojectenvop", "RemoveProjectEnvResponseBody$inboundSchema"),
    "add_domain": ("addprojectdomainop", "AddProjectDomainResponseBody$inboundSchema"),
    "get_domain": ("getprojectdomainop", "GetProjectDomainResponseBody$inboundSchema"),
    "list_domains": ("getprojectdomainsop", "GetProjectDomainsResponseBody$inboundSchema"),
    "update_domain": ("updateprojectdomainop", "UpdateProjectDomainResponseBody$inboundSchema"),
    "delete_domain": ("removeprojectdomainop", "RemoveProjectDomainResponseBody$inboundSchema"),
    "domain_config": ("getdomainconfigop", "GetDomainConfigResponseBody$inboundSchema"),
    "get_team": ("team", "Team$inboundSchema"),
}

REQUESTS = {
    "create_project": ("createprojectcontenthint2", "CreateProjectRequestBody$outboundSchema"),
    "update_project": ("updateprojectdefinitions", "UpdateProjectRequestBody$outboundSchema"),
    "create_env": ("createprojectenvop", "CreateProjectEnvRequestBody$outboundSchema"),
    "edit_env": ("editprojectenvop", "EditProjectEnvRequestBody$outboundSchema"),
    "add_domain": ("addprojectdomainop", "AddProjectDomainRequestBody$outboundSchema"),
    "update_domain": ("updateprojectdomainop", "UpdateProjectDomainRequestBody$outboundSchema"),
}


def _tooling() -> tuple[str, Path]:
    node = shutil.which("node")
    script = SCHEMAS / "check.mjs"
    missing = []
    if node is None:
        missing.append("node is not on PATH")
    if not (SCHEMAS / "node_modules" / "@vercel" / "sdk" / "package.json").is_file():
        missing.append(f"@vercel/sdk is not installed in {SCHEMAS} (run `make schemas`)")
    if missing:
        message = "Vercel schema check unavailable: " + "; ".join(missing)
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return node, script


def check(cases: list[dict]) -> list[dict]:
    """Run cases ({name, module, schema, value, allow?}) through check.mjs; one result per case."""
    node, script = _tooling()
    done = subprocess.run([node, str(script)], cwd=SCHEMAS, input=json.dumps(cases), capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"check.mjs failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def response_case(name: str, operation: str, value, allow: tuple[str, ...] = ()) -> dict:
    module, schema = RESPONSES[operation]
    return {"name": name, "module": module, "schema": schema, "value": value, "allow": list(allow)}


def request_case(name: str, operation: str, value, allow: tuple[str, ...] = ()) -> dict:
    module, schema = REQUESTS[operation]
    return {"name": name, "module": module, "schema": schema, "value": value, "allow": list(allow)}


def failures(results: list[dict]) -> list[str]:
    return [f"{r['name']}: {'; '.join(r['issues'][:5]) or ''} (coerced {r['unrecognized']}, zero-filled "
            f"{r['zeroDefaults']})" for r in results if not r["ok"]]
