"""Invariants of the GitHub Actions workflows in .github/workflows/.

Each invariant is a plain checker function over parsed YAML that returns a list of
violations (empty = fine). Each checker is run on the real workflows (must pass) and on a
small bad workflow under fixtures/ (must be caught), so a checker that stops checking fails.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REUSABLE_UP = "./.github/workflows/_pulumi-up.yml"
DEPLOY = "./.github/workflows/deploy.yml"

SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:/[^@\s]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+\.\d+\.\d+\b")
# pulumi subcommands that write state (or the resources behind it).
WRITERS = {"up", "update", "refresh", "destroy", "import", "cancel", "stack import", "stack rm",
           "stack rename", "state"}
ACTION_WRITERS = {"up", "update", "refresh", "destroy"}


# --------------------------------------------------------------------------- YAML helpers


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(wf: dict) -> dict:
    """The `on:` block. PyYAML (YAML 1.1) parses the bare key `on` as boolean True."""
    on = wf.get("on", wf.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {name: None for name in on}
    return on or {}


def jobs(wf: dict) -> dict[str, dict]:
    return wf.get("jobs") or {}


def steps(job: dict) -> list[dict]:
    return job.get("steps") or []


def as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def action_name(step: dict) -> str:
    """'owner/repo' of a step's `uses:` (without ref), or ''."""
    uses = step.get("uses") or ""
    return uses.split("@", 1)[0].lower()


def is_pulumi_action(step: dict) -> bool:
    return action_name(step) == "pulumi/actions"


def action_command(step: dict) -> str | None:
    return ((step.get("with") or {}).get("command") or None) if is_pulumi_action(step) else None


def logical_lines(script: str) -> list[str]:
    """Shell lines with `\\` continuations joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", script or "")
    out = []
    for line in joined.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if line:
            out.append(line)
    return out


_PULUMI = re.compile(r"(?:^|(?<=[\s;|&(`]))pulumi(?=\s)")
# Global flags that take a separate value (`pulumi --cwd dir up`).
_VALUE_FLAGS = {"--cwd", "-C", "--color", "--tracing", "--profiling", "--memprofilerate"}


def pulumi_commands(script: str) -> list[tuple[str, list[str]]]:
    """(subcommand, argv) for each `pulumi ...` invocation of a run script.

    The subcommand is the first non-flag word, plus the second one for command groups
    (`stack export`, `state delete`); argv is every word after `pulumi` in that command."""
    found = []
    for line in logical_lines(script):
        for m in _PULUMI.finditer(line):
            segment = re.split(r"\s(?:&&|\|\||;|\|)\s|[;)]", line[m.end():])[0]
            try:
                words = shlex.split(segment)
            except ValueError:
                words = segment.split()
            plain, skip = [], False
            for w in words:
                if skip:
                    skip = False
                elif w.startswith("-"):
                    skip = not plain and w in _VALUE_FLAGS
                else:
                    plain.append(w)
            if not plain:
                continue
            sub = plain[0]
            if sub in ("stack", "state", "config", "plugin", "policy") and len(plain) > 1:
                sub = f"{sub} {plain[1]}"
            found.append((sub, words))
    return found


def is_writer_command(sub: str) -> bool:
    return sub in WRITERS or sub.split(" ")[0] == "state"


def step_writes_state(step: dict) -> bool:
    if action_command(step) in ACTION_WRITERS:
        return True
    return any(is_writer_command(sub) for sub, _ in pulumi_commands(step.get("run") or ""))


def step_runs_up(step: dict) -> bool:
    if action_command(step) in ("up", "update"):
        return True
    return any(sub in ("up", "update") for sub, _ in pulumi_commands(step.get("run") or ""))


def job_writes_state(job: dict) -> bool:
    return any(step_writes_state(s) for s in steps(job))


def iter_uses(wf: dict) -> Iterator[tuple[str, str]]:
    """(where, uses) for every job-level and step-level `uses:`."""
    for name, job in jobs(wf).items():
        if job.get("uses"):
            yield f"jobs.{name}", job["uses"]
        for i, step in enumerate(steps(job)):
            if step.get("uses"):
                yield f"jobs.{name}.steps[{i}]", step["uses"]


# --------------------------------------------------------------------------- checkers


def check_uses_pinned(wf: dict) -> list[str]:
    """Every remote `uses:` is pinned to a full 40-hex commit SHA (docker images by digest)."""
    bad = []
    for where, uses in iter_uses(wf):
        if uses.startswith("./"):
            continue
        if uses.startswith("docker://"):
            if "@sha256:" not in uses:
                bad.append(f"{where}: docker image not pinned by digest: {uses}")
            continue
        if not SHA_PIN.match(uses):
            bad.append(f"{where}: not pinned to a 40-hex commit SHA: {uses}")
    return bad


def check_uses_version_comments(text: str) -> list[str]:
    """(Raw text: comments are not in parsed YAML.) Each SHA pin says its version: `# vX.Y.Z`."""
    bad = []
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", line)
        if not m or m.group(1).startswith(("./", "docker://")):
            continue
        if not VERSION_COMMENT.search(m.group(2)):
            bad.append(f"line {n}: `uses: {m.group(1)}` lacks a `# vX.Y.Z` comment")
    return bad


def check_permissions(wf: dict) -> list[str]:
    """`permissions` at workflow level (nothing beyond read) and on every job."""
    bad = []
    if "permissions" not in wf:
        bad.append("workflow: no top-level `permissions`")
    else:
        top = wf["permissions"]
        if isinstance(top, str) or not all(v in ("read", "none") for v in (top or {}).values()):
            bad.append(f"workflow: top-level permissions must be {{}} or read-only, got {top!r}")
    for name, job in jobs(wf).items():
        if "permissions" not in job:
            bad.append(f"jobs.{name}: no `permissions`")
        elif isinstance(job["permissions"], str):
            bad.append(f"jobs.{name}: blanket permissions {job['permissions']!r}")
    return bad


def check_writer_concurrency(wf: dict) -> list[str]:
    """One writer per stack: a job that writes state is in the `pulumi-<stack>` group and never
    cancels a run in progress; no other job joins those groups (it could cancel a pending deploy)."""
    bad = []
    wf_conc = wf.get("concurrency")
    for name, job in jobs(wf).items():
        conc = job.get("concurrency")
        group = conc.get("group") if isinstance(conc, dict) else conc
        group = str(group or "")
        if job_writes_state(job):
            if not group.startswith("pulumi-") or len(group) <= len("pulumi-"):
                bad.append(f"jobs.{name}: writes state but its concurrency group is {group!r}, not pulumi-<stack>")
            if not isinstance(conc, dict) or conc.get("cancel-in-progress") is not False:
                bad.append(f"jobs.{name}: writes state without `cancel-in-progress: false`")
            if isinstance(wf_conc, dict) and wf_conc.get("cancel-in-progress") not in (False, None):
                bad.append(f"jobs.{name}: writes state in a workflow that cancels runs in progress")
        elif group.startswith("pulumi-"):
            bad.append(f"jobs.{name}: does not write state but joins the writers' group {group!r}")
    wf_group = str((wf_conc or {}).get("group", "") if isinstance(wf_conc, dict) else wf_conc or "")
    if wf_group.startswith("pulumi-"):
        bad.append(f"workflow: workflow-level concurrency {wf_group!r} uses the per-stack writers' group")
    return bad


def check_reusable_writers_concurrency(deploy: dict, called: dict[str, dict]) -> list[str]:
    """Deploy jobs calling a reusable workflow: the called workflow's writer jobs hold the lock."""
    bad = []
    for name, job in jobs(deploy).items():
        target = job.get("uses")
        if not target:
            continue
        if target not in called:
            bad.append(f"jobs.{name}: calls {target}, which is not in the repository")
            continue
        if not any(job_writes_state(j) for j in jobs(called[target]).values()):
            bad.append(f"jobs.{name}: calls {target}, which runs no `pulumi up`")
        bad += [f"{target}: {v}" for v in check_writer_concurrency(called[target])]
    return bad


