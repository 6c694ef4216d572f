"""A read-only JSON client for GitHub's and Vercel's list endpoints: GET only, pages followed, calls counted;
and `github_call`, the one client that writes to GitHub, for the workflows' steps (the drift issues, the release
tag, the post-mortem).

Errors carry the status and the path, never the token or the query string's values.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Mapping

Fetch = Callable[[urllib.request.Request, float], tuple[int, Mapping[str, str], bytes]]

MAX_PAGES = 50  # a runaway pagination is an error, not an endless audit


class RestError(Exception):
    def __init__(self, service: str, status: int | None, path: str, message: str):
        self.service, self.status, self.path = service, status, path
        where = f"{service} GET {path}"
        super().__init__(f"{where}: HTTP {status}: {message}" if status else f"{where}: {message}")


def urlopen_fetch(request: urllib.request.Request, timeout: float) -> tuple[int, Mapping[str, str], bytes]:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (https or loopback)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers or {}), err.read() or b""


class JsonClient:
    """GETs JSON under one API root with a bearer token; thread-safe call counter."""

    def __init__(self, service: str, root: str, token: str, *, headers: Mapping[str, str] | None = None,
                 timeout: float = 30.0, fetch: Fetch = urlopen_fetch):
        self.service = service
        self.root = root.rstrip("/")
        self._token = token
        self._headers = dict(headers or {})
        self._timeout = timeout
        self._fetch = fetch
        self._lock = threading.Lock()
        self.calls = 0

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> tuple[Any, Mapping[str, str]]:
        query = urllib.parse.urlencode({k: v for k, v in (params or {}).items() if v is not None})
        url = f"{self.root}{path}" + (f"?{query}" if query else "")
        return self._get_url(url, path)

    def _get_url(self, url: str, path: str) -> tuple[Any, Mapping[str, str]]:
        request = urllib.request.Request(url, method="GET", headers={
            "Authorization": f"Bearer {self._token}", "Accept": "application/json",
            "User-Agent": "release-topology-audit", **self._headers})
        with self._lock:
            self.calls += 1
        try:
            status, headers, body = self._fetch(request, self._timeout)
        except (OSError, ValueError) as err:
            raise RestError(self.service, None, path, f"no answer ({type(err).__name__})") from None
        if status != 200:
            raise RestError(self.service, status, path, _error_message(body))
        try:
            return json.loads(body or b"null"), {k.lower(): v for k, v in headers.items()}
        except ValueError:
            raise RestError(self.service, status, path, "the answer is not JSON") from None

    def github_pages(self, path: str, items_key: str | None, params: Mapping[str, Any] | None = None) -> list:
        """Every item of a GitHub list, following `Link: <...>; rel="next"`."""
        data, headers = self.get(path, {"per_page": 100, **(params or {})})
        items = list(_items(data, items_key))
        for _ in range(MAX_PAGES):
            nxt = _next_link(headers.get("link", ""))
            if not nxt:
                return items
            if not nxt.startswith(self.root):
                raise RestError(self.service, None, path, "a next page outside the API root")
            data, headers = self._get_url(nxt, path)
            items += _items(data, items_key)
        raise RestError(self.service, None, path, f"more than {MAX_PAGES} pages")

    def vercel_pages(self, path: str, items_key: str, params: Mapping[str, Any] | None = None) -> list:
        """Every item of a Vercel list, following `pagination.next` (a timestamp passed as `until`)."""
        query = {"limit": 100, **(params or {})}
        items: list = []
        for _ in range(MAX_PAGES):
            data, _ = self.get(path, query)
            items += _items(data, items_key)
            nxt = (data.get("pagination") or {}).get("next") if isinstance(data, Mapping) else None
            if not nxt:
                return items
            query = {**query, "until": nxt}
        raise RestError(self.service, None, path, f"more than {MAX_PAGES} pages")


def _items(data: Any, key: str | None) -> list:
    if key is None:
        return list(data or [])
    if isinstance(data, Mapping):
        return list(data.get(key) or [])
    raise ValueError(f"expected an object with {key!r}")


_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def _next_link(link: str) -> str | None:
    match = _LINK.search(link or "")
    return match.group(1) if match else None


def _error_message(body: bytes) -> str:
    """GitHub `{"message"}` or Vercel `{"error": {"message"}}`, cut short."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return "no JSON error body"
    if isinstance(data, Mapping):
        err = data.get("error")
        message = err.get("message") if isinstance(err, Mapping) else data.get("message")
        if isinstance(message, str):
            return message[:200]
    return "no error message"


def github_api_root(base_url: str) -> str:
    """The REST root the github provider uses: api.github.com, or `<base>/api/v3` (GHES mode, any other host)."""
    parsed = urllib.parse.urlparse(base_url or "https://api.github.com/")
    host = (parsed.hostname or "").lower()
    if host in ("api.github.com", "github.com"):
        return "https://api.github.com"
    if host.endswith(".ghe.com"):
        return f"{parsed.scheme}://api.{host.removeprefix('api.')}"
    path = parsed.path.rstrip("/")
    path = path[: -len("/api/v3")] if path.endswith("/api/v3") else path
    return f"{parsed.scheme}://{parsed.netloc}{path}/api/v3"


Call = Callable[[str, str, Any], tuple[int, Any]]  # method, path under the API root, JSON body -> status, JSON


def github_call(api_root: str, token: str, *, timeout: float = 30.0, fetch: Fetch = urlopen_fetch) -> Call:
    """Any method on GitHub's REST API (audit.issues, scripts/release_tag.py, scripts/postmortem.py); answers
    (status, JSON), never raises on an HTTP status, and raises RestError (status-free) when there is no answer."""
    root = api_root.rstrip("/")

    def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        request = urllib.request.Request(root + path, method=method,
                                         data=None if body is None else json.dumps(body).encode(), headers={
                                             "Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                                             "X-GitHub-Api-Version": "2022-11-28", "Content-Type": "application/json",
                                             "User-Agent": "release-topology"})
        try:
            status, _, answer = fetch(request, timeout)
        except (OSError, ValueError) as err:
            raise RestError("github", None, path.split("?")[0], f"no answer ({type(err).__name__})") from None
        try:
            return status, json.loads(answer or b"null")
        except ValueError:
            return status, None
    return call
