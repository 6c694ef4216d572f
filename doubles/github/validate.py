"""Request-body checks GitHub makes, raising GitHub's error answers.

Schema violations answer 422 "Invalid request.\n\n<detail>" (GitHub validates bodies against its
JSON schema; the detail wording here is ours). Semantic refusals answer 422 "Validation Failed".
"""

from __future__ import annotations

import re

from . import errors

SECRETS_DOCS = "https://docs.github.com/actions/security-guides/using-secrets-in-github-actions#naming-your-secrets"
VARIABLES_DOCS = "https://docs.github.com/actions/learn-github-actions/variables#naming-conventions-for-configuration-variables"
RULES_DOCS = "https://docs.github.com/rest/repos/rules"
ENV_DOCS = "https://docs.github.com/rest/deployments/environments#create-or-update-an-environment"

# GitHub docs, "Naming your secrets" and "Naming conventions for configuration variables": only
# [A-Za-z0-9_], no GITHUB_ prefix, not starting with a digit, not case-sensitive.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NAME_RULE = ("can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_), "
             "must not start with a number and must not start with the GITHUB_ prefix")
MAX_VALUE_BYTES = 48 * 1024  # GitHub docs: secrets and configuration variables are limited to 48 KB

ENFORCEMENTS = ("disabled", "active", "evaluate")
TARGETS = ("branch", "tag", "push")
ACTOR_TYPES = ("Integration", "OrganizationAdmin", "RepositoryRole", "Team", "DeployKey", "User")
BYPASS_MODES = ("always", "pull_request", "exempt")
# Rule types of the published `repository-rule` schema, with the parameters each requires when sent.
RULE_PARAMS: dict[str, tuple[str, ...]] = {
    "creation": (), "deletion": (), "non_fast_forward": (), "required_linear_history": (),
    "required_signatures": (),
    "update": ("update_allows_fetch_and_merge",),
    "required_deployments": ("required_deployment_environments",),
    "pull_request": ("dismiss_stale_reviews_on_push", "require_code_owner_review",
                     "require_last_push_approval", "required_approving_review_count",
                     "required_review_thread_resolution"),
    "required_status_checks": ("required_status_checks", "strict_required_status_checks_policy"),
    "merge_queue": (), "commit_message_pattern": ("operator", "pattern"),
    "commit_author_email_pattern": ("operator", "pattern"),
    "committer_email_pattern": ("operator", "pattern"), "branch_name_pattern": ("operator", "pattern"),
    "tag_name_pattern": ("operator", "pattern"), "file_path_restriction": ("restricted_file_paths",),
    "max_file_path_length": ("max_file_path_length",),
    "file_extension_restriction": ("restricted_file_extensions",),
    "max_file_size": ("max_file_size",), "workflows": ("workflows",), "code_scanning": ("code_scanning_tools",),
    "copilot_code_review": (),
}


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def body_object(body) -> dict:
    if not isinstance(body, dict):
        raise errors.invalid_request("The request body must be a JSON object.")
    return body