def check_drift_read_only(wf: dict) -> list[str]:
    """The drift workflow never writes state: no up/refresh/destroy/import/state commands, no
    pulumi/actions command other than preview, and `--expect-no-changes` only with `preview`.
    It does run the audit (`python -m audit`, docs/audit.md), which only reads."""
    bad = []
    checked_preview = False
    for name, job in jobs(wf).items():
        for i, step in enumerate(steps(job)):
            where = f"jobs.{name}.steps[{i}]"
            if is_pulumi_action(step):
                command = action_command(step)
                with_ = step.get("with") or {}
                if command not in (None, "preview"):
                    bad.append(f"{where}: pulumi/actions `command: {command}` writes state")
                if command is None and ({"refresh", "expect-no-changes"} & set(with_)):
                    bad.append(f"{where}: refresh/expect-no-changes without `command: preview`")
                if command == "preview" and str(with_.get("refresh")).lower() == "true" and str(
                    with_.get("expect-no-changes")
                ).lower() == "true":
                    checked_preview = True
            for sub, argv in pulumi_commands(step.get("run") or ""):
                if is_writer_command(sub):
                    bad.append(f"{where}: `pulumi {sub}` writes state")
                if "--expect-no-changes" in argv and sub != "preview":
                    bad.append(f"{where}: `--expect-no-changes` with `pulumi {sub}` (only preview)")
            if AUDIT_RUN.search(step.get("run") or ""):
                checked_preview = True
    if not checked_preview:
        bad.append("no `python -m audit` step (drift is never checked)")
    return bad


AUDIT_RUN = re.compile(r"(?:python[\d.]*|/python)\s+-m\s+audit(?:\s|$)")
AUDIT_ISSUES = re.compile(r"-m\s+audit\.issues\b")


def audit_steps(wf: dict) -> list[tuple[str, dict, dict]]:
    """(job name, job, step) of every step that runs the audit."""
    return [(name, job, step) for name, job in jobs(wf).items() for step in steps(job)
            if AUDIT_RUN.search(step.get("run") or "")]


def case_arms(script: str) -> list[tuple[list[str], str]]:
    """The arms of the `case ... in ... esac` of a script: (patterns, body)."""
    match = re.search(r"\bcase\b.*?\bin\b(.*?)\besac\b", script or "", re.S)
    arms = []
    for arm in (match.group(1).split(";;") if match else []):
        head, sep, body = arm.partition(")")
        if sep and head.strip():
            arms.append(([p.strip().strip("'\"") for p in head.split("|")], body))
    return arms


def fails_on(arms: list[tuple[list[str], str]], code: str) -> bool | None:
    """Whether the arm that matches exit code `code` fails the job; None when no arm matches."""
    for patterns, body in arms:
        if code in patterns or "*" in patterns:
            return bool(re.search(r"\bexit\s+[1-9]", body))
    return None


