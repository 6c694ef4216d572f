"""The provider plugins built from upstream + the terraform bridge (providers/) against the official SDKs.

scripts/engine.sh generates each package's schema with tfgen and records its path in its status file
(`schema-github ok /path/schema.json`). This test compares that schema with the official Python SDKs
installed in the venv (pulumi_github, pulumi_random), which drive the plugins unchanged:

- every resource and function token (both ways), the provider and its methods, the config variables;
- every input, output and state property name, at every depth (nested types reached from them);
- list versus single object versus map, and the scalar kind, at every depth;
- secret flags: secret inputs (the SDK wraps them in `pulumi.Output.secret`) and secret outputs
  (`additional_secret_outputs`) of every resource and of the provider;
- required inputs of every resource (the SDK's `Missing required property` checks) and of every nested
  input type (the `*Args` constructor's keyword arguments without a default).

github and random match their SDKs exactly (0 mismatches). vercel is built from an older upstream snapshot
than the one pulumiverse-vercel 5.21.1 bridges: its differences are listed exactly in
`EXPECTED_DIFFERENCES` (all "only in the SDK"; any new difference fails, and so does a listed one that
disappears), and every property this project sets (`USED`) must match with no difference at all.

How the SDK is read (pulumi 3.x codegen): resource classes and their tokens from `_internal_init`'s
`super().__init__('<token>', ...)`, inputs from the `*Args` input type it instantiates, state from the
`_*State` input type of `get`, outputs from the `@pulumi.getter(name=...)` properties; nested types from the
getters' type hints (`Sequence[...]`, `Mapping[str, ...]`, `*Args` / output classes); functions from
`pulumi.runtime.invoke('<token>', ...)` with their `__args__['<name>']` inputs and `*Result` outputs.

In CI (CI=true) a missing schema fails; on a developer machine the test skips with the reason (run
`make engine`).
"""

from __future__ import annotations

import collections.abc
import copy
import importlib
import inspect
import json
import os
import pkgutil
import re
import typing
from collections import Counter
from pathlib import Path
from types import ModuleType

import pulumi
import pytest
from pulumi import _types as ptypes

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"github": "pulumi_github", "random": "pulumi_random", "vercel": "pulumiverse_vercel"}
SCALARS = {"string": str, "integer": int, "number": float, "boolean": bool}


# ------------------------------------------------------------------------------------------ locating the schema
def _pin(name: str, default: str) -> str:
    constraints = ROOT / "constraints.txt"
    if constraints.exists():
        for line in constraints.read_text().splitlines():
            if line.startswith(f"{name}=="):
                return re.split(r"[\s#;]", line.split("==", 1)[1])[0]
    return default


def engine_status_file() -> Path:
    """The status file scripts/engine.sh writes (same cache location and version as the script)."""
    cache = os.environ.get("ENGINE_CACHE") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "release-topology" / "engine"
    )
    version = os.environ.get("ENGINE_PULUMI_VERSION") or _pin("pulumi", "3.259.0")
    return Path(cache) / f"v{version}" / "status"


def schema_file(package: str) -> Path:
    status = engine_status_file()
    reason = None
    if not status.exists():
        reason = f"no engine status file at {status}"
    else:
        for line in status.read_text().splitlines():
            piece, _, rest = line.partition(" ")
            if piece == f"schema-{package}":
                state, _, path = rest.partition(" ")
                if state == "ok" and Path(path.strip()).exists():
                    return Path(path.strip())
                reason = f"{status}: {line}"
                break
        else:
            reason = f"{status} has no schema-{package} line"
    message = f"the generated {package} schema is not available ({reason}); build it with `make engine`"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# ------------------------------------------------------------------------------------------ reading the SDK
def _source(obj) -> str:
    return inspect.getsource(obj)


def _modules(package: ModuleType) -> list[ModuleType]:
    found = [package]
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if info.name.startswith(package.__name__ + ".config"):
            continue  # provider configuration: read from config/vars.py's source (importing it replaces the module)
        found.append(importlib.import_module(info.name))
    return found


