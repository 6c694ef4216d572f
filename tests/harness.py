"""Run `__main__.py` for a stack under Pulumi mocks and record every registration.

The config comes from the real Pulumi.yaml and Pulumi.<stack>.yaml (secure values replaced by
injected test secrets), so the tests exercise the files users edit. The recording monitor keeps
each RegisterResource request: name, type, parent, options and raw inputs (with secret markers),
which is what the assertions look at - never values observed inside `apply`.
"""

from __future__ import annotations

import json
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "release-topology"
SECRET_SIG = rpc._special_sig_key
SECRET_VALUE = rpc._special_secret_sig

# Test secrets. Sentinels make it easy to prove a value never reaches a message.
TEST_SECRETS = {
    "staging": {
        "STRIPE_SECRET_KEY": "sk_test_SENTINELstagingSECRET0001",
        "STRIPE_WEBHOOK_SECRET": "whsec_SENTINELstagingWEBHOOK0002",
        "NEXT_PUBLIC_SUPABASE_ANON_KEY": "eyJSENTINELstagingANON0003",
        "SUPABASE_SERVICE_ROLE_KEY": "eyJSENTINELstagingSERVICE0004",
    },
    "production": {
        "STRIPE_SECRET_KEY": "sk_live_SENTINELproductionSECRET0005",
        "STRIPE_WEBHOOK_SECRET": "whsec_SENTINELproductionWEBHOOK0006",
        "NEXT_PUBLIC_SUPABASE_ANON_KEY": "eyJSENTINELproductionANON0007",
        "SUPABASE_SERVICE_ROLE_KEY": "eyJSENTINELproductionSERVICE0008",
    },
}
# Publishable keys are plain variables (public by design) but still mode-checked.
TEST_VARIABLES = {
    "staging": {"NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY": "pk_test_publishableSTAGING"},
    "production": {"NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY": "pk_live_publishablePRODUCTION"},
}


@dataclass
class Registration:
    type: str
    name: str
    parent: str
    custom: bool
    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool
    aliases: list[str]
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


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi_mocks.Mocks):
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.urns: list[str] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.urns.append(response.urn)
            self.registrations.append(Registration(
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=request.custom,
                protect=request.protect,
                retain_on_delete=request.retainOnDelete,
                delete_before_replace=request.deleteBeforeReplace,
                aliases=[a.spec.name or a.urn for a in request.aliases],
                inputs=unwrap_secrets(json_format.MessageToDict(request.object)),
                raw=json_format.MessageToDict(request.object),
            ))
        return response


class ResourceMocks(pulumi_mocks.Mocks):
    """Providers' answers: ids and the computed outputs the program reads."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs):
        state = dict(args.inputs)
        if args.typ == "github:index/repositoryRuleset:RepositoryRuleset":
            state["rulesetId"] = 1000 + len(args.name)
        if args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = "generated-" + args.name
        return f"{args.name}-id", state

    def call(self, args: pulumi_mocks.MockCallArgs):
        self.calls.append((args.token, dict(args.args)))
        if args.token == "github:index/getUser:getUser":
            return {"id": "424242", "login": args.args["username"]}, []
        raise NotImplementedError(f"no mock for invoke {args.token}")


@dataclass
class Run:
    stack: str
    registrations: list[Registration]
    urns: list[str]
    calls: list[tuple[str, dict]]
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, suffix: str) -> list[Registration]:
        return [r for r in self.registrations if r.type.endswith(suffix)]

    def one(self, suffix: str) -> Registration:
        found = self.of_type(suffix)
        assert len(found) == 1, f"expected one {suffix}, got {[r.name for r in found]}"
        return found[0]


def project_config(path: Path = ROOT / "Pulumi.yaml") -> dict[str, Any]:
    """Project-level config of Pulumi.yaml as the engine passes it: 'ns:key' -> string."""
    doc = yaml.safe_load(path.read_text())
    out = {}
    for key, spec in (doc.get("config") or {}).items():
        value = spec["value"] if isinstance(spec, dict) and "value" in spec else spec
        out[key if ":" in key else f"{PROJECT}:{key}"] = _wire(value)
    return out


def stack_config(stack: str, root: Path = ROOT) -> tuple[dict[str, Any], set[str]]:
    """A stack file's config; `secure:` values are dropped (the engine would decrypt them)."""
    path = root / f"Pulumi.{stack}.yaml"
    doc = yaml.safe_load(path.read_text()) if path.exists() else {}
    out = {}
    for key, value in ((doc or {}).get("config") or {}).items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            continue
        out[key] = _wire(value)
    return out, set()


def _wire(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def stack_inputs(
    stack: str,
    *,
    secrets: dict[str, str] | None = None,
    variables: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
    remove: tuple[str, ...] = (),
) -> tuple[dict[str, str], set[str]]:
    """The config the engine would pass for `stack`, with test secrets injected."""
    config = project_config()
    stack_values, secret_keys = stack_config(stack)
    config.update(stack_values)
    injected_secrets = TEST_SECRETS.get(stack, TEST_SECRETS["staging"]) if secrets is None else secrets
    injected_vars = TEST_VARIABLES.get(stack, TEST_VARIABLES["staging"]) if variables is None else variables
    for name, value in injected_secrets.items():
        config[f"{PROJECT}:{name}"] = value
        secret_keys.add(f"{PROJECT}:{name}")
    for name, value in injected_vars.items():
        config[f"{PROJECT}:{name}"] = value
    for key, value in (overrides or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        config[full] = _wire(value)
    for key in remove:
        config.pop(key if ":" in key else f"{PROJECT}:{key}", None)
    return config, secret_keys


LAST_MONITOR: list[RecordingMonitor | None] = [None]


def run_program(stack: str, config: dict[str, str], secret_keys: set[str], *, preview: bool = False) -> Run:
    """Evaluate __main__.py for `stack` under mocks; exceptions from the program propagate."""
    mocks = ResourceMocks()
    monitor = RecordingMonitor(mocks)
    LAST_MONITOR[0] = monitor
    settings.reset_options(project=PROJECT, stack=stack)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor)
    pulumi.runtime.set_all_config(config, sorted(secret_keys))
    exports: dict[str, Any] = {}
    try:
        _sync_await(run_pulumi_func(lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")))
    finally:
        stack_resource = settings.get_root_resource()
        if stack_resource is not None:
            for key, value in (getattr(stack_resource, "outputs", {}) or {}).items():
                exports[key] = _sync_await(pulumi.Output.from_input(value).future())
    return Run(stack, monitor.registrations, monitor.urns, mocks.calls, exports)


def run_stack(stack: str, **kwargs: Any) -> Run:
    config, secret_keys = stack_inputs(stack, **kwargs)
    return run_program(stack, config, secret_keys)


def run_failing(stack: str, **kwargs: Any):
    """Run a stack that must fail validation: the ConfigError and what got registered anyway."""
    from components.model import ConfigError

    config, secret_keys = stack_inputs(stack, **kwargs)
    try:
        run_program(stack, config, secret_keys)
    except ConfigError as error:
        return error, LAST_MONITOR[0].registrations
    raise AssertionError(f"stack {stack} was expected to fail validation")