def check_drift_exit_codes(wf: dict) -> list[str]:
    """The audit's exit code is kept, not fatal by itself (`set +e`, `$?`), and a later step fails the job
    only on an error: 4 (incomplete) or anything unknown; 0 clean, 2 findings, 3 mandatory policy do not."""
    found = audit_steps(wf)
    if not found:
        return ["no drift audit step found"]
    bad = []
    for name, job, step in found:
        script = step.get("run") or ""
        if "set +e" not in script or "$?" not in script:
            bad.append(f"jobs.{name}: the audit's exit code fails the step directly (findings would fail the job)")
        arms = next((case_arms(s.get("run") or "") for s in steps(job) if case_arms(s.get("run") or "")), [])
        verdicts = {code: fails_on(arms, code) for code in ("0", "2", "3", "4", "1")}
        if verdicts["4"] is not True or verdicts["1"] is not True:
            bad.append(f"jobs.{name}: exit 4 (an error finding) or an unknown code does not fail the job: {verdicts}")
        if any(verdicts[c] is not False for c in ("0", "2", "3")):
            bad.append(f"jobs.{name}: exit 0, 2 or 3 (clean, findings, policy) must not fail the job: {verdicts}")
    return bad


def check_drift_issues(wf: dict) -> list[str]:
    """All stacks in one audit (isolation compares them): no matrix, no --stacks. Issues are synced by
    `python -m audit.issues` from the report with the run's link, using github.token and no other secret,
    in a job allowed to write issues."""
    found = audit_steps(wf)
    if not found:
        return ["no drift audit step found"]
    bad = []
    for name, job, step in found:
        if (job.get("strategy") or {}).get("matrix") is not None or "--stacks" in (step.get("run") or ""):
            bad.append(f"jobs.{name}: audits stacks separately; isolation needs them in one audit")
        syncs = [s for s in steps(job) if AUDIT_ISSUES.search(s.get("run") or "")]
        if len(syncs) != 1:
            bad.append(f"jobs.{name}: expected one `python -m audit.issues` step, found {len(syncs)}")
            continue
        sync = syncs[0]
        if "--report" not in sync["run"] or "--run-url" not in sync["run"]:
            bad.append(f"jobs.{name}: the issue sync needs --report and --run-url")
        env = sync.get("env") or {}
        if str(env.get("GITHUB_TOKEN", "")).replace(" ", "") != "${{github.token}}":
            bad.append(f"jobs.{name}: the issue sync must use GITHUB_TOKEN: ${{{{ github.token }}}}")
        if "secrets." in yaml.safe_dump(sync):
            bad.append(f"jobs.{name}: the issue sync sees secrets it does not need")
        if (job.get("permissions") or {}).get("issues") != "write":
            bad.append(f"jobs.{name}: no `issues: write` for the issue sync")
    if any(AUDIT_ISSUES.search(s.get("run") or "") is None and "gh issue" in (s.get("run") or "")
           for j in jobs(wf).values() for s in steps(j)):
        bad.append("drift issues are written by hand with `gh issue`, not by `python -m audit.issues`")
    return bad


def check_export_before_up(wf: dict) -> list[str]:
    """Before every `pulumi up`: `pulumi stack export --file`, then an upload-artifact step."""
    bad = []
    for name, job in jobs(wf).items():
        export_at = upload_at = None
        for i, step in enumerate(steps(job)):
            if export_at is None and any(
                sub == "stack export" and any(a == "--file" or a.startswith("--file=") for a in argv)
                for sub, argv in pulumi_commands(step.get("run") or "")
            ):
                export_at = i
            if export_at is not None and upload_at is None and action_name(step) == "actions/upload-artifact":
                upload_at = i
            if step_runs_up(step):
                if export_at is None:
                    bad.append(f"jobs.{name}.steps[{i}]: `up` without a prior `pulumi stack export --file`")
                elif upload_at is None:
                    bad.append(f"jobs.{name}.steps[{i}]: `up` before the stack export is uploaded as an artifact")
    return bad


def deploy_jobs(deploy: dict) -> list[tuple[str, str]]:
    """(job id, stack) of each deploy stage, in file order."""
    out = []
    for name, job in jobs(deploy).items():
        if job.get("uses") == REUSABLE_UP:
            out.append((name, str((job.get("with") or {}).get("stack"))))
        elif job_writes_state(job):
            out.append((name, stack_of_up(job)))
    return out


def stack_of_up(job: dict) -> str:
    """The `--stack`/`-s` (or pulumi/actions stack-name) of a job's `pulumi up`."""
    for step in steps(job):
        if action_command(step) in ("up", "update"):
            return str((step.get("with") or {}).get("stack-name"))
        for sub, argv in pulumi_commands(step.get("run") or ""):
            if sub in ("up", "update"):
                for i, a in enumerate(argv):
                    if a in ("--stack", "-s") and i + 1 < len(argv):
                        return argv[i + 1]
                    if a.startswith("--stack="):
                        return a.split("=", 1)[1]
    return "?"


def promotion_order(environments: list[dict]) -> list[str]:
    """Environment names, each after the one it is promoted from (stable otherwise)."""
    by_name = {e["name"]: e for e in environments}
    order: list[str] = []

    def visit(env: dict, path: tuple[str, ...]) -> None:
        if env["name"] in order or env["name"] in path:
            return
        source = by_name.get(env.get("promotedFrom") or "")
        if source is not None:
            visit(source, path + (env["name"],))
        order.append(env["name"])

    for env in environments:
        visit(env, ())
    return order


