"""A loopback HTTP server whose answers a test decides: the app a deploy's health checks call, the webhook a
notification posts to. Every request is recorded (method, path, body)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

Answer = Callable[[str], tuple[int, str, float]]  # path -> status, body, seconds to wait before answering


class Server:
    """`answer(path)` decides each response; `requests` lists what arrived. A context manager: stopped on exit."""

    def __init__(self, answer: Answer):
        self.requests: list[tuple[str, str, bytes]] = []
        self.answer = answer
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                outer.requests.append((self.command, self.path, self.rfile.read(length) if length else b""))
                status, body, delay = outer.answer(self.path)
                time.sleep(delay)
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
