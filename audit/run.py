"""Collection: the engine and the REST APIs, every stack in parallel, reading only.

Per stack, once selected (`auto.select_stack`, never create-or-select: a missing stack stays
missing and becomes an error finding), two tasks run side by side:
- the engine: one `pulumi preview --refresh` with the policy pack (the CLI and its language host run
  the project's program), its events collected. Before it starts, the stack's config (decrypted by
  `pulumi config --show-secrets`) is fingerprinted for the isolation check and its secrets given to the
  redactor, then dropped;
- the state and the APIs: `stack export` WITHOUT --show-secrets (ids, and the time of the last
  update), the environment's GitHub lists and the Vercel lists of the projects in state.
The repository's lists (rulesets, environments) are fetched once for all stacks. Nothing here
decides anything: `conclude.py` does, after every task returned.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from topology import keys
from topology.model import Topology

from . import times
from .conclude import Collected, collection_error, conclude
from .events import EngineRun, read_events
from .isolation import Fingerprints, config_fingerprints, variable_fingerprints, with_variables
from .listings import RepoListing, fetch_environment, fetch_repository, fetch_vercel_project
from .model import LastUpdate, StackAudit
from .redact import Redactor
from .rest import JsonClient, RestError
from .state import inventory
from .vercel_checks import vercel_projects


@dataclass
class Settings:
    root: Path  # the project: Pulumi.yaml, stack files, __main__.py, policy/
    stacks: list[str]
    env: dict[str, str]  # for every CLI call: backend, passphrase, ...
    topology: Topology
    policy_pack: Path | None = None
    policy_pack_config: Path | None = None
    github: JsonClient | None = None  # None: no GitHub REST pass (reported as an error finding)
    vercel: JsonClient | None = None
    redactor: Redactor = field(default_factory=Redactor)
    log: Callable[[str], None] = lambda line: None


def command_failure(error: Exception) -> str:
    """`pulumi exited N: <last lines>` from an automation CommandError (its only carrier of the code)."""
    text = str(error)
    code = re.search(r"code: (-?\d+)", text)
    stdout, _, stderr = text.partition("\n stderr: ")
    lines = [line.strip() for line in stderr.splitlines() if line.strip()][-6:]
    if not lines:  # the engine printed its error on stdout
        lines = [line.strip() for line in stdout.split("\n stdout: ", 1)[-1].splitlines() if line.strip()][-3:]
    return (f"pulumi exited {code.group(1)}: " if code else "pulumi failed: ") + " / ".join(lines)[:1200]


def stack_config(stack) -> tuple[dict[str, Any], frozenset[str]]:
    """The stack's whole config as the program receives it ('ns:key' -> string) and its secret keys."""
    config = stack.get_all_config()
    return ({key: value.value for key, value in config.items()},
            frozenset(key for key, value in config.items() if value.secret))


def _engine_run(call: Callable[..., Any]) -> EngineRun:
    from pulumi import automation as auto

    events: list = []  # appended by the SDK's event thread; read only after the call returned
    failure = None
    try:
        call(on_event=events.append)
    except auto.errors.CommandError as err:
        failure = command_failure(err)
    except RuntimeError as err:  # e.g. "summary event never found"
        failure = f"{type(err).__name__}: {err}"
    return read_events(list(events), failure)


def last_update_of(export: Mapping[str, Any]) -> LastUpdate | None:
    """When the state was last written (its manifest time): the end of the last `up`. Kept to the microsecond:
    cut to the second, a Vercel variable written in that same second would look edited after it."""
    parsed = times.parse(((export.get("deployment") or {}).get("manifest") or {}).get("time"))
    return LastUpdate(parsed.astimezone(times.UTC).isoformat().replace("+00:00", "Z")) if parsed else None


def _state_and_apis(name: str, stack, settings: Settings, key: bytes, repo: Future, collected: Collected) -> dict[str, str]:
    """Fills `collected` with the state's objects and the lists; returns the live variables' URL fingerprints."""
    ws = stack.workspace
    try:
        exported = json.loads(ws.pulumi_command.run(["stack", "export", "--stack", name], ws.work_dir,
                                                    dict(ws.env_vars)).stdout)
        collected.managed = inventory(exported)
        collected.last_update = last_update_of(exported)
        del exported  # ciphertext only, but no reason to keep it
    except Exception as err:  # noqa: BLE001 - any failure here leaves the stack incomplete, reported
        message = command_failure(err) if "code:" in str(err) else f"{type(err).__name__}: {err}"
        collected.errors.append(collection_error(name, "reading the state (stack export, without secrets)", message))
        return {}

    variable_fps: dict[str, str] = {}
    if settings.github is not None:
        environment_name = next((m.key[1] for m in collected.managed if m.kind == "environment"), name)
        try:
            listing: RepoListing | None = repo.result()
            live_env = listing.environment(environment_name) if listing else None
            if live_env is not None:
                collected.environment = fetch_environment(
                    settings.github, settings.topology.owner, settings.topology.repository, live_env)
                variable_fps = variable_fingerprints(key, {v.get("name"): v.get("value")
                                                           for v in collected.environment.variables})
        except RestError as err:
            collected.errors.append(collection_error(name, "the GitHub listing of the environment", str(err), "github-rest"))
        except Exception:  # noqa: BLE001 - the repository listing failed: conclude reports it for every stack
            pass
    projects = vercel_projects(collected.managed)
    if projects and settings.vercel is None:
        collected.errors.append(collection_error(
            name, "the Vercel listing", "VERCEL_API_TOKEN is not set; Vercel env vars and domains were not checked",
            "vercel-rest"))
    elif projects:
        listings = {}
        for project_id, team_id in projects.items():
            try:
                listings[project_id] = fetch_vercel_project(settings.vercel, project_id, team_id)
            except RestError as err:
                collected.errors.append(collection_error(name, "the Vercel listing", str(err), "vercel-rest"))
        collected.vercel = listings
    return variable_fps