def check_deploy_chain(deploy: dict, environments: list[dict]) -> list[str]:
    """One deploy job per environment, in promotion order, each running only on a push to its own
    environment's branch (`if: github.ref == 'refs/heads/<branch>'`), at the commit the push brought
    (github.sha), needing no other stage: the chain is enforced per commit by each branch's ruleset
    (required_deployments of the environment it is promoted from), not by `needs` inside one run, since
    each environment deploys from its own branch (README, "The release flow")."""
    bad = []
    stages = deploy_jobs(deploy)
    expected = promotion_order(environments)
    if [stack for _, stack in stages] != expected:
        bad.append(f"deploy stages {[s for _, s in stages]} != topology order {expected} (Pulumi.yaml)")
    by_name = {e["name"]: e for e in environments}
    branches = [by_name[s]["branch"] for s in expected if s in by_name]
    pushed = as_list((triggers(deploy).get("push") or {}).get("branches"))
    if pushed != branches:
        bad.append(f"deploy runs on pushes to {pushed}, not to the environments' branches {branches}")
    stage_jobs = {name for name, _ in stages}
    for name, stack in stages:
        job = jobs(deploy)[name]
        branch = (by_name.get(stack) or {}).get("branch")
        if str(job.get("if", "")).strip() != f"github.ref == 'refs/heads/{branch}'":
            bad.append(f"jobs.{name}: deploys {stack} without `if: github.ref == 'refs/heads/{branch}'`")
        if set(as_list(job.get("needs"))) & stage_jobs:
            bad.append(f"jobs.{name}: needs another stage {sorted(set(as_list(job.get('needs'))) & stage_jobs)}: "
                       "each environment deploys from its own branch")
        if job.get("uses") == REUSABLE_UP and (job.get("with") or {}).get("sha") != "${{ github.sha }}":
            bad.append(f"jobs.{name}: does not deploy `sha: ${{{{ github.sha }}}}`")
    return bad


def effective_environment(job: dict, called: dict[str, dict]) -> list[str]:
    """Environment names a deploy job runs its writer steps in (resolving `inputs.*`)."""
    if not job.get("uses"):
        env = job.get("environment")
        return [env.get("name") if isinstance(env, dict) else env] if env else []
    inputs = job.get("with") or {}
    names = []
    for called_job in jobs(called.get(job["uses"], {})).values():
        if not job_writes_state(called_job):
            continue
        env = called_job.get("environment")
        env = env.get("name") if isinstance(env, dict) else env
        if not env:
            names.append(None)
            continue
        names.append(re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: str(inputs.get(m.group(1), "")), env))
    return names


def check_production_gate(deploy: dict, called: dict[str, dict], production: str = "production",
                          branch: str = "main") -> list[str]:
    """The production stage runs in the `production` GitHub environment (its reviewers or branch policy)
    and only on a push to the production branch, which its ruleset let through only with a successful
    deployment of the environment it is promoted from."""
    bad = []
    stages = deploy_jobs(deploy)
    prod_jobs = [n for n, s in stages if s == production]
    if len(prod_jobs) != 1:
        return [f"expected one job deploying {production}, found {prod_jobs}"]
    job = jobs(deploy)[prod_jobs[0]]
    envs = effective_environment(job, called)
    if not envs or any(e != production for e in envs):
        bad.append(f"jobs.{prod_jobs[0]}: `pulumi up` of {production} runs in environment(s) {envs}, not {production!r}")
    if str(job.get("if", "")).strip() != f"github.ref == 'refs/heads/{branch}'":
        bad.append(f"jobs.{prod_jobs[0]}: runs on other refs than refs/heads/{branch}")
    return bad


def check_stage_environments(deploy: dict, called: dict[str, dict]) -> list[str]:
    """Every stage deploys its stack in the GitHub environment of the same name."""
    bad = []
    for name, stack in deploy_jobs(deploy):
        envs = effective_environment(jobs(deploy)[name], called)
        if not envs or any(e != stack for e in envs):
            bad.append(f"jobs.{name}: stack {stack} deployed in environment(s) {envs}")
    return bad


# Where the plan has no environment reviewers (a private Pro/Team repository), the CTO approves production
# as code owner of the merge into the production branch (topology/plans.py). The deploy workflow must
# then offer no way around that merge: it deploys only what a push to the production branch brought.
DISPATCH_CODE_INPUTS = re.compile(r"sha|ref|commit|branch|tag|revision|version", re.I)


def transitive_needs(deploy: dict, job_name: str) -> set[str]:
    seen: set[str] = set()
    todo = [job_name]
    while todo:
        for need in as_list(jobs(deploy).get(todo.pop(), {}).get("needs")):
            if need not in seen:
                seen.add(need)
                todo.append(need)
    return seen


def refuses_other_refs(job: dict, branch: str) -> bool:
    """A run step that exits unless GITHUB_REF is the production branch."""
    return any("GITHUB_REF" in (s.get("run") or "") and f"refs/heads/{branch}" in (s.get("run") or "")
               and "exit 1" in (s.get("run") or "") for s in steps(job))


