"""HTTP plumbing of the Vercel double: a loopback HTTPS proxy whose only destination is itself.

The provider hard-codes https://api.vercel.com (client/client.go) and uses Go's default transport, which
honours HTTPS_PROXY and SSL_CERT_FILE; Python's urllib does the same. So:

- `CONNECT api.vercel.com:443` -> 200, then TLS with a leaf for api.vercel.com from the double's test CA, then
  HTTP/1.1 requests inside the tunnel, answered by the routes below.
- `CONNECT` to any other host (api-frameworks.zeit.sh, ...) -> 403, logged with refused=True.
- a plain request to the proxy port (`GET /v10/projects/...`, or absolute-form `https://api.vercel.com/...`)
  is answered the same way without TLS: handy for Python clients that do not tunnel.

Routes: the Vercel API (api.py, logged; needs `Authorization: Bearer <any token>`), the control API under
/_double/ (control.py, not logged), anything else 501 (logged, unknown=True).
"""

from __future__ import annotations

import functools
import json
import socket
import ssl
import sys
import threading
import traceback
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from . import errors
from .api import api
from .control import control
from ..http import read_body, segments
from .router import Request
from .store import Store
from .tls import API_HOST, TestAuthority

# The provider refuses a token that is not 24 letters or digits (vercel/provider.go, apiTokenRe).
DEFAULT_TOKEN = "vercelDoubleToken0000000"


def _parse(raw: bytes):
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise errors.bad_request("Invalid JSON body.") from None


