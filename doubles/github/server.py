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

from . import errors
from .api import api, canonical
from .control import control
from .router import segments
from .store import Store


def _parse(raw: bytes):
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise errors.basic(400, "Problems parsing JSON") from None


def dispatch(store: Store, method: str, raw_path: str, raw_body: bytes, authorized: bool) -> tuple[int, object]:
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
        raw_path = self.path.partition("?")[0]
        body = self._body()
        authorized = bool(self.headers.get("Authorization"))
        status, payload = dispatch(self.server.store, self.command, raw_path, body, authorized)
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

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        if self.server.verbose:  # request line and status: no body, no header
            sys.stderr.write("github double: " + (format % args) + "\n")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 makes concurrent clients wait 1 s for a SYN retry


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

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, verbose: bool = False, **store_options):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the GitHub double binds the loopback interface only")
        self.store = Store(**store_options)
        self._address = (host, port)
        self._verbose = verbose
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> "GitHubDouble":
        server = _Server(self._address, _Handler)
        server.store, server.verbose = self.store, self._verbose
        self._server = server
        self.store.api_url = self.api_url
        # A short poll interval: stop() waits for the serving loop to notice, 0.5 s by default.
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="github-double", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

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
    def base_url(self) -> str:
        """What the provider's base_url (github:baseUrl, GITHUB_BASE_URL) should be."""
        return f"http://127.0.0.1:{self.port}/"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}api/v3"

    def provider_env(self, token: str = "github-double-token") -> dict[str, str]:
        """Environment for a provider run against the double: its base URL and a dummy token (with
        no token the provider runs `gh auth token`). write_delay_ms has no variable: set it to 0 on
        the provider, or every write sleeps 1 s."""
        return {"GITHUB_BASE_URL": self.base_url, "GITHUB_TOKEN": token}

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