def check_merge_is_the_approval(deploy: dict, workflows: dict[str, dict], branch: str,
                                production: str = "production") -> list[str]:
    """Production is deployed only from the production branch, at the commit the push brought, by the
    deploy chain alone: no other trigger, no dispatch input choosing code, no other workflow running
    `up` or calling the reusable deploy, a guard refusing every other ref before production."""
    bad = []
    on = triggers(deploy)
    for extra in sorted(set(on) - {"push", "workflow_dispatch"}):
        bad.append(f"deploy is also triggered by `{extra}`")
    push = on.get("push") or {}
    environment_branches = {e["branch"] for e in topology_environments()} | {branch}
    pushed = set(as_list(push.get("branches")))
    if "push" not in on or branch not in pushed or not pushed <= environment_branches or push.get("tags"):
        bad.append(f"deploy must run on pushes to the environments' branches only, '{branch}' among them "
                   "(the merge the code owners approved)")
    for name in ((on.get("workflow_dispatch") or {}).get("inputs") or {}):
        if DISPATCH_CODE_INPUTS.search(name):
            bad.append(f"workflow_dispatch input `{name}` could choose what production runs")
    stages = dict((stack, job) for job, stack in deploy_jobs(deploy))
    prod_job = stages.get(production)
    if prod_job is None:
        return bad + [f"no stage deploys {production}"]
    if (jobs(deploy)[prod_job].get("with") or {}).get("sha") != "${{ github.sha }}":
        bad.append(f"jobs.{prod_job}: deploys another commit than the one the push brought (github.sha)")
    guards = [n for n in transitive_needs(deploy, prod_job) if refuses_other_refs(jobs(deploy)[n], branch)]
    if not guards:
        bad.append(f"jobs.{prod_job}: no job it needs refuses refs other than refs/heads/{branch}")
    for path, wf in workflows.items():
        if path == DEPLOY:
            continue
        if path == REUSABLE_UP:
            if set(triggers(wf)) != {"workflow_call"}:
                bad.append(f"{path}: runs `up` and can be triggered by {sorted(set(triggers(wf)) - {'workflow_call'})}")
            continue
        for name, job in jobs(wf).items():
            if job.get("uses") == REUSABLE_UP or any(step_runs_up(st) for st in steps(job)):
                bad.append(f"{path}: jobs.{name} runs `pulumi up` outside the deploy chain")
    return bad


def check_no_expressions_in_run(wf: dict) -> list[str]:
    """No `${{ ... }}` inside `run:` scripts (template injection): values go through `env:`."""
    bad = []
    for name, job in jobs(wf).items():
        for i, step in enumerate(steps(job)):
            if "${{" in (step.get("run") or ""):
                bad.append(f"jobs.{name}.steps[{i}]: `${{{{ }}}}` expression in a run script; pass it via env")
    return bad


def check_checkout_no_persist(wf: dict) -> list[str]:
    bad = []
    for name, job in jobs(wf).items():
        for i, step in enumerate(steps(job)):
            if action_name(step) == "actions/checkout":
                if (step.get("with") or {}).get("persist-credentials") is not False:
                    bad.append(f"jobs.{name}.steps[{i}]: checkout without `persist-credentials: false`")
    return bad


DEPLOY_CALL = "./.github/workflows/_pulumi-up.yml"
LEVELS = {"none": 0, "read": 1, "write": 2}


def check_called_permissions(wf: dict, load_called=None) -> list[str]:
    """A job that calls a local reusable workflow grants at least what each of its jobs asks for: GitHub refuses
    the whole run at startup otherwise ("The nested job 'up' is requesting 'issues: write', but is only allowed
    'issues: none'"; docs: reusing workflows, "can be only downgraded"). act does not check this."""
    load_called = load_called or (lambda path: load(ROOT / path))
    bad = []
    for name, job in jobs(wf).items():
        uses = str(job.get("uses", ""))
        if not uses.startswith("./.github/workflows/"):
            continue
        granted = job.get("permissions") or {}
        for nested_name, nested in jobs(load_called(uses[2:])).items():
            for scope, level in (nested.get("permissions") or {}).items():
                if LEVELS.get(level, 0) > LEVELS.get(granted.get(scope, "none"), 0):
                    bad.append(f"jobs.{name}: the nested job '{nested_name}' asks for '{scope}: {level}', "
                               f"but is only allowed '{scope}: {granted.get(scope, 'none')}'")
    return bad


