"""Which job holds which stack's key (README, "Security"), read from the workflow YAML.

- A pull request's preview job never holds a key that decrypts production: it runs in `preview-<stack>`
  for the non-production stacks only, and production stacks get the offline check, which reads no secret.
- A deploy job holds only its own stack's key, from its own GitHub environment.
- The drift audit (every stack's key) runs in `drift`, an environment no pull-request job uses.

Each checker is also run on a copy of the real workflow broken the way a careless edit would break it.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from typing import Any

import yaml

from rehearsal.project import ROOT
from topology import keys
from topology.project import read_topology

WORKFLOWS = ROOT / ".github" / "workflows"
SECRET_REF = re.compile(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)")


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def environments() -> list:
    return read_topology(ROOT / "Pulumi.yaml").promotion_order()


def production_key_names() -> set[str]:
    return {keys.passphrase_var(e.name) for e in environments() if e.production}


def secrets_of(node: Any) -> set[str]:
    text = yaml.safe_dump(node)
    return set(SECRET_REF.findall(text)) | ({"<dynamic>"} if re.search(r"secrets\[|toJSON\(secrets\)", text) else set())


def environment_name(job: dict) -> str | None:
    env = job.get("environment")
    return env.get("name") if isinstance(env, dict) else env


def check_preview(doc: dict) -> list[str]:
    """The pull-request jobs: no production key, by name or by environment."""
    problems = []
    listing = yaml.safe_dump(doc["jobs"]["topology"])
    if "topology stacks --non-production" not in listing:
        problems.append("the previewed stacks are not listed by `python -m topology stacks --non-production`")
    for name, job in doc["jobs"].items():
        used = secrets_of(job)
        if used & production_key_names() or "<dynamic>" in used:
            problems.append(f"jobs.{name} reads {sorted(used & (production_key_names() | {'<dynamic>'}))}")
        env = environment_name(job)
        if used and env is None:
            problems.append(f"jobs.{name} reads secrets without an environment")
        if env is not None and env != "preview-${{ matrix.stack }}":
            problems.append(f"jobs.{name} runs in environment {env!r}, not its stack's own preview-<stack>")
        if env is not None and "needs.topology.outputs.previewed" not in yaml.safe_dump(job.get("strategy")):
            problems.append(f"jobs.{name}: its matrix is not the non-production stacks (outputs.previewed)")
        steps = job.get("steps") or []
        if name == "check" and (used or env):
            problems.append("jobs.check (the production stacks' offline check) reads a secret or enters an environment")
        if name == "check" and not any("make check" in str(s.get("run", "")) for s in steps):
            problems.append("jobs.check does not run the offline check")
    return problems


def check_deploy(doc: dict, caller: dict) -> list[str]:
    """The deploy job: its own environment's PULUMI_CONFIG_PASSPHRASE only; the caller inherits, maps none."""
    problems = []
    for name, job in doc["jobs"].items():
        used = secrets_of(job)
        stray = {s for s in used if s.startswith(f"{keys.PASSPHRASE}_")} | (used & {"<dynamic>"})
        if stray:
            problems.append(f"jobs.{name} reads another stack's key or keys by a computed name: {sorted(stray)}")
        if used and environment_name(job) != "${{ inputs.stack }}":
            problems.append(f"jobs.{name} reads secrets outside its stack's own environment ({environment_name(job)!r})")
    for name, job in caller["jobs"].items():
        # `inherit`: the deploy job's own environment fills in the values (docs/workflows.md, "Secrets"); a
        # mapping would read repository secrets by name in the caller, which has no environment.
        if "_pulumi-up.yml" in str(job.get("uses", "")) and job.get("secrets") != "inherit":
            problems.append(f"deploy.yml jobs.{name} passes {job.get('secrets')!r} into the deploy job, not `inherit`: "
                            "a called workflow gets no secret otherwise")
    return problems


def check_drift(doc: dict) -> list[str]:
    """The audit: in `drift` (not a preview environment), each stack's key by its own name."""
    problems = []
    job = doc["jobs"]["audit"]
    if environment_name(job) != "drift":
        problems.append(f"the audit runs in {environment_name(job)!r}, not `drift` (deployment branches: main)")
    wanted = {keys.passphrase_var(e.name) for e in environments()}
    used = {s for s in secrets_of(job) if s.startswith(keys.PASSPHRASE)}
    if used != wanted:
        problems.append(f"the audit reads {sorted(used)}, not each stack's own key {sorted(wanted)}")
    return problems


def test_pull_request_jobs_never_hold_a_production_key():
    assert production_key_names() == {"PULUMI_CONFIG_PASSPHRASE_PRODUCTION"}
    assert check_preview(load("preview.yml")) == []


def test_the_preview_check_catches_a_production_key_or_environment():
    doc = load("preview.yml")
    leaked = copy.deepcopy(doc)
    step = next(s for s in leaked["jobs"]["preview"]["steps"] if "env" in s)
    step["env"]["PULUMI_CONFIG_PASSPHRASE_PRODUCTION"] = "${{ secrets.PULUMI_CONFIG_PASSPHRASE_PRODUCTION }}"
    assert any("PULUMI_CONFIG_PASSPHRASE_PRODUCTION" in p for p in check_preview(leaked))
    entered = copy.deepcopy(doc)
    entered["jobs"]["preview"]["environment"] = {"name": "production"}
    assert any("environment 'production'" in p for p in check_preview(entered))
    every_stack = copy.deepcopy(doc)
    every_stack["jobs"]["topology"]["steps"][-1]["run"] = "python -m topology stacks"
    assert any("--non-production" in p for p in check_preview(every_stack))
    dynamic = copy.deepcopy(doc)
    dynamic["jobs"]["check"]["env"] = {"K": "${{ toJSON(secrets) }}"}
    assert check_preview(dynamic)


def test_the_previewed_stacks_are_exactly_the_non_production_ones():
    def stacks(*flags: str) -> list[str]:
        result = subprocess.run([sys.executable, "-m", "topology", "stacks", *flags], cwd=ROOT, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert stacks("--non-production") == [e.name for e in environments() if not e.production] == ["staging"]
    assert stacks("--production") == ["production"]


def test_a_deploy_job_holds_only_its_own_stacks_key():
    assert check_deploy(load("_pulumi-up.yml"), load("deploy.yml")) == []
    doc = load("_pulumi-up.yml")
    broken = copy.deepcopy(doc)
    step = next(s for s in broken["jobs"]["up"]["steps"] if "env" in s)
    step["env"]["PULUMI_CONFIG_PASSPHRASE_STAGING"] = "${{ secrets.PULUMI_CONFIG_PASSPHRASE_STAGING }}"
    assert check_deploy(broken, load("deploy.yml"))
    caller = copy.deepcopy(load("deploy.yml"))
    stage = next(j for j in caller["jobs"].values() if "_pulumi-up.yml" in str(j.get("uses", "")))
    stage["secrets"] = {"PULUMI_CONFIG_PASSPHRASE": "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"}
    assert check_deploy(doc, caller)
    del stage["secrets"]
    assert check_deploy(doc, caller)


def test_the_drift_audit_gets_each_stacks_key_in_its_own_environment():
    assert check_drift(load("drift.yml")) == []
    broken = copy.deepcopy(load("drift.yml"))
    broken["jobs"]["audit"]["environment"] = {"name": "preview-staging"}
    assert check_drift(broken)