def actions_name(name, resource: str, docs: str) -> str:
    """The canonical (upper-case) name of a secret or variable, or GitHub's 422.

    GitHub lists such names in upper case whatever case they were created with [guess: widely
    observed, the docs only say names are not case-sensitive].
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name.upper().startswith("GITHUB_"):
        raise errors.validation_failed(resource, "name", "invalid", f"{resource} names {NAME_RULE}.", docs)
    return name.upper()


def value_size(value: bytes | str, resource: str, docs: str) -> None:
    size = len(value.encode() if isinstance(value, str) else value)
    if size > MAX_VALUE_BYTES:
        raise errors.validation_failed(resource, "value", "invalid", f"{resource} values are limited to 48 KB.", docs)


def _one_of(body: dict, key: str, allowed: tuple[str, ...], docs: str) -> None:
    if key in body and body[key] not in allowed:
        raise errors.invalid_request(f"For '{key}', {body[key]!r} is not one of {list(allowed)}.", docs)


def ruleset(body: dict, *, creating: bool) -> None:
    """The `repository-ruleset` request shape (POST requires name and enforcement)."""
    for key in ("name", "enforcement") if creating else ():
        if key not in body:
            raise errors.invalid_request(f"'{key}' is a required property.", RULES_DOCS)
    if "name" in body and (not isinstance(body["name"], str) or not body["name"].strip()):
        raise errors.invalid_request("For 'name', the value must be a non-empty string.", RULES_DOCS)
    _one_of(body, "enforcement", ENFORCEMENTS, RULES_DOCS)
    _one_of(body, "target", TARGETS, RULES_DOCS)
    for actor in _list(body, "bypass_actors"):
        if not isinstance(actor, dict) or actor.get("actor_type") not in ACTOR_TYPES:
            raise errors.invalid_request(f"For 'bypass_actors', {actor!r} has no valid actor_type.", RULES_DOCS)
        _one_of(actor, "bypass_mode", BYPASS_MODES, RULES_DOCS)
    if body.get("conditions") is not None and not isinstance(body["conditions"], dict):
        raise errors.invalid_request("For 'conditions', the value must be an object.", RULES_DOCS)
    for rule in _list(body, "rules"):
        _rule(rule)


def _list(body: dict, key: str) -> list:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise errors.invalid_request(f"For '{key}', the value must be an array.", RULES_DOCS)
    return value


def _rule(rule) -> None:
    kind = rule.get("type") if isinstance(rule, dict) else None
    if kind not in RULE_PARAMS:
        raise errors.invalid_request(f"For 'rules', {kind!r} is not a rule type.", RULES_DOCS)
    params = rule.get("parameters")
    if params is None:  # the schema makes parameters optional: the provider omits update's when false
        return
    if not isinstance(params, dict):
        raise errors.invalid_request(f"For '{kind}' rule, 'parameters' must be an object.", RULES_DOCS)
    missing = [key for key in RULE_PARAMS[kind] if key not in params]
    if missing:
        raise errors.invalid_request(f"For '{kind}' rule, missing parameters {missing}.", RULES_DOCS)


def environment(body: dict) -> None:
    """The `repos/create-or-update-environment` request shape, plus can_admins_bypass."""
    timer = body.get("wait_timer")
    if timer is not None and (not is_int(timer) or not 0 <= timer <= 43200):
        raise errors.invalid_request("For 'wait_timer', the value must be an integer from 0 to 43200.", ENV_DOCS)
    for key in ("prevent_self_review", "can_admins_bypass"):
        if body.get(key) is not None and not isinstance(body[key], bool):
            raise errors.invalid_request(f"For '{key}', the value must be a boolean.", ENV_DOCS)
    reviewers = body.get("reviewers")
    if reviewers is not None:
        if not isinstance(reviewers, list) or len(reviewers) > 6:
            raise errors.invalid_request("For 'reviewers', the value must be an array of up to 6 items.", ENV_DOCS)
        for item in reviewers:
            if not isinstance(item, dict) or item.get("type") not in ("User", "Team") or not is_int(item.get("id")):
                raise errors.invalid_request(f"For 'reviewers', {item!r} is not {{type: User|Team, id}}.", ENV_DOCS)
    policy = body.get("deployment_branch_policy")
    if policy is not None:
        flags = [policy.get(k) if isinstance(policy, dict) else None
                 for k in ("protected_branches", "custom_branch_policies")]
        if not all(isinstance(flag, bool) for flag in flags):
            raise errors.invalid_request("For 'deployment_branch_policy', protected_branches and "
                                         "custom_branch_policies are required booleans.", ENV_DOCS)
        if all(flags):
            # [guess] wording; the docs say exactly one of the two can be true.
            raise errors.validation_failed("Environment", "deployment_branch_policy", "invalid",
                                           "Only one of protected_branches and custom_branch_policies can be true.",
                                           ENV_DOCS)