def check_secrets_from_environments(wf: dict) -> list[str]:
    """A job that reads secrets (other than GITHUB_TOKEN) declares an `environment:`. The one caller that
    hands secrets on is a deploy stage calling `_pulumi-up.yml`, with `secrets: inherit`: a called workflow
    sees only what its caller passes or inherits, and the environment its job names fills in the values
    (actions/runner#1490; docs/workflows.md, "Secrets"). No mapping (it would read repository secrets by
    name in a job without an environment), no `inherit` into any other workflow."""
    bad = []
    for name, job in jobs(wf).items():
        passed = job.get("secrets")
        if passed is not None and not (passed == "inherit" and job.get("uses") == DEPLOY_CALL):
            bad.append(f"jobs.{name}: passes `secrets:` ({passed!r}); only a deploy stage calling "
                       f"{DEPLOY_CALL} inherits (its environment's secrets)")
        text = yaml.safe_dump({k: v for k, v in job.items() if k != "secrets"})
        used = set(re.findall(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)", text)) - {"GITHUB_TOKEN"}
        if used and not job.get("environment"):
            bad.append(f"jobs.{name}: reads secrets {sorted(used)} but declares no `environment:`")
        if "toJSON(secrets)" in text.replace(" ", ""):
            bad.append(f"jobs.{name}: serialises all secrets")
    return bad


def _fork_guarded(condition: str, *, trusted: bool) -> bool:
    c = re.sub(r"\s+", " ", condition or "")
    if trusted:
        return ("!github.event.pull_request.head.repo.fork" in c
                and "github.event.pull_request.head.repo.full_name == github.repository" in c)
    return ("github.event.pull_request.head.repo.fork" in c
            and "github.event.pull_request.head.repo.full_name != github.repository" in c)


def check_fork_prs(wf: dict) -> list[str]:
    """PR previews: `pull_request` (never pull_request_target); jobs with secrets run only for
    same-repository PRs; fork PRs run `make check STACK=...` with no secrets instead."""
    bad = []
    on = triggers(wf)
    if "pull_request_target" in on:
        bad.append("uses pull_request_target (runs fork code with secrets)")
    if "pull_request" not in on:
        bad.append("not triggered by pull_request")
    has_offline = False
    for name, job in jobs(wf).items():
        text = yaml.safe_dump(job)
        needs_secrets = bool(re.search(r"secrets\.(?!GITHUB_TOKEN)", text)) or job.get("environment")
        if needs_secrets and not _fork_guarded(str(job.get("if", "")), trusted=True):
            bad.append(f"jobs.{name}: uses secrets but also runs for fork PRs")
        runs_check = any(re.search(r"\bmake\s+check\b.*STACK=", s.get("run") or "") for s in steps(job))
        if runs_check:
            if needs_secrets:
                bad.append(f"jobs.{name}: the offline check must not use secrets")
            if _fork_guarded(str(job.get("if", "")), trusted=False):
                has_offline = True
    if not has_offline:
        bad.append("no offline `make check STACK=...` job for fork PRs")
    return bad


def check_preview_comment(wf: dict) -> list[str]:
    """Previews run with the policy pack and post one PR comment per stack, edited on each push."""
    previews = [s for j in jobs(wf).values() for s in steps(j) if action_command(s) == "preview"]
    if not previews:
        return ["no pulumi/actions `command: preview` step"]
    bad = []
    for step in previews:
        w = step.get("with") or {}
        if w.get("comment-on-pr") is not True or w.get("edit-pr-comment") is not True:
            bad.append("preview step lacks `comment-on-pr: true` and `edit-pr-comment: true`")
        if "policy" not in str(w.get("policyPacks", "")).split():
            bad.append("preview step does not run the `policy` policy pack")
    return bad


def check_emergency(deploy: dict, called: dict[str, dict]) -> list[str]:
    """workflow_dispatch takes `emergency` (boolean) and `reason` (string); a step refuses an
    emergency without a reason before `pulumi up`; `up` gets RELEASE_EMERGENCY(_REASON)."""
    bad = []
    inputs = (triggers(deploy).get("workflow_dispatch") or {}).get("inputs") or {}
    if (inputs.get("emergency") or {}).get("type") != "boolean":
        bad.append("workflow_dispatch input `emergency` (type: boolean) missing")
    if (inputs.get("reason") or {}).get("type") != "string":
        bad.append("workflow_dispatch input `reason` (type: string) missing")
    up_jobs = [j for w in [deploy, *called.values()] for j in jobs(w).values()
               if any(step_runs_up(s) for s in steps(j))]
    if not up_jobs:
        bad.append("no job runs `pulumi up`")
    for job in up_jobs:
        refused = False
        for step in steps(job):
            script = step.get("run") or ""
            if "RELEASE_EMERGENCY_REASON" in script and "-z" in script and "exit 1" in script:
                refused = True
            if step_runs_up(step):
                env = {**(job.get("env") or {}), **(step.get("env") or {})}
                for var in ("RELEASE_EMERGENCY", "RELEASE_EMERGENCY_REASON"):
                    if var not in env:
                        bad.append(f"`pulumi up` runs without {var} in its env")
                if not refused:
                    bad.append("`pulumi up` is not preceded by a step refusing an emergency without a reason")
    return bad


def check_pulumi_version(wf: dict, version: str) -> list[str]:
    """Every pulumi/actions step installs the project's pinned CLI: `pulumi-version` is
    `version` or the output of a step that reads it from constraints.txt."""
    bad = []
    for name, job in jobs(wf).items():
        readers = {s.get("id") for s in steps(job) if "constraints.txt" in (s.get("run") or "") and s.get("id")}
        for i, step in enumerate(steps(job)):
            if not is_pulumi_action(step):
                continue
            pinned = str((step.get("with") or {}).get("pulumi-version", ""))
            m = re.fullmatch(r"\$\{\{\s*steps\.([\w-]+)\.outputs\.[\w-]+\s*\}\}", pinned)
            if pinned != version and not (m and m.group(1) in readers):
                bad.append(f"jobs.{name}.steps[{i}]: pulumi-version {pinned!r} is not {version} from constraints.txt")
    return bad


def check_pulumi_cli_installed(wf: dict) -> list[str]:
    """Every job that runs the pulumi CLI installs it first (pulumi/actions, pinned)."""
    bad = []
    for name, job in jobs(wf).items():
        installed = False
        for i, step in enumerate(steps(job)):
            if is_pulumi_action(step):
                installed = True
            elif pulumi_commands(step.get("run") or "") and not installed:
                bad.append(f"jobs.{name}.steps[{i}]: runs pulumi before installing the pinned CLI")
    return bad


# --------------------------------------------------------------------------- real inputs


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))


def real(name: str) -> dict:
    return load(WORKFLOWS / name)


def called_workflows() -> dict[str, dict]:
    return {f"./.github/workflows/{p.name}": load(p) for p in workflow_files()}


def topology_environments() -> list[dict]:
    """release-topology:environments from Pulumi.yaml's project config."""
    path = ROOT / "Pulumi.yaml"
    if not path.exists():
        pytest.skip("Pulumi.yaml not present")
    config = (load(path) or {}).get("config") or {}
    value = config.get("release-topology:environments", config.get("environments"))
    if isinstance(value, dict):
        value = value.get("value", value.get("default"))
    if isinstance(value, str):
        value = yaml.safe_load(value)
    assert isinstance(value, list) and value, "Pulumi.yaml declares no release-topology:environments"
    return value


def pinned_pulumi_version() -> str:
    path = ROOT / "constraints.txt"
    if not path.exists():
        pytest.skip("constraints.txt not present")
    versions = re.findall(r"^pulumi==(\d+\.\d+\.\d+)\s*(?:#.*)?$", path.read_text(encoding="utf-8"), re.M)
    assert len(versions) == 1, "constraints.txt must pin the CLI with exactly one `pulumi==X.Y.Z` line"
    return versions[0]


