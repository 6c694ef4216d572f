"""What both doubles' HTTP servers share: splitting a path before percent-decoding, reading a request body."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote


def segments(raw_path: str) -> list[str]:
    """The path's segments, split BEFORE percent-decoding: the providers escape names (`a%2Fb` is one segment)."""
    return [unquote(part) for part in raw_path.split("/")[1:]]


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body, Content-Length or chunked (Go's client chunks bodies of unknown length)."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while size := int(handler.rfile.readline().split(b";")[0], 16):
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(chunks)
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
