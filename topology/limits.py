"""Every name and value that GitHub, Vercel or their providers would refuse, refused before anything
registers. Each limit says where it comes from; tests/test_limits.py has a failing case for each.

Pure functions over the config model. Messages never contain a secret value (sizes only).
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping

from .model import CatalogueEntry, Destination, Environment, Problem, StackSettings, Topology, config_key
from .registry import ruleset_names

# GitHub docs, "Managing environments for deployment" > Creating an environment: "An environment name
# may not exceed 255 characters and must be unique within the repository."
GITHUB_ENVIRONMENT_NAME_MAX = 255
# terraform-provider-github github/resource_github_repository_ruleset.go: name StringLenBetween(1, 100).
GITHUB_RULESET_NAME_MAX = 100
# terraform-provider-github github/resource_github_repository_ruleset.go: repository ^[-a-zA-Z0-9_.]{1,100}$.
GITHUB_REPOSITORY_NAME = re.compile(r"^[-a-zA-Z0-9_.]{1,100}$")
# GitHub docs, "Secrets reference" > Naming your secrets and "Variables reference" > Naming conventions:
# alphanumerics or underscores, not starting with a number, not starting with GITHUB_ (case-insensitive);
# terraform-provider-github github/util.go secretNameRegexp + the GITHUB_ prefix check.
GITHUB_ACTIONS_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
GITHUB_RESERVED_PREFIX = "GITHUB_"
# "Secrets are limited to 48 KB in size."; "Individual variables are limited to 48 KB in size."
GITHUB_VALUE_MAX_BYTES = 48 * 1024
# "You can store up to ... 100 environment secrets."; "... and 100 variables per environment."
GITHUB_ENVIRONMENT_SECRETS_MAX = 100
GITHUB_ENVIRONMENT_VARIABLES_MAX = 100
# GitHub docs, "Deployments and environments" > Required reviewers: "up to six users or teams";
# terraform-provider-github resource_github_repository_environment.go: MaxItems 6, "a maximum of 6 reviewers".
GITHUB_ENVIRONMENT_REVIEWERS_MAX = 6
# terraform-provider-vercel vercel/resource_project.go: name LengthBetween(1, 52) and ^[a-z0-9\-]{0,100}$
# ("The name of a Project can only contain up to 100 alphanumeric lowercase characters and hyphens"):
# the length check refuses more than 52 first.
VERCEL_PROJECT_NAME = re.compile(r"^[a-z0-9-]{1,52}$")
# Vercel docs, "Environment variables" > limits: "a total of 64 KB in Environments Variables per-Deployment".
VERCEL_VALUES_MAX_BYTES = 64 * 1024
# RFC 1123 host names: labels of 1-63 letters, digits and hyphens, not starting or ending with a hyphen,
# 253 characters in all. Vercel's project domain has no validator in its provider: a URL reaches the API.
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def topology_limit_problems(topology: Topology) -> list[Problem]:
    """Names the topology gives GitHub: environments, rulesets, the repository, secrets and variables."""
    problems = [*_environment_name_problems(topology.environments)]
    if not GITHUB_REPOSITORY_NAME.match(topology.repository):
        problems.append(Problem(config_key("repository"), f"'{topology.repository}' is not a GitHub repository name "
                                "(up to 100 letters, digits, '-', '_' or '.')", "write it as owner/name, e.g. acme/shop"))
    problems += _actions_name_problems(topology.catalogue)
    return problems


def _environment_name_problems(environments: Iterable[Environment]) -> list[Problem]:
    problems = []
    key = config_key("environments")
    for env in environments:
        if len(env.name) > GITHUB_ENVIRONMENT_NAME_MAX:
            problems.append(Problem(key, f"environment name '{env.name[:20]}...' is longer than GitHub's "
                                    f"{GITHUB_ENVIRONMENT_NAME_MAX} characters", "give it a shorter name"))
        # The rulesets carry their component's name, derived from the environment's (topology/registry.py).
        for what, name in ruleset_names(env.name, production=env.production).items():
            if len(name) > GITHUB_RULESET_NAME_MAX:
                suffix = len(name) - len(env.name)
                problems.append(Problem(
                    key, f"the {what} ruleset of '{env.name[:20]}...' would be named with more than GitHub's "
                    f"{GITHUB_RULESET_NAME_MAX} characters",
                    f"shorten the environment name to at most {GITHUB_RULESET_NAME_MAX - suffix} characters"))
    return problems


def _actions_name_problems(catalogue: Iterable[CatalogueEntry]) -> list[Problem]:
    problems = []
    key = config_key("catalogue")
    to_github = [e for e in catalogue if Destination.GITHUB in e.destinations]
    for entry in to_github:
        if not GITHUB_ACTIONS_NAME.match(entry.name) or entry.name.upper().startswith(GITHUB_RESERVED_PREFIX):
            problems.append(Problem(
                key, f"{entry.name}: GitHub secret and variable names must not start with GITHUB_ or a digit and "
                "hold only letters, digits and underscores",
                f"rename {entry.name} (e.g. APP_{entry.name}), or deliver it to vercel only: to: [vercel]"))
    secrets = sum(1 for e in to_github if e.kind.is_secret)
    variables = len(to_github) - secrets
    for count, what, limit in ((secrets, "secrets", GITHUB_ENVIRONMENT_SECRETS_MAX),
                               (variables, "variables", GITHUB_ENVIRONMENT_VARIABLES_MAX)):
        if count > limit:
            problems.append(Problem(key, f"{count} {what} go to each GitHub environment; GitHub holds at most {limit}",
                                    "deliver some of them to vercel only (to: [vercel]) or merge them"))
    return problems


def stack_limit_problems(
    stack: str,
    catalogue: Iterable[CatalogueEntry],
    settings: StackSettings,
    values: Mapping[str, str],
    *,
    environment_reviewers: bool,
) -> list[Problem]:
    """One stack's values against the APIs: reviewers, Vercel names, the domain, value sizes.

    `values` may hold decrypted secrets: only their sizes are looked at.
    """
    problems = _reviewer_problems(stack, settings, environment_reviewers)
    if settings.vercel_project is not None and not VERCEL_PROJECT_NAME.match(settings.vercel_project):
        problems.append(Problem(
            config_key("vercelProject"), f"'{settings.vercel_project}' is not a Vercel project name "
            "(1-52 lowercase letters, digits and hyphens)", f"pulumi config set --stack {stack} vercelProject shop-{stack}"))
    if settings.domain is not None:
        problems += _domain_problems(stack, settings.domain)
    problems += _size_problems(stack, catalogue, values)
    return problems


def _reviewer_problems(stack: str, settings: StackSettings, environment_reviewers: bool) -> list[Problem]:
    problems = []
    key = config_key("reviewers")
    handles = [r.handle.lower() for r in settings.reviewers]
    for dup in sorted({h for h in handles if handles.count(h) > 1}):
        problems.append(Problem(key, f"'{dup}' is listed twice", f"keep one entry per reviewer in Pulumi.{stack}.yaml"))
    if environment_reviewers and len(settings.reviewers) > GITHUB_ENVIRONMENT_REVIEWERS_MAX:
        problems.append(Problem(
            key, f"{len(settings.reviewers)} reviewers; a GitHub environment takes at most {GITHUB_ENVIRONMENT_REVIEWERS_MAX}",
            f"keep {GITHUB_ENVIRONMENT_REVIEWERS_MAX} in Pulumi.{stack}.yaml (any one of them approves)"))
    return problems


def host_name_problem(domain: str) -> str | None:
    """Why `domain` is not a host name Vercel can serve, or None."""
    if "://" in domain or "/" in domain or ":" in domain or "?" in domain:
        return "is a URL, not a host name"
    name = domain.lower()
    name = name[2:] if name.startswith("*.") else name  # Vercel serves wildcard domains
    labels = name.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels) \
            or labels[-1].isdigit():
        return "is not a host name (dot-separated labels of letters, digits and hyphens, e.g. app.example.com)"
    return None


def _domain_problems(stack: str, domain: str) -> list[Problem]:
    problem = host_name_problem(domain)
    if problem is None:
        return []
    return [Problem(config_key("domain"), f"'{domain}' {problem}",
                    f"pulumi config set --stack {stack} domain app.example.com (no scheme, path or port)")]


def _size_problems(stack: str, catalogue: Iterable[CatalogueEntry], values: Mapping[str, str]) -> list[Problem]:
    problems = []
    vercel_bytes = 0
    for entry in catalogue:
        value = values.get(entry.name)
        if not isinstance(value, str):
            continue
        size = len(value.encode())
        if Destination.VERCEL in entry.destinations:
            vercel_bytes += size
        if Destination.GITHUB in entry.destinations and size > GITHUB_VALUE_MAX_BYTES:
            flag = "--secret " if entry.kind.is_secret else ""
            problems.append(Problem(config_key(entry.name), f"is {size // 1024} KB; GitHub holds at most 48 KB per "
                                    "secret or variable", f"pulumi config set {flag}--stack {stack} {entry.name} <smaller value>"))
    if vercel_bytes > VERCEL_VALUES_MAX_BYTES:
        problems.append(Problem(config_key("catalogue"), f"the values delivered to Vercel add up to {vercel_bytes // 1024} KB; "
                                "a Vercel deployment holds at most 64 KB of environment variables",
                                "deliver large values to github only (to: [github]) or shorten them"))
    return problems
