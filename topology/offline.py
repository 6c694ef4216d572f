"""Evaluate `__main__.py` for a stack under Pulumi mocks and record every registration.

Used by the offline check (no engine, no credentials) and by the unit tests. The config comes
from the real Pulumi.yaml and Pulumi.<stack>.yaml, as the engine would pass it. The recording
monitor keeps each RegisterResource request: name, type, parent, options and properties under
their engine (camelCase) names, with secret markers - what the policy pack also sees.
"""

from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from . import config as edge, registry
from .model import NAMESPACE
from .project import engine_config, wire

ROOT = Path(__file__).resolve().parent.parent
PROJECT = NAMESPACE
SECRET_SIG = rpc._special_sig_key
SECRET_VALUE = rpc._special_secret_sig


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool
    aliases: list[str]
    dependencies: list[str]
    provider: str  # "<provider urn>::<id>" when an explicit provider is used
    import_id: str  # the id of an existing object `up` takes over ("" when it creates)
    inputs: dict[str, Any]  # plaintext view
    raw: dict[str, Any]  # wire view: secret values are wrapped in the secret signature

    def is_secret(self, prop: str) -> bool:
        value = self.raw.get(prop)
        return isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_VALUE


def unwrap_secrets(value: Any) -> Any:
    """The plaintext view of wire properties: secret envelopes replaced by their values."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_VALUE:
            return unwrap_secrets(value.get("value"))
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


_THREAD_LOOPS: set[asyncio.AbstractEventLoop] = set()


@atexit.register
def _close_thread_loops() -> None:
    # At exit, before the interpreter tears down the modules a loop's __del__ needs.
    for loop in _THREAD_LOOPS:
        if not loop.is_running() and not loop.is_closed():
            loop.close()


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi_mocks.Mocks, project: str, stack: str):
        super().__init__(mocks)
        self.project, self.stack = project, stack
        self.registrations: list[Registration] = []
        self.urns: list[str] = []
        self.component_outputs: dict[str, dict[str, Any]] = {}  # urn -> what the component registered

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The SDK's version reads the stack from context variables, which RPC threads of some SDK
        # versions (3.259) do not inherit: URNs would say "stack::project".
        # Like the engine: a child's type is qualified by its parent's whole type chain, except the stack's.
        parent_type = parent.split("::")[2] if parent else ""
        if parent_type and parent_type != registry.STACK:
            type_ = parent_type + "$" + type_
        return "urn:pulumi:" + "::".join([self.stack, self.project, type_, name])

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        # The SDK gives each RPC thread its own event loop and never closes it: unclosed, Python
        # may print "Exception ignored in BaseEventLoop.__del__" while it shuts down.
        _THREAD_LOOPS.add(_ensure_event_loop())
        if request.type != registry.STACK:
            self.urns.append(response.urn)
            self.registrations.append(Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=request.custom,
                protect=request.protect,
                retain_on_delete=request.retainOnDelete,
                delete_before_replace=request.deleteBeforeReplace,
                aliases=[a.spec.name or a.urn for a in request.aliases],
                dependencies=list(request.dependencies),
                provider=request.provider,
                import_id=request.importId,
                inputs=unwrap_secrets(json_format.MessageToDict(request.object)),
                raw=json_format.MessageToDict(request.object),
            ))
        return response

    def RegisterResourceOutputs(self, request):
        self.component_outputs[request.urn] = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)


class ResourceMocks(pulumi_mocks.Mocks):
    """Providers' answers: ids and the computed outputs the program reads."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs):
        # Echo the inputs, as a provider's preview does, plus the computed outputs the program reads.
        state = dict(args.inputs)
        if args.typ == registry.RULESET:
            state["rulesetId"] = 1000 + len(args.name)
        if args.typ == registry.RANDOM_PASSWORD:
            state["result"] = "generated-" + args.name
        return f"{args.name}-id", state

    def call(self, args: pulumi_mocks.MockCallArgs):
        self.calls.append((args.token, dict(args.args)))
        if args.token == registry.GET_USER:
            return {"id": "424242", "login": args.args["username"]}, []
        raise NotImplementedError(f"no mock for invoke {args.token}")


@dataclass
class Run:
    stack: str
    registrations: list[Registration]
    urns: list[str]
    calls: list[tuple[str, dict]]
    outputs: dict[str, Any] = field(default_factory=dict)
    component_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def of_type(self, suffix: str) -> list[Registration]:
        return [r for r in self.registrations if r.type.endswith(suffix)]

    def one(self, suffix: str) -> Registration:
        found = self.of_type(suffix)
        if len(found) != 1:
            raise LookupError(f"expected one {suffix}, got {[r.name for r in found]}")
        return found[0]


def stack_inputs(
    stack: str,
    *,
    secrets: Mapping[str, str],
    variables: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    remove: tuple[str, ...] = (),
    root: Path = ROOT,
) -> tuple[dict[str, str], set[str]]:
    """The config the engine would pass for `stack`, with the given secret values injected."""
    config, _encrypted = engine_config(stack, root)
    secret_keys: set[str] = set()
    for name, value in secrets.items():
        config[f"{PROJECT}:{name}"] = value
        secret_keys.add(f"{PROJECT}:{name}")
    for name, value in (variables or {}).items():
        config[f"{PROJECT}:{name}"] = value
    for key, value in (overrides or {}).items():
        config[key if ":" in key else f"{PROJECT}:{key}"] = wire(value)
    for key in remove:
        config.pop(key if ":" in key else f"{PROJECT}:{key}", None)
    return config, secret_keys


def run_program(
    stack: str,
    config: dict[str, str],
    secret_keys: set[str],
    *,
    preview: bool = False,
    main: Path = ROOT / "__main__.py",
    monitor: RecordingMonitor | None = None,
    now: dt.datetime | None = None,
) -> Run:
    """Evaluate __main__.py for `stack` under mocks; exceptions from the program propagate.

    Pass a `monitor` to read what was registered even when the program raises, and `now` to judge the
    deploy window at that time (an update outside it is refused: topology/config.py release_run).
    """
    monitor = monitor or RecordingMonitor(ResourceMocks(), PROJECT, stack)
    mocks = monitor.mocks
    settings.reset_options(project=PROJECT, stack=stack)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor)
    pulumi.runtime.set_all_config(config, sorted(secret_keys))
    exports: dict[str, Any] = {}
    real_clock = edge.clock
    if now is not None:
        edge.clock = lambda: now
    try:
        _sync_await(run_pulumi_func(lambda: runpy.run_path(str(main), run_name="__main__")))
    finally:
        edge.clock = real_clock
        stack_resource = settings.get_root_resource()
        if stack_resource is not None:
            for key, value in (getattr(stack_resource, "outputs", {}) or {}).items():
                exports[key] = _sync_await(pulumi.Output.from_input(value).future())
    return Run(stack, monitor.registrations, monitor.urns, mocks.calls, exports, monitor.component_outputs)
