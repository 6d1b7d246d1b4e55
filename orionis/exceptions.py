"""Errors that become HTTP answers, and the RFC 9457 problem+json shape they all share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from orionis.responses import Response, json_dumps

__all__ = [
    "ClientDisconnect",
    "HTTPException",
    "LifespanError",
    "RequestValidationError",
    "problem",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    type: str = "about:blank",
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    """An ``application/problem+json`` response with ``type``, ``title``, ``status``, ``detail``.

    ``extra`` members are added at the top level (RFC 9457 extension members), e.g.
    ``errors`` for validation failures.
    """
    body: dict[str, Any] = {
        "type": type,
        "title": title or _phrase(status),
        "status": status,
        "detail": detail if detail is not None else _phrase(status),
    }
    if extra:
        body.update(extra)
    response = Response(json_dumps(body), status, headers, PROBLEM_MEDIA_TYPE)
    return response


class LifespanError(RuntimeError):
    """A startup callback failed, so this worker must not serve."""


class HTTPException(Exception):
    """Raise to answer with an error: ``raise HTTPException(404, "no such user")``.

    Rendered as problem+json; ``headers`` are added to the response (e.g. ``Allow``,
    ``WWW-Authenticate``). ``extra`` adds members to the problem document.
    """

    def __init__(
        self,
        status_code: int,
        detail: str | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        title: str | None = None,
        type: str = "about:blank",
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.status_code = status_code
        self.detail = detail if detail is not None else _phrase(status_code)
        self.headers = dict(headers) if headers else None
        self.title = title or _phrase(status_code)
        self.type = type
        self.extra = dict(extra) if extra else None
        super().__init__(status_code, self.detail)

    def to_response(self) -> Response:
        return problem(
            self.status_code,
            self.detail,
            title=self.title,
            type=self.type,
            headers=self.headers,
            extra=self.extra,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status_code}, {self.detail!r})"


class RequestValidationError(HTTPException):
    """Input that cannot be used as given: 422 with an ``errors`` list.

    Each error is a dict with ``loc`` (where: ``["body", "name"]``, ``["query", "q"]``...),
    ``type`` and ``msg``, the shape pydantic uses.
    """

    def __init__(self, errors: Sequence[Mapping[str, Any]], detail: str | None = None) -> None:
        self.errors = [dict(e) for e in errors]
        super().__init__(
            422,
            detail or "The request is invalid; see errors.",
            extra={"errors": self.errors},
        )


class ClientDisconnect(HTTPException):
    """The request body ended before it was complete (client abort, malformed chunking).

    The handler is never called with a partial body. The 400 answer rarely reaches anyone:
    the client is usually gone.
    """

    def __init__(self, detail: str = "The request body ended before it was complete.") -> None:
        super().__init__(400, detail)