def _unwrap(hint):
    """Input[T], Output[T], Optional[T], InputType[T] -> T (pulumi's own rules, then Optional/Union leftovers)."""
    hint = ptypes.unwrap_type(hint)
    if typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        # Union['XArgs', 'XArgsDict'] (function arguments): the class is the one that carries the names.
        classes = [a for a in args if inspect.isclass(a) and (ptypes.is_input_type(a) or ptypes.is_output_type(a))]
        if classes:
            return classes[0]
        if len(args) == 1:
            return _unwrap(args[0])
        # Input[T] written inside another container: Union[T, Awaitable[T], Output[T]]
        plain = [a for a in args if typing.get_origin(a) not in (collections.abc.Awaitable, pulumi.Output)]
        if len(plain) == 1:
            return _unwrap(plain[0])
    return hint


def _py_props(cls) -> dict[str, str]:
    """Pulumi name -> Python name of the @pulumi.getter properties of a class (resource, input or output type)."""
    return {pulumi_name: py_name for py_name, pulumi_name, _ in ptypes._py_properties(cls)}


def _prop_types(cls) -> dict[str, object]:
    return ptypes._types_from_py_properties(cls)


class SDK:
    """The official Python SDK of one package, as the structures the comparison needs."""

    def __init__(self, package_name: str):
        self.package = importlib.import_module(package_name)
        self.modules = _modules(self.package)
        self.resources: dict[str, type] = {}
        self.functions: dict[str, typing.Callable] = {}
        self.methods: dict[str, typing.Callable] = {}
        self.provider = self.package.Provider
        for module in self.modules:
            for name, obj in vars(module).items():
                if inspect.isclass(obj) and obj.__module__ == module.__name__:
                    if issubclass(obj, pulumi.CustomResource) and not issubclass(obj, pulumi.ProviderResource):
                        m = re.search(r"super\(\w+, __self__\)\.__init__\(\s*'([^']+)'", _source(obj._internal_init))
                        assert m, f"no token in {module.__name__}.{name}._internal_init"
                        self.resources[m.group(1)] = obj
                elif inspect.isfunction(obj) and obj.__module__ == module.__name__ and not name.endswith("_output"):
                    m = re.search(r"pulumi\.runtime\.invoke\(\s*'([^']+)'", _source(obj))
                    if m:
                        self.functions[m.group(1)] = obj
        for name, obj in vars(self.provider).items():
            if inspect.isfunction(obj):
                m = re.search(r"pulumi\.runtime\.call\(\s*'([^']+)'", _source(obj))
                if m:
                    self.methods[m.group(1)] = obj

    @staticmethod
    def args_class(resource_cls, method: str, pattern: str):
        m = re.search(pattern, _source(getattr(resource_cls, method)))
        assert m, f"{resource_cls.__name__}.{method}: {pattern} not found"
        return inspect.getmodule(resource_cls).__dict__[m.group(1)]

    def inputs_class(self, resource_cls):
        return self.args_class(resource_cls, "_internal_init", r"__props__ = (\w+)\.__new__\(")

    def state_class(self, resource_cls):
        return self.args_class(resource_cls, "get", r"__props__ = (\w+)\.__new__\(")

    @staticmethod
    def secrets(resource_cls, args_cls) -> tuple[set[str], set[str]]:
        """(secret inputs, secret outputs) in Pulumi names, as the SDK's _internal_init handles them."""
        src = _source(resource_cls._internal_init)
        py_to_pulumi = {py: pl for pl, py in _py_props(args_cls).items()}
        inputs = {py_to_pulumi.get(n, "?" + n) for n in
                  re.findall(r'__props__\.__dict__\["(\w+)"\] = None if \w+ is None else pulumi\.Output\.secret\(', src)}
        m = re.search(r"additional_secret_outputs=\[([^\]]*)\]", src)
        outputs = set(re.findall(r'"([^"]+)"', m.group(1))) if m else set()
        return inputs, outputs

    @staticmethod
    def required_inputs(resource_cls, args_cls) -> set[str]:
        """Pulumi names of the inputs a resource's _internal_init refuses to go without."""
        py_to_pulumi = {py: pl for pl, py in _py_props(args_cls).items()}
        return {py_to_pulumi.get(n, "?" + n) for n in
                re.findall(r"Missing required property '(\w+)'", _source(resource_cls._internal_init))}

    @staticmethod
    def required_type_inputs(args_cls) -> set[str]:
        """Pulumi names of a nested input type's required properties (constructor arguments without default)."""
        py_to_pulumi = {py: pl for pl, py in _py_props(args_cls).items()}
        params = inspect.signature(args_cls.__init__).parameters.values()
        return {py_to_pulumi.get(p.name, "?" + p.name) for p in params
                if p.name != "__self__" and p.kind is p.KEYWORD_ONLY and p.default is inspect.Parameter.empty}

    @staticmethod
    def function_inputs(fn) -> dict[str, object]:
        """Pulumi name -> type hint of a function's (or provider method's) arguments."""
        hints = typing.get_type_hints(fn, globalns=inspect.getmodule(fn).__dict__)
        return {pl: hints.get(py, typing.Any) for pl, py in re.findall(r"__args__\['([^']+)'\] = (\w+)", _source(fn))}

    @staticmethod
    def function_result(fn):
        m = re.search(r"typ=([\w.]+)", _source(fn))
        assert m, f"{fn.__name__}: no result type"
        obj = inspect.getmodule(fn)
        for part in m.group(1).split("."):
            obj = getattr(obj, part)
        return obj

    def config_variables(self) -> dict[str, object]:
        vars_py = Path(self.package.__file__).parent / "config" / "vars.py"
        if not vars_py.exists():  # a package without provider configuration (random)
            return {}
        names = dict(re.findall(r"def (\w+)\(self\)[^:]*:(?:(?!def ).)*?__config__\.get\w*\('([^']+)'",
                                vars_py.read_text(), re.S))
        return {pulumi_name: py_name for py_name, pulumi_name in names.items()}


