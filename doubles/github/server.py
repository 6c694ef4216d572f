"""HTTP plumbing of the GitHub double: a loopback ThreadingHTTPServer over the store.

- /api/v3/...   GitHub REST as the provider uses it in GHES mode (api.py); logged.
- /_double/...  the control API (control.py); not logged.
- anything else, /api/graphql included, and any unknown method or path: 501, logged with unknown=True.

No ETag and no rate-limit header is ever sent: go-github would send If-None-Match, or sleep on a
403/429 that looks like rate limiting.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from . import errors, flow_api, git_http, issues_api  # noqa: F401 - flow_api, issues_api register routes
from .accounts import token_for
from .api import api, canonical
from .control import control
from ..http import read_body, segments
from .store import Store


def _parse(raw: bytes):
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise errors.basic(400, "Problems parsing JSON") from None


def dispatch(store: Store, method: str, raw_path: str, raw_body: bytes, authorized: bool,
             authorization: str | None = None, query: str = "") -> tuple[int, object]:
    """Answer one request and log it (API and unknown routes only)."""
    parts = segments(raw_path)
    is_api = parts[:2] == ["api", "v3"]
    router, parts = (api, canonical(store, parts[2:])) if is_api else (
        (control, parts[1:]) if parts[:1] == ["_double"] else (None, parts))
    try:
        found = router.find(method, parts) if router else None
        if found is None:
            error = errors.not_implemented(method, raw_path)
            store.record(method, raw_path, error.status, unknown=True)
            return error.status, error.body
        handler, params = found
        # The flow's handlers need who is calling (the token's user) and the query's filters.
        params["_auth"], params["_query"] = authorization, dict(parse_qsl(query))
        if is_api and not authorized:
            raise errors.basic(401, "Requires authentication")
        if "owner" in params and "repo" in params:
            store.check_repo(params["owner"], params["repo"])
        status, payload = handler(store, params, _parse(raw_body))
    except errors.ApiError as error:
        status, payload = error.status, error.body
    except Exception as error:  # a bug of the double: 500 naming the exception type only
        traceback.print_exc(file=sys.stderr)
        status, payload = 500, {"message": f"GitHub double failure: {type(error).__name__}"}
    if is_api:
        store.record(method, raw_path, status)
    return status, payload


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the Go client expects; every answer has a length
    server_version = "GitHubDouble"
    sys_version = ""

    def _handle(self) -> None:
        raw_path, _, query = self.path.partition("?")
        if git_http.git_path(raw_path):  # /{owner}/{repo}.git/...: git's smart HTTP (git_http.py)
            port, authority = self.server.server_address[1], self.server.authority
            scheme = "https" if authority else "http"
            return git_http.serve(self, self.server.store, f"{scheme}://127.0.0.1:{port}/_double/git/receive",
                                  authority.ca_path if authority else None)
        body = read_body(self)
        authorization = self.headers.get("Authorization")
        status, payload = dispatch(self.server.store, self.command, raw_path, body, bool(authorization),
                                   authorization, query)
        self.send_response(status)
        if status in (204, 304):
            self.end_headers()
            return
        data = json.dumps(payload).encode()
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        if self.server.verbose:  # request line and status: no body, no header
            sys.stderr.write("github double: " + (format % args) + "\n")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 makes concurrent clients wait 1 s for a SYN retry
    authority = None  # tls.ServerAuthority when serving https

    def finish_request(self, request, client_address):
        """With TLS, the handshake runs in the request's own thread (a slow client blocks no accept)."""
        if self.authority is None:
            return super().finish_request(request, client_address)
        try:
            request = self._context.wrap_socket(request, server_side=True)
        except (OSError, ValueError):  # a client that does not trust the CA, or is not TLS: drop it
            return
        try:
            super().finish_request(request, client_address)
        finally:
            request.close()


