"""The GitHub double's state: one repository, its rulesets and environments, the accounts around it.

Two kinds of operations, both under one lock:
- what GitHub does on an API request (plan refusals, validation, GitHub's error answers);
- what a person does in the UI, or a test seeds ("out of band"): no plan check, same validation.

Readings of GitHub that are ours, not documented, are marked [guess] (see doubles/README.md).
"""

from __future__ import annotations

import copy
import functools
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping
from urllib.parse import quote

from . import errors, plans, shapes, validate
from .clock import StrictClock
from .flow import Flow
from .sealing import EnvKeypair, Fingerprinter

# Login -> id. koomy-cto's id is the one the stack files declare for the production reviewer.
DEFAULT_USERS = {"koomy-cto": 1234567, "koomy-lead": 1002, "koomy-dev": 1003}
RULES_DOCS = validate.RULES_DOCS
ENV_DOCS = validate.ENV_DOCS
POLICIES_DOCS = "https://docs.github.com/rest/deployments/branch-policies"
SECRETS_DOCS = "https://docs.github.com/rest/actions/secrets"
VARIABLES_DOCS = "https://docs.github.com/rest/actions/variables"
# [guess] GitHub fills a pull_request rule's allowed_merge_methods when it is omitted.
DEFAULT_MERGE_METHODS = ["merge", "squash", "rebase"]


