"""Who is acting: per-user tokens, and each user's role on the repository.

Tokens are deterministic (`token_for(login)`), so a test or a git credential needs no set-up; they
resolve `Authorization: token X` / `Bearer X` on REST calls and the password of git's basic auth
(GitHub takes a personal access token as the password of HTTPS git operations: docs "About
authentication to GitHub"). Any other token acts as the double's token user, as before: the
provider's runs send a dummy token.

Roles (docs "Repository roles for an organization"): read < triage < write < maintain < admin.
Only write and above count for required approvals and code owners ([AR], [CO]).
"""

from __future__ import annotations

import base64
import hashlib

ROLES = ("read", "triage", "write", "maintain", "admin")
# The ids GitHub gives the base roles as RepositoryRole bypass actors (undocumented; [c14]).
ROLE_ACTOR_IDS = {2: "maintain", 4: "write", 5: "admin"}


def token_for(login: str) -> str:
    """The double's personal access token for `login`: `ghp_` + 36 characters, as GitHub's look."""
    digest = hashlib.sha256(f"github-double:{login.casefold()}".encode()).digest()
    return "ghp_" + base64.b32encode(digest).decode().lower()[:36]


def at_least(role: str | None, wanted: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(wanted)


def bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: token X` or `Bearer X` header."""
    scheme, _, value = (authorization or "").partition(" ")
    return value.strip() if scheme.lower() in ("token", "bearer") else None


def basic(authorization: str | None) -> tuple[str, str] | None:
    """(user, password) of an `Authorization: Basic ...` header."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value.strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password