# ------------------------------------------------------------------------------------------ the comparison
class Comparison:
    def __init__(self, schema: dict, sdk: SDK):
        self.schema, self.sdk = schema, sdk
        self.types = schema.get("types", {})
        self.counts: Counter[str] = Counter()
        self.mismatches: list[str] = []
        self._seen: set[tuple] = set()

    def check(self, kind: str, ok: bool, detail: str) -> None:
        self.counts[kind] += 1
        if not ok:
            self.mismatches.append(f"{kind}: {detail}")

    def names(self, where: str, schema_names, sdk_names) -> None:
        schema_names, sdk_names = set(schema_names), set(sdk_names)
        for name in sorted(schema_names | sdk_names):
            ok = name in schema_names and name in sdk_names
            side = "only in the schema" if name in schema_names else "only in the SDK"
            self.check("property names", ok, f"{where}.{name} {'' if ok else side}")

    # -- shapes: list / map / object / scalar, recursively into object types
    def shape(self, where: str, spec: dict, hint) -> None:
        hint = _unwrap(hint)
        ref = spec.get("$ref", "")
        if ref.startswith(("#/resources/", "#/provider", "pulumi.json#/")):
            return  # a resource or the provider (provider methods' __self__), or Any / Archive / Asset
        kind = spec.get("type")
        origin = typing.get_origin(hint)
        if kind == "array":
            is_list = origin in (collections.abc.Sequence, list, typing.Sequence)
            self.check("list vs object", is_list, f"{where}: schema has a list, SDK has {hint!r}")
            if is_list:
                self.shape(where + "[]", spec.get("items", {}), typing.get_args(hint)[0])
            return
        if kind == "object" or (not ref and "additionalProperties" in spec):
            is_map = origin in (collections.abc.Mapping, dict, typing.Mapping)
            self.check("list vs object", is_map, f"{where}: schema has a map, SDK has {hint!r}")
            if is_map and "additionalProperties" in spec:
                self.shape(where + "{}", spec["additionalProperties"], typing.get_args(hint)[1])
            return
        if ref.startswith("#/types/"):
            token = ref[len("#/types/"):]
            tspec = self.types.get(token)
            if tspec is None:
                self.check("type tokens", False, f"{where}: {token} not in the schema's types")
                return
            if "enum" in tspec:
                return
            is_obj = inspect.isclass(hint) and (ptypes.is_input_type(hint) or ptypes.is_output_type(hint))
            self.check("list vs object", is_obj, f"{where}: schema has one object {token}, SDK has {hint!r}")
            if is_obj:
                self.object_type(token, tspec, hint)
            return
        if kind in SCALARS:
            want = SCALARS[kind]
            ok = hint is want or hint is typing.Any or (want is float and hint in (int, float))
            self.check("scalar kinds", ok, f"{where}: schema {kind}, SDK {hint!r}")
            return
        self.check("scalar kinds", False, f"{where}: unhandled schema spec {spec}")

    def required(self, where: str, schema_required, sdk_required) -> None:
        schema_required, sdk_required = set(schema_required or ()), set(sdk_required)
        for name in sorted(schema_required | sdk_required):
            ok = (name in schema_required) == (name in sdk_required)
            self.check("required inputs", ok,
                       f"{where}.{name}: schema required={name in schema_required}, SDK required={name in sdk_required}")

    def object_type(self, token: str, tspec: dict, cls) -> None:
        key = (token, cls)
        if key in self._seen:
            return
        self._seen.add(key)
        self.counts["nested types"] += 1
        props = tspec.get("properties", {})
        sdk_props = _py_props(cls)
        where = f"{token} ({cls.__name__})"
        self.names(where, props, sdk_props)
        hints = _prop_types(cls)
        for name in sorted(set(props) & set(sdk_props)):
            self.shape(f"{where}.{name}", props[name], hints.get(name, typing.Any))
        if ptypes.is_input_type(cls):
            self.required(where, [n for n in tspec.get("required", ()) if n in sdk_props],
                          SDK.required_type_inputs(cls))

    def properties(self, where: str, specs: dict, cls) -> None:
        self.names(where, specs, _py_props(cls))
        hints = _prop_types(cls)
        for name in sorted(set(specs) & set(_py_props(cls))):
            self.shape(f"{where}.{name}", specs[name], hints.get(name, typing.Any))

    def secrets(self, where: str, res: dict, cls, args_cls) -> None:
        sdk_in, sdk_out = SDK.secrets(cls, args_cls)
        schema_in = {k for k, v in res.get("inputProperties", {}).items() if v.get("secret")}
        schema_out = {k for k, v in res.get("properties", {}).items() if v.get("secret")}
        for name in sorted(set(res.get("inputProperties", {})) | sdk_in):
            ok = (name in schema_in) == (name in sdk_in)
            self.check("secret flags", ok, f"{where} input {name}: schema secret={name in schema_in}, SDK secret={name in sdk_in}")
        for name in sorted(set(res.get("properties", {})) | sdk_out):
            ok = (name in schema_out) == (name in sdk_out)
            self.check("secret flags", ok, f"{where} output {name}: schema secret={name in schema_out}, SDK secret={name in sdk_out}")

    def resource(self, token: str, res: dict, cls) -> None:
        args_cls = self.sdk.inputs_class(cls)
        self.properties(f"{token} inputs", res.get("inputProperties", {}), args_cls)
        outputs = {k: v for k, v in res.get("properties", {}).items()}
        sdk_outputs = {k: v for k, v in _py_props(cls).items() if k not in ("id", "urn")}
        self.names(f"{token} outputs", outputs, sdk_outputs)
        hints = _prop_types(cls)
        for name in sorted(set(outputs) & set(sdk_outputs)):
            self.shape(f"{token} outputs.{name}", outputs[name], hints.get(name, typing.Any))
        self.secrets(token, res, cls, args_cls)
        self.required(f"{token} inputs", res.get("requiredInputs", ()), SDK.required_inputs(cls, args_cls))

    def function(self, token: str, fn_spec: dict, fn) -> None:
        inputs = fn_spec.get("inputs", {}).get("properties", {})
        sdk_inputs = SDK.function_inputs(fn)
        self.names(f"{token} inputs", inputs, sdk_inputs)
        for name in sorted(set(inputs) & set(sdk_inputs)):
            self.shape(f"{token} inputs.{name}", inputs[name], sdk_inputs[name])
        outputs = fn_spec.get("outputs", {}).get("properties", {})
        self.properties(f"{token} outputs", outputs, SDK.function_result(fn))

    def run(self) -> None:
        schema, sdk = self.schema, self.sdk
        # tokens, both ways
        for token in sorted(set(schema["resources"]) | set(sdk.resources)):
            ok = token in schema["resources"] and token in sdk.resources
            self.check("resource tokens", ok, f"{token} only in the {'schema' if token in schema['resources'] else 'SDK'}")
            if ok:
                self.resource(token, schema["resources"][token], sdk.resources[token])
        functions = {k: v for k, v in schema.get("functions", {}).items() if not k.startswith("pulumi:providers:")}
        methods = {k: v for k, v in schema.get("functions", {}).items() if k.startswith("pulumi:providers:")}
        for token in sorted(set(functions) | set(sdk.functions)):
            ok = token in functions and token in sdk.functions
            self.check("function tokens", ok, f"{token} only in the {'schema' if token in functions else 'SDK'}")
            if ok:
                self.function(token, functions[token], sdk.functions[token])
        for token in sorted(set(methods) | set(sdk.methods)):
            ok = token in methods and token in sdk.methods
            self.check("function tokens", ok, f"provider method {token} only in the {'schema' if token in methods else 'SDK'}")
            if ok:
                self.function(token, methods[token], sdk.methods[token])
        # the provider resource
        provider = schema.get("provider", {})
        ptoken = f"pulumi:providers:{schema['name']}"
        args_cls = sdk.inputs_class(sdk.provider)
        self.properties(f"{ptoken} inputs", provider.get("inputProperties", {}), args_cls)
        # Pulumi's codegen gives a provider resource output getters for its string-typed properties only
        # (provider outputs reach programs as strings).
        string_outputs = {k for k, v in provider.get("properties", {}).items() if v.get("type") == "string"}
        self.names(f"{ptoken} outputs", string_outputs,
                   {k for k in _py_props(sdk.provider) if k not in ("id", "urn")})
        self.secrets(ptoken, provider, sdk.provider, args_cls)
        # config variables
        variables = schema.get("config", {}).get("variables", {})
        for name in sorted(set(variables) | set(sdk.config_variables())):
            ok = name in variables and name in sdk.config_variables()
            self.check("config variables", ok, f"{name} only in the {'schema' if name in variables else 'SDK'}")

    def report(self, package: str) -> str:
        counts = ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items()))
        return f"{package}: compared {counts}; {len(self.mismatches)} mismatches"


