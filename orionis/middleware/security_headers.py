"""Defensive response headers, set once for every response that does not set its own.

    app.add_middleware(SecurityHeadersMiddleware)                      # sensible defaults
    app.add_middleware(SecurityHeadersMiddleware, frame_options="SAMEORIGIN",
                       content_security_policy="default-src 'self'; img-src *")

Every header is optional (``None`` leaves it out). A response that already carries a header
keeps its value, so a route can relax a policy for itself (the ``/docs`` page sets its own
``Content-Security-Policy`` to load Swagger UI). ``Strict-Transport-Security`` is only sent
on HTTPS requests, as browsers ignore it over HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping

from orionis import _hot
from orionis.middleware.base import CallNext, Middleware
from orionis.requests import Request
from orionis.responses import Response

__all__ = ["SecurityHeadersMiddleware"]

_clean_headers = _hot.headers.clean_headers


class SecurityHeadersMiddleware(Middleware):
    """See the module docstring. Defaults follow the OWASP secure headers project."""

    def __init__(
        self,
        *,
        content_type_options: str | None = "nosniff",
        frame_options: str | None = "DENY",
        referrer_policy: str | None = "strict-origin-when-cross-origin",
        content_security_policy: str | None = "default-src 'self'; frame-ancestors 'none'",
        cross_origin_opener_policy: str | None = "same-origin",
        permissions_policy: str | None = None,
        hsts_max_age: int | None = 63072000,
        hsts_include_subdomains: bool = True,
        hsts_preload: bool = False,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        chosen = {
            "x-content-type-options": content_type_options,
            "x-frame-options": frame_options,
            "referrer-policy": referrer_policy,
            "content-security-policy": content_security_policy,
            "cross-origin-opener-policy": cross_origin_opener_policy,
            "permissions-policy": permissions_policy,
        }
        chosen.update({k.lower(): v for k, v in (extra or {}).items()})
        self.headers = [(name, value) for name, value in chosen.items() if value is not None]
        _clean_headers(self.headers, True)  # a bad option fails here, not on every response
        self.hsts: tuple[str, str] | None = None
        if hsts_max_age is not None:
            value = f"max-age={hsts_max_age}"
            if hsts_include_subdomains:
                value += "; includeSubDomains"
            if hsts_preload:
                value += "; preload"
            self.hsts = ("strict-transport-security", value)
        # HSTS only means something over HTTPS: those requests get the longer list.
        self._https_headers = self.headers if self.hsts is None else [*self.headers, self.hsts]
        self._names = frozenset(name for name, _ in self._https_headers)

    async def handle(self, request: Request, call_next: CallNext) -> Response:
        response = await call_next()
        raw = response.raw_headers
        headers = self._https_headers if request.scheme == "https" else self.headers
        names = self._names
        for name, _ in raw:
            if name in names:  # the response sets one of them itself: keep its value
                present = {name for name, _ in raw}
                raw.extend(header for header in headers if header[0] not in present)
                return response
        raw.extend(headers)  # the usual case: none of them set
        return response
