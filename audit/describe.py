"""How a change is shown (which values may appear at all) and the fix each class suggests."""

from __future__ import annotations

import re
import shlex
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


# A secret re-set by hand: GitHub and Vercel never return a secret's value, so neither a plain nor a refreshed
# `up` sees a difference (the provider diffs the value it was given against the value it stored). Replacing the
# resource writes the declared value again; production's resources are protected, so the fix unprotects it first
# (a no-op elsewhere) and the `up` protects it again. GitHub secrets and Vercel variables are delete-before-replace
# (components/): a create-then-delete of the same name would delete the value just written.

def fix_secret(stack: str, name: str, urn: str | None) -> str:
    if not urn:
        return (f"someone set this secret outside Pulumi: rotate it if it may have leaked, then deploy "
                f"(`pulumi config set --secret --stack {stack} {name} <value>`)")
    target = shlex.quote(urn)
    return (f"`pulumi state unprotect --stack {stack} {target} && pulumi up --stack {stack} --replace {target}` writes "
            "the declared value back (a plain or refreshed `pulumi up` cannot see a secret's value and changes nothing); "
            "rotate it if it may have leaked. To keep the new value instead, first "
            f"`pulumi config set --secret --stack {stack} {name} <value>`, then the same command")


def fix_unmanaged(what: str, removal: str) -> str:
    return f"{removal}, or declare the {what} in the code/config and `pulumi import` it"


def gh_delete(path: str) -> str:
    """The removal of a GitHub object as a command (GitHub CLI, `gh auth login` with admin rights on the repository)."""
    return f"delete it: `gh api -X DELETE {path}`"


def vercel_delete(path: str, team: str | None) -> str:
    """The removal of a Vercel object as a command (REST; the CLI would need the project linked first)."""
    query = f"?teamId={team}" if team else ""
    return (f"delete it: `curl -fsS -X DELETE -H \"Authorization: Bearer $VERCEL_API_TOKEN\" "
            f"https://api.vercel.com{path}{query}`")


def fix_pending(stack: str) -> str:
    return f"merged but not applied: the deploy workflow applies it (`pulumi up --stack {stack}`)"


def fix_policy(level: str) -> str:
    if level == "mandatory":
        return "fix the code or config as the message says; `pulumi up` refuses this stack until then"
    return "advisory: fix it as the message says, or accept it knowingly"


def fix_error() -> str:
    return "fix the cause and rerun the audit; until then this stack's state is unknown (not clean)"
