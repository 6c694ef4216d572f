"""A small router over path segments split before percent-decoding (as doubles/github's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

# A handler gets (store, request) and answers (status, JSON or None).
Handler = Callable[..., tuple[int, object]]



@dataclass(frozen=True)
class Request:
    """What a handler sees: path parameters, the query (last value of each name), the JSON body."""
    params: dict
    query: dict
    body: object
    scope: str | None = None  # the account the request acts on (team id, or None: the personal account)


@dataclass(frozen=True)
class Route:
    method: str
    pattern: tuple[str, ...]
    handler: Handler

    def match(self, method: str, parts: list[str]) -> dict | None:
        if method != self.method or len(parts) != len(self.pattern):
            return None
        params = {}
        for want, got in zip(self.pattern, parts):
            if want.startswith("{"):
                if not got:
                    return None
                params[want[1:-1]] = got
            elif want != got:
                return None
        return params


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(self, method: str, *patterns: str):
        """Register a handler under one or more patterns (the provider and the audit use several API versions)."""
        def register(handler: Handler) -> Handler:
            for pattern in patterns:
                self.routes.append(Route(method, tuple(pattern.split("/")), handler))
            return handler
        return register

    def find(self, method: str, parts: list[str]) -> tuple[Handler, dict] | None:
        for route in self.routes:
            params = route.match(method, parts)
            if params is not None:
                return route.handler, params
        return None
