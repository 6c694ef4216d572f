"""Vercel's error answers, raised by the store and rendered by the server.

Shape (Vercel REST API docs, "Errors"; the provider parses exactly this, client/request.go):
`{"error": {"code": "...", "message": "..."}}`, sometimes with extra fields (ENV_CONFLICT's key, target).
"""

from __future__ import annotations

ERRORS_DOCS = "https://vercel.com/docs/rest-api/errors"


class ApiError(Exception):
    """An HTTP error answer with a JSON body, as Vercel would send it."""

    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.body = {"error": {"code": code, "message": message, **extra}}


def bad_request(message: str, **extra) -> ApiError:
    # Documented generic code for a malformed request (REST API docs, "Errors").
    return ApiError(400, "bad_request", message, **extra)


def forbidden(message: str = "Not authorized") -> ApiError:
    # Documented: {"code": "forbidden", "message": "Not authorized"} when the token is missing or has no access.
    return ApiError(403, "forbidden", message)


def unauthorized() -> ApiError:
    # No bearer token. Vercel documents "forbidden" for this case; the status 401 is the brief's and the
    # SDK's (every operation lists 401) [guess: which of 401/403 Vercel sends for a missing token].
    return ApiError(401, "forbidden", "The request is missing an authentication token", missingToken=True)


def not_found(message: str) -> ApiError:
    # Documented shape and code ("Could not find the RESOURCE: ID"); our wording per resource [guess].
    return ApiError(404, "not_found", message)


def not_implemented(method: str, path: str) -> ApiError:
    # Not Vercel: the double's own answer for a route it does not know (tests fail on it).
    return ApiError(501, "not_implemented", f"Not implemented by the Vercel double: {method} {path}")
