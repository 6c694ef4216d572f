"""The rest of the seeds' release policy as declared topology (issue 18).

Value rules per environment, allowed branches, feature-branch previews, a code freeze, post-release health
checks, notifications and post-mortems are declared in Pulumi.yaml's project-level config; model.parse_topology
calls the parsers here, and the pure rules here are shared by the program (release.load, release.policy_refusals),
the policy pack and the offline check (policy/checks.py), and the workflow scripts (scripts/). Nothing here reads
config or touches the engine; no message ever holds a value of a catalogue entry.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # model imports this module; these are only annotations here
    from .model import CatalogueEntry, Environment, Problem, StackSettings, Topology

# add(key, message, fix): model._Collector.add, which prefixes the namespace.
Add = Callable[[str, str, str], None]

PRODUCTION_CLASS = "production"
NON_PRODUCTION_CLASS = "nonProduction"
ENV_CLASSES = (PRODUCTION_CLASS, NON_PRODUCTION_CLASS)

# What the offline check and the pack's Release put in place of a secret it cannot decrypt (topology/project.py):
# value rules skip it; the program (decrypted config) and the pack (resource values) judge the real value.
UNREAD = "offline-placeholder"

# The status check the production branch gate requires when a code freeze is declared; the code-freeze workflow
# (.github/workflows/code-freeze.yml, job name) reports it on every pull request into the production branch.
FREEZE_CHECK = "release/code-freeze"
NOTIFY_FORMATS = ("slack", "discord")
# The environment secret holding the webhook URL (never in Pulumi config: only the workflows use it).
NOTIFY_SECRET = "RELEASE_NOTIFY_WEBHOOK"


# --- the model -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueRule:
    """Values a catalogue entry may hold in a class of environments (`production`, `nonProduction`) or in one
    environment (by name): one of `values` (case-insensitive), and/or the whole value matching `pattern`."""

    scope: str
    values: tuple[str, ...] = ()
    pattern: str | None = None

    def applies(self, env: Environment) -> bool:
        if self.scope == PRODUCTION_CLASS:
            return env.production
        if self.scope == NON_PRODUCTION_CLASS:
            return not env.production
        return self.scope == env.name

    def violation(self, value: str) -> str | None:
        """Why the value is not allowed here, or None. Never echoes the value."""
        where = {PRODUCTION_CLASS: "in production", NON_PRODUCTION_CLASS: "outside production"}.get(
            self.scope, f"in environment '{self.scope}'")
        if self.values and value.strip().casefold() not in {v.casefold() for v in self.values}:
            return f"holds a value not allowed {where} (allowed: {', '.join(self.values)})"
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            return f"holds a value not allowed {where} (it must match the pattern {self.pattern!r})"
        return None


@dataclass(frozen=True)
class Freeze:
    """A code freeze: from `start` to `end` (dates, inclusive, in the deploy window's time zone)."""

    start: dt.date
    end: dt.date
    reason: str = ""

    def covers(self, now: dt.datetime, timezone: str) -> bool:
        return self.start <= now.astimezone(ZoneInfo(timezone)).date() <= self.end


@dataclass(frozen=True)
class HealthCheck:
    """A post-release check: GET `path` on the environment's domain (or the absolute `url`), expect `status`
    and, when given, `body` as a substring, within `timeout` seconds. `environments` empty: every environment."""

    path: str | None = None
    url: str | None = None
    status: int = 200
    body: str | None = None
    timeout: float = 10.0
    environments: tuple[str, ...] = ()

    def applies(self, env_name: str) -> bool:
        return not self.environments or env_name in self.environments

    def target(self, domain: str | None) -> str | None:
        if self.url:
            return self.url
        return f"https://{domain}{self.path}" if domain else None


@dataclass(frozen=True)
class Notifications:
    format: str  # slack | discord


@dataclass(frozen=True)
class PostMortem:
    labels: tuple[str, ...] = ("post-mortem",)


# --- parsing (model.parse_topology) ---------------------------------------------------------------

CATALOGUE_RULE_FIELDS = ("values", "pattern")


def parse_value_rules(add: Add, key: str, item: Mapping[str, Any]) -> tuple[ValueRule, ...]:
    """A catalogue entry's `values: {scope: [..]}` and `pattern: {scope: regex}`."""
    example = "values: {production: [warn, error]}, pattern: {nonProduction: '.*-test'}"
    scopes: dict[str, dict[str, Any]] = {}
    for field in CATALOGUE_RULE_FIELDS:
        spec = item.get(field)
        if spec is None:
            continue
        if not isinstance(spec, dict) or not spec:
            add(f"{key}.{field}", "expected a mapping of environment class or name to " +
                ("allowed values" if field == "values" else "a regular expression"), example)
            continue
        for scope, rule in spec.items():
            if not isinstance(scope, str) or not scope:
                add(f"{key}.{field}", "keys are production, nonProduction or an environment name", example)
                continue
            if field == "values":
                if not isinstance(rule, list) or not rule or not all(isinstance(v, str) and v for v in rule):
                    add(f"{key}.values.{scope}", "expected a non-empty list of strings", example)
                    continue
                scopes.setdefault(scope, {})["values"] = tuple(rule)
            else:
                try:
                    re.compile(rule) if isinstance(rule, str) and rule else None
                except re.error as error:
                    add(f"{key}.pattern.{scope}", f"is not a regular expression ({error})", example)
                    continue
                if not isinstance(rule, str) or not rule:
                    add(f"{key}.pattern.{scope}", "expected a regular expression", example)
                    continue
                scopes.setdefault(scope, {})["pattern"] = rule
    return tuple(ValueRule(scope, **fields) for scope, fields in scopes.items())


def parse_project(add: Add, raw: Mapping[str, Any], decode: Callable[[Any], Any]) -> dict[str, Any]:
    """The project-level keys of issue 18, as Topology's fields."""
    return {
        "allowed_branches": _parse_allowed_branches(add, decode(raw.get("allowedBranches"))),
        "feature_previews": _parse_feature_previews(add, decode(raw.get("featurePreviews"))),
        "code_freeze": _parse_freeze(add, decode(raw.get("codeFreeze"))),
        "health_checks": _parse_health_checks(add, decode(raw.get("healthChecks"))),
        "notifications": _parse_notifications(add, decode(raw.get("notifications"))),
        "post_mortem": _parse_post_mortem(add, decode(raw.get("postMortem"))),
    }


def _parse_allowed_branches(add: Add, value: Any) -> tuple[str, ...]:
    example = "allowedBranches: ['feature/*', develop]"
    if value is None:
        return ()
    if not isinstance(value, list) or not value or not all(isinstance(p, str) and p.strip() for p in value):
        add("allowedBranches", "expected a non-empty list of branch names or patterns", example)
        return ()
    bad = [p for p in value if p.startswith("refs/") or p.startswith("~") or " " in p]
    for p in bad:
        add("allowedBranches", f"'{p}' is not a branch name or pattern (write 'feature/*', not 'refs/heads/feature/*')",
            example)
    return tuple(p for p in value if p not in bad)


def _parse_feature_previews(add: Add, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        add("featurePreviews", "expected the name of the environment whose values Vercel's preview target gets",
            "featurePreviews: staging")
        return None
    return value


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _parse_freeze(add: Add, value: Any) -> tuple[Freeze, ...] | None:
    example = "codeFreeze: [{start: '2026-12-18', end: '2027-01-04', reason: 'go-live S1'}]"
    if value is None:
        return None
    if not isinstance(value, list):
        add("codeFreeze", f"expected a list of periods, got {type(value).__name__}", example)
        return ()
    periods = []
    for i, item in enumerate(value):
        key = f"codeFreeze[{i}]"
        if not isinstance(item, dict) or set(item) - {"start", "end", "reason"}:
            add(key, "expected {start, end, reason}", example)
            continue
        start, end = _date(item.get("start")), _date(item.get("end"))
        if start is None or end is None:
            add(key, "start and end must be dates (YYYY-MM-DD)", example)
            continue
        if end < start:
            add(key, "ends before it starts", example)
            continue
        reason = item.get("reason", "")
        periods.append(Freeze(start, end, reason if isinstance(reason, str) else str(reason)))
    return tuple(periods)


def _parse_health_checks(add: Add, value: Any) -> tuple[HealthCheck, ...]:
    example = "healthChecks: [{path: /api/health, status: 200, body: ok, timeout: 10}]"
    if value is None:
        return ()
    if not isinstance(value, list):
        add("healthChecks", f"expected a list, got {type(value).__name__}", example)
        return ()
    checks = []
    fields = {"path", "url", "status", "body", "timeout", "environments"}
    for i, item in enumerate(value):
        key = f"healthChecks[{i}]"
        if not isinstance(item, dict):
            add(key, "expected a mapping", example)
            continue
        for k in sorted(set(item) - fields):
            add(f"{key}.{k}", "unknown field", f"use {', '.join(sorted(fields))}")
        path, url = item.get("path"), item.get("url")
        if (path is None) == (url is None):
            add(key, "declare exactly one of path (on the environment's domain) or url", example)
            continue
        if path is not None and (not isinstance(path, str) or not path.startswith("/")):
            add(f"{key}.path", "must start with /", example)
            continue
        if url is not None and (not isinstance(url, str) or not re.match(r"^https?://[^/\s]+", url)):
            add(f"{key}.url", "must be an http(s) URL", example)
            continue
        status = item.get("status", 200)
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            add(f"{key}.status", "must be an HTTP status (100-599)", example)
            continue
        timeout = item.get("timeout", 10)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 120:
            add(f"{key}.timeout", "must be seconds, above 0 and at most 120", example)
            continue
        body = item.get("body")
        if body is not None and (not isinstance(body, str) or not body):
            add(f"{key}.body", "must be a non-empty string the response body contains", example)
            continue
        envs = item.get("environments", [])
        if not isinstance(envs, list) or not all(isinstance(e, str) for e in envs):
            add(f"{key}.environments", "must be a list of environment names", example)
            continue
        checks.append(HealthCheck(path, url, status, body, float(timeout), tuple(envs)))
    return tuple(checks)


def _parse_notifications(add: Add, value: Any) -> Notifications | None:
    example = f"notifications: {{format: slack}} (the webhook URL: environment secret {NOTIFY_SECRET})"
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"format"} or value.get("format") not in NOTIFY_FORMATS:
        add("notifications", f"expected {{format: {' | '.join(NOTIFY_FORMATS)}}}", example)
        return None
    return Notifications(value["format"])


def _parse_post_mortem(add: Add, value: Any) -> PostMortem | None:
    example = "postMortem: {labels: [post-mortem]}"
    if value is None:
        return None
    labels = value.get("labels", ["post-mortem"]) if isinstance(value, dict) else None
    if (not isinstance(value, dict) or set(value) - {"labels"} or not isinstance(labels, list) or not labels
            or not all(isinstance(x, str) and x.strip() for x in labels)):
        add("postMortem", "expected {labels: [..]} (the labels an emergency's post-mortem issue carries)", example)
        return None
    return PostMortem(tuple(labels))


# --- rules over the topology (rules.project_problems) -------------------------------------------------


def project_problems(topology: Topology, key: Callable[[str], str]) -> list[Problem]:
    from .model import Problem

    names = {e.name for e in topology.environments}
    problems: list[Problem] = []
    for entry in topology.catalogue:
        if entry.rules and entry.kind.is_generated:
            problems.append(Problem(key("catalogue"), f"{entry.name} is generated by pulumi-random: it takes no values "
                                    "or pattern", f"remove values/pattern from {entry.name}"))
        for rule in entry.rules:
            if rule.scope not in ENV_CLASSES and rule.scope not in names:
                problems.append(Problem(key("catalogue"), f"{entry.name}: '{rule.scope}' is neither production, "
                                        "nonProduction nor an environment", f"use one of {[*ENV_CLASSES, *sorted(names)]}"))
    if topology.allowed_branches:
        for env in topology.environments:
            source = env.promoted_from or ""
            if "*" in source and source not in topology.allowed_branches:
                problems.append(Problem(
                    key("allowedBranches"), f"'{env.name}' is promoted from '{source}', which allowedBranches does not "
                    "allow: nobody could create those branches", f"add '{source}' to allowedBranches"))
    if topology.feature_previews is not None:
        env = topology.environment(topology.feature_previews)
        if env is None:
            problems.append(Problem(key("featurePreviews"), f"'{topology.feature_previews}' is not an environment",
                                    f"use one of {sorted(names)}"))
        elif env.production:
            problems.append(Problem(
                key("featurePreviews"), f"'{env.name}' is a production environment: a feature branch's preview "
                "deployment would run with production's secrets",
                "name the first environment, the one feature branches are promoted to (e.g. staging)"))
    for i, check in enumerate(topology.health_checks):
        for name in check.environments:
            if name not in names:
                problems.append(Problem(key(f"healthChecks[{i}].environments"), f"'{name}' is not an environment",
                                        f"use some of {sorted(names)}"))
    return problems


def stack_problems(stack: str, env: Environment, topology: Topology, settings: StackSettings) -> list[Problem]:
    """What one stack must declare for the topology's issue-18 rules: a domain for its path health checks, a
    Vercel project when it is the feature-previews environment."""
    from .model import Problem, config_key

    problems: list[Problem] = []
    if any(c.applies(env.name) and c.path and not c.url for c in topology.health_checks) and not settings.domain:
        problems.append(Problem(config_key("domain"), f"the health checks of '{env.name}' are paths on its domain, "
                                "and the stack declares none", f"pulumi config set --stack {stack} domain <host>"))
    if topology.feature_previews == env.name and not settings.vercel_project:
        problems.append(Problem(config_key("vercelProject"), f"featurePreviews delivers '{env.name}''s values to "
                                "Vercel's preview target, and the stack names no Vercel project",
                                f"pulumi config set --stack {stack} vercelProject <project-name>"))
    return problems


# --- value rules (rules.value_problems: the program; policy/checks.py: the pack) -----------------------


def value_rule_violations(entry: CatalogueEntry, env: Environment, value: str) -> list[str]:
    """Why a catalogue value breaks the entry's value rules in this environment (never the value itself)."""
    if value == UNREAD or not value.strip():
        return []
    return [v for v in (rule.violation(value) for rule in entry.rules if rule.applies(env)) if v]


def value_rule_fix(stack: str, entry: CatalogueEntry, env: Environment) -> str:
    allowed = [v for rule in entry.rules if rule.applies(env) for v in rule.values]
    secret = "--secret " if entry.kind.is_secret else ""
    what = f"<one of: {', '.join(allowed)}>" if allowed else "<value>"
    return f"pulumi config set {secret}--stack {stack} {entry.name} {what}"


# --- allowed branches --------------------------------------------------------------------------------


def allowed_branch_excludes(topology: Topology) -> list[str]:
    """The refs the allowed-branches ruleset leaves alone: every environment's branch, then the declared patterns."""
    refs = [f"refs/heads/{e.branch}" for e in topology.environments]
    refs += [f"refs/heads/{p}" for p in topology.allowed_branches]
    return list(dict.fromkeys(refs))


# --- the code freeze ---------------------------------------------------------------------------------


def active_freeze(now: dt.datetime, topology: Topology) -> Freeze | None:
    return next((f for f in topology.code_freeze or () if f.covers(now, topology.deploy_window.timezone)), None)


def freeze_violation(stack: str, now: dt.datetime, topology: Topology) -> str | None:
    """Why production may not be updated now (a declared code freeze), or None."""
    freeze = active_freeze(now, topology)
    if freeze is None:
        return None
    why = f": {freeze.reason}" if freeze.reason.strip() else ""
    return (f"stack '{stack}': code freeze from {freeze.start} to {freeze.end} "
            f"({topology.deploy_window.timezone}){why}")


def freeze_problems(stack: str, env: Environment, topology: Topology, now: dt.datetime, *, emergency: bool,
                    emergency_reason: str) -> list[Problem]:
    """The freeze as release.policy_refusals judges it: production only; an emergency with a reason passes (the
    reason itself is demanded by the deploy-window rule's emergency_violation)."""
    from .model import Problem

    if not env.production or (emergency and emergency_reason.strip()):
        return []
    refused = freeze_violation(stack, now, topology)
    if refused is None:
        return []
    return [Problem("code-freeze", refused, "wait for the end of the freeze, or deploy as an emergency with a reason: "
                    "RELEASE_EMERGENCY=true RELEASE_EMERGENCY_REASON=\"...\" (deploy workflow: emergency + reason)")]


def gate_status_checks(topology: Topology, env: Environment) -> tuple[str, ...]:
    """The status checks an environment's branch gate requires: the declared ones, plus the freeze check on the
    production branch once `codeFreeze` is declared, even empty (merges into it are refused during a freeze; the
    check must be required before a freeze starts, since production's `up` is refused during it)."""
    extra = (FREEZE_CHECK,) if env.production and topology.code_freeze is not None else ()
    return tuple(dict.fromkeys((*topology.status_checks, *extra)))


def preview_targets(topology: Topology, env: Environment) -> tuple[str, ...]:
    """The Vercel targets an environment's variables go to: production (the project deploys the environment's
    branch as production), and preview for the declared feature-previews environment (never production)."""
    if topology.feature_previews == env.name and not env.production:
        return ("production", "preview")
    return ("production",)