# ------------------------------------------------------------------------------------------ vercel: expected differences
# The vercel plugin is built from the vendored upstream snapshot (terraform-provider-vercel c8a6711, v5.10.0 + 1);
# pulumiverse-vercel 5.21.1 bridges a newer upstream. Every difference is something only the SDK has (resources,
# functions and properties added upstream after the snapshot; none of them is used by this project). The list is
# exact: a new difference fails the test, and so does a listed one that disappears (then remove it here).
EXPECTED_DIFFERENCES: dict[str, frozenset[str]] = {
    "vercel": frozenset({
        # 12 resources only in the SDK
        'resource tokens: vercel:index/aiGatewayApiKey:AiGatewayApiKey only in the SDK',
        'resource tokens: vercel:index/alertRule:AlertRule only in the SDK',
        'resource tokens: vercel:index/alertRuleSlackNotification:AlertRuleSlackNotification only in the SDK',
        'resource tokens: vercel:index/alertRuleWebhookNotification:AlertRuleWebhookNotification only in the SDK',
        'resource tokens: vercel:index/customAlertRule:CustomAlertRule only in the SDK',
        'resource tokens: vercel:index/kmsIssuer:KmsIssuer only in the SDK',
        'resource tokens: vercel:index/kmsProjectGrant:KmsProjectGrant only in the SDK',
        'resource tokens: vercel:index/kmsSigningKey:KmsSigningKey only in the SDK',
        'resource tokens: vercel:index/oidcFederationPolicy:OidcFederationPolicy only in the SDK',
        'resource tokens: vercel:index/projectDeploymentCheck:ProjectDeploymentCheck only in the SDK',
        'resource tokens: vercel:index/projectTracing:ProjectTracing only in the SDK',
        'resource tokens: vercel:index/shareableLink:ShareableLink only in the SDK',
        # 3 functions only in the SDK
        'function tokens: vercel:index/getConnectApplication:getConnectApplication only in the SDK',
        'function tokens: vercel:index/getKmsIssuer:getKmsIssuer only in the SDK',
        'function tokens: vercel:index/getShareableLink:getShareableLink only in the SDK',
        # 34 properties only in the SDK (inputs, outputs, nested types, function results)
        'property names: vercel:index/ProjectEnvironment:ProjectEnvironment (ProjectEnvironment).visibility only in the SDK',
        'property names: vercel:index/ProjectEnvironment:ProjectEnvironment (ProjectEnvironmentArgs).visibility only in the SDK',
        'property names: vercel:index/ProjectEnvironmentVariablesVariable:ProjectEnvironmentVariablesVariable (ProjectEnvironmentVariablesVariable).visibility only in the SDK',
        'property names: vercel:index/ProjectEnvironmentVariablesVariable:ProjectEnvironmentVariablesVariable (ProjectEnvironmentVariablesVariableArgs).visibility only in the SDK',
        'property names: vercel:index/dnsRecord:DnsRecord inputs.https only in the SDK',
        'property names: vercel:index/dnsRecord:DnsRecord outputs.https only in the SDK',
        'property names: vercel:index/getBlobProjectConnections:getBlobProjectConnections outputs.id only in the SDK',
        'property names: vercel:index/getBlobStoreSecrets:getBlobStoreSecrets outputs.id only in the SDK',
        'property names: vercel:index/getBlobStores:getBlobStores outputs.id only in the SDK',
        'property names: vercel:index/getBulkRedirects:getBulkRedirects outputs.id only in the SDK',
        'property names: vercel:index/getDomainConfig:getDomainConfig outputs.id only in the SDK',
        'property names: vercel:index/getDsyncGroups:getDsyncGroups outputs.id only in the SDK',
        'property names: vercel:index/getProject:getProject outputs.passport only in the SDK',
        'property names: vercel:index/getProjectEnvironment:getProjectEnvironment (GetProjectEnvironmentResult).visibility only in the SDK',
        'property names: vercel:index/getProjectMembers:getProjectMembers outputs.id only in the SDK',
        'property names: vercel:index/getProjectRollingRelease:getProjectRollingRelease outputs.id only in the SDK',
        'property names: vercel:index/getTeamConfig:getTeamConfig outputs.defaultBuildMachineType only in the SDK',
        'property names: vercel:index/getTeamConfig:getTeamConfig outputs.defaultDeploymentProtection only in the SDK',
        'property names: vercel:index/getTeamConfig:getTeamConfig outputs.defaultPassport only in the SDK',
        'property names: vercel:index/getTeamConfig:getTeamConfig outputs.disjunctiveProductionSecretPolicy only in the SDK',
        'property names: vercel:index/project:Project inputs.passport only in the SDK',
        'property names: vercel:index/project:Project outputs.passport only in the SDK',
        'property names: vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable inputs.visibility only in the SDK',
        'property names: vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable outputs.visibility only in the SDK',
        'property names: vercel:index/sharedEnvironmentVariable:SharedEnvironmentVariable inputs.valueWoVersion only in the SDK',
        'property names: vercel:index/sharedEnvironmentVariable:SharedEnvironmentVariable outputs.valueWoVersion only in the SDK',
        'property names: vercel:index/teamConfig:TeamConfig inputs.defaultBuildMachineType only in the SDK',
        'property names: vercel:index/teamConfig:TeamConfig inputs.defaultDeploymentProtection only in the SDK',
        'property names: vercel:index/teamConfig:TeamConfig inputs.defaultPassport only in the SDK',
        'property names: vercel:index/teamConfig:TeamConfig inputs.disjunctiveProductionSecretPolicy only in the SDK',
        'property names: vercel:index/teamConfig:TeamConfig outputs.defaultBuildMachineType only in the SDK',
        'property names: vercel:index/teamConfig:TeamConfig outputs.defaultDeploymentProtection only in the SDK',
        'property names: vercel:index/teamConfig:TeamConfig outputs.defaultPassport only in the SDK',
        'property names: vercel:index/teamConfig:TeamConfig outputs.disjunctiveProductionSecretPolicy only in the SDK',
    }),
}

