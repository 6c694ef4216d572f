"""Each stack's own secrets key (README, "Security"): which key a stack file names, whether two stacks share
one, whether a stack is still under a published demo passphrase, and which passphrase a CLI call gets.

Everything here is checkable offline, from the stack files and the environment, without the engine:

- **Shared key.** Two stack files with the same `encryptionsalt` (passphrase provider: a copied file) or the same
  `secretsprovider` URL (awskms://, gcpkms://, azurekeyvault://, hashivault://: one KMS key) share a key. For
  passphrases the salt differs even when the passphrase is the same, so with a stack's passphrase at hand the
  check also tries it on every other stack file's `encryptionsalt` (Pulumi's own check value: AES-256-GCM of
  "pulumi" under PBKDF2-SHA256(passphrase, salt, 1,000,000 rounds), about 0.35 s per stack file): if it opens
  another stack's file, the key is shared.
- **Demo passphrase.** The demo passphrases are published (README), so a stack still encrypted with one has no
  secret at all. Two signals, both public facts: the committed demo salts (`DEMO_SALTS`, so `make check`
  warns without any key) and the SHA-256 of the published passphrases (`DEMO_PASSPHRASES_SHA256`): during an
  `up` the CLI has already checked that the passphrase it was given opens the stack, so hashing that one is
  exact, even after `pulumi stack change-secrets-provider passphrase` re-salted the stack under the same demo
  passphrase (which the CLI does when PULUMI_CONFIG_PASSPHRASE is set: it reads the new passphrase from there).
- **One passphrase per CLI call.** `pulumi` takes one passphrase per invocation. Where several stacks meet (a
  shell, the audit, the drift job), each stack's passphrase is `PULUMI_CONFIG_PASSPHRASE_<STACK>` (the stack
  name upper-cased, anything but letters and digits as `_`); `stack_env` gives a call for one stack exactly that
  stack's passphrase as PULUMI_CONFIG_PASSPHRASE and blanks every other stack's.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence
from urllib.parse import urlsplit

import yaml

from .model import Problem

PASSPHRASE = "PULUMI_CONFIG_PASSPHRASE"
PASSPHRASE_FILE = "PULUMI_CONFIG_PASSPHRASE_FILE"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
KMS_SCHEMES = ("awskms", "gcpkms", "azurekeyvault", "hashivault")

# SHA-256 of the published demo passphrases: 'release-topology-demo' (both stacks, before issue 17),
# 'release-topology-demo-staging', 'release-topology-demo-production' (README). Public facts, like the salts.
DEMO_PASSPHRASES_SHA256 = frozenset({
    "27efbf11c43c2f824b45abbb1dff82ec1dd90b8ffb437f0ade9bc1d1b3445c22",
    "40cff5e480d444192127030bac501d5a500fd740abddccc85a16b047aaf6e5a2",
    "24707b0bb228caae82c8ffcd1ac6bd17de077d99af93516fd121fe864881c9ae",
})
# Every `encryptionsalt` the demo stack files were ever committed with (each under a demo passphrase).
DEMO_SALTS = frozenset({
    "v1:QS6UT2fjPCE=:v1:L0ISJX87tp8Dk3tJ:+JfXN+Eu7hw9DxdDVqK+JG4hGH42Uw==",  # staging, 'release-topology-demo'
    "v1:y/OQkXtQmJg=:v1:eZou6/x0a8I7ZoeX:gYedoKLPPIRwsEJX5h3pUkHv9ltzcQ==",  # production, 'release-topology-demo'
    "v1:AWGhlWIVOn0=:v1:fcoxWvqafahMSHGw:KOVoE/wzfkKC9EzwlPt3eczCAvUlNw==",  # staging, its own demo passphrase
    "v1:2/TrKaB4Olc=:v1:1aGr9pR8ubrjZ+55:qFirASNP4rs+AWYwHZvsjRzH2/a10A==",  # production, its own demo passphrase
})


def passphrase_var(stack: str) -> str:
    """The environment variable holding one stack's passphrase where several stacks meet."""
    return f"{PASSPHRASE}_{re.sub(r'[^A-Za-z0-9]', '_', stack).upper()}"


