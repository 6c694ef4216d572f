"""How a change is shown (which values may appear at all) and the fix each class suggests."""

from __future__ import annotations

import re
from typing import Any

from .events import is_secret
from .model import HIDDEN, Change

# Strings shown only under these property names: enumerations and names, never free text.
# Everything else that is a string is reported as "changed", whatever it holds.
SHOWN_STRINGS = frozenset({"enforcement", "target", "bypassMode", "actorType", "type", "name",
                           "branchPattern", "tagPattern", "environment", "domain", "gitBranch"})


def _leaf(path: str) -> str:
    return re.split(r"[.\[]", path.rstrip("]"))[-1] if path else path


def shown(path: str, value: Any) -> Any:
    """The value itself when it cannot be a secret, else HIDDEN."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, list) and all(isinstance(v, (bool, int, float)) for v in value):
        return list(value)
    if isinstance(value, str) and _leaf(path) in SHOWN_STRINGS and len(value) <= 100:
        return value
    return HIDDEN


def change(path: str, kind: str, before: Any = HIDDEN, after: Any = HIDDEN, *, secret: bool = False,
           changed_at: str | None = None) -> Change:
    secret = secret or is_secret(before) or is_secret(after)
    if secret:
        return Change(path, kind, secret=True, changed_at=changed_at)
    return Change(path, kind, shown(path, before), shown(path, after), changed_at=changed_at)


def lookup(props: Any, path: str) -> Any:
    """The value at an engine property path (a.b[0].c) or None."""
    value = props
    for part in re.findall(r"[^.\[\]]+", path or ""):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


# --- fixes -------------------------------------------------------------------------------------

# A plain `pulumi up` diffs against the stored state, which still holds the declared values: it sees no
# drift and writes nothing. `--refresh` reads the live objects first, so the plan puts the declaration back.

def fix_restore(stack: str) -> str:
    return (f"`pulumi up --refresh --stack {stack}` restores the declared value; to keep the live value instead, "
            "change the code or stack config to match, then deploy")


def fix_recreate(stack: str) -> str:
    return (f"`pulumi up --refresh --stack {stack}` recreates it; if it was removed on purpose, remove it from "
            "the code or config as well")


def fix_secret(stack: str, name: str) -> str:
    return (f"someone set this secret outside Pulumi: if the new value is wanted, put it in config "
            f"(`pulumi config set --secret --stack {stack} {name} <value>`), then `pulumi up --stack {stack}`; "
            "otherwise `pulumi up` pushes the declared value back (rotate it if it may have leaked)")


def fix_unmanaged(what: str, removal: str) -> str:
    return f"{removal}, or declare the {what} in the code/config and `pulumi import` it"


def fix_pending(stack: str) -> str:
    return f"merged but not applied: the deploy workflow applies it (`pulumi up --stack {stack}`)"


def fix_policy(level: str) -> str:
    if level == "mandatory":
        return "fix the code or config as the message says; `pulumi up` refuses this stack until then"
    return "advisory: fix it as the message says, or accept it knowingly"


def fix_error() -> str:
    return "fix the cause and rerun the audit; until then this stack's state is unknown (not clean)"