# What this project sets (components/deployment_target.py) and the provider configuration: these must match the
# SDK with no difference at all (names at every depth, list/object, scalar kind, secret, required).
USED: dict[str, dict[str, tuple[str, ...]]] = {
    "vercel": {
        "vercel:index/project:Project": (
            "name", "teamId", "gitRepository", "gitRepository.type", "gitRepository.repo", "gitRepository.productionBranch"),
        "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable": (
            "projectId", "teamId", "key", "value", "targets", "sensitive"),
        "vercel:index/projectDomain:ProjectDomain": ("projectId", "teamId", "domain"),
        "pulumi:providers:vercel": ("apiToken", "team"),
    },
}


_SDKS: dict[str, SDK] = {}


def compare(package: str, schema: dict) -> Comparison:
    if package not in _SDKS:
        _SDKS[package] = SDK(PACKAGES[package])
    comparison = Comparison(schema, _SDKS[package])
    comparison.run()
    return comparison


def used_properties(comparison: Comparison, package: str) -> tuple[int, list[str]]:
    """(how many USED properties were checked, the problems found): each one present in the schema and in the
    SDK at its depth, and no mismatch of the comparison (name, shape, secret, required) concerning it."""
    schema, sdk = comparison.schema, comparison.sdk
    checked, problems = 0, []
    for token, paths in USED.get(package, {}).items():
        if token.startswith("pulumi:providers:"):
            top_specs, top_cls = schema.get("provider", {}).get("inputProperties", {}), sdk.inputs_class(sdk.provider)
            variables, config = schema.get("config", {}).get("variables", {}), sdk.config_variables()
        elif token in schema["resources"] and token in sdk.resources:
            top_specs, top_cls = schema["resources"][token].get("inputProperties", {}), sdk.inputs_class(sdk.resources[token])
            variables = config = None
        else:
            problems.append(f"{token}: not a resource of both the schema and the SDK")
            continue
        for path in paths:
            checked += 1
            specs, cls, owner = top_specs, top_cls, None
            for depth, part in enumerate(path.split(".")):
                if part not in specs or part not in _py_props(cls):
                    problems.append(f"{token} {path}: {part} is missing from the "
                                    f"{'schema' if part not in specs else 'SDK'}")
                    break
                if owner is None:  # a resource's (or the provider's) own property
                    patterns = [rf"{re.escape(token)} (inputs|outputs)\.{part}\b", rf"{re.escape(token)} (input|output) {part}\b"]
                else:  # a property of a nested type (its input and output classes)
                    patterns = [rf"{re.escape(owner)} \(\w+\)\.{part}\b"]
                problems += [f"{token} {path}: {m}" for m in comparison.mismatches if any(re.search(p, m) for p in patterns)]
                if depth < path.count("."):
                    owner = specs[part].get("$ref", "")[len("#/types/"):]
                    specs = comparison.types.get(owner, {}).get("properties", {})
                    cls = _unwrap(_prop_types(cls)[part])
            if variables is not None and "." not in path and (path not in variables or path not in config):
                problems.append(f"{token} {path}: not a config variable of both the schema and the SDK")
    return checked, problems


