"""A small router over path segments that were split BEFORE percent-decoding.

The provider `url.PathEscape`s environment names, so `a/b` arrives as `a%2Fb`: one segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import errors

# A handler gets (store, path params, JSON body or None) and answers (status, JSON or None).
Handler = Callable[..., tuple[int, object]]



@dataclass(frozen=True)
class Route:
    method: str
    pattern: tuple[str, ...]
    handler: Handler

    def match(self, method: str, parts: list[str]) -> dict | None:
        if method != self.method:
            return None
        if self.pattern[-1].endswith("*}"):  # `{name*}` last: the rest of the path (a ref such as heads/a/b)
            size = len(self.pattern) - 1
            if len(parts) <= size:
                return None
            parts = [*parts[:size], "/".join(parts[size:])]
        if len(parts) != len(self.pattern):
            return None
        params = {}
        for want, got in zip(self.pattern, parts):
            if want.startswith("{"):
                params[want[1:-1].rstrip("*")] = got
            elif want != got:
                return None
        return params


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(self, method: str, pattern: str):
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, tuple(pattern.split("/")), handler))
            return handler
        return register

    def find(self, method: str, parts: list[str]) -> tuple[Handler, dict] | None:
        """The first route that matches (literal routes are registered before their siblings)."""
        for route in self.routes:
            params = route.match(method, parts)
            if params is not None:
                return route.handler, _typed(params)
        return None


def _typed(params: dict) -> dict:
    # Numeric ids: a non-numeric one names nothing, as on GitHub (404).
    for key, value in params.items():
        if key.endswith("_id"):
            if not value.isdigit():
                raise errors.not_found()
            params[key] = int(value)
    return params
