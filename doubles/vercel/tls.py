"""A test CA made at start (trustme) and the api.vercel.com leaf the tunnel presents.

The CA's PEM goes to a private temp directory so a client can trust it (SSL_CERT_FILE for Go's default
transport and for Python's default context); `close()` removes it. The leaf's key never leaves memory
except inside trustme's own short-lived temp file while the context loads it.
"""

from __future__ import annotations

import os
import shutil
import ssl
import tempfile

import trustme

API_HOST = "api.vercel.com"


class TestAuthority:
    def __init__(self) -> None:
        self._ca = trustme.CA(organization_name="Vercel double test CA")
        self._leaf = self._ca.issue_cert(API_HOST)
        self._dir = tempfile.mkdtemp(prefix="vercel-double-")
        self.ca_path = os.path.join(self._dir, "ca.pem")
        self._ca.cert_pem.write_to_path(self.ca_path)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2  # Vercel: TLS 1.2 and 1.3 (REST API docs)
        self._leaf.configure_cert(context)
        # HTTP/1.1 only: Go's transport offers h2 too and would otherwise expect it.
        context.set_alpn_protocols(["http/1.1"])
        return context

    def client_context(self) -> ssl.SSLContext:
        """What a Python client of the double uses (same as ssl.create_default_context(cafile=ca_path))."""
        return ssl.create_default_context(cafile=self.ca_path)

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)