def _kinds(lines) -> str:
    counts = Counter(line.split(":", 1)[0] for line in lines)
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))


# ------------------------------------------------------------------------------------------ tests
@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_generated_schema_matches_the_official_sdk(package):
    schema = json.loads(schema_file(package).read_text())
    assert schema["name"] == package
    comparison = compare(package, schema)
    print(comparison.report(package))
    expected = EXPECTED_DIFFERENCES.get(package, frozenset())
    found = set(comparison.mismatches)
    new, gone = sorted(found - expected), sorted(expected - found)
    print(f"{package}: {len(found & expected)} expected differences ({_kinds(found & expected) or 'none'}), "
          f"{len(new)} new, {len(gone)} listed but gone")
    for line in new[:50]:
        print("  MISMATCH", line)
    for line in gone:
        print("  GONE", line)
    assert comparison.counts["resource tokens"] > 0 and comparison.counts["property names"] > 0
    assert not new, f"{comparison.report(package)}; {len(new)} differences not in EXPECTED_DIFFERENCES:\n" + "\n".join(new[:50])
    assert not gone, (f"{len(gone)} differences listed in EXPECTED_DIFFERENCES['{package}'] no longer occur "
                      "(remove them, the list stays exact):\n" + "\n".join(gone))


@pytest.mark.parametrize("package", sorted(USED))
def test_every_property_this_project_sets_matches(package):
    schema = json.loads(schema_file(package).read_text())
    checked, problems = used_properties(compare(package, schema), package)
    resources = [t for t in USED[package] if not t.startswith("pulumi:providers:")]
    print(f"{package}: {checked} properties this project sets (in {len(resources)} resources and the provider "
          f"configuration), {len(problems)} differences")
    assert checked == sum(len(paths) for paths in USED[package].values())
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("package", sorted(EXPECTED_DIFFERENCES))
def test_expected_differences_are_only_what_the_sdk_adds(package):
    """No list/object, scalar, secret, required or type difference may be accepted; nothing the project uses."""
    for line in EXPECTED_DIFFERENCES[package]:
        assert re.fullmatch(r"(resource tokens|function tokens|property names): \S.* only in the SDK", line), line
    for token, paths in USED.get(package, {}).items():
        for line in EXPECTED_DIFFERENCES[package]:
            assert not line.startswith(f"resource tokens: {token} "), line
            for path in paths:
                leaf = path.rsplit(".", 1)[-1]
                assert not re.search(rf"{re.escape(token)} (inputs|outputs)\.{path}\b", line), line
                assert "." not in path or not re.search(rf"\)\.{leaf}\b", line), line


