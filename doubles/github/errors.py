"""GitHub's own error answers, raised by the store and rendered by the server.

Shapes follow GitHub's published schemas: `basic-error` {message, documentation_url, status} and
`validation-error` {message, documentation_url, errors[{resource, field, code, message}]}.
"""

from __future__ import annotations

DOCS = "https://docs.github.com/rest"


class ApiError(Exception):
    """An HTTP error answer with a JSON body, as GitHub would send it."""

    def __init__(self, status: int, body: dict):
        super().__init__(f"{status} {body.get('message')}")
        self.status = status
        self.body = body


def basic(status: int, message: str, docs: str = DOCS) -> ApiError:
    return ApiError(status, {"message": message, "documentation_url": docs, "status": str(status)})


def not_found(docs: str = DOCS) -> ApiError:
    return basic(404, "Not Found", docs)


def invalid_request(detail: str, docs: str = DOCS) -> ApiError:
    # GitHub's answer when a body fails its JSON schema: 422 "Invalid request.\n\n<detail>".
    return ApiError(422, {"message": f"Invalid request.\n\n{detail}", "documentation_url": docs})


def validation_failed(resource: str, field: str, code: str, message: str, docs: str = DOCS) -> ApiError:
    error = {"resource": resource, "field": field, "code": code, "message": message}
    return ApiError(422, {"message": "Validation Failed", "errors": [error], "documentation_url": docs})


def not_implemented(method: str, path: str) -> ApiError:
    # Not GitHub: the double's own answer for a route it does not know (tests fail on it).
    return basic(501, f"Not implemented by the GitHub double: {method} {path}",
                 "doubles/README.md")
