"""Isolation between environments, compared by keyed fingerprints and never by value.

Each value is reduced, as soon as it is read, to HMAC-SHA256 under a key drawn at random for this
run only: equal values give equal fingerprints within the run, and a fingerprint means nothing
after it (no dictionary attack on a published report, no link between runs). Fingerprints are
compared and dropped; the report names keys and stacks only.

Rules: no secret shared by two environments; no backing-service URL of a production environment
used by another environment (its config, or a GitHub variable as it is live).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as random_source
import urllib.parse
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from topology.model import NAMESPACE, PROJECT_KEYS, CatalogueEntry, Kind

from .model import Evidence, Finding, FindingClass, Resource

URL_SCHEMES = frozenset({"http", "https", "postgres", "postgresql", "mysql", "redis", "rediss",
                         "mongodb", "mongodb+srv", "amqp", "amqps"})


def new_key() -> bytes:
    return random_source.token_bytes(32)


def fingerprint(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def normalize_url(value: str) -> str | None:
    """scheme://host[:port]/path without trailing slash, lowercased host; None when not a service URL."""
    try:
        parsed = urllib.parse.urlsplit(value.strip())
    except ValueError:
        return None
    if parsed.scheme.lower() not in URL_SCHEMES or not parsed.hostname:
        return None
    port = f":{parsed.port}" if parsed.port and parsed.port not in (80, 443) else ""
    return f"{parsed.scheme.lower()}://{parsed.hostname.lower()}{port}{parsed.path.rstrip('/')}"


@dataclass(frozen=True)
class Fingerprints:
    """One stack's fingerprints: secrets by config key; backing-service URLs by where they were seen."""

    stack: str
    production: bool
    secrets: Mapping[str, str] = field(default_factory=dict)
    urls: Mapping[str, str] = field(default_factory=dict)  # "config NAME" | "GitHub variable NAME" -> fp


def config_fingerprints(stack: str, production: bool, key: bytes, catalogue: Iterable[CatalogueEntry],
                        config: Mapping[str, tuple[str, bool]]) -> Fingerprints:
    """`config`: 'ns:key' -> (value, is_secret) as the program receives it (decrypted, in memory only)."""
    entries = {e.name: e for e in catalogue}
    secret_fps: dict[str, str] = {}
    url_fps: dict[str, str] = {}
    for full_key, (value, is_secret) in config.items():
        namespace, _, name = full_key.partition(":")
        if namespace != NAMESPACE or name in PROJECT_KEYS or not isinstance(value, str) or not value:
            continue  # project-level values are the same in every stack by design
        entry = entries.get(name)
        if is_secret or (entry and entry.kind.is_secret):
            secret_fps[name] = fingerprint(key, value)
            continue
        url = normalize_url(value)
        if url or (entry and entry.kind is Kind.SUPABASE_URL):
            url_fps[f"config {name}"] = fingerprint(key, url or value)
    return Fingerprints(stack, production, secret_fps, url_fps)


def variable_fingerprints(key: bytes, live_variables: Mapping[str, str]) -> dict[str, str]:
    """Backing-service URLs among a GitHub environment's live variables."""
    found = {}
    for name, value in live_variables.items():
        url = normalize_url(value or "")
        if url:
            found[f"GitHub variable {name}"] = fingerprint(key, url)
    return found


def with_variables(fps: Fingerprints, variable_fps: Mapping[str, str]) -> Fingerprints:
    return Fingerprints(fps.stack, fps.production, fps.secrets, {**fps.urls, **variable_fps})


def isolation_findings(all_fps: list[Fingerprints]) -> list[Finding]:
    found: list[Finding] = []
    for a in all_fps:
        for b in all_fps:
            if a.stack == b.stack:
                continue
            for name, fp in a.secrets.items():
                shared = sorted(other for other, ofp in b.secrets.items() if ofp == fp)
                if shared:
                    found.append(Finding(
                        a.stack, FindingClass.ISOLATION, Resource(type="config", name=f"{NAMESPACE}:{name}"),
                        f"secret {name} has the same value as {', '.join(shared)} of stack {b.stack}",
                        f"give each environment its own value: `pulumi config set --secret --stack {a.stack} {name} <value>`"
                        f" (a value of its own account or project), then `pulumi up --stack {a.stack}`",
                        evidence=(Evidence("config", "equal keyed fingerprints (HMAC-SHA256, key of this run only)"),)))
            if a.production or not b.production:
                continue
            production_urls = {fp: where for where, fp in b.urls.items()}
            for where, fp in a.urls.items():
                if fp in production_urls:
                    found.append(Finding(
                        a.stack, FindingClass.ISOLATION, Resource(type="backing-service", name=where),
                        f"{where} points at the backing service of production ({production_urls[fp]} of stack {b.stack})",
                        f"point {a.stack} at its own service: set its own URL in config "
                        f"(`pulumi config set --stack {a.stack} <KEY> <url>`) and `pulumi up --stack {a.stack}`",
                        evidence=(Evidence("config" if where.startswith("config") else "github-rest",
                                           "equal keyed fingerprints of the normalized URL (key of this run only)"),)))
    return found
