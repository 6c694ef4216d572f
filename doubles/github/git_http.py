"""Git's smart HTTP at http://127.0.0.1:PORT/{owner}/{repo}.git, served by real `git http-backend`
run as a CGI program (git-http-backend(1)).

Authentication is HTTP basic: the user is a login and the password that user's token (accounts.py),
as GitHub takes a personal access token for HTTPS git. A request without valid credentials gets a
401 challenge (git then asks its credential helpers, or uses the URL's user:password). Pushes need
write access: GitHub answers `Permission to owner/repo.git denied to <login>.` with 403.

The request body is streamed into the CGI (Content-Length or chunked, as git sends large pushes);
a gzip `Content-Encoding` is handed to http-backend, which inflates it itself (HTTP_CONTENT_ENCODING).
The CGI's answer is buffered until it exits, so a push's hook has run before git gets its report.
"""

from __future__ import annotations

import subprocess
import threading
from urllib.parse import unquote

from . import accounts
from .gitrepo import HTTP_BACKEND, clean_env
from .hooks import RECEIVE_URL_VARIABLE


# What git asks of a repository URL without `.git` (GitHub answers both forms; actions/checkout fetches
# `${GITHUB_SERVER_URL}/owner/repo`, url-helper.ts): the smart HTTP endpoints, git-http-backend(1).
SMART_HTTP = ("info/refs", "git-upload-pack", "git-receive-pack")


def git_path(raw_path: str) -> tuple[str, str, str] | None:
    """(owner, repo, rest) of `/{owner}/{repo}.git/rest` or `/{owner}/{repo}/<smart HTTP endpoint>`, else None."""
    parts = raw_path.split("/", 3)
    if len(parts) < 4:
        return None
    if parts[2].endswith(".git"):
        return unquote(parts[1]), unquote(parts[2][:-4]), "/" + parts[3]
    if parts[1] not in ("api", "_double") and parts[3] in SMART_HTTP:
        return unquote(parts[1]), unquote(parts[2]), "/" + parts[3]
    return None


def _send(handler, status: int, message: str, headers: dict | None = None) -> None:
    data = (message + "\n").encode()
    handler.send_response(status)
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.send_header("Content-Type", "text/plain; charset=utf-8")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def _copy_body(handler, sink) -> None:
    """Stream the request body into the CGI's stdin, then close it (EOF ends a chunked body)."""
    try:
        if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while size := int(handler.rfile.readline().split(b";")[0], 16):
                sink.write(handler.rfile.read(size))
                handler.rfile.readline()
            while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
        else:
            remaining = int(handler.headers.get("Content-Length") or 0)
            while remaining:
                chunk = handler.rfile.read(min(remaining, 65536))
                if not chunk:
                    break
                sink.write(chunk)
                remaining -= len(chunk)
    except (BrokenPipeError, ValueError):
        pass
    finally:
        try:
            sink.close()
        except BrokenPipeError:
            pass


def serve(handler, store, receive_url: str, ca_path: str | None = None) -> None:
    found = git_path(handler.path.partition("?")[0])
    owner, repo, rest = found
    query = handler.path.partition("?")[2]
    flow = store.flow
    if (owner.casefold(), repo.casefold()) != (store.owner.casefold(), store.repo_name.casefold()):
        _copy_body(handler, open("/dev/null", "wb"))
        return _send(handler, 404, "Repository not found.")
    credentials = accounts.basic(handler.headers.get("Authorization"))
    with store._lock:
        login = flow.actor_for_password(*credentials) if credentials else None
        role = flow.role_of(login) if login else None
        repository = flow.repo
    if login is None:
        _copy_body(handler, open("/dev/null", "wb"))
        return _send(handler, 401, "Invalid username or token.", {"WWW-Authenticate": 'Basic realm="GitHub"'})
    pushing = rest.endswith("/git-receive-pack") or "service=git-receive-pack" in query
    if pushing and not accounts.at_least(role, "write"):
        _copy_body(handler, open("/dev/null", "wb"))
        return _send(handler, 403, f"Permission to {store.full_name}.git denied to {login}.")
    environ = clean_env({
        "GIT_PROJECT_ROOT": str(repository.root), "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": f"/{repository.relative}{rest}", "QUERY_STRING": query,
        "REQUEST_METHOD": handler.command, "REMOTE_USER": login, "REMOTE_ADDR": handler.client_address[0],
        "CONTENT_TYPE": handler.headers.get("Content-Type", ""), "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1", RECEIVE_URL_VARIABLE: receive_url,
    } | ({"SSL_CERT_FILE": ca_path} if ca_path else {}))  # the hook calls back over https (tls=True)
    for header, variable in (("Content-Encoding", "HTTP_CONTENT_ENCODING"), ("Git-Protocol", "HTTP_GIT_PROTOCOL")):
        if handler.headers.get(header):
            environ[variable] = handler.headers[header]
    if handler.headers.get("Content-Length") and handler.headers.get("Transfer-Encoding", "").lower() != "chunked":
        environ["CONTENT_LENGTH"] = handler.headers["Content-Length"]
    process = subprocess.Popen([HTTP_BACKEND], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=environ)
    writer = threading.Thread(target=_copy_body, args=(handler, process.stdin), daemon=True)
    errors_seen: list[bytes] = []
    drain = threading.Thread(target=lambda: errors_seen.append(process.stderr.read()), daemon=True)
    writer.start()
    drain.start()
    output = process.stdout.read()
    process.wait()
    writer.join()
    drain.join()
    _relay(handler, output)


def _relay(handler, output: bytes) -> None:
    """Turn the CGI answer (headers, blank line, body) into an HTTP response with a length."""
    head, separator, body = output.partition(b"\r\n\r\n")
    if not separator:
        head, separator, body = output.partition(b"\n\n")
    status, headers = 200, []
    for line in head.decode("latin-1").splitlines():
        key, _, value = line.partition(":")
        if key.lower() == "status":
            status = int(value.split()[0])
        elif key:
            headers.append((key, value.strip()))
    handler.send_response(status)
    for key, value in headers:
        if key.lower() not in ("content-length", "transfer-encoding"):
            handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)
