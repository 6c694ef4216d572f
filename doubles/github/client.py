"""A tiny REST client for tests and walks: calls the double as one user (that user's token)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


class Client:
    def __init__(self, api_url: str, token: str, context=None):
        self.api_url, self.token = api_url.rstrip("/"), token
        self.context = context  # an ssl.SSLContext trusting the double's test CA when it serves https

    def request(self, method: str, path: str, body=None) -> tuple[int, object]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.api_url + path, data=data, method=method)
        request.add_header("Authorization", f"token {self.token}")
        request.add_header("Accept", "application/vnd.github+json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60, context=self.context) as answer:
                status, payload = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        return status, (json.loads(payload) if payload else None)

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, body=None):
        return self.request("POST", path, body if body is not None else {})

    def put(self, path: str, body=None):
        return self.request("PUT", path, body if body is not None else {})

    def patch(self, path: str, body=None):
        return self.request("PATCH", path, body if body is not None else {})

    def delete(self, path: str):
        return self.request("DELETE", path)