def fixture(name: str) -> dict:
    return load(FIXTURES / name)


ALL = ["preview.yml", "deploy.yml", "drift.yml", "_pulumi-up.yml"]


def test_expected_workflows_exist():
    assert {p.name for p in workflow_files()} >= set(ALL)


# --------------------------------------------------------------------------- checks per file

PER_WORKFLOW: list[tuple[Callable[[dict], list[str]], str]] = [
    (check_uses_pinned, "bad_unpinned.yml"),
    (check_permissions, "bad_permissions.yml"),
    (check_writer_concurrency, "bad_concurrency.yml"),
    (check_no_expressions_in_run, "bad_injection.yml"),
    (check_checkout_no_persist, "bad_checkout.yml"),
    (check_secrets_from_environments, "bad_secrets.yml"),
    (check_export_before_up, "bad_no_export.yml"),
    (check_pulumi_cli_installed, "bad_no_cli.yml"),
]


@pytest.mark.parametrize("checker", [c for c, _ in PER_WORKFLOW], ids=lambda c: c.__name__)
@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_real_workflow_passes(checker, path):
    assert checker(load(path)) == []


@pytest.mark.parametrize("checker,bad", PER_WORKFLOW, ids=[c.__name__ for c, _ in PER_WORKFLOW])
def test_checker_catches_fixture(checker, bad):
    assert checker(fixture(bad)), f"{checker.__name__} did not catch fixtures/{bad}"


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_version_comments(path):
    assert check_uses_version_comments(path.read_text(encoding="utf-8")) == []


