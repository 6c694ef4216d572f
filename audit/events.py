"""Engine events of one refreshed preview, reduced to what the audit classifies.

The audit makes one engine call per stack: `preview --refresh` with the policy pack. Its event
stream holds, for every resource, first a refresh step (op "refresh": the live object against the
state, with the provider's diff), then the preview step of the code against the refreshed state.
The SDK hands `on_event` parsed `EngineEvent`s; the audit only appends them to a list while the
engine runs (the SDK turns an exception raised in `on_event` into a warning and drops the event)
and reads them here after the call returned. Secrets arrive blinded by the engine
(`{SECRET_SIG: ..., "ciphertext": "[secret]"}`) and stay opaque markers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

# The engine's marker of a secret value (pulumi sdk `rpc._special_sig_key`).
SECRET_SIG = "4dabf18193072939515e22adb298388d"

# Resources that hold no cloud object of their own.
_NOT_CLOUD = ("pulumi:pulumi:Stack", "pulumi:providers:")


def is_secret(value: Any) -> bool:
    return isinstance(value, Mapping) and SECRET_SIG in value


@dataclass(frozen=True)
class Step:
    """A resource step. For a refresh, `op` is its result: same, update (drifted) or delete (gone)."""

    op: str
    urn: str
    type: str
    id: str | None
    paths: tuple[str, ...]  # changed property paths, as the provider's diff names them
    old: Mapping[str, Any]  # outputs before (the state)
    new: Mapping[str, Any]  # outputs after (live for a refresh, planned for a preview)
    old_inputs: Mapping[str, Any]
    new_inputs: Mapping[str, Any]

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class PolicyViolation:
    policy: str
    pack: str
    level: str  # mandatory | advisory | remediate | disabled
    urn: str | None
    message: str


@dataclass(frozen=True)
class Failure:
    message: str
    urn: str | None = None


@dataclass(frozen=True)
class EngineRun:
    """What one refreshed preview with the policy pack reported."""

    refresh: tuple[Step, ...] = ()  # live against state
    preview: tuple[Step, ...] = ()  # code against the refreshed state
    policy_violations: tuple[PolicyViolation, ...] = ()
    failures: tuple[Failure, ...] = ()
    command_error: str | None = None  # the CLI's failure, "pulumi exited N: ..." (scrubbed later)
    missing_stack: bool = False


def _value(enum_or_str: Any) -> str:
    return getattr(enum_or_str, "value", enum_or_str) or ""


def changed_paths(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Property paths whose values differ, in the engine's path syntax (a.b[0].c).

    The fallback when a preview step names no property. Blinded secrets compare equal: a secret's
    value change is invisible here by design (its timestamps tell instead).
    """
    if is_secret(old) and is_secret(new):
        return []
    if isinstance(old, Mapping) and isinstance(new, Mapping) and not is_secret(old) and not is_secret(new):
        paths = []
        for key in sorted(set(old) | set(new)):
            if str(key).startswith("__"):
                continue  # engine-internal (__provider, __meta)
            sub = f"{prefix}.{key}" if prefix else str(key)
            if key not in old or key not in new:
                paths.append(sub)
            else:
                paths += changed_paths(old[key], new[key], sub)
        return paths
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [p for i, (a, b) in enumerate(zip(old, new)) for p in changed_paths(a, b, f"{prefix}[{i}]")]
    return [] if old == new else [prefix or "*"]


def _step(metadata: Any) -> Step | None:
    if metadata is None or metadata.type.startswith(_NOT_CLOUD):
        return None
    old, new = metadata.old, metadata.new
    state = new or old
    if state is None or not state.custom:
        return None  # a component (the engine omits `custom: false`): its children carry the changes
    old_out = dict((old.outputs if old else None) or {})
    new_out = dict((new.outputs if new else None) or {})
    old_in = dict((old.inputs if old else None) or {})
    new_in = dict((new.inputs if new else None) or {})
    op = _value(metadata.op)
    paths = tuple(sorted(metadata.detailed_diff or {})) or tuple(metadata.diffs or ())
    if op == "refresh":
        # The event carries the refresh's diff but not its result: gone, drifted or the same
        # (what the engine's RefreshStep.ResultOp computes from the same diff).
        op = "delete" if new is None else ("update" if paths else "same")
    elif op == "update" and not paths:
        paths = tuple(changed_paths(old_in, new_in))
    return Step(op, metadata.urn, metadata.type,
                (state.id if state else None) or None, paths, old_out, new_out, old_in, new_in)


def read_events(events: Iterable[Any], command_error: str | None = None, missing_stack: bool = False) -> EngineRun:
    """Reduce the collected `EngineEvent`s of one refreshed preview."""
    refresh: dict[str, Step] = {}
    preview: dict[str, Step] = {}
    violations: list[PolicyViolation] = []
    failures: list[Failure] = []
    for event in events:
        if event.res_outputs_event is not None:
            metadata = event.res_outputs_event.metadata
            step = _step(metadata)
            if step is not None:
                # The last word on a URN wins (outputs may be reported twice).
                (refresh if _value(metadata.op) == "refresh" else preview)[step.urn] = step
        elif event.res_op_failed_event is not None:
            metadata = event.res_op_failed_event.metadata
            failures.append(Failure(f"{_value(metadata.op)} of the resource failed", metadata.urn))
        elif event.policy_event is not None:
            p = event.policy_event
            violations.append(PolicyViolation(p.policy_name, p.policy_pack_name, _value(p.enforcement_level),
                                              p.resource_urn or None, (p.message or "").strip()))
        elif event.diagnostic_event is not None and _value(event.diagnostic_event.severity) == "error":
            d = event.diagnostic_event
            failures.append(Failure((d.message or "").strip(), d.urn or None))
    return EngineRun(tuple(refresh.values()), tuple(preview.values()), tuple(violations), tuple(failures),
                     command_error, missing_stack)
