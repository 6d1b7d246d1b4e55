"""Middleware: classes with ``async def handle(self, request, call_next)``.

<<<<<<< HEAD
Shipped: CORS, security headers, sessions (signed cookie or Redis), CSRF, trusted hosts,
proxy headers, rate limits and compression (gzip, brotli, zstd), see docs/middleware.md and
docs/security.md; and observability (docs/observability.md): ``RequestIDMiddleware``,
``AccessLogMiddleware``, ``MetricsMiddleware`` (needs ``orionis[metrics]``) and
``TracingMiddleware`` (needs ``orionis[otel]``). Those two import their library when built, so
importing the names always works and building one without its library raises an
``ImportError`` naming the extra.
=======
``CORSMiddleware`` and ``SecurityHeadersMiddleware`` ship with Orionis; CSRF, trusted-host,
rate-limit and GZip middleware are not built yet.
>>>>>>> architecture
"""

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