def stack_env(stack: str | None, environ: Mapping[str, str], stacks: Sequence[str] = ()) -> dict[str, str]:
    """`environ` for a CLI call on `stack`: its own passphrase as PULUMI_CONFIG_PASSPHRASE (when
    PULUMI_CONFIG_PASSPHRASE_<STACK> is set; else the plain variables as they are), every other stack's
    blanked. `stacks` names stacks whose variables must be blanked even if absent from `environ` (an
    automation call inherits the process environment: an empty value overrides it)."""
    env = dict(environ)
    own = passphrase_var(stack) if stack else None
    others = {k for k in env if k.startswith(f"{PASSPHRASE}_") and k != PASSPHRASE_FILE}
    others |= {passphrase_var(s) for s in stacks}
    for key in others - {own}:
        env[key] = ""
    if own and env.get(own):
        env[PASSPHRASE] = env[own]
        env.pop(PASSPHRASE_FILE, None)
    return env


def stack_of(args: Sequence[str]) -> str | None:
    """The stack a `pulumi` argv is about: `--stack S`, `-s S`, `--stack=S`, or `stack init|select [...] S`."""
    for i, arg in enumerate(args):
        if arg in ("--stack", "-s") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--stack="):
            return arg.split("=", 1)[1]
    if len(args) >= 2 and args[0] == "stack" and args[1] in ("init", "select", "rm"):
        positional = [a for a in args[2:] if not a.startswith("-")]
        return positional[0] if positional else None
    return None


def passphrase_in_use(environ: Mapping[str, str]) -> str | None:
    """The passphrase the CLI was given (PULUMI_CONFIG_PASSPHRASE, else the file PULUMI_CONFIG_PASSPHRASE_FILE names)."""
    if environ.get(PASSPHRASE):
        return environ[PASSPHRASE]
    path = environ.get(PASSPHRASE_FILE)
    if path and Path(path).expanduser().is_file():
        return Path(path).expanduser().read_text().rstrip("\r\n") or None
    return None


def is_demo_passphrase(passphrase: str | None) -> bool:
    return bool(passphrase) and hashlib.sha256(passphrase.encode()).hexdigest() in DEMO_PASSPHRASES_SHA256


@dataclass(frozen=True)
class StackKey:
    """What a stack file says about its secrets key."""

    stack: str
    provider: str  # "passphrase", a KMS URL, or "service" (the Pulumi Cloud backend's own per-stack key)
    salt: str | None = None  # `encryptionsalt`: the passphrase provider's salt and check value

    @property
    def kms(self) -> bool:
        return urlsplit(self.provider).scheme in KMS_SCHEMES


def stack_key(stack: str, root: Path) -> StackKey | None:
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return None
    doc = yaml.safe_load(path.read_text()) or {}
    salt = doc.get("encryptionsalt")
    provider = doc.get("secretsprovider") or ("passphrase" if salt else "service")
    return StackKey(stack, str(provider), str(salt) if salt else None)


def stack_files(root: Path) -> list[str]:
    """Every stack with a file in `root` (Pulumi.<stack>.yaml), declared or not: a copied file counts."""
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def opens(passphrase: str, salt: str) -> bool:
    """Whether `passphrase` is the one a stack file's `encryptionsalt` was made with (Pulumi's check value)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        _v1, raw_salt, _v, nonce, ciphertext = salt.split(":")
        key = hashlib.pbkdf2_hmac("sha256", passphrase.encode(), base64.b64decode(raw_salt), 1_000_000, 32)
        return AESGCM(key).decrypt(base64.b64decode(nonce), base64.b64decode(ciphertext), None) == b"pulumi"
    except (ValueError, InvalidTag):
        return False


CHANGE_KEY = ("give the stack its own key: `pulumi stack change-secrets-provider --stack {stack} <awskms://...|gcpkms://..."
              "|azurekeyvault://...|hashivault://...>` or, for a new passphrase, the same command with `passphrase` run in "
              "a terminal without PULUMI_CONFIG_PASSPHRASE set (with it set, the CLI re-salts under the same passphrase); "
              "then set its real values (`pulumi config set --secret --stack {stack} NAME <value>`)")


def shared_key_problems(stack: str, root: Path, environ: Mapping[str, str], *, opened: bool = False) -> list[Problem]:
    """The other stacks whose key opens this stack's secrets too (see the module's docstring). `opened`: the CLI
    already opened this stack with the passphrase in `environ` (the program runs only then); otherwise the
    passphrase is first tried on this stack's own file, so a passphrase of another stack proves nothing."""
    mine = stack_key(stack, root)
    if mine is None or mine.provider == "service":
        return []
    passphrase = passphrase_in_use(environ) if opened else (
        stack_env(stack, environ).get(PASSPHRASE) or passphrase_in_use(environ))
    if passphrase and mine.salt and not opened and not opens(passphrase, mine.salt):
        passphrase = None
    problems = []
    for other in stack_files(root):
        if other == stack:
            continue
        theirs = stack_key(other, root)
        if theirs is None:
            continue
        how = None
        if mine.salt and mine.salt == theirs.salt:
            how = "the same encryptionsalt: its stack file was copied, with its passphrase"
        elif mine.kms and mine.provider == theirs.provider:
            how = f"the same secrets provider {mine.provider}"
        elif mine.salt and theirs.salt and environ.get(passphrase_var(other)) and \
                environ.get(passphrase_var(other)) == passphrase:
            how = f"the same passphrase ({passphrase_var(other)} equals this stack's)"
        elif mine.salt and theirs.salt and passphrase and opens(passphrase, theirs.salt):
            how = "the same passphrase: this stack's passphrase opens that stack's file"
        if how:
            problems.append(Problem(
                "secrets provider", f"stack '{stack}' shares its secrets key with stack '{other}' ({how}): whoever "
                f"can decrypt '{other}' (its preview, its deploy job, its GitHub environment) can read '{stack}''s secrets",
                CHANGE_KEY.format(stack=stack)))
    return problems


