"""The double's control API under /_double/: what tests and "a person in the UI" do.

Every route mirrors a method of the in-process double (doubles/README.md lists them).
Plaintext secret values travel only in the bodies of PUT .../secrets/{name} and POST fingerprint,
and are neither kept nor logged.
"""

from __future__ import annotations

from . import errors, validate
from .router import Router
from .store import Store

control = Router()
ENV = "environments/{env}"


def _field(body, key: str, kind: type = str):
    if not isinstance(body, dict) or not isinstance(body.get(key), kind):
        raise errors.invalid_request(f"'{key}' is required ({kind.__name__}).")
    return body[key]


@control.route("GET", "log")
def log(store: Store, p, body):
    return 200, {"requests": store.requests()}


@control.route("DELETE", "log")
def clear_log(store: Store, p, body):
    store.clear_log()
    return 204, None


@control.route("GET", "state")
def state(store: Store, p, body):
    return 200, store.state()


@control.route("POST", "reset")
def reset(store: Store, p, body):
    store.reset()
    return 204, None


@control.route("POST", "fingerprint")
def fingerprint(store: Store, p, body):
    return 200, {"fingerprint": store.fingerprint(_field(body, "value"))}


@control.route("PUT", "plan")
def set_plan(store: Store, p, body):
    body = body or {}
    store.set_plan(body.get("plan"), body.get("visibility"))
    return 200, {"plan": store.plan, "visibility": store.visibility}


@control.route("POST", "users")
def add_user(store: Store, p, body):
    return 201, store.add_user(_field(body, "login"), _field(body, "id", int))


@control.route("POST", "rulesets")
def add_ruleset(store: Store, p, body):
    return 201, store.add_ruleset(body)


@control.route("POST", "rulesets/{ruleset_id}/disable")
def disable_ruleset(store: Store, p, body):
    return 200, store.disable_ruleset(p["ruleset_id"])


@control.route("DELETE", "rulesets/{ruleset_id}")
def remove_ruleset(store: Store, p, body):
    store.remove_ruleset(p["ruleset_id"])
    return 204, None


@control.route("PUT", ENV)
def add_environment(store: Store, p, body):
    return 200, store.add_environment(p["env"], **validate.body_object(body or {}))


@control.route("POST", ENV + "/remove-reviewers")
def remove_reviewers(store: Store, p, body):
    return 200, store.remove_reviewers(p["env"], (body or {}).get("ids"))


@control.route("DELETE", ENV)
def remove_environment(store: Store, p, body):
    store.remove_environment(p["env"])
    return 204, None


@control.route("POST", ENV + "/deployment-branch-policies")
def add_branch_policy(store: Store, p, body):
    return 200, store.add_branch_policy(p["env"], _field(body, "name"), (body or {}).get("type", "branch"))


@control.route("PUT", ENV + "/variables/{name}")
def set_variable(store: Store, p, body):
    return 200, store.set_variable(p["env"], p["name"], _field(body, "value"))


@control.route("DELETE", ENV + "/variables/{name}")
def remove_variable(store: Store, p, body):
    store.remove_variable(p["env"], p["name"])
    return 204, None


@control.route("PUT", ENV + "/secrets/{name}")
def set_secret(store: Store, p, body):
    return 200, store.set_secret(p["env"], p["name"], _field(body, "value"))


@control.route("DELETE", ENV + "/secrets/{name}")
def remove_secret(store: Store, p, body):
    store.remove_secret(p["env"], p["name"])
    return 204, None
