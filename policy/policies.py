"""The CrossGuard policies, built from the rules in policy/rules.py.

Importing this module builds Policy objects only; policy/__main__.py is the one place that
constructs the PolicyPack (which starts a gRPC server and blocks), so tests import this module.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, Mapping

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from topology.model import APPROVALS_MAX, APPROVALS_MIN

from .model import ADVISORY, MANDATORY, Resource, Rule
from .rules import RULES
from .stacks import build_context

# The project whose files the rules read: the one this pack belongs to (a project copy's own in tests).
PROJECT_ROOT = Path(__file__).resolve().parent.parent

LEVELS = {MANDATORY: EnforcementLevel.MANDATORY, ADVISORY: EnforcementLevel.ADVISORY}

APPROVALS_SCHEMA = {"minApprovals": {"type": "integer", "minimum": APPROVALS_MIN, "maximum": APPROVALS_MAX, "default": 1}}
WINDOW_SCHEMA = {
    "deployWindow": {
        "type": "object",
        "description": "Overrides Pulumi.yaml's deployWindow: {days, start, end, timezone}",
        "properties": {
            "days": {"type": "array", "items": {"type": "string"}},
            "start": {"type": "string"},
            "end": {"type": "string"},
            "timezone": {"type": "string"},
        },
    }
}
CONFIG_SCHEMAS = {
    "production-branch-gate": APPROVALS_SCHEMA,
    "checkov-ckv-git-5-approvals": APPROVALS_SCHEMA,
    "deploy-window": WINDOW_SCHEMA,
    "deploy-window-preview": WINDOW_SCHEMA,
}


def clock() -> dt.datetime:
    """The time the deploy window is judged at (tests replace it)."""
    return dt.datetime.now(dt.timezone.utc)


def stack_of(urn: str) -> str:
    """urn:pulumi:<stack>::<project>::<type>::<name> -> <stack>."""
    return urn.split("::", 1)[0].rsplit(":", 1)[-1]


def _context(stack: str, config: Mapping[str, Any], report: ReportViolation):
    ctx, errors = build_context(
        PROJECT_ROOT, stack, config,
        dry_run=os.environ.get("PULUMI_DRY_RUN", "false") == "true",
        environ=os.environ,
        now=clock(),
    )
    for error in errors:
        report(error, None)
    return ctx


def resource_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        ctx = _context(stack_of(args.urn), args.get_config(), report)
        resource = Resource(args.resource_type, args.name, args.props, args.urn)
        for _, message in rule.check(resource, ctx):
            report(message, args.urn)

    return ResourceValidationPolicy(validate=validate, **_policy_fields(rule))


def stack_policy(rule: Rule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        if not args.resources:
            return
        stack = os.environ.get("PULUMI_STACK") or stack_of(args.resources[0].urn)
        ctx = _context(stack, args.get_config(), report)
        resources = [
            Resource(r.resource_type, r.name, r.props, r.urn, tuple(d.urn for d in r.dependencies or []))
            for r in args.resources
        ]
        urns = {r.name: r.urn for r in resources}
        for name, message in rule.check(resources, ctx):
            report(message, urns.get(name))

    return StackValidationPolicy(validate=validate, **_policy_fields(rule))


def _policy_fields(rule: Rule) -> dict[str, Any]:
    schema = CONFIG_SCHEMAS.get(rule.name)
    return dict(
        name=rule.name,
        description=f"{rule.description} Fix: {rule.fix}",
        enforcement_level=LEVELS[rule.level],
        config_schema=PolicyConfigSchema(properties=schema) if schema else None,
    )


def all_policies() -> list:
    return [resource_policy(r) if r.scope == "resource" else stack_policy(r) for r in RULES]