def demo_key(stack: str, root: Path, environ: Mapping[str, str]) -> str | None:
    """Why the stack is still under a published demo passphrase, or None."""
    key = stack_key(stack, root)
    if key is None or key.provider != "passphrase":
        return None
    if key.salt in DEMO_SALTS:
        return "its stack file still has a committed demo encryptionsalt"
    if is_demo_passphrase(stack_env(stack, environ).get(PASSPHRASE) or passphrase_in_use(environ)):
        return "the passphrase it was opened with is a published demo passphrase"
    return None


def against_a_double(environ: Mapping[str, str]) -> bool:
    return urlsplit(environ.get("GITHUB_BASE_URL", "")).hostname in LOOPBACK_HOSTS


def key_problems(stack: str, production: bool, root: Path, environ: Mapping[str, str], *, dry_run: bool) -> list[Problem]:
    """What the program refuses before registering anything:
    - a production stack whose key another stack shares (preview and update);
    - an update against anything but the local GitHub double of a stack under a published demo passphrase.
    """
    problems = shared_key_problems(stack, root, environ, opened=True) if production else []
    if not dry_run and not against_a_double(environ):
        why = demo_key(stack, root, environ)
        if why:
            problems.append(Problem(
                "secrets provider", f"stack '{stack}' is still encrypted with a published demo passphrase ({why}): "
                "anyone with the repository can decrypt its secrets, so this update against GitHub is refused "
                "(only the local doubles accept it)", CHANGE_KEY.format(stack=stack)))
    return problems


def program_key_problems(stack: str, production: bool, root: Path, environ: Mapping[str, str]) -> list[Problem]:
    """`key_problems` for the running program: an update under mocks (topology/offline.py) reaches nothing, as
    one against the local double does."""
    import pulumi
    from pulumi.runtime import mocks, settings

    dry_run = pulumi.runtime.is_dry_run() or isinstance(settings.get_monitor(), mocks.MockMonitor)
    return key_problems(stack, production, root, environ, dry_run=dry_run)


def check_warnings(stack: str, root: Path, environ: Mapping[str, str]) -> list[str]:
    """`make check`'s warnings: the demo passphrase (an `up` against GitHub refuses it). Without this stack's
    passphrase in `environ` only the committed demo salts are known."""
    key = stack_key(stack, root)
    passphrase = stack_env(stack, environ).get(PASSPHRASE) or passphrase_in_use(environ)
    if key and key.salt and passphrase and not opens(passphrase, key.salt):
        environ = {k: v for k, v in environ.items() if not k.startswith(PASSPHRASE)}  # not this stack's
    why = demo_key(stack, root, environ)
    if not why:
        return []
    return [f"warning: stack '{stack}' is still encrypted with a published demo passphrase ({why}); an `up` against "
            f"GitHub refuses it. Fix: {CHANGE_KEY.format(stack=stack)}"]
