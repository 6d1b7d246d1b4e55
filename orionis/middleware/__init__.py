"""Middleware: classes with ``async def handle(self, request, call_next)``.

Shipped: CORS, security headers, sessions (signed cookie or Redis), CSRF, trusted hosts,
proxy headers, rate limits and compression (gzip, brotli, zstd), see docs/middleware.md and
docs/security.md; and observability (docs/observability.md): ``RequestIDMiddleware``,
``AccessLogMiddleware``, ``MetricsMiddleware`` (needs ``orionis[metrics]``) and
``TracingMiddleware`` (needs ``orionis[otel]``). Those two import their library when built, so
importing the names always works and building one without its library raises an
``ImportError`` naming the extra.

Each name is imported on first use (PEP 562): the application imports
``orionis.middleware.base`` for every app, and must not load itsdangerous (sessions) or
brotli/zstandard (compression) for an app that uses neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orionis._lazy import lazy_exports

if TYPE_CHECKING:
    from orionis.middleware.access_log import AccessLogMiddleware
    from orionis.middleware.base import CallNext, Middleware
    from orionis.middleware.cors import CORSMiddleware
    from orionis.middleware.csrf import CSRFMiddleware
    from orionis.middleware.gzip import GZipMiddleware
    from orionis.middleware.metrics import MetricsMiddleware
    from orionis.middleware.proxy_headers import ProxyHeadersMiddleware
    from orionis.middleware.rate_limit import RateLimitMiddleware
    from orionis.middleware.request_id import RequestIDMiddleware
    from orionis.middleware.security_headers import SecurityHeadersMiddleware
    from orionis.middleware.sessions import RedisSessionBackend, SessionMiddleware
    from orionis.middleware.tracing import TracingMiddleware
    from orionis.middleware.trusted_host import TrustedHostMiddleware

_EXPORTS = {
    "AccessLogMiddleware": "access_log",
    "CallNext": "base",
    "Middleware": "base",
    "CORSMiddleware": "cors",
    "CSRFMiddleware": "csrf",
    "GZipMiddleware": "gzip",
    "MetricsMiddleware": "metrics",
    "ProxyHeadersMiddleware": "proxy_headers",
    "RateLimitMiddleware": "rate_limit",
    "RequestIDMiddleware": "request_id",
    "SecurityHeadersMiddleware": "security_headers",
    "RedisSessionBackend": "sessions",
    "SessionMiddleware": "sessions",
    "TracingMiddleware": "tracing",
    "TrustedHostMiddleware": "trusted_host",
}


__getattr__, __dir__ = lazy_exports(
    "orionis.middleware",
    {name: f"orionis.middleware.{module}" for name, module in _EXPORTS.items()},
    globals(),
)


__all__ = [
    "AccessLogMiddleware",
    "CORSMiddleware",
    "CSRFMiddleware",
    "CallNext",
    "GZipMiddleware",
    "MetricsMiddleware",
    "Middleware",
    "ProxyHeadersMiddleware",
    "RateLimitMiddleware",
    "RedisSessionBackend",
    "RequestIDMiddleware",
    "SecurityHeadersMiddleware",
    "SessionMiddleware",
    "TracingMiddleware",
    "TrustedHostMiddleware",
]