def dispatch(store: Store, method: str, target: str, raw_body: bytes, authorized: bool,
             tunnel: bool) -> tuple[int, object]:
    """Answer one request and log it (API and unknown routes only)."""
    raw_path, _, raw_query = target.partition("?")
    query = dict(parse_qsl(raw_query, keep_blank_values=True))
    parts = segments(raw_path)
    is_control = parts[:1] == ["_double"]
    router, parts = (control, parts[1:]) if is_control else (api, parts)
    try:
        found = router.find(method, parts)
        if found is None:
            error = errors.not_implemented(method, raw_path)
            store.record(method, raw_path, query, error.status, tunnel=tunnel, unknown=True)
            return error.status, error.body
        handler, params = found
        if not is_control and not authorized:
            raise errors.unauthorized()
        scope = None if is_control else store.scope(query.get("teamId"))
        status, payload = handler(store, Request(params, query, _parse(raw_body), scope))
    except errors.ApiError as error:
        status, payload = error.status, error.body
    except Exception as error:  # a bug of the double: 500 naming the exception type only
        traceback.print_exc(file=sys.stderr)
        status, payload = 500, {"error": {"code": "internal_server_error",
                                          "message": f"Vercel double failure: {type(error).__name__}"}}
    if not is_control:
        store.record(method, raw_path, query, status, tunnel=tunnel)
    return status, payload


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Go's transport expects; every answer has a length
    server_version = "VercelDouble"
    sys_version = ""
    timeout = 300  # an idle keep-alive connection is closed after 5 minutes
    tunnel = False

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def _send(self, status: int, payload) -> None:
        self.send_response(status)
        if status == 204:
            self.end_headers()
            return
        data = json.dumps(payload).encode()
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _refuse(self, destination: str) -> None:
        self.server.store.record(self.command, destination, {}, 403, tunnel=self.tunnel, refused=True)
        self._send(403, {"error": {"code": "forbidden",
                                   "message": f"The Vercel double reaches {API_HOST}:443 only, not {destination}"}})
        self.close_connection = True

    def do_CONNECT(self) -> None:
        host, _, port = self.path.rpartition(":")
        if self.tunnel or host.lower() != API_HOST or port != "443":
            self._refuse(self.path)
            return
        self.send_response(200, "Connection Established")
        self.end_headers()
        self.close_connection = True  # whatever happens inside, this connection ends with the tunnel
        try:
            tls = self.server.tls_context.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError) as error:  # e.g. a client that does not trust the test CA
            self.log_message("TLS handshake failed: %s", type(error).__name__)
            return
        self.server.track(tls)
        try:
            _TunnelHandler(tls, self.client_address, self.server)
        except (ssl.SSLError, OSError):
            pass  # the client went away mid-request
        finally:
            self.server.untrack(tls)
            tls.close()

    def _handle(self) -> None:
        target = self.path
        if target.startswith(("http://", "https://")):  # absolute-form: a proxy request for a plain URL
            parsed = urlsplit(target)
            if (parsed.hostname or "").lower() != API_HOST:
                self._refuse(parsed.netloc)
                return
            target = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
        body = read_body(self)
        auth = self.headers.get("Authorization", "")
        authorized = auth.startswith("Bearer ") and bool(auth[len("Bearer "):].strip())
        status, payload = dispatch(self.server.store, self.command, target, body, authorized, self.tunnel)
        self._send(status, payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        if self.server.verbose:  # request line and status: no body, no header
            sys.stderr.write("vercel double: " + (format % args) + "\n")


class _TunnelHandler(_Handler):
    """The same handler on the TLS socket inside a CONNECT tunnel."""
    tunnel = True

    def setup(self) -> None:
        super(_Handler, self).setup()  # tracked by the CONNECT handler already

    def finish(self) -> None:
        super(_Handler, self).finish()


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins every handler thread
    block_on_close = True
    request_queue_size = 128  # the default 5 makes concurrent clients wait 1 s for a SYN retry

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._open: set = set()
        self._open_lock = threading.Lock()

    def track(self, sock) -> None:
        with self._open_lock:
            self._open.add(sock)

    def untrack(self, sock) -> None:
        with self._open_lock:
            self._open.discard(sock)

    def close_connections(self) -> None:
        """Unblock every handler (idle keep-alive, half-done handshake) so server_close() can join it."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _mirror(method):
    """A method of the double that calls the store's method of the same name."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        return method(self.store, *args, **kwargs)
    return call


class VercelDouble:
    """The Vercel double in-process: `with VercelDouble(plan="pro", team_id="team_...") as vd: vd.provider_env()`.

    Keyword arguments other than host, port and verbose go to Store (plan, team_id, team_slug, team_name,
    sensitive_policy, user_id, org_owners, now).
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, verbose: bool = False, **store_options):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the Vercel double binds the loopback interface only")
        self.store = Store(**store_options)
        self._address = (host, port)
        self._verbose = verbose
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._authority: TestAuthority | None = None

    def start(self) -> "VercelDouble":
        self._authority = TestAuthority()
        try:
            server = _Server(self._address, _Handler)
        except OSError:
            self._authority.close()
            raise
        server.store, server.verbose = self.store, self._verbose
        server.tls_context = self._authority.server_context()
        self._server = server
        # A short poll interval: stop() waits for the serving loop to notice, 0.5 s by default.
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="vercel-double", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None
        if self._authority is not None:
            self._authority.close()
            self._authority = None

    def __enter__(self) -> "VercelDouble":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the Vercel double is not started")
        return self._server.server_address[1]

    @property
    def proxy_url(self) -> str:
        """What HTTPS_PROXY should be."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ca_path(self) -> str:
        """The test CA's PEM: what SSL_CERT_FILE should be (removed on stop)."""
        if self._authority is None:
            raise RuntimeError("the Vercel double is not started")
        return self._authority.ca_path

    api_url = "https://api.vercel.com"

    def provider_env(self, token: str = DEFAULT_TOKEN) -> dict[str, str]:
        """Environment for the provider (and our audit) against the double. Both spellings of the proxy
        variable: Go reads HTTPS_PROXY first, Python's urllib lets https_proxy win. SSL_CERT_FILE replaces
        the system bundle, so nothing but the double is trusted."""
        return {"HTTPS_PROXY": self.proxy_url, "https_proxy": self.proxy_url, "SSL_CERT_FILE": self.ca_path,
                "VERCEL_API_TOKEN": token}

    def opener(self) -> urllib.request.OpenerDirector:
        """A urllib opener that tunnels https://api.vercel.com through the double and trusts its CA only."""
        return urllib.request.build_opener(
            urllib.request.ProxyHandler({"https": self.proxy_url}),
            urllib.request.HTTPSHandler(context=self._authority.client_context()))

    # Inspection and out-of-band edits, the same as the /_double/ routes.
    state = _mirror(Store.state)
    requests = _mirror(Store.requests)
    unknown_requests = _mirror(Store.unknown_requests)
    refused_connects = _mirror(Store.refused_connects)
    clear_log = _mirror(Store.clear_log)
    fingerprint = _mirror(Store.fingerprint)
    env_matches = _mirror(Store.env_matches)
    reset = _mirror(Store.reset)
    set_plan = _mirror(Store.set_plan)
    add_project = _mirror(Store.add_project)
    set_env = _mirror(Store.set_env)
    remove_env = _mirror(Store.remove_env)
    add_domain = _mirror(Store.add_domain)
    remove_domain = _mirror(Store.remove_domain)
