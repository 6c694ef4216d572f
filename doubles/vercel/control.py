"""The double's control API under /_double/: what tests and "a person in the dashboard" do.

Every route mirrors a method of the in-process double (doubles/README.md lists them). Plaintext values travel
only in the bodies of PUT .../env/{key} and POST fingerprint, and are neither logged nor kept when sensitive.
Projects are named by id or name, in the team when the double has one, else in the personal account.
"""

from __future__ import annotations

from . import errors
from .router import Request, Router
from .store import Store

control = Router()
P = "projects/{project}"


def _field(body, key: str, kind: type = str, required: bool = True):
    value = body.get(key) if isinstance(body, dict) else None
    if value is None and not required:
        return None
    if not isinstance(value, kind):
        raise errors.bad_request(f"'{key}' is required ({kind.__name__}).")
    return value


@control.route("GET", "log")
def log(store: Store, r: Request):
    return 200, {"requests": store.requests()}


@control.route("DELETE", "log")
def clear_log(store: Store, r: Request):
    store.clear_log()
    return 204, None


@control.route("GET", "state")
def state(store: Store, r: Request):
    return 200, store.state()


@control.route("POST", "reset")
def reset(store: Store, r: Request):
    store.reset()
    return 204, None


@control.route("POST", "fingerprint")
def fingerprint(store: Store, r: Request):
    return 200, {"fingerprint": store.fingerprint(_field(r.body, "value"))}


@control.route("PUT", "plan")
def set_plan(store: Store, r: Request):
    try:
        store.set_plan(_field(r.body, "plan"))
    except ValueError as err:
        raise errors.bad_request(str(err)) from None
    return 200, {"plan": store.plan}


@control.route("POST", "projects")
def add_project(store: Store, r: Request):
    return 201, store.add_project(_field(r.body, "name"), _field(r.body, "repo", required=False),
                                  _field(r.body, "productionBranch", required=False))


@control.route("PUT", f"{P}/env/{{key}}")
def set_env(store: Store, r: Request):
    try:
        return 200, store.set_env(r.params["project"], r.params["key"], _field(r.body, "value", required=False),
                                  target=_field(r.body, "target", list, required=False),
                                  type=_field(r.body, "type", required=False))
    except ValueError as err:
        raise errors.bad_request(str(err)) from None


@control.route("DELETE", f"{P}/env/{{key}}")
def remove_env(store: Store, r: Request):
    store.remove_env(r.params["project"], r.params["key"])
    return 204, None


@control.route("POST", f"{P}/domains")
def add_domain(store: Store, r: Request):
    return 201, store.add_domain(r.params["project"], _field(r.body, "name"),
                                 misconfigured=bool((r.body or {}).get("misconfigured")))


@control.route("DELETE", f"{P}/domains/{{domain}}")
def remove_domain(store: Store, r: Request):
    store.remove_domain(r.params["project"], r.params["domain"])
    return 204, None