def locked(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return wrapper


@dataclass
class Secret:
    name: str
    created_at: str
    updated_at: str
    fingerprint: str  # never the value: an HMAC under the double's own key


@dataclass
class Variable:
    name: str
    value: str
    created_at: str
    updated_at: str


@dataclass
class Environment:
    id: int
    name: str
    created_at: str
    updated_at: str
    rule_ids: dict[str, int]  # stable ids of the wait_timer, required_reviewers, branch_policy rules
    wait_timer: int = 0
    reviewers: list[dict] = field(default_factory=list)  # [{"type": "User", "id": 1}]
    prevent_self_review: bool = False
    can_admins_bypass: bool = True
    deployment_branch_policy: dict | None = None
    branch_policies: dict[int, dict] = field(default_factory=dict)
    secrets: dict[str, Secret] = field(default_factory=dict)
    variables: dict[str, Variable] = field(default_factory=dict)
    keys: EnvKeypair = field(default_factory=EnvKeypair)


class Store:
    def __init__(self, *, plan: str = "enterprise", visibility: str = "private",
                 owner: str = "koomy-app", repo: str = "koomy", owner_type: str | None = None,
                 users: Mapping[str, int] | None = None, token_user: str | None = None,
                 owner_id: int = 900001, repo_id: int = 700001,
                 now: Callable[[], float] = time.time, roles: Mapping[str, str] | None = None):
        plans.check(plan, visibility)
        self._lock = threading.RLock()
        self._clock = StrictClock(now)
        self._fingerprint = Fingerprinter()
        self.api_url = "http://127.0.0.1/api/v3"  # the server sets the real one once bound
        users = dict(DEFAULT_USERS if users is None else users)
        self._seed = dict(plan=plan, visibility=visibility, users=users,
                          token_user=token_user or next(iter(users), owner))
        self.owner = owner
        # A personal account on Pro; an organisation otherwise, unless told.
        self.owner_type = owner_type or ("User" if plan == "pro" else "Organization")
        if self.owner_type not in ("User", "Organization"):
            raise ValueError("owner_type must be 'User' or 'Organization'")
        self.owner_id = owner_id
        self.repo_name = repo
        self.repo_id = repo_id
        self._born = self._clock.tick()
        self._roles = dict(roles or {})  # login -> read|triage|write|maintain|admin (accounts.py)
        self.flow: Flow | None = None
        self._reset()

    def _reset(self) -> None:
        self.plan = self._seed["plan"]
        self.visibility = self._seed["visibility"]
        self.token_user = self._seed["token_user"]
        self._users = {login.casefold(): (login, number) for login, number in self._seed["users"].items()}
        if self.owner_type == "User":
            self._users.setdefault(self.owner.casefold(), (self.owner, self.owner_id))
        self._rulesets: dict[int, dict] = {}
        self._environments: dict[str, Environment] = {}
        self._repository_secrets: dict[str, Secret] = {}  # Actions secrets of the repository itself
        self._log: list[dict] = []
        self._next_id = 1000
        # The git repository, pull requests, deployments...: reset with the rest (flow.py).
        if self.flow is None:
            self.flow = Flow(self, self._roles)
        else:
            self.flow.reset()

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo_name}"

    # ---- accounts and the repository -------------------------------------------------------

    def _owner_json(self) -> dict:
        return shapes.simple_user(self.api_url, self.owner, self.owner_id, self.owner_type)

    def _user(self, login: str) -> tuple[str, int]:
        found = self._users.get(login.casefold())
        if found is None:
            raise errors.not_found("https://docs.github.com/rest/users/users#get-a-user")
        return found

    @locked
    def user(self, login: str) -> dict:
        name, number = self._user(login)
        return shapes.public_user(self.api_url, name, number, self._born)

    @locked
    def user_keys(self, login: str) -> list:
        self._user(login)  # 404 for an unknown user; nobody has GPG or SSH keys here
        return []

    @locked
    def authenticated_user(self) -> dict:
        name, number = self._user(self.token_user)
        return shapes.private_user(self.api_url, name, number, self._born)

    @locked
    def organization(self, login: str) -> dict:
        # The provider reads `id`; a 404 tells it the owner is a user account (provider.go L617-627).
        if self.owner_type != "Organization" or login.casefold() != self.owner.casefold():
            raise errors.not_found("https://docs.github.com/rest/orgs/orgs#get-an-organization")
        return shapes.organization(self.api_url, self.owner, self.owner_id, self._born)

    def check_repo(self, owner: str, repo: str) -> None:
        # Owner and repository names are not case sensitive (GitHub REST docs, path parameters).
        if (owner.casefold(), repo.casefold()) != (self.owner.casefold(), self.repo_name.casefold()):
            raise errors.not_found("https://docs.github.com/rest/repos/repos#get-a-repository")

    def repo_for_id(self, repo_id: str) -> tuple[str, str] | None:
        """/repositories/{id}/... addresses the same repository as /repos/{owner}/{repo}/..."""
        return (self.owner, self.repo_name) if repo_id == str(self.repo_id) else None

    @locked
    def repository(self) -> dict:
        return shapes.repository(self.api_url, self._owner_json(), self.repo_name, self.repo_id,
                                 self.visibility, self._born)

    # ---- rulesets ---------------------------------------------------------------------------

    def _ruleset(self, ruleset_id: int) -> dict:
        if ruleset_id not in self._rulesets:
            raise errors.not_found(RULES_DOCS)
        return self._rulesets[ruleset_id]

    def _unique_ruleset_name(self, name: str, own_id: int | None = None) -> None:
        if any(r["name"] == name and r["id"] != own_id for r in self._rulesets.values()):
            # [guess] GitHub refuses a second ruleset with the same name; the error item is ours.
            raise errors.validation_failed("Ruleset", "name", "already_exists", "Name must be unique", RULES_DOCS)

    @staticmethod
    def _normalised_rules(rules: list | None) -> list:
        rules = copy.deepcopy(rules or [])  # the provider sends null for no rules
        for rule in rules:
            if rule["type"] == "pull_request" and rule.get("parameters"):
                rule["parameters"].setdefault("allowed_merge_methods", list(DEFAULT_MERGE_METHODS))
        return rules

    def _links(self, ruleset_id: int) -> dict:
        return {"self": {"href": f"{self.api_url}/repos/{self.full_name}/rulesets/{ruleset_id}"},
                "html": {"href": f"{shapes.GITHUB}/{self.full_name}/rules/{ruleset_id}"}}

    def _insert_ruleset(self, body: dict) -> dict:
        validate.ruleset(validate.body_object(body), creating=True)
        self._unique_ruleset_name(body["name"])
        number, stamp = self._new_id(), self._clock.tick()
        ruleset = {
            "id": number, "name": body["name"], "target": body.get("target", "branch"),
            "source_type": "Repository", "source": self.full_name, "enforcement": body["enforcement"],
            "bypass_actors": copy.deepcopy(body.get("bypass_actors") or []),
            "node_id": shapes.node_id("RepositoryRuleset", number), "_links": self._links(number),
            "rules": self._normalised_rules(body.get("rules")),
            "created_at": stamp, "updated_at": stamp,
        }
        if body.get("conditions") is not None:
            ruleset["conditions"] = copy.deepcopy(body["conditions"])
        self._rulesets[number] = ruleset
        return copy.deepcopy(ruleset)

    @locked
    def list_rulesets(self) -> list[dict]:
        plans.refuse_rulesets(self.plan, self.visibility)
        # The list answers summaries only: no rules, conditions or bypass actors (GitHub docs'
        # example for "Get all repository rulesets"; read each ruleset by id for the rest).
        keep = ("id", "name", "target", "source_type", "source", "enforcement", "node_id", "_links",
                "created_at", "updated_at")
        return [{k: copy.deepcopy(r[k]) for k in keep} for r in self._rulesets.values()]

    @locked
    def get_ruleset(self, ruleset_id: int) -> dict:
        plans.refuse_rulesets(self.plan, self.visibility)
        return copy.deepcopy(self._ruleset(ruleset_id))

    @locked
    def create_ruleset(self, body) -> dict:
        plans.refuse_rulesets(self.plan, self.visibility)
        plans.refuse_enforcement(self.plan, validate.body_object(body).get("enforcement"))
        return self._insert_ruleset(body)

    @locked
    def update_ruleset(self, ruleset_id: int, body) -> dict:
        plans.refuse_rulesets(self.plan, self.visibility)
        ruleset = self._ruleset(ruleset_id)
        validate.ruleset(validate.body_object(body), creating=False)
        plans.refuse_enforcement(self.plan, body.get("enforcement"))
        if "name" in body:
            self._unique_ruleset_name(body["name"], ruleset_id)
        # PUT updates the fields it carries (every field of the PUT body is optional).
        for key in ("name", "target", "enforcement"):
            if key in body:
                ruleset[key] = body[key]
        if "bypass_actors" in body:
            ruleset["bypass_actors"] = copy.deepcopy(body["bypass_actors"] or [])
        if "rules" in body:
            ruleset["rules"] = self._normalised_rules(body["rules"])
        if "conditions" in body:
            ruleset["conditions"] = copy.deepcopy(body["conditions"])
            if ruleset["conditions"] is None:
                del ruleset["conditions"]
        ruleset["updated_at"] = self._clock.tick()
        return copy.deepcopy(ruleset)

    @locked
    def delete_ruleset(self, ruleset_id: int) -> None:
        plans.refuse_rulesets(self.plan, self.visibility)
        self._rulesets.pop(self._ruleset(ruleset_id)["id"])

    # ---- environments -----------------------------------------------------------------------

    def _env(self, name: str) -> Environment:
        # Environment names are not case sensitive (GitHub docs, "Managing environments for deployment").
        env = self._environments.get(name.casefold())
        if env is None:
            raise errors.not_found(ENV_DOCS)
        return env

    def _reviewer_json(self, reviewer: dict) -> dict:
        login, number = next(u for u in self._users.values() if u[1] == reviewer["id"])
        return {"type": "User", "reviewer": shapes.simple_user(self.api_url, login, number)}

    def _env_json(self, env: Environment) -> dict:
        """GitHub's `environment`: the request's fields come back as `protection_rules`.

        Our reading [guess, consistent with the provider's comment "Protection rules are omitted from
        the response once removed"]: no wait_timer rule when the timer is 0; no required_reviewers
        rule when there are no reviewers and prevent_self_review is false; a branch_policy rule
        whenever a deployment branch policy is set. `can_admins_bypass` is always present: the
        provider reads a missing one as false (it is not in the published schema, but GitHub sends it).
        """
        def rule(kind: str, **fields) -> dict:
            number = env.rule_ids[kind]
            return {"id": number, "node_id": shapes.node_id("Gate", number), "type": kind, **fields}

        rules = []
        if env.wait_timer:
            rules.append(rule("wait_timer", wait_timer=env.wait_timer))
        if env.reviewers or env.prevent_self_review:
            rules.append(rule("required_reviewers", prevent_self_review=env.prevent_self_review,
                              reviewers=[self._reviewer_json(r) for r in env.reviewers]))
        if env.deployment_branch_policy:
            rules.append(rule("branch_policy"))
        return {
            "id": env.id, "node_id": shapes.node_id("Environment", env.id), "name": env.name,
            "url": f"{self.api_url}/repos/{self.full_name}/environments/{quote(env.name, safe='')}",
            "html_url": f"{shapes.GITHUB}/{self.full_name}/deployments/activity_log"
                        f"?environments_filter={quote(env.name, safe='')}",
            "created_at": env.created_at, "updated_at": env.updated_at,
            "can_admins_bypass": env.can_admins_bypass, "protection_rules": rules,
            "deployment_branch_policy": copy.deepcopy(env.deployment_branch_policy),
        }

    def _check_reviewers(self, reviewers: list[dict]) -> None:
        known = {number for _, number in self._users.values()}
        for reviewer in reviewers:
            # [guess] status and wording; this double knows no teams, so every Team id is unknown.
            if reviewer["type"] != "User" or reviewer["id"] not in known:
                raise errors.validation_failed("Environment", "reviewers", "invalid",
                                               f"{reviewer['type']} {reviewer['id']} is not a valid reviewer "
                                               "for this repository.", ENV_DOCS)

    def _upsert_environment(self, name: str, body) -> Environment:
        """PUT semantics: the body replaces the protections; a missing field takes its default [guess]."""
        validate.environment(validate.body_object(body))
        reviewers = [{"type": r["type"], "id": r["id"]} for r in body.get("reviewers") or []]
        self._check_reviewers(reviewers)
        if not isinstance(name, str) or not name or len(name) > 255:
            raise errors.invalid_request("Environment names are 1 to 255 characters.", ENV_DOCS)
        stamp = self._clock.tick()
        env = self._environments.get(name.casefold())
        if env is None:
            number = self._new_id()
            rule_ids = {kind: self._new_id() for kind in ("wait_timer", "required_reviewers", "branch_policy")}
            env = self._environments[name.casefold()] = Environment(number, name, stamp, stamp, rule_ids)
        env.updated_at = stamp
        env.wait_timer = body.get("wait_timer") or 0
        env.reviewers = reviewers
        env.prevent_self_review = bool(body.get("prevent_self_review"))
        env.can_admins_bypass = body.get("can_admins_bypass") is not False
        policy = body.get("deployment_branch_policy")
        # [guess] both flags false means no policy, as when none is sent.
        env.deployment_branch_policy = dict(policy) if policy and any(policy.values()) else None
        return env

    @locked
    def list_environments(self) -> dict:
        envs = [self._env_json(env) for env in self._environments.values()]
        return {"total_count": len(envs), "environments": envs}

    @locked
    def get_environment(self, name: str) -> dict:
        return self._env_json(self._env(name))

    @locked
    def put_environment(self, name: str, body) -> dict:
        plans.refuse_environment_put(self.plan, self.visibility, validate.body_object(body))
        return self._env_json(self._upsert_environment(name, body))

    @locked
    def delete_environment(self, name: str) -> None:
        # Deleting an environment deletes its secrets, variables and branch policies with it.
        self._environments.pop(self._env(name).name.casefold())

    # ---- deployment branch policies ---------------------------------------------------------

    def _policy_env(self, env_name: str) -> Environment:
        # Documented: the endpoints need deployment_branch_policy.custom_branch_policies = true;
        # otherwise GitHub answers 404 (TPG#1820, safe-settings#746).
        env = self._env(env_name)
        if not (env.deployment_branch_policy or {}).get("custom_branch_policies"):
            raise errors.not_found(POLICIES_DOCS)
        return env

    def _policy(self, env: Environment, policy_id: int) -> dict:
        if policy_id not in env.branch_policies:
            raise errors.not_found(POLICIES_DOCS)
        return env.branch_policies[policy_id]

    @locked
    def list_branch_policies(self, env_name: str) -> dict:
        policies = [dict(p) for p in self._policy_env(env_name).branch_policies.values()]
        return {"total_count": len(policies), "branch_policies": policies}

    @locked
    def create_branch_policy(self, env_name: str, body) -> tuple[int, dict]:
        env = self._policy_env(env_name)
        body = validate.body_object(body)
        name, kind = body.get("name"), body.get("type", "branch")
        if not isinstance(name, str) or not name or kind not in ("branch", "tag"):
            raise errors.invalid_request("'name' is required and 'type' is branch or tag.", POLICIES_DOCS)
        for policy in env.branch_policies.values():
            if (policy["name"], policy["type"]) == (name, kind):
                # Documented: 303 "if the same branch name pattern already exists"; the body is ours.
                return 303, dict(policy)
        number = self._new_id()
        env.branch_policies[number] = {"id": number, "node_id": shapes.node_id("Gate", number),
                                       "name": name, "type": kind}
        return 200, dict(env.branch_policies[number])

    @locked
    def get_branch_policy(self, env_name: str, policy_id: int) -> dict:
        return dict(self._policy(self._policy_env(env_name), policy_id))

    @locked
    def update_branch_policy(self, env_name: str, policy_id: int, body) -> dict:
        policy = self._policy(self._policy_env(env_name), policy_id)
        name = validate.body_object(body).get("name")
        if not isinstance(name, str) or not name:
            raise errors.invalid_request("'name' is a required property.", POLICIES_DOCS)
        policy["name"] = name
        return dict(policy)

    @locked
    def delete_branch_policy(self, env_name: str, policy_id: int) -> None:
        env = self._policy_env(env_name)
        env.branch_policies.pop(self._policy(env, policy_id)["id"])

    # ---- environment secrets ----------------------------------------------------------------

    def _secret(self, env: Environment, name: str) -> Secret:
        secret = env.secrets.get(name.upper())
        if secret is None:
            raise errors.not_found(SECRETS_DOCS)
        return secret

    def _write_secret(self, env: Environment, name: str, plaintext: bytes) -> bool:
        """Store the fingerprint only; True when the secret is new."""
        name = validate.actions_name(name, "Secret", validate.SECRETS_DOCS)
        validate.value_size(plaintext, "Secret", validate.SECRETS_DOCS)
        stamp = self._clock.tick()
        fingerprint = self._fingerprint(plaintext)
        existing = env.secrets.get(name)
        if existing:
            existing.updated_at, existing.fingerprint = stamp, fingerprint
            return False
        env.secrets[name] = Secret(name, stamp, stamp, fingerprint)
        return True

    @staticmethod
    def _secret_json(secret: Secret) -> dict:
        return {"name": secret.name, "created_at": secret.created_at, "updated_at": secret.updated_at}

    @locked
    def public_key(self, env_name: str) -> dict:
        keys = self._env(env_name).keys
        return {"key_id": keys.key_id, "key": keys.public_b64}

    @locked
    def list_secrets(self, env_name: str) -> dict:
        secrets = [self._secret_json(s) for s in self._env(env_name).secrets.values()]
        return {"total_count": len(secrets), "secrets": secrets}

    @locked
    def get_secret(self, env_name: str, name: str) -> dict:
        return self._secret_json(self._secret(self._env(env_name), name))

    @locked
    def put_secret(self, env_name: str, name: str, body) -> bool:
        """Open the sealed box, keep its fingerprint; True when created (201), False when updated (204)."""
        env = self._env(env_name)
        body = validate.body_object(body)
        validate.actions_name(name, "Secret", validate.SECRETS_DOCS)
        sealed, key_id = body.get("encrypted_value"), body.get("key_id")
        if not isinstance(sealed, str) or not isinstance(key_id, str):
            raise errors.invalid_request("'encrypted_value' and 'key_id' are required strings.", SECRETS_DOCS)
        plaintext = env.keys.open(sealed) if key_id == env.keys.key_id else None
        if plaintext is None:
            # [guess] status and wording: the value is not sealed to this environment's current key.
            raise errors.validation_failed("Secret", "encrypted_value", "invalid",
                                           "encrypted_value is not sealed with the environment's public key "
                                           "(key_id mismatch or undecryptable).", SECRETS_DOCS)
        return self._write_secret(env, name, plaintext)

    @locked
    def delete_secret(self, env_name: str, name: str) -> None:
        env = self._env(env_name)
        env.secrets.pop(self._secret(env, name).name)

    # ---- environment variables --------------------------------------------------------------

    def _variable(self, env: Environment, name: str) -> Variable:
        variable = env.variables.get(name.upper())
        if variable is None:
            raise errors.not_found(VARIABLES_DOCS)
        return variable

    @staticmethod
    def _variable_json(variable: Variable) -> dict:
        return {"name": variable.name, "value": variable.value,
                "created_at": variable.created_at, "updated_at": variable.updated_at}

    @staticmethod
    def _value(body: dict) -> str:
        value = body.get("value")
        if not isinstance(value, str):
            raise errors.invalid_request("For 'value', the value must be a string.", VARIABLES_DOCS)
        validate.value_size(value, "Variable", validate.VARIABLES_DOCS)
        return value

    @locked
    def list_variables(self, env_name: str) -> dict:
        variables = [self._variable_json(v) for v in self._env(env_name).variables.values()]
        return {"total_count": len(variables), "variables": variables}

    @locked
    def get_variable(self, env_name: str, name: str) -> dict:
        return self._variable_json(self._variable(self._env(env_name), name))

    @locked
    def create_variable(self, env_name: str, body) -> None:
        env = self._env(env_name)
        body = validate.body_object(body)
        name = validate.actions_name(body.get("name"), "Variable", validate.VARIABLES_DOCS)
        value = self._value(body)
        if name in env.variables:
            # 409 Conflict on an existing name (TPG#2758, cli/cli#6928); the wording is [guess].
            raise errors.basic(409, "Already exists - Variable already exists", VARIABLES_DOCS)
        stamp = self._clock.tick()
        env.variables[name] = Variable(name, value, stamp, stamp)

    @locked
    def update_variable(self, env_name: str, name: str, body) -> None:
        env = self._env(env_name)
        variable = self._variable(env, name)
        body = validate.body_object(body)
        new_name = validate.actions_name(body.get("name", variable.name), "Variable", validate.VARIABLES_DOCS)
        value = self._value(body) if "value" in body else variable.value
        if new_name != variable.name:
            if new_name in env.variables:
                raise errors.basic(409, "Already exists - Variable already exists", VARIABLES_DOCS)
            env.variables[new_name] = env.variables.pop(variable.name)
            variable.name = new_name
        variable.value, variable.updated_at = value, self._clock.tick()

    @locked
    def delete_variable(self, env_name: str, name: str) -> None:
        env = self._env(env_name)
        env.variables.pop(self._variable(env, name).name)

    # ---- request log ------------------------------------------------------------------------

    @locked
    def record(self, method: str, path: str, status: int, unknown: bool = False) -> None:
        # Method, path and status only: never a body, a header or a query string.
        self._log.append({"method": method, "path": path, "status": status, "unknown": unknown})

    @locked
    def requests(self) -> list[dict]:
        return copy.deepcopy(self._log)

    @locked
    def unknown_requests(self) -> list[dict]:
        return [dict(entry) for entry in self._log if entry["unknown"]]

    @locked
    def clear_log(self) -> None:
        self._log.clear()

    # ---- out-of-band edits: a person in the UI, or a test seeding state ---------------------
    # No plan check (a test may seed what the plan would refuse); the same validation otherwise.

    @locked
    def reset(self) -> None:
        """Back to the constructor's state (plan, users, nothing else); the clock keeps going."""
        self._reset()

    @locked
    def set_plan(self, plan: str | None = None, visibility: str | None = None) -> None:
        plans.check(plan or self.plan, visibility or self.visibility)
        self.plan, self.visibility = plan or self.plan, visibility or self.visibility

    @locked
    def add_user(self, login: str, number: int) -> dict:
        self._users[login.casefold()] = (login, number)
        return self.user(login)

    @locked
    def add_repository_secret(self, name: str, plaintext: str) -> dict:
        """A repository-level Actions secret someone added in Settings -> Secrets (the value: a fingerprint)."""
        name = validate.actions_name(name, "Secret", validate.SECRETS_DOCS)
        stamp = self._clock.tick()
        self._repository_secrets[name] = Secret(name, stamp, stamp, self._fingerprint(plaintext))
        return self._secret_json(self._repository_secrets[name])

    @locked
    def list_repository_secrets(self) -> dict:
        """GET /repos/{owner}/{repo}/actions/secrets (docs: "List repository secrets"): names and times only."""
        secrets = [self._secret_json(s) for s in self._repository_secrets.values()]
        return {"total_count": len(secrets), "secrets": secrets}

    @locked
    def delete_repository_secret(self, name: str) -> None:
        if self._repository_secrets.pop(name, None) is None:
            raise errors.not_found(SECRETS_DOCS + "#delete-a-repository-secret")

    @locked
    def add_ruleset(self, body: dict) -> dict:
        """A ruleset nobody declared, or an existing one to import: same shape as the POST body."""
        return self._insert_ruleset(body)

    @locked
    def disable_ruleset(self, ruleset_id: int, enforcement: str = "disabled") -> dict:
        """An edit in GitHub's UI: the ruleset's enforcement set (disabled, or back to active)."""
        ruleset = self._ruleset(ruleset_id)
        ruleset["enforcement"], ruleset["updated_at"] = enforcement, self._clock.tick()
        return copy.deepcopy(ruleset)

    @locked
    def remove_ruleset(self, ruleset_id: int) -> None:
        self._rulesets.pop(self._ruleset(ruleset_id)["id"])

    @locked
    def add_environment(self, name: str, **settings) -> dict:
        """An environment nobody declared, or an existing one to import; settings as in the PUT body."""
        return self._env_json(self._upsert_environment(name, settings))

    @locked
    def remove_reviewers(self, env_name: str, ids: list[int] | None = None) -> dict:
        """Remove the given reviewer ids (all when None); prevent_self_review is left as it is."""
        env = self._env(env_name)
        env.reviewers = [r for r in env.reviewers if ids is not None and r["id"] not in ids]
        env.updated_at = self._clock.tick()
        return self._env_json(env)

    @locked
    def remove_environment(self, name: str) -> None:
        self._environments.pop(self._env(name).name.casefold())

    @locked
    def add_branch_policy(self, env_name: str, name: str, kind: str = "branch") -> dict:
        return self.create_branch_policy(env_name, {"name": name, "type": kind})[1]

    @locked
    def set_variable(self, env_name: str, name: str, value: str) -> dict:
        """Create or change a variable, as a person would in the UI."""
        env = self._env(env_name)
        canonical = validate.actions_name(name, "Variable", validate.VARIABLES_DOCS)
        if canonical in env.variables:
            self.update_variable(env_name, canonical, {"value": value})
        else:
            self.create_variable(env_name, {"name": canonical, "value": value})
        return self._variable_json(env.variables[canonical])

    @locked
    def remove_variable(self, env_name: str, name: str) -> None:
        self.delete_variable(env_name, name)

    @locked
    def set_secret(self, env_name: str, name: str, value: str) -> dict:
        """Create or re-set a secret, as a person would in the UI: new fingerprint, later updated_at."""
        env = self._env(env_name)
        self._write_secret(env, name, value.encode())
        return self._secret_state(env.secrets[name.upper()])

    @locked
    def remove_secret(self, env_name: str, name: str) -> None:
        self.delete_secret(env_name, name)

    # ---- inspection ---------------------------------------------------------------------------

    def fingerprint(self, value: str | bytes) -> str:
        """The fingerprint the double keeps for a secret whose value is `value`."""
        return self._fingerprint(value)

    @locked
    def secret_matches(self, env_name: str, name: str, value: str | bytes) -> bool:
        return self._secret(self._env(env_name), name).fingerprint == self._fingerprint(value)

    def _secret_state(self, secret: Secret) -> dict:
        return self._secret_json(secret) | {"fingerprint": secret.fingerprint}

    @locked
    def state(self) -> dict:
        """Everything the double holds, secrets as fingerprints only. Keyed by name for tests."""
        environments = {}
        for env in self._environments.values():
            environments[env.name] = self._env_json(env) | {
                "deployment_branch_policies": [dict(p) for p in env.branch_policies.values()],
                "secrets": {s.name: self._secret_state(s) for s in env.secrets.values()},
                "variables": {v.name: self._variable_json(v) for v in env.variables.values()},
            }
        return {
            "plan": self.plan, "visibility": self.visibility, "owner": self.owner,
            "owner_type": self.owner_type, "repository": self.full_name, "repository_id": self.repo_id,
            "users": {login: number for login, number in self._users.values()},
            "rulesets": {r["name"]: copy.deepcopy(r) for r in self._rulesets.values()},
            "environments": environments,
        }