def _mirror(method):
    """A method of the double that calls the store's method of the same name."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        return method(self.store, *args, **kwargs)
    return call


class GitHubDouble:
    """The GitHub double in-process: `with GitHubDouble(plan="team") as gh: gh.base_url ...`.

    Keyword arguments other than host, port and verbose go to Store (plan, visibility, owner, repo,
    owner_type, users, token_user, owner_id, repo_id, now).
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, verbose: bool = False, tls: bool = False,
                 server_name: str = "127.0.0.1", **store_options):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the GitHub double binds the loopback interface only")
        if server_name not in ("127.0.0.1", "localhost", "github.localhost"):
            raise ValueError("the GitHub double's server name is a loopback name its certificate holds (tls.py)")
        self.server_name = server_name  # the host of `instance` (act's --github-instance); resolved by the caller
        self.store = Store(**store_options)
        self._tls = tls
        self._authority = None
        self._address = (host, port)
        self._verbose = verbose
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> "GitHubDouble":
        server = _Server(self._address, _Handler)
        server.store, server.verbose = self.store, self._verbose
        if self._tls:  # GHES on https://127.0.0.1:PORT (tls.py)
            from .tls import ServerAuthority
            self._authority = server.authority = ServerAuthority()
            server._context = self._authority.server_context()
        self._server = server
        self.store.api_url = self.api_url
        # A short poll interval: stop() waits for the serving loop to notice, 0.5 s by default.
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="github-double", daemon=True)
        self._thread.start()
        return self  # the bare repository is made on first use (git, a pull request, repo_path)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None
        if self._authority is not None:
            self._authority.close()
            self._authority = None
        with self.store._lock:
            self.store.flow.close()  # the temporary directory of the bare repository goes

    def __enter__(self) -> "GitHubDouble":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the GitHub double is not started")
        return self._server.server_address[1]

    @property
    def scheme(self) -> str:
        return "https" if self._tls else "http"

    @property
    def ca_path(self) -> str | None:
        """The test CA's PEM while serving https (tls=True), else None; removed by stop()."""
        return self._authority.ca_path if self._authority else None

    @property
    def instance(self) -> str:
        """`SERVER_NAME:PORT`: act's --github-instance (a GHES host: API under /api/v3, git at the root)."""
        return f"{self.server_name}:{self.port}"

    @property
    def base_url(self) -> str:
        """What the provider's base_url (github:baseUrl, GITHUB_BASE_URL) should be."""
        return f"{self.scheme}://127.0.0.1:{self.port}/"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}api/v3"

    def provider_env(self, token: str = "github-double-token") -> dict[str, str]:
        """Environment for a provider run against the double: its base URL and a dummy token (with
        no token the provider runs `gh auth token`). write_delay_ms has no variable: set it to 0 on
        the provider, or every write sleeps 1 s."""
        return {"GITHUB_BASE_URL": self.base_url, "GITHUB_TOKEN": token}

    # ---- the flow: git, pull requests, jobs (doubles/README.md, "The flow") ----

    @property
    def repo_path(self):
        """The bare repository on disk, created on first use and removed by stop()."""
        with self.store._lock:
            return self.store.flow.repo.path

    def token_for(self, login: str) -> str:
        return token_for(login)

    def clone_url(self, login: str) -> str:
        """The repository's git URL with `login` and its token as basic-auth credentials."""
        return (f"{self.scheme}://{login}:{token_for(login)}@127.0.0.1:{self.port}/"
                f"{self.store.owner}/{self.store.repo_name}.git")

    def git(self, *args: str) -> str:
        """A git command in the bare repository (stdout, stripped): e.g. git("rev-list", "--parents", "-n1", "main")."""
        with self.store._lock:
            return self.store.flow.repo.out(*args)

    def set_role(self, login: str, role: str) -> None:
        self._control("PUT", f"roles/{login}", {"role": role})

    def run_job(self, actor: str, environment: str, ref: str, sha: str | None = None, *,
                url: str = "", result: str = "success") -> dict:
        """A workflow job that names `environment` (what POST /_double/jobs does): the run record."""
        body = {"actor": actor, "environment": environment, "ref": ref, "url": url, "result": result}
        return self._control("POST", "jobs", body | ({"sha": sha} if sha else {}))

    def finish_job(self, run_id: int, conclusion: str) -> dict:
        """A `running` job ended (POST /_double/jobs/{id}/finish): its deployment's final status."""
        return self._control("POST", f"jobs/{run_id}/finish", {"conclusion": conclusion})

    def job(self, run_id: int) -> dict:
        return self._control("GET", f"jobs/{run_id}")

    def advance_clock(self, seconds: int) -> None:
        """Move the double's time forward (wait timers run out)."""
        self._control("POST", "clock/advance", {"seconds": seconds})

    def as_user(self, login: str):
        """A REST client acting as `login` (its token): .get/.post/.put/... -> (status, JSON)."""
        from .client import Client
        return Client(self.api_url, token_for(login),
                      self._authority.client_context() if self._authority else None)

    def _control(self, method: str, path: str, body=None):
        status, payload = dispatch(self.store, method, f"/_double/{path}",
                                   json.dumps(body).encode() if body is not None else b"", False)
        if status >= 400:
            raise errors.ApiError(status, payload)
        return payload

    # Inspection and out-of-band edits, the same as the /_double/ routes.
    state = _mirror(Store.state)
    requests = _mirror(Store.requests)
    unknown_requests = _mirror(Store.unknown_requests)
    clear_log = _mirror(Store.clear_log)
    fingerprint = _mirror(Store.fingerprint)
    secret_matches = _mirror(Store.secret_matches)
    reset = _mirror(Store.reset)
    set_plan = _mirror(Store.set_plan)
    add_user = _mirror(Store.add_user)
    add_ruleset = _mirror(Store.add_ruleset)
    disable_ruleset = _mirror(Store.disable_ruleset)
    remove_ruleset = _mirror(Store.remove_ruleset)
    add_environment = _mirror(Store.add_environment)
    remove_reviewers = _mirror(Store.remove_reviewers)
    remove_environment = _mirror(Store.remove_environment)
    add_branch_policy = _mirror(Store.add_branch_policy)
    set_variable = _mirror(Store.set_variable)
    remove_variable = _mirror(Store.remove_variable)
    set_secret = _mirror(Store.set_secret)
    remove_secret = _mirror(Store.remove_secret)
    add_repository_secret = _mirror(Store.add_repository_secret)