def _corrupt(schema: dict, package: str) -> dict:
    """One renamed nested property, one list turned into a single object, one secret flag dropped (and for
    vercel a required input made optional)."""
    bad = copy.deepcopy(schema)
    if package == "github":
        rules = bad["types"]["github:index/RepositoryRulesetRules:RepositoryRulesetRules"]["properties"]
        rules["requiredLinearHistorie"] = rules.pop("requiredLinearHistory")
        reviewers = bad["resources"]["github:index/repositoryEnvironment:RepositoryEnvironment"]["inputProperties"]["reviewers"]
        reviewers.update(reviewers.pop("items"))
        del reviewers["type"]
        bad["provider"]["inputProperties"]["token"].pop("secret")
    elif package == "random":
        password = bad["resources"]["random:index/randomPassword:RandomPassword"]
        password["properties"]["result"].pop("secret")
        password["inputProperties"]["minUpperCase"] = password["inputProperties"].pop("minUpper")
    else:
        git = bad["types"]["vercel:index/ProjectGitRepository:ProjectGitRepository"]["properties"]
        git["productionBranche"] = git.pop("productionBranch")
        project = bad["resources"]["vercel:index/project:Project"]["inputProperties"]
        project["gitRepository"] = {"type": "array", "items": project["gitRepository"]}
        env = bad["resources"]["vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable"]
        env["inputProperties"]["value"].pop("secret")
        env["requiredInputs"].remove("key")
    return bad


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_a_corrupted_schema_is_caught(package):
    schema = json.loads(schema_file(package).read_text())
    comparison = compare(package, _corrupt(schema, package))
    print(comparison.report(package + " (corrupted copy)"))
    mismatches = [m for m in comparison.mismatches if m not in EXPECTED_DIFFERENCES.get(package, ())]
    for line in mismatches:
        print("  MISMATCH", line)
    expected = {"github": 3, "random": 2, "vercel": 4}[package]
    # a renamed property shows twice (only in the schema / only in the SDK)
    assert len(mismatches) >= expected + 1
    text = "\n".join(mismatches)
    if package == "github":
        assert "requiredLinearHistorie only in the schema" in text
        assert "reviewers: schema has one object" in text
        assert "input token: schema secret=False, SDK secret=True" in text
    elif package == "random":
        assert "output result: schema secret=False, SDK secret=True" in text
        assert "minUpperCase only in the schema" in text
    else:
        assert "productionBranche only in the schema" in text
        assert "inputs.gitRepository: schema has a list" in text
        assert "input value: schema secret=False, SDK secret=True" in text
        assert "inputs.key: schema required=False, SDK required=True" in text
        checked, problems = used_properties(comparison, package)
        assert len(problems) >= 4, problems
