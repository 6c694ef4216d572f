"""The provider plugins built from upstream + the terraform bridge (providers/) against the official SDKs.

scripts/engine.sh generates each package's schema with tfgen and records its path in its status file
(`schema-github ok /path/schema.json`). This test compares that schema with the official Python SDKs
installed in the venv (pulumi_github, pulumi_random), which drive the plugins unchanged:

- every resource and function token (both ways), the provider and its methods, the config variables;
- every input, output and state property name, at every depth (nested types reached from them);
- list versus single object versus map, and the scalar kind, at every depth;
- secret flags: secret inputs (the SDK wraps them in `pulumi.Output.secret`) and secret outputs
  (`additional_secret_outputs`) of every resource and of the provider.

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
PACKAGES = {"github": "pulumi_github", "random": "pulumi_random"}
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


_SDKS: dict[str, SDK] = {}


def compare(package: str, schema: dict) -> Comparison:
    if package not in _SDKS:
        _SDKS[package] = SDK(PACKAGES[package])
    comparison = Comparison(schema, _SDKS[package])
    comparison.run()
    return comparison


# ------------------------------------------------------------------------------------------ tests
@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_generated_schema_matches_the_official_sdk(package):
    schema = json.loads(schema_file(package).read_text())
    assert schema["name"] == package
    comparison = compare(package, schema)
    print(comparison.report(package))
    for line in comparison.mismatches[:50]:
        print("  MISMATCH", line)
    assert comparison.counts["resource tokens"] > 0 and comparison.counts["property names"] > 0
    assert not comparison.mismatches, comparison.report(package) + "\n" + "\n".join(comparison.mismatches[:50])


def _corrupt(schema: dict, package: str) -> dict:
    """One renamed nested property, one list turned into a single object, one secret flag dropped."""
    bad = copy.deepcopy(schema)
    if package == "github":
        rules = bad["types"]["github:index/RepositoryRulesetRules:RepositoryRulesetRules"]["properties"]
        rules["requiredLinearHistorie"] = rules.pop("requiredLinearHistory")
        reviewers = bad["resources"]["github:index/repositoryEnvironment:RepositoryEnvironment"]["inputProperties"]["reviewers"]
        reviewers.update(reviewers.pop("items"))
        del reviewers["type"]
        bad["provider"]["inputProperties"]["token"].pop("secret")
    else:
        password = bad["resources"]["random:index/randomPassword:RandomPassword"]
        password["properties"]["result"].pop("secret")
        password["inputProperties"]["minUpperCase"] = password["inputProperties"].pop("minUpper")
    return bad


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_a_corrupted_schema_is_caught(package):
    schema = json.loads(schema_file(package).read_text())
    comparison = compare(package, _corrupt(schema, package))
    print(comparison.report(package + " (corrupted copy)"))
    for line in comparison.mismatches:
        print("  MISMATCH", line)
    expected = 3 if package == "github" else 2
    # a renamed property shows twice (only in the schema / only in the SDK)
    assert len(comparison.mismatches) >= expected + 1
    text = "\n".join(comparison.mismatches)
    if package == "github":
        assert "requiredLinearHistorie only in the schema" in text
        assert "reviewers: schema has one object" in text
        assert "input token: schema secret=False, SDK secret=True" in text
    else:
        assert "output result: schema secret=False, SDK secret=True" in text
        assert "minUpperCase only in the schema" in text
