"""Cross-Origin Resource Sharing, with Starlette's options and semantics.

    app.add_middleware(
        CORSMiddleware,
        allow_origins=["https://app.example"],
        allow_methods=["GET", "POST"],
        allow_headers=["authorization", "content-type"],
        allow_credentials=True,
    )

A preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) is answered
here, before routing: 204 with the allowed methods and headers, or a 400 problem naming what
is not allowed. Other requests from an allowed origin get ``Access-Control-Allow-Origin``
(the origin itself, with ``Vary: Origin``, unless all origins are allowed, then ``*``; all
origins and credentials together are refused at construction). Requests without ``Origin``
pass through untouched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from orionis import _hot
from orionis.exceptions import problem
from orionis.middleware.base import CallNext, Middleware
from orionis.requests import Request
from orionis.responses import Response

__all__ = ["CORSMiddleware"]

_clean_headers = _hot.headers.clean_headers

ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
# Headers browsers may send without asking (CORS-safelisted request headers).
SAFELISTED = frozenset({"accept", "accept-language", "content-language", "content-type"})


class CORSMiddleware(Middleware):
    """See the module docstring; options mirror Starlette's ``CORSMiddleware``."""

    def __init__(
        self,
        allow_origins: Sequence[str] = (),
        allow_methods: Sequence[str] = ("GET",),
        allow_headers: Sequence[str] = (),
        allow_credentials: bool = False,
        allow_origin_regex: str | None = None,
        expose_headers: Sequence[str] = (),
        max_age: int = 600,
    ) -> None:
        if isinstance(allow_origins, str) or isinstance(allow_methods, str):
            raise TypeError("allow_origins and allow_methods are lists, e.g. ['GET']")
        if "*" in allow_origins and allow_credentials:
            raise ValueError(
                "allow_origins=['*'] with allow_credentials=True would let every website make "
                "credentialed requests as your users; list the origins, or use "
                "allow_origin_regex"
            )
        self.allow_all_origins = "*" in allow_origins
        self.origins = frozenset(allow_origins)
        self.origin_regex = re.compile(allow_origin_regex) if allow_origin_regex else None
        methods = ALL_METHODS if "*" in allow_methods else tuple(m.upper() for m in allow_methods)
        self.methods = frozenset(methods)
        self.allow_all_headers = "*" in allow_headers
        self.headers = SAFELISTED | {h.lower() for h in allow_headers}
        self.credentials = allow_credentials
        simple: list[tuple[str, str]] = []
        if allow_credentials:
            simple.append(("access-control-allow-credentials", "true"))
        if expose_headers:
            simple.append(("access-control-expose-headers", ", ".join(expose_headers)))
        self.simple_headers = simple
        # What every allowed non-preflight response gets when all origins are allowed.
        self._any_origin_headers = [("access-control-allow-origin", "*"), *simple]
        preflight = [
            ("access-control-allow-methods", ", ".join(sorted(self.methods))),
            ("access-control-max-age", str(max_age)),
        ]
        if allow_credentials:
            preflight.append(("access-control-allow-credentials", "true"))
        if not self.allow_all_headers:
            preflight.append(("access-control-allow-headers", ", ".join(sorted(self.headers))))
        self.preflight_headers = preflight
        _clean_headers([*simple, *preflight], True)  # a bad option fails here, not per request

    def allows(self, origin: str) -> bool:
        if self.allow_all_origins or origin in self.origins:
            return True
        return self.origin_regex is not None and self.origin_regex.fullmatch(origin) is not None

    async def handle(self, request: Request, call_next: CallNext) -> Response:
        headers = request.headers
        origin = headers.get("origin")
        if origin is None:
            return await call_next()
        if request.method == "OPTIONS":
            requested_method = headers.get("access-control-request-method")
            if requested_method is not None:
                return self._preflight(origin, requested_method, headers)
        response = await call_next()
        if self.allows(origin):
            self._decorate(response, origin)
        return response

    def _decorate(self, response: Response, origin: str) -> None:
        # Set, not added: a second Access-Control-Allow-Origin makes browsers refuse both.
        # The origin is echoed whenever the answer depends on it (not for a plain "*").
        raw = response.raw_headers
        for name, _ in raw:
            if name == "vary" or name.startswith("access-control-"):
                break
        else:  # the usual case: nothing to replace or merge, so append
            if self.allow_all_origins:
                raw.extend(self._any_origin_headers)
            else:
                raw.append(("access-control-allow-origin", origin))
                raw.append(("vary", "Origin"))
                raw.extend(self.simple_headers)
            return
        headers = response.headers
        if self.allow_all_origins:
            decoration = self._any_origin_headers
        else:
            headers["access-control-allow-origin"] = origin
            _add_vary(response.raw_headers, "Origin")
            decoration = self.simple_headers
        for name, value in decoration:
            headers[name] = value

    def _preflight(self, origin: str, requested_method: str, headers: Any) -> Response:
        refused = []
        if not self.allows(origin):
            refused.append("origin")
        if requested_method.upper() not in self.methods:
            refused.append("method")
        requested = headers.get("access-control-request-headers")
        names = [h.strip().lower() for h in requested.split(",") if h.strip()] if requested else []
        if not self.allow_all_headers and any(h not in self.headers for h in names):
            refused.append("headers")
        if refused:
            return problem(400, f"CORS preflight refused: disallowed {', '.join(refused)}.")
        response = Response(status_code=204, headers=self.preflight_headers)
        response.raw_headers.append(("access-control-allow-origin", origin))
        _add_vary(response.raw_headers, "Origin")
        if self.allow_all_headers and requested:
            response.raw_headers.append(("access-control-allow-headers", requested))
        return response


def _add_vary(raw: list[tuple[str, str]], value: str) -> None:
    for i, (name, existing) in enumerate(raw):
        if name == "vary":
            if value.lower() not in (v.strip().lower() for v in existing.split(",")):
                raw[i] = (name, f"{existing}, {value}")
            return
    raw.append(("vary", value))
