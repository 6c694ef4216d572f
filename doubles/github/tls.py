"""TLS for the GitHub double served as a GitHub Enterprise Server on https://127.0.0.1:PORT.

act's `--github-instance HOST:PORT` makes every job see `GITHUB_SERVER_URL=https://HOST:PORT` and
`GITHUB_API_URL=https://HOST:PORT/api/v3` (GHES layout): actions/checkout clones from the server URL,
@actions/github and the workflows' own REST calls use the API URL. So the double answers TLS with a leaf for
127.0.0.1, localhost and github.localhost issued by a test CA made at start (trustme, as the Vercel double).
github.localhost is the name the act harness gives it: @actions/artifact refuses any server but github.com,
*.ghe.com and *.localhost ("not currently supported on GHES"), so upload-artifact works only under such a name.
Clients trust it by `ca_path`: git (`GIT_SSL_CAINFO` or `http.sslCAInfo`), node (`NODE_EXTRA_CA_CERTS`), Go
(`SSL_CERT_FILE`), Python (`SSL_CERT_FILE` for the default context). `close()` removes the PEM.
"""

from __future__ import annotations

import os
import shutil
import ssl
import tempfile

import trustme

HOSTS = ("127.0.0.1", "localhost", "github.localhost")


class ServerAuthority:
    def __init__(self) -> None:
        self._ca = trustme.CA(organization_name="GitHub double test CA")
        self._leaf = self._ca.issue_cert(*HOSTS)
        self._dir = tempfile.mkdtemp(prefix="github-double-tls-")
        self.ca_path = os.path.join(self._dir, "ca.pem")
        self._ca.cert_pem.write_to_path(self.ca_path)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        self._leaf.configure_cert(context)
        context.set_alpn_protocols(["http/1.1"])  # Go (gh) and node offer h2 too; the server is HTTP/1.1
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_path)

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)