def observe_config(name: str, settings: Settings, key: bytes, sink: list[Fingerprints]):
    """What the program does with its config before it runs: secrets to the redactor, every value
    to a keyed fingerprint (appended to `sink`); the values themselves are not kept."""
    environment = settings.topology.environment(name)
    production = bool(environment and environment.production)

    def on_config(config: Mapping[str, Any], secret_keys: frozenset[str]) -> None:
        for k in secret_keys:
            settings.redactor.add(config.get(k))
        pairs = {k: (v, k in secret_keys) for k, v in config.items()}
        sink.append(config_fingerprints(name, production, key, settings.topology.catalogue, pairs))
    return on_config


def collect_stack(name: str, settings: Settings, key: bytes, repo: Future, command) -> Collected:
    from pulumi import automation as auto

    collected = Collected(name)
    started = time.monotonic()
    config_fps: list[Fingerprints] = []
    try:
        # The project's own program, run by the CLI's language host (no inline program).
        # This stack's passphrase only, every other stack's blanked (the CLI, the program and the pack of one
        # stack never hold another's key; automation adds the process environment under env_vars).
        env = keys.stack_env(name, settings.env, settings.stacks)
        stack = auto.select_stack(name, work_dir=str(settings.root),
                                  opts=auto.LocalWorkspaceOptions(env_vars=env, pulumi_command=command))
    except auto.errors.StackNotFoundError:
        collected.engine = EngineRun(missing_stack=True)
        settings.log(f"{name}: no such stack")
        return collected
    except Exception as err:  # noqa: BLE001
        collected.errors.append(collection_error(name, "selecting the stack", command_failure(err)))
        return collected

    try:
        observe_config(name, settings, key, config_fps)(*stack_config(stack))
    except Exception as err:  # noqa: BLE001
        collected.errors.append(collection_error(name, "reading the stack's config", command_failure(err)))
        return collected
    packs = [str(settings.policy_pack)] if settings.policy_pack else None
    configs = [str(settings.policy_pack_config)] if settings.policy_pack and settings.policy_pack_config else None
    timings: dict[str, float] = {}

    def timed(label: str, task: Callable[..., Any], *args: Any) -> Any:
        begin = time.monotonic()
        try:
            return task(*args)
        finally:
            timings[label] = time.monotonic() - begin

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"audit-{name}") as pool:
        engine = pool.submit(timed, "refreshed preview", _engine_run, lambda **kw: stack.preview(
            refresh=True, policy_packs=packs, policy_pack_configs=configs, color="never",
            suppress_progress=True, suppress_outputs=True, **kw))
        apis = pool.submit(timed, "state+APIs", _state_and_apis, name, stack, settings, key, repo, collected)
        collected.engine = engine.result()
        variable_fps = apis.result()
    if config_fps:
        collected.fingerprints = with_variables(config_fps[-1], variable_fps)
    parts = ", ".join(f"{label} {seconds:.1f} s" for label, seconds in timings.items())
    settings.log(f"{name}: collected in {time.monotonic() - started:.1f} s ({parts})")
    return collected


def _repository(settings: Settings) -> RepoListing | None:
    if settings.github is None:
        return None
    return fetch_repository(settings.github, settings.topology.owner, settings.topology.repository)


def backend_problem(env: Mapping[str, str]) -> str | None:
    """A file backend that was never initialised: the CLI would write its metadata on first use."""
    url = env.get("PULUMI_BACKEND_URL", "")
    if url.startswith("file://"):
        path = Path(url[len("file://"):]).expanduser()
        if not (path / ".pulumi").is_dir():
            return f"no Pulumi state at {url} (no .pulumi directory); the audit does not create one"
    return None


def audit(settings: Settings, key: bytes) -> tuple[list[StackAudit], dict[str, Any]]:
    from pulumi import automation as auto

    started = dt.datetime.now(dt.timezone.utc)
    clock = time.monotonic()
    problem = backend_problem(settings.env)
    if problem:
        collected = [Collected(s, errors=[collection_error(s, "opening the state backend", problem)])
                     for s in settings.stacks]
        return conclude(collected, settings.topology, None), _run_info(settings, started, clock)
    command = auto.PulumiCommand()  # one `pulumi version` for all stacks
    with ThreadPoolExecutor(max_workers=len(settings.stacks) + 1, thread_name_prefix="audit") as pool:
        repo = pool.submit(_repository, settings)
        futures = [pool.submit(collect_stack, name, settings, key, repo, command) for name in settings.stacks]
        collected = [f.result() for f in futures]
        repo_error = None
        listing = None
        try:
            listing = repo.result()
        except RestError as err:
            repo_error = str(err)
        if settings.github is None:
            repo_error = "GITHUB_TOKEN is not set: the GitHub lists (unmanaged objects, reviewers, secret dates) were not read"
    return conclude(collected, settings.topology, listing, repo_error), _run_info(settings, started, clock)


def _run_info(settings: Settings, started: dt.datetime, clock: float) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "started_at": times.iso(started),
        "duration_seconds": round(time.monotonic() - clock, 2),
        "stacks": list(settings.stacks),
        "rest_calls": {"github": settings.github.calls if settings.github else 0,
                       "vercel": settings.vercel.calls if settings.vercel else 0},
    }