def test_version_comments_fixture():
    assert check_uses_version_comments((FIXTURES / "bad_unpinned.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_pulumi_version_matches_constraints(path):
    assert check_pulumi_version(load(path), pinned_pulumi_version()) == []


def test_pulumi_version_fixture():
    assert check_pulumi_version(fixture("bad_pulumi_version.yml"), "3.260.0")


def test_on_key_parses():
    for name in ALL:
        assert triggers(real(name)), f"{name}: no triggers parsed"
    assert set(triggers(real("deploy.yml"))) == {"push", "workflow_dispatch"}
    assert triggers(real("deploy.yml"))["push"]["branches"] == ["staging", "main"]
    assert set(triggers(real("drift.yml"))) == {"schedule", "workflow_dispatch"}
    assert "workflow_call" in triggers(real("_pulumi-up.yml"))


# --------------------------------------------------------------------------- drift


def test_drift_read_only():
    assert check_drift_read_only(real("drift.yml")) == []


@pytest.mark.parametrize("bad", ["bad_drift_up.yml", "bad_drift_action_refresh.yml", "bad_drift_expect_on_up.yml"])
def test_drift_read_only_fixtures(bad):
    assert check_drift_read_only(fixture(bad))


def test_drift_exit_codes():
    assert check_drift_exit_codes(real("drift.yml")) == []


@pytest.mark.parametrize("bad", ["bad_drift_exit_codes.yml", "bad_audit_fails_on_findings.yml",
                                 "bad_audit_per_stack.yml"])
def test_drift_exit_codes_fixtures(bad):
    assert check_drift_exit_codes(fixture(bad))


def test_drift_issue_per_stack():
    assert check_drift_issues(real("drift.yml")) == []
    job = jobs(real("drift.yml"))["audit"]
    assert job["permissions"] == {"contents": "read", "issues": "write"}


@pytest.mark.parametrize("bad", ["bad_audit_per_stack.yml", "bad_drift_exit_codes.yml"])
def test_drift_issue_fixtures(bad):
    assert check_drift_issues(fixture(bad))


# --------------------------------------------------------------------------- deploy


def test_deploy_chain_matches_topology():
    assert check_deploy_chain(real("deploy.yml"), topology_environments()) == []


def test_deploy_chain_fixtures():
    envs = fixture("topology_three.yml")["environments"]
    assert check_deploy_chain(fixture("bad_chain_order.yml"), envs)
    assert check_deploy_chain(fixture("bad_chain_needs.yml"), envs)
    # the two-environment real topology is not satisfied by the three-stage fixture and v.v.
    assert check_deploy_chain(real("deploy.yml"), envs)


def test_production_gate():
    envs = {e["name"]: e for e in topology_environments()}
    prod = next((e for e in envs.values() if e.get("production")), {"name": "production"})
    assert prod["name"] == "production" and prod["promotedFrom"] == "staging"
    assert check_production_gate(real("deploy.yml"), called_workflows(), prod["name"], prod["branch"]) == []
    assert check_stage_environments(real("deploy.yml"), called_workflows()) == []


def github_plans() -> list[tuple[str, str]]:
    from topology.plans import GithubPlan, Visibility

    return [(p.value, v.value) for p in GithubPlan for v in Visibility]


def production_approval(github: str, visibility: str):
    from topology.plans import GithubPlan, Visibility, approval_mechanism, github_features

    features = github_features(GithubPlan(github), Visibility(visibility))
    return approval_mechanism(features, production=True, has_reviewers=True)


def check_production_approval(deploy: dict, workflows: dict[str, dict], github: str, visibility: str,
                              branch: str) -> list[str]:
    """The workflow's side of the plan's approval mechanism. Environment reviewers: the production
    stage runs in the `production` environment, whose reviewers gate the job. Code-owner review: the
    same environment (its branch policy and secrets), and the merge is the only way in."""
    from topology.plans import Approval

    approval = production_approval(github, visibility)
    bad = check_production_gate(deploy, workflows, "production", branch)
    if approval is Approval.CODE_OWNER_REVIEW:
        bad += check_merge_is_the_approval(deploy, workflows, branch)
    return bad


def production_branch() -> str:
    return next(e["branch"] for e in topology_environments() if e.get("production"))


HOLDING_PLANS = [(g, v) for g, v in github_plans() if (g, v) != ("free", "private")]


@pytest.mark.parametrize("github, visibility", HOLDING_PLANS, ids=[f"{g}-{v}" for g, v in HOLDING_PLANS])
def test_deploy_follows_each_plans_approval(github, visibility):
    assert check_production_approval(real("deploy.yml"), called_workflows(), github, visibility,
                                     production_branch()) == []


def test_free_private_has_no_approval_to_follow():
    # Refused before anything registers (tests/test_plans.py): there is no workflow side to check.
    assert production_approval("free", "private") is None


CODE_OWNER_PLANS = [(g, v) for g, v in HOLDING_PLANS if production_approval(g, v).value == "code-owner-review"]


@pytest.mark.parametrize("bad", ["bad_dispatch_sha.yml", "bad_no_ref_guard.yml", "bad_extra_trigger.yml"])
@pytest.mark.parametrize("github, visibility", CODE_OWNER_PLANS, ids=[f"{g}-{v}" for g, v in CODE_OWNER_PLANS])
def test_code_owner_plans_offer_no_path_around_the_merge(github, visibility, bad):
    deploy = fixture(bad)
    workflows = {**called_workflows(), DEPLOY: deploy}
    assert check_production_approval(deploy, workflows, github, visibility, "main"), bad


@pytest.mark.parametrize("github, visibility", CODE_OWNER_PLANS, ids=[f"{g}-{v}" for g, v in CODE_OWNER_PLANS])
def test_code_owner_plans_allow_no_side_door(github, visibility):
    workflows = {**called_workflows(), "./.github/workflows/hotfix.yml": fixture("bad_side_door.yml")}
    found = check_production_approval(real("deploy.yml"), workflows, github, visibility, "main")
    assert any("hotfix.yml: jobs.hotfix runs `pulumi up` outside the deploy chain" in f for f in found), found
    dispatchable = {**called_workflows(), REUSABLE_UP: {**real("_pulumi-up.yml"), "on": {"workflow_call": None,
                                                                                        "workflow_dispatch": None}}}
    assert check_production_approval(real("deploy.yml"), dispatchable, github, visibility, "main")


@pytest.mark.parametrize("github, visibility", HOLDING_PLANS, ids=[f"{g}-{v}" for g, v in HOLDING_PLANS])
def test_every_plan_deploys_production_in_its_environment(github, visibility):
    called = {REUSABLE_UP: real("_pulumi-up.yml")}
    assert check_production_approval(fixture("bad_production_env.yml"), called, github, visibility, "main")


def test_production_gate_fixtures():
    called = {REUSABLE_UP: real("_pulumi-up.yml")}
    assert check_production_gate(fixture("bad_chain_needs.yml"), called)
    assert check_production_gate(fixture("bad_production_env.yml"), called)
    assert check_stage_environments(fixture("bad_production_env.yml"), called)


def test_reusable_writers_hold_the_stack_lock():
    assert check_reusable_writers_concurrency(real("deploy.yml"), called_workflows()) == []
    up = jobs(real("_pulumi-up.yml"))["up"]
    assert up["concurrency"] == {"group": "pulumi-${{ inputs.stack }}", "cancel-in-progress": False}
    broken = {REUSABLE_UP: fixture("bad_concurrency.yml")}
    assert check_reusable_writers_concurrency(real("deploy.yml"), broken)


def test_emergency():
    assert check_emergency(real("deploy.yml"), {REUSABLE_UP: real("_pulumi-up.yml")}) == []
    assert check_emergency(fixture("bad_emergency.yml"), {})


def test_deploy_checks_out_the_deployed_commit():
    checkout = [s for s in steps(jobs(real("_pulumi-up.yml"))["up"]) if action_name(s) == "actions/checkout"]
    assert checkout and all((s.get("with") or {}).get("ref") == "${{ inputs.sha }}" for s in checkout)


# --------------------------------------------------------------------------- preview


def test_fork_prs_get_the_offline_check():
    assert check_fork_prs(real("preview.yml")) == []
    assert check_fork_prs(fixture("bad_fork.yml"))


def test_preview_comment_and_policy_pack():
    assert check_preview_comment(real("preview.yml")) == []
    assert check_preview_comment(fixture("bad_fork.yml"))


# --------------------------------------------------------------------------- parser sanity


def test_pulumi_command_parser():
    script = "set -e\npulumi --cwd x stack export --stack s --file f.json  # pulumi up in a comment\n" \
             "pulumi up --yes \\\n  --stack s && echo ok\nx=$(pulumi stack output url)"
    subs = [sub for sub, _ in pulumi_commands(script)]
    assert subs == ["stack export", "up", "stack output"]
    assert [s for s, _ in pulumi_commands("pulumi stack select a && pulumi refresh --yes")] == [
        "stack select", "refresh"]
    assert not pulumi_commands("uses pulumi/actions; cat .pulumi/x")


def test_callers_grant_what_the_called_workflow_s_jobs_ask_for():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        assert check_called_permissions(load(path)) == [], path.name
    deploy = load(WORKFLOWS / "deploy.yml")
    deploy["jobs"]["staging"]["permissions"] = {"contents": "read"}  # as it was: GitHub refused every staging run
    assert check_called_permissions(deploy) == [
        "jobs.staging: the nested job 'up' asks for 'issues: write', but is only allowed 'issues: none'"]
